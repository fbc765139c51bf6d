/// One command's latency distribution, bucketed as Redis 7.0 buckets it: an HDR histogram over
/// 1 ns … 1 s with two significant figures (`hdr_init(1, 1000000000, 2)` in Redis's
/// `updateCommandLatencyHistogram`).
///
/// The layout follows HdrHistogram: 256 sub-buckets per bucket, of which the first bucket uses
/// all and every later one the upper 128, each bucket covering twice the range of the one before
/// at half the resolution. Values are nanoseconds; recording is O(1) and allocates only on the
/// first value.
struct LatencyHistogram {
    static let lowest: Int64 = 1
    static let highest: Int64 = 1_000_000_000
    /// log2(sub-bucket count) − 1: two significant figures need 2·10² = 200 distinct values,
    /// rounded up to 256.
    static let subBucketHalfCountMagnitude = 7
    static let subBucketHalfCount = 1 << subBucketHalfCountMagnitude
    static let subBucketCount = subBucketHalfCount * 2
    static let subBucketMask = Int64(subBucketCount - 1)
    /// Buckets needed until 256·2^k exceeds `highest`: 23.
    static let bucketCount: Int = {
        var smallestUntrackable = Int64(subBucketCount)
        var buckets = 1
        while smallestUntrackable <= highest {
            smallestUntrackable <<= 1
            buckets += 1
        }
        return buckets
    }()
    static let countsLength = (bucketCount + 1) * subBucketHalfCount

    private(set) var counts: [Int64] = []
    private(set) var totalCount: Int64 = 0

    /// Whether any value was recorded: Redis creates a command's histogram with its first value.
    var isEmpty: Bool { totalCount == 0 }

    /// Records `nanoseconds`, clamped to 1 ns … 1 s as Redis clamps it.
    mutating func record(nanoseconds: Int64) {
        let value = Swift.min(Swift.max(nanoseconds, Self.lowest), Self.highest)
        if counts.isEmpty { counts = [Int64](repeating: 0, count: Self.countsLength) }
        counts[Self.countsIndex(for: value)] += 1
        totalCount += 1
    }

    // MARK: Index arithmetic (hdr_histogram.c)

    static func bucketIndex(_ value: Int64) -> Int {
        let pow2Ceiling = 64 - (value | subBucketMask).leadingZeroBitCount
        return pow2Ceiling - (subBucketHalfCountMagnitude + 1)
    }

    static func countsIndex(for value: Int64) -> Int {
        let bucket = bucketIndex(value)
        let subBucket = Int(value >> Int64(bucket))
        return ((bucket + 1) << subBucketHalfCountMagnitude) + subBucket - subBucketHalfCount
    }

    static func value(atIndex index: Int) -> Int64 {
        var bucket = (index >> subBucketHalfCountMagnitude) - 1
        var subBucket = (index & (subBucketHalfCount - 1)) + subBucketHalfCount
        if bucket < 0 {
            subBucket -= subBucketHalfCount
            bucket = 0
        }
        return Int64(subBucket) << Int64(bucket)
    }

    /// The width of the range of values counted together with `value`.
    static func equivalentRangeSize(_ value: Int64) -> Int64 {
        let bucket = bucketIndex(value)
        let subBucket = Int(value >> Int64(bucket))
        return Int64(1) << Int64(subBucket >= subBucketCount ? bucket + 1 : bucket)
    }

    static func lowestEquivalentValue(_ value: Int64) -> Int64 {
        let bucket = bucketIndex(value)
        return (value >> Int64(bucket)) << Int64(bucket)
    }

    static func highestEquivalentValue(_ value: Int64) -> Int64 {
        lowestEquivalentValue(value) + equivalentRangeSize(value) - 1
    }

    // MARK: Reading

    /// `hdr_value_at_percentile`: the highest value equivalent to the one holding the
    /// `round(percentile/100 · total)`-th recorded value (the lowest for percentile 0).
    func value(atPercentile percentile: Double) -> Int64 {
        let requested = Swift.min(percentile, 100.0)
        let countAtPercentile = Swift.max(Int64(requested / 100 * Double(totalCount) + 0.5), 1)
        var running: Int64 = 0
        var found: Int64 = 0
        for (index, count) in counts.enumerated() {
            running += count
            if running >= countAtPercentile {
                found = Self.value(atIndex: index)
                break
            }
        }
        return percentile == 0 ? Self.lowestEquivalentValue(found) : Self.highestEquivalentValue(found)
    }

    /// The cumulative distribution LATENCY HISTOGRAM replies with: for each power-of-two step
    /// from 1024 ns (HdrHistogram's logarithmic iterator, base 2), the step's upper bound in
    /// microseconds and how many values lie at or below it, for the steps that added values.
    func cumulativeDistribution() -> [(microseconds: Int64, count: Int64)] {
        var result: [(microseconds: Int64, count: Int64)] = []
        var iterator = LogarithmicIterator(self)
        var previous: Int64 = 0
        while iterator.next() {
            if iterator.cumulativeCount > previous {
                result.append((iterator.highestEquivalentValue / 1000, iterator.cumulativeCount))
            }
            previous = iterator.cumulativeCount
        }
        return result
    }

    /// HdrHistogram's logarithmic iterator with a first step of 1024 and base 2, step by step
    /// as `hdr_iter_log_init`/`hdr_iter_next` walk it.
    struct LogarithmicIterator {
        let histogram: LatencyHistogram
        var countsIndex = -1
        var cumulativeCount: Int64 = 0
        var value: Int64 = 0
        var highestEquivalentValue: Int64 = 0
        var nextLevel: Int64 = 1024
        var nextLevelLowestEquivalent: Int64

        init(_ histogram: LatencyHistogram) {
            self.histogram = histogram
            nextLevelLowestEquivalent = LatencyHistogram.lowestEquivalentValue(1024)
        }

        private mutating func moveNext() -> Bool {
            countsIndex += 1
            if countsIndex >= LatencyHistogram.countsLength { return false }
            cumulativeCount += histogram.counts[countsIndex]
            value = LatencyHistogram.value(atIndex: countsIndex)
            highestEquivalentValue = LatencyHistogram.highestEquivalentValue(value)
            return true
        }

        mutating func next() -> Bool {
            let hasNext = cumulativeCount < histogram.totalCount
            let beyondLevel = countsIndex < LatencyHistogram.countsLength
                && LatencyHistogram.value(atIndex: countsIndex + 1) > nextLevelLowestEquivalent
            guard hasNext || beyondLevel else { return false }
            while true {
                if value >= nextLevelLowestEquivalent {
                    nextLevel *= 2
                    nextLevelLowestEquivalent = LatencyHistogram.lowestEquivalentValue(nextLevel)
                    return true
                }
                if !moveNext() { return true }
            }
        }
    }
}
