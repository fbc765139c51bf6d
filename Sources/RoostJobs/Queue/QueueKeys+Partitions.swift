import RoostClient

/// The keys of a partitioned queue: partition `p` of queue `q` is a full `QueueKeys` set
/// under a hash tag of its own.
///
/// | partition | hash tag | job ids it numbers |
/// |---|---|---|
/// | 0 | `{q}` (the unpartitioned queue's keys) | `<seq>` |
/// | p ≥ 1 | `{q#p}`, or `{q#p.k}` for the smallest k ≥ 1 that puts it in its slot range | `p:<seq>` |
///
/// Slot ranges: the 16,384 slots cut into N equal ranges, as `redis-cli --cluster create`
/// cuts them over N masters. Partition 0 stays where `{q}` hashes; partition p goes to the
/// range p places after it, so the N partitions hash to N different ranges, and so to
/// different masters of an evenly split cluster with N masters (more partitions than masters
/// share masters evenly). The tags depend only on the name and N, so every process computes
/// the same ones.
///
/// Partition 0's meta hash also holds `partitions` (N, when N > 1); partition p's meta holds
/// `idPrefix` (`p:`), which the enqueue script puts before the numbers it gives ids.
extension QueueKeys {
    /// The key sets of queue `name`'s `count` partitions, partition 0 first.
    static func partitions(of name: String, count: Int) -> [QueueKeys] {
        (0..<max(count, 1)).map { QueueKeys(queue: partitionTag(of: name, partition: $0, count: count)) }
    }

    /// The hash tag (without braces) of partition `partition` of `count`.
    static func partitionTag(of name: String, partition: Int, count: Int) -> String {
        guard partition > 0, count > 1 else { return name }
        let target = (slotRange(of: name, count: count) + partition) % count
        let plain = "\(name)#\(partition)"
        if slotRange(of: plain, count: count) == target { return plain }
        // About `count` tries on average; the bound only guards against a pathological name.
        for k in 1...100_000 {
            let tag = "\(plain).\(k)"
            if slotRange(of: tag, count: count) == target { return tag }
        }
        return plain
    }

    /// Which of `count` equal slot ranges the hash tag `tag` falls in.
    static func slotRange(of tag: String, count: Int) -> Int {
        Int(RedisHashSlot(key: "{\(tag)}").rawValue) * count / RedisHashSlot.count
    }
}
