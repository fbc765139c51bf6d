/// Which reduce partition a key goes to, from the key's encoded bytes. It must give the same
/// answer in every process (so not Swift's per-process seeded `Hasher`).
public struct MapReducePartitioner: Sendable {
    let body: @Sendable (_ key: UnsafeRawBufferPointer, _ partitions: Int) -> Int

    /// A partitioner that runs `body` with a key's bytes and the number of partitions; it must
    /// return a partition in `0..<partitions` and depend on nothing else.
    public static func custom(_ body: @escaping @Sendable (_ key: UnsafeRawBufferPointer, _ partitions: Int) -> Int) -> Self {
        MapReducePartitioner(body: body)
    }

    /// The default: the 64-bit FNV-1a hash of the key's bytes, modulo the number of partitions.
    public static var stableHash: Self {
        MapReducePartitioner { key, partitions in Int(fnv1a(key) % UInt64(partitions)) }
    }

    /// A range partitioner: partition `i` holds the keys `k` with `boundaries[i - 1] <= k <
    /// boundaries[i]` in unsigned bytewise order (the first partition everything below
    /// `boundaries[0]`, the last everything from the last boundary on), so each partition is one
    /// contiguous key range and the partitions' outputs, concatenated, are in key order. The
    /// boundaries must be ascending; with fewer partitions than `boundaries.count + 1` the keys
    /// past the last partition go to the last one.
    public static func range(_ boundaries: [[UInt8]]) -> Self {
        MapReducePartitioner { key, partitions in
            // The number of boundaries at or below the key.
            var low = 0, high = boundaries.count
            while low < high {
                let middle = (low + high) / 2
                let below = boundaries[middle].withUnsafeBytes { ShuffleBlob.compare(key, $0) < 0 }
                if below { high = middle } else { low = middle + 1 }
            }
            return min(low, partitions - 1)
        }
    }

    /// The boundaries of a range partitioner (`range(_:)`) that cut keys distributed like
    /// `sample` into `partitions` ranges of about the same size: the sample's quantiles, without
    /// repeats (so a heavily repeated key can leave a partition empty rather than split it).
    public static func rangeBoundaries(sample: [[UInt8]], partitions: Int) -> [[UInt8]] {
        let sorted = sample.sorted(by: [UInt8].bytesPrecede)
        guard partitions > 1, !sorted.isEmpty else { return [] }
        var boundaries: [[UInt8]] = []
        for index in 1..<partitions {
            let quantile = sorted[index * sorted.count / partitions]
            if boundaries.last != quantile { boundaries.append(quantile) }
        }
        return boundaries
    }

    /// The partition of `key`, checked to be in range.
    func partition(of key: UnsafeRawBufferPointer, among partitions: Int) -> Int {
        let partition = body(key, partitions)
        precondition((0..<partitions).contains(partition), "the partitioner returned \(partition) for \(partitions) partitions")
        return partition
    }

    /// FNV-1a, 64 bits: the same in every process and on every platform.
    public static func fnv1a(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
