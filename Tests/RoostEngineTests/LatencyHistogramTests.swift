@testable import RoostEngine
import Testing

/// The latency histogram and monitor against figures worked out by hand from Redis's
/// algorithms (`hdr_histogram.c` with `hdr_init(1, 1000000000, 2)`, `latency.c`).
@Suite struct LatencyHistogramTests {
    @Test func layoutMatchesRedisHdrInit() {
        // 2 significant figures: 256 sub-buckets; 256·2^22 > 1e9 needs 23 buckets.
        #expect(LatencyHistogram.subBucketCount == 256)
        #expect(LatencyHistogram.bucketCount == 23)
        #expect(LatencyHistogram.countsLength == 3072)
    }

    @Test func valuesShareBucketsAsHdrHistogramDoes() {
        // Below 256 every nanosecond has its own slot.
        #expect(LatencyHistogram.countsIndex(for: 200) == 200)
        #expect(LatencyHistogram.highestEquivalentValue(200) == 200)
        // 500: bucket 1 (2 ns wide), sub-bucket 250, slot 256 + 250 − 128.
        #expect(LatencyHistogram.countsIndex(for: 500) == 378)
        #expect(LatencyHistogram.value(atIndex: 378) == 500)
        #expect(LatencyHistogram.highestEquivalentValue(500) == 501)
        // 1 µs: bucket 2, 4 ns wide: 1000…1003 (Redis prints p50=1.003 for a 1 µs command).
        #expect(LatencyHistogram.lowestEquivalentValue(1000) == 1000)
        #expect(LatencyHistogram.highestEquivalentValue(1000) == 1003)
        // 5 µs: bucket 5, 32 ns wide: 4992…5023.
        #expect(LatencyHistogram.highestEquivalentValue(5000) == 5023)
        // 100 µs: bucket 9, 512 ns wide: 99840…100351.
        #expect(LatencyHistogram.highestEquivalentValue(100_000) == 100_351)
        // 1 s: bucket 22, 2^22 ns wide: 238·2^22 = 998244352 … 1002438655.
        #expect(LatencyHistogram.highestEquivalentValue(1_000_000_000) == 1_002_438_655)
        #expect(LatencyHistogram.countsIndex(for: 1_000_000_000) < LatencyHistogram.countsLength)
    }

    static func sample() -> LatencyHistogram {
        var h = LatencyHistogram()
        for ns: Int64 in [1000, 5000, 5000, 100_000, 2_000_000_000] { h.record(nanoseconds: ns) }
        return h
    }

    @Test func percentilesFollowHdrValueAtPercentile() {
        let h = Self.sample()
        #expect(h.totalCount == 5)
        // p50: the int(0.5·5 + 0.5) = 3rd value, 5 µs, reported at its slot's top.
        #expect(h.value(atPercentile: 50) == 5023)
        // p99 and p100: the 5th, 2 s clamped to 1 s.
        #expect(h.value(atPercentile: 99) == 1_002_438_655)
        #expect(h.value(atPercentile: 100) == 1_002_438_655)
        // p0 is the first value's slot bottom.
        #expect(h.value(atPercentile: 0) == 1000)
        // p10: int(0.5 + 0.5) = 1st value.
        #expect(h.value(atPercentile: 10) == 1003)
        // Values below 1 ns count as 1 ns.
        var tiny = LatencyHistogram()
        tiny.record(nanoseconds: 0)
        #expect(tiny.value(atPercentile: 50) == 1)
    }

    @Test func cumulativeDistributionWalksPowerOfTwoSteps() {
        // Steps end at 1024·2^k + 2^k/128 − 1 ns: 1031 → 1 µs, 8255 → 8 µs, 132095 → 132 µs; the
        // 1 s value lies past the last step (2^30), reached when the slots run out at 1073741823.
        let steps = Self.sample().cumulativeDistribution()
        #expect(steps.map(\.microseconds) == [1, 8, 132, 1_073_741])
        #expect(steps.map(\.count) == [1, 3, 4, 5])
        var small = LatencyHistogram()
        small.record(nanoseconds: 500)
        #expect(small.cumulativeDistribution().map(\.microseconds) == [1])
        #expect(LatencyHistogram().cumulativeDistribution().isEmpty)
    }

    @Test func percentilesPrintAsRedisTrimsThem() {
        #expect(EngineConfiguration.percentileText(50) == "50")
        #expect(EngineConfiguration.percentileText(99.9) == "99.9")
        #expect(EngineConfiguration.percentileText(12.5) == "12.5")
        #expect(EngineConfiguration.percentileText(100) == "100")
        #expect(EngineConfiguration.percentileText(0) == "0")
    }

    @Test func timeSeriesKeepsTheWorstSampleOfEachSecond() {
        var series = LatencyTimeSeries()
        series.add(5, at: 100)
        series.add(9, at: 100)
        series.add(3, at: 100)
        series.add(7, at: 101)
        #expect(series.history.map(\.milliseconds) == [9, 7])
        #expect(series.latest.time == 101)
        #expect(series.worst == 9)
        for t in 0..<200 { series.add(1, at: 1000 + Int64(t)) }
        #expect(series.history.count == LatencyTimeSeries.length)
        #expect(series.history.first?.time == 1040)
        #expect(series.worst == 9)
    }

    @Test func resetForgetsEventsIgnoringCase() {
        var monitor = LatencyMonitor()
        monitor.add("command", milliseconds: 3, now: 1)
        monitor.add("fast-command", milliseconds: 3, now: 1)
        monitor.add("expire-cycle", milliseconds: 3, now: 1)
        #expect(monitor.reset("COMMAND") == 1)
        #expect(monitor.reset("nosuch") == 0)
        #expect(monitor.series("command") == nil)
        #expect(monitor.reset(nil) == 2)
    }

    @Test func doctorReportsAsRedisWordsIt() {
        let engine = Engine()
        #expect(engine.latencyReport(now: 0).hasPrefix("I'm sorry, Dave, I can't do that."))
        engine.configuration.latencyMonitorThreshold = 5
        #expect(engine.latencyReport(now: 0).hasPrefix("Dave, no latency spike was observed"))
        // 10, 20 and 40 ms: average 70/3 = 23, deviation (13 + 3 + 17)/3 = 11, 10 s over 3.
        for (t, ms): (Int64, Int64) in [(100, 10), (101, 20), (102, 40)] {
            engine.latencyMonitor.add("command", milliseconds: ms, now: t)
        }
        let expected = "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n"
            + "1. command: 3 latency spikes (average 23ms, mean deviation 11ms, period 3.33 sec). Worst all time event 40ms.\n"
            + "\nI have a few advices for you:\n\n"
            + "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than 5000'.\n"
            + "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n"
            + "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n"
        #expect(engine.latencyReport(now: 110) == expected)
    }

    @Test func graphDrawsRedisSparkline() {
        var series = LatencyTimeSeries()
        series.add(1, at: 100)
        series.add(4, at: 130)
        series.add(10, at: 170)
        // 12 steps over 1…10 ms: 0, 4 and 11; four rows of `_o#` with `|` below a full one, a
        // blank row, then each sample's age (1m, 1m, 20s) read downwards.
        let text = LatencyGraph.render(event: "command", series, now: 190)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "command - high 10 ms, low 1 ms (all time high 10 ms)")
        #expect(lines[1] == String(repeating: "-", count: 80))
        #expect(Array(lines[2...]) == ["  #", "  |", " o|", "_||", "   ", "112", "mm0", "  s", ""])
    }
}
