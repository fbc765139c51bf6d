import RoostJobs

/// What the overview and the live updates show of one queue.
struct QueueSummary: Sendable, Hashable, Codable {
    /// The queue's name.
    var name: String
    /// Whether workers are stopped from taking its jobs.
    var paused: Bool
    /// How many jobs are in each state, by `JobState.rawValue`.
    var counts: [String: Int]
    /// How many workers announced themselves and have not expired.
    var workers: Int
    /// Completions and failures per minute over the last hour (the charts).
    var lastHour: QueueThroughput
}

/// Every queue's summary: the payload of a live update.
struct DashboardSnapshot: Sendable, Hashable, Codable {
    var queues: [QueueSummary]
}

extension Dashboard {
    /// The summary of `queue`.
    func summary(of queue: JobQueue) async throws -> QueueSummary {
        async let counts = queue.counts()
        async let settings = queue.settings()
        async let workers = queue.workers()
        async let stats = queue.stats(minutes: QueueThroughput.minutes)
        var byName: [String: Int] = [:]
        for (state, count) in try await counts { byName[state.rawValue] = count }
        for state in JobState.allCases where byName[state.rawValue] == nil { byName[state.rawValue] = 0 }
        return QueueSummary(name: queue.name, paused: try await settings.isPaused, counts: byName, workers: try await workers.count,
                            lastHour: QueueThroughput(try await stats))
    }

    /// Every queue's summary, by name.
    func snapshot() async throws -> DashboardSnapshot {
        var queues: [QueueSummary] = []
        for queue in try await directory.queues() { queues.append(try await summary(of: queue)) }
        return DashboardSnapshot(queues: queues)
    }
}
