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
