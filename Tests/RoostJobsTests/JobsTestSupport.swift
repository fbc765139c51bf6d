import Logging
import RoostClient
import RoostCoordination
@testable import RoostJobs
import RoostTestSupport
import Testing

struct Greet: Job {
    static let name = "greet"
    typealias Output = String
    var who: String
}

struct Count: Job {
    static let name = "count"
    var n: Int
}

/// Runs `body` with a client of a fresh `backend` that coordination (and so jobs) can use.
func withJobsBackend(_ backend: TestBackend, _ body: @Sendable (any CoordinationClient) async throws -> Void) async throws {
    try await withTestBackend(backend) { executor in
        let client = try #require(executor as? any CoordinationClient)
        try await body(client)
    }
}

/// Runs `body` while `workers` run (each in a child task); cancels them afterwards.
func whileRunning(_ workers: [Worker], _ body: () async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for worker in workers { group.addTask { try await worker.run() } }
        defer { group.cancelAll() }
        try await body()
    }
}

extension Worker {
    /// A worker with a quiet logger.
    static func make(_ queue: JobQueue, concurrency: Int = 8, leaseTime: Duration = .seconds(30)) -> Worker {
        var logger = Logger(label: "roost.jobs.test")
        logger.logLevel = .critical
        return Worker(queue: queue, configuration: .init(concurrency: concurrency, leaseTime: leaseTime), logger: logger)
    }
}
