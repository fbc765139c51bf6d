@_exported import struct RoostEngine.SplitMix64

/// What fuzz inputs and randomised tests draw besides raw bits.
extension SplitMix64 {
    /// A generator for item `index` of a run seeded with `seed`: items are independent, so any
    /// one of them reproduces alone.
    public static func forItem(_ index: Int, of seed: UInt64) -> SplitMix64 {
        var mixer = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: index) &* 0xd134_2543_de82_ef95))
        return SplitMix64(seed: mixer.next())
    }

    /// A uniform integer in `0..<bound` (`bound` > 0).
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// True with probability `numerator` / `denominator`.
    public mutating func chance(_ numerator: Int, in denominator: Int) -> Bool { below(denominator) < numerator }

    /// A uniformly chosen element of a non-empty array.
    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}
