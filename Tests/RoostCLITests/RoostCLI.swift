import Foundation
import Logging
import NIOPosix
import RoostClient
import RoostJobs
import RoostTestSupport
import Testing

/// The `roost` executable, run as a child process as a user runs it.
enum RoostCLI {
    /// The executable, built with the package next to the test bundle.
    static let executable: String? = {
        var candidates: [String] = []
        if let test = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: test).deletingLastPathComponent().appendingPathComponent("roost").path)
        }
        if let built = PackagePaths.roostExecutable { candidates.append(built) }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// The threads that wait for the child processes, so that no cooperative-pool thread (of
    /// which a 2-core machine has two) is held while one runs.
    private static let threads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        return pool
    }()

    /// Runs `roost arguments…` to its end (killing it after `timeout` seconds).
    static func run(_ arguments: [String], timeout: Double = 60) async throws -> ProcessResult {
        guard let executable else { throw Missing() }
        return try await threads.runIfActive { try ChildProcess.run(executable, arguments, timeout: timeout) }
    }

    /// Runs `roost jobs arguments… --url url --queue queue`.
    static func jobs(_ arguments: [String], url: String, queue: String = "q") async throws -> ProcessResult {
        try await run(["jobs"] + arguments + ["--url", url, "--queue", queue])
    }

    /// The executable was not found.
    struct Missing: Error, CustomStringConvertible {
        var description: String { "roost is not built (swift build --build-tests builds it)" }
    }
}

extension ProcessResult {
    /// Standard output's lines, each split into its whitespace-separated fields.
    var fields: [[String]] {
        text.split(separator: "\n").map { $0.split(whereSeparator: \.isWhitespace).map(String.init) }
    }

    /// Standard output decoded as JSON into `type`.
    func json<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(output))
    }
}

/// The servers the CLI tests run against.
enum CLIBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Roost's server, in-process.
    case roost
    /// A `redis-server` child process.
    case redis

    /// The backends that can start here.
    static var available: [CLIBackend] { allCases.filter { $0 == .roost || RedisServerProcess.isAvailable } }

    var description: String { rawValue }
}

/// Starts `backend` and runs `body` with its URL and a client of it; stops it afterwards.
func withCLIBackend(_ backend: CLIBackend, _ body: (String, RedisClient) async throws -> Void) async throws {
    switch backend {
    case .roost:
        let server = try await RoostTestServer.start()
        do {
            try await server.withClient { try await body(server.url, $0) }
        } catch {
            try? await server.stop()
            throw error
        }
        try await server.stop()
    case .redis:
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        try await server.withClient { try await body(server.url, $0) }
    }
}

struct Greet: Job {
    static let name = "greet"
    typealias Output = String
    var who: String
}

/// Runs `body` while a quiet worker of `queue` runs `handler` on `Greet` jobs.
func whileWorking(_ queue: JobQueue, _ handler: @escaping @Sendable (Greet, JobContext) async throws -> String,
                  _ body: () async throws -> Void) async throws {
    var logger = Logger(label: "roost.cli.test")
    logger.logLevel = .critical
    let worker = Worker(queue: queue, configuration: .init(concurrency: 4, runsSchedules: false), logger: logger)
    worker.register(Greet.self, handler)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await worker.run() }
        defer { group.cancelAll() }
        try await body()
    }
}

/// Enqueues `count` jobs that fail for good at once, and waits until they have.
func failedJobs(_ queue: JobQueue, count: Int) async throws -> [String] {
    let ids = try await queue.enqueue((0..<count).map { Greet(who: "\($0)") })
    try await whileWorking(queue, { _, _ in throw UnrecoverableJobError("bad input") }) {
        for id in ids { _ = try await queue.finished(id, timeout: .seconds(20)) }
    }
    return ids
}
