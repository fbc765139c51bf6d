import Logging
import NIOConcurrencyHelpers
import RoostClient
import RoostCompute
import RoostCoordination
import RoostTestSupport
import Testing

/// A fresh server of one backend, as the compute tests use it: a client that lives for the
/// whole test, and a way to run a further client that the test can cut off (a process that
/// dies).
struct ComputeBackend: Sendable {
    /// The test's client.
    var client: any CoordinationClient
    /// How a probe process reaches the server: `--port P` or `--cluster P1,P2,…`.
    var probeArguments: [String]
    /// Runs `body` with a new client whose connection the test can end (`cutOff`) before
    /// `body` returns, as if its process had died.
    var withExtraClient: @Sendable (_ body: @Sendable (any CoordinationClient, _ cutOff: @Sendable () -> Void) async throws -> Void)
        async throws -> Void

    static var logger: Logger {
        var logger = Logger(label: "roost.compute.test")
        logger.logLevel = .critical
        return logger
    }
}

/// Runs `body` on a fresh server of `backend`; stops it afterwards.
func withComputeBackend(_ backend: TestBackend, _ body: @Sendable (ComputeBackend) async throws -> Void) async throws {
    switch backend {
    case .roost:
        try await withRoostServer { try await withSingleServer($0, body) }
    case .redis:
        try await withRedisServer { try await withSingleServer($0, body) }
    case .redisCluster:
        try await withRedisCluster { cluster in
            let configuration = cluster.clientConfiguration
            try await cluster.withClient { client in
                let ports = cluster.ports.map(String.init).joined(separator: ",")
                try await body(ComputeBackend(client: client, probeArguments: ["--cluster", ports]) { extra in
                    try await cuttable(RedisClusterClient(configuration: configuration, logger: ComputeBackend.logger),
                                       run: { try await $0.run() }, extra)
                })
            }
        }
    }
}

/// `withComputeBackend` on one server (Roost or redis-server).
private func withSingleServer(_ server: some RedisTestServer, _ body: @Sendable (ComputeBackend) async throws -> Void) async throws {
    let configuration = server.clientConfiguration
    try await server.withClient { client in
        let port = String(server.url.split(separator: ":").last ?? "")
        try await body(ComputeBackend(client: client, probeArguments: ["--port", port]) { extra in
            try await cuttable(RedisClient(configuration: configuration, logger: ComputeBackend.logger), run: { try await $0.run() }, extra)
        })
    }
}

/// Runs `client` alongside `body`; `body`'s cut-off ends the client's `run()`.
private func cuttable<Client: CoordinationClient>(
    _ client: Client, run: @escaping @Sendable (Client) async throws -> Void,
    _ body: @Sendable (any CoordinationClient, _ cutOff: @Sendable () -> Void) async throws -> Void
) async throws {
    let (cut, cutOff) = AsyncStream.makeStream(of: Void.self)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            await withTaskGroup(of: Void.self) { running in
                running.addTask { try? await run(client) }
                running.addTask { for await _ in cut {} }
                await running.next()
                running.cancelAll()
            }
        }
        defer { group.cancelAll() }
        try await body(client) { cutOff.finish() }
    }
}

/// Runs `body` while `workers` run; cancels them afterwards.
func whileRunning(_ workers: [ComputeWorker], _ body: () async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for worker in workers { group.addTask { try await worker.run() } }
        defer { group.cancelAll() }
        try await body()
    }
}

extension ComputeWorker {
    /// A worker with a quiet logger.
    static func make(_ compute: Compute, _ registry: TaskRegistry, leaseTime: Duration = .seconds(120)) -> ComputeWorker {
        ComputeWorker(compute: compute, registry: registry,
                      configuration: .init(concurrency: 8, leaseTime: leaseTime, runsSchedules: false),
                      logger: ComputeBackend.logger)
    }
}

/// A flag a test raises once, and waits for.
final class Flag: Sendable {
    private let raised = NIOLockedValueBox(false)
    func raise() { raised.withLockedValue { $0 = true } }
    var isRaised: Bool { raised.withLockedValue { $0 } }
    /// Returns once the flag is raised (or throws after a deadline generous enough for a
    /// loaded machine).
    func wait(_ what: String) async throws {
        try await eventually(timeout: .seconds(60), what) { self.isRaised }
    }
}

/// A count of calls, as the tests' functions keep it.
final class Counter: Sendable {
    private let value = NIOLockedValueBox(0)
    @discardableResult
    func increment() -> Int { value.withLockedValue { $0 += 1; return $0 } }
    var count: Int { value.withLockedValue { $0 } }
}
