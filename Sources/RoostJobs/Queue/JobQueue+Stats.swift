import RoostClient
import RoostRESP

/// A queue's recent history, minute by minute: what the scripts counted as they moved jobs (see
/// `JobScripts+Stats.swift` for the keys). Minutes are the server's, so every producer and
/// worker counts into the same ones.
public struct JobStats: Sendable, Hashable, Codable {
    /// How long a minute's counts are kept after the minute ends: 24 hours.
    public static let retention: Duration = .seconds(24 * 3600)
    static let retentionMilliseconds = 24 * 3600 * 1000

    /// What happened in some span of time.
    public struct Counts: Sendable, Hashable, Codable {
        /// Jobs added (enqueued, by a schedule, or as part of a flow).
        public var enqueued = 0
        /// Jobs that completed.
        public var completed = 0
        /// Jobs that failed for good (their last attempt failed, they were cancelled, their
        /// last lease ran out, or a child failed their flow).
        public var failed = 0
        /// Attempts that failed with the job going again.
        public var retried = 0
        /// Attempts whose lease ran out (their worker died or stalled).
        public var stalled = 0

        public init(enqueued: Int = 0, completed: Int = 0, failed: Int = 0, retried: Int = 0, stalled: Int = 0) {
            self.enqueued = enqueued
            self.completed = completed
            self.failed = failed
            self.retried = retried
            self.stalled = stalled
        }

        /// Failed for good out of all that finished (`failed / (completed + failed)`), nil when
        /// none finished.
        public var failureRate: Double? {
            let finished = completed + failed
            return finished == 0 ? nil : Double(failed) / Double(finished)
        }

        /// Both spans' counts added.
        public static func + (lhs: Counts, rhs: Counts) -> Counts {
            Counts(enqueued: lhs.enqueued + rhs.enqueued, completed: lhs.completed + rhs.completed,
                   failed: lhs.failed + rhs.failed, retried: lhs.retried + rhs.retried, stalled: lhs.stalled + rhs.stalled)
        }
    }

    /// One minute's counts.
    public struct Minute: Sendable, Hashable, Codable {
        /// When the minute starts, in ms since 1970 (server time).
        public var start: Int64
        /// What happened in it.
        public var counts: Counts

        public init(start: Int64, counts: Counts) {
            self.start = start
            self.counts = counts
        }
    }

    /// The minutes, oldest first, the current (unfinished) one last; minutes with nothing
    /// recorded are there with zero counts.
    public var minutes: [Minute]

    public init(minutes: [Minute]) {
        self.minutes = minutes
    }

    /// Every minute's counts added.
    public var total: Counts { minutes.reduce(Counts()) { $0 + $1.counts } }
}

extension JobQueue {
    /// The queue's counts for each of the last `minutes` minutes (at most a day, `JobStats.retention`),
    /// the current minute last. One script call per partition; a partitioned queue's are summed.
    /// - Throws: client errors.
    public func stats(minutes: Int = 60) async throws -> JobStats {
        let minutes = min(max(minutes, 1), JobStats.retentionMilliseconds / 60_000)
        let parts = try await spansPartitions ? eachPartition { try await $0.stats(minutes: minutes) } : [statsOfOnePartition(minutes)]
        // Partitions may straddle a minute boundary: sum into the window that ends at the latest minute.
        guard let last = parts.compactMap({ $0.minutes.last?.start }).max() else { return JobStats(minutes: []) }
        var window = (0..<minutes).map { JobStats.Minute(start: last - Int64(minutes - 1 - $0) * 60_000, counts: .init()) }
        for minute in parts.flatMap(\.minutes) {
            let index = minutes - 1 - Int((last - minute.start) / 60_000)
            if window.indices.contains(index) { window[index].counts = window[index].counts + minute.counts }
        }
        return JobStats(minutes: window)
    }

    private func statsOfOnePartition(_ minutes: Int) async throws -> JobStats {
        let reply = try await client.evaluate(JobScripts.readStats, keys: [keys.meta],
                                              arguments: [RedisArgument(keys.statsPrefix), RedisArgument(minutes)])
        guard let items = reply.jobArray, let current = items.first?.jobInt else {
            throw JobsError.unexpectedReply("stats: \(reply)")
        }
        let first = current - Int64(items.count - 2)
        return JobStats(minutes: items.dropFirst().enumerated().map { offset, item in
            let fields = (item.jobArray ?? []).map { Int($0.jobInt ?? 0) } + [0, 0, 0, 0, 0]
            return JobStats.Minute(start: (first + Int64(offset)) * 60_000,
                                   counts: .init(enqueued: fields[0], completed: fields[1], failed: fields[2],
                                                 retried: fields[3], stalled: fields[4]))
        })
    }
}

extension QueueKeys {
    /// The prefix of the per-minute stats hashes: `roost:jobs:{q}:stats:` (`JobScripts+Stats.swift`).
    var statsPrefix: String { String(jobPrefix.dropLast("job:".count)) + "stats:" }
}
