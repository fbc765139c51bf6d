import RoostJobs

/// A queue's completions and failures (for good) per minute over the last hour, as the job
/// scripts counted them in Redis (`JobQueue.stats`): what the charts draw, and what live
/// updates carry so that a page redraws them.
struct QueueThroughput: Sendable, Hashable, Codable {
    /// How many minutes the charts show.
    static let minutes = 60

    /// When the first minute starts, ms since 1970 (server time); the last minute is the current one.
    var start: Int64
    /// Completed jobs per minute, oldest first.
    var completed: [Int]
    /// Jobs that failed for good per minute, oldest first.
    var failed: [Int]

    init(start: Int64, completed: [Int], failed: [Int]) {
        self.start = start
        self.completed = completed
        self.failed = failed
    }

    init(_ stats: JobStats) {
        self.init(start: stats.minutes.first?.start ?? 0, completed: stats.minutes.map(\.counts.completed),
                  failed: stats.minutes.map(\.counts.failed))
    }

    /// Whether nothing completed or failed in the hour.
    var isEmpty: Bool { completed.allSatisfy { $0 == 0 } && failed.allSatisfy { $0 == 0 } }

    /// Two empty hours are equal whenever they start, so that the minute moving on alone is not
    /// a change a live update has to send.
    static func == (lhs: QueueThroughput, rhs: QueueThroughput) -> Bool {
        lhs.isEmpty && rhs.isEmpty
            ? lhs.completed.count == rhs.completed.count
            : (lhs.start, lhs.completed, lhs.failed) == (rhs.start, rhs.completed, rhs.failed)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(completed)
        hasher.combine(failed)
        if !isEmpty { hasher.combine(start) }
    }

    /// Every minute's failure rate, `failed / (completed + failed)`; nil for a minute in which
    /// nothing finished.
    var failureRates: [Double?] {
        zip(completed, failed).map { completed, failed in completed + failed == 0 ? nil : Double(failed) / Double(completed + failed) }
    }

    /// Several queues' minutes added up, over the window of the latest one (queues read a
    /// moment apart may straddle a minute boundary).
    static func sum(_ all: [QueueThroughput]) -> QueueThroughput {
        let start = all.map(\.start).max() ?? 0
        let count = all.map(\.completed.count).max() ?? minutes
        var total = QueueThroughput(start: start, completed: Array(repeating: 0, count: count), failed: Array(repeating: 0, count: count))
        for queue in all {
            let shift = Int((start - queue.start) / 60_000)
            for (index, (completed, failed)) in zip(queue.completed, queue.failed).enumerated()
            where total.completed.indices.contains(index - shift) {
                total.completed[index - shift] += completed
                total.failed[index - shift] += failed
            }
        }
        return total
    }
}

extension Dashboard {
    /// `/metrics`: `roost_jobs_completed_last_hour` and `roost_jobs_failed_last_hour` of `queue`.
    static func lastHourMetrics(of queue: QueueSummary, _ gauge: GaugeSetter) {
        let figures = [("roost_jobs_completed_last_hour", "Jobs completed in the last hour", queue.lastHour.completed),
                       ("roost_jobs_failed_last_hour", "Jobs failed for good in the last hour", queue.lastHour.failed)]
        for (name, help, minutes) in figures {
            gauge(name, help, Double(minutes.reduce(0, +)), [("queue", queue.name)])
        }
    }
}
