import Hummingbird
import HummingbirdTesting
import Logging
import RoostClient
import RoostCompute
import RoostCoordination
@testable import RoostDashboard
import RoostJobs
import RoostTestSupport
import Testing

struct Mail: Job {
    static let name = "mail"
    var to: String
}

struct Report: Job {
    static let name = "report"
    var day: Int
}

/// Roost and redis-server: the dashboard reads the same keys on both (the cluster adds nothing
/// the dashboard does differently, and costs six processes per test).
let dashboardBackends = [TestBackend.roost, .redis].filter(\.isAvailable)

/// A dashboard on a fresh backend, and an HTTP client for its routes.
struct DashboardFixture: Sendable {
    let client: any CoordinationClient
    let dashboard: Dashboard
    let http: any TestClientProtocol

    /// A response's status, body text and headers.
    struct Page: Sendable {
        var status: HTTPResponse.Status
        var text: String
        var headers: HTTPFields
    }

    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> Page {
        try await http.execute(uri: uri, method: .get, headers: headers) { Page(status: $0.status, text: String(buffer: $0.body), headers: $0.headers) }
    }

    /// POSTs `fields` as a form (with the dashboard's CSRF token unless `csrf` is false).
    func post(_ uri: String, _ fields: [(String, String)] = [], csrf: Bool = true, headers: HTTPFields = [:]) async throws -> Page {
        var all = fields
        if csrf { all.append(("_csrf", dashboard.secrets.csrfToken)) }
        let body = all.map { FormFields.escape($0.0) + "=" + FormFields.escape($0.1) }.joined(separator: "&")
        var headers = headers
        headers[.contentType] = "application/x-www-form-urlencoded"
        return try await http.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body)) {
            Page(status: $0.status, text: String(buffer: $0.body), headers: $0.headers)
        }
    }

    /// A queue on the fixture's server.
    func queue(_ name: String) -> JobQueue { JobQueue(name, on: client) }
}

/// Runs `body` with a dashboard (`configuration`) on a fresh `backend`, through Hummingbird's
/// router test client (or, with `.live`, over a socket on a free port).
func withDashboard(_ backend: TestBackend, _ configuration: Dashboard.Configuration = Dashboard.Configuration(pageSize: 3),
                   setup: TestingSetup = .router,
                   _ body: @escaping @Sendable (DashboardFixture) async throws -> Void) async throws {
    try await withTestBackend(backend) { executor in
        let client = try #require(executor as? any CoordinationClient)
        var logger = Logger(label: "roost.dashboard.test")
        logger.logLevel = .critical
        let dashboard = Dashboard(client: client, configuration: configuration, logger: logger)
        try await dashboard.application().test(setup) { http in
            try await body(DashboardFixture(client: client, dashboard: dashboard, http: http))
        }
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

/// A worker with a quiet logger.
func quietWorker(_ queue: JobQueue, concurrency: Int = 4) -> Worker {
    var logger = Logger(label: "roost.dashboard.test.worker")
    logger.logLevel = .critical
    var configuration = Worker.Configuration(concurrency: concurrency)
    configuration.presenceInterval = .milliseconds(50)
    return Worker(queue: queue, configuration: configuration, logger: logger)
}

/// Fails `queue`'s jobs `ids` for good through a worker whose handler throws `message`.
func failJobs(_ queue: JobQueue, _ ids: [String], message: String) async throws {
    let worker = quietWorker(queue)
    worker.register(Mail.self) { _, context in
        try await context.log("sending")
        try await context.progress(["percent": 50])
        throw UnrecoverableJobError(message)
    }
    try await whileRunning([worker]) {
        for id in ids { _ = try await queue.finished(id, timeout: .seconds(20)) }
    }
}

/// A word count of the lines of a Redis list (a space splits words); each map attempt first
/// awaits `beforeMap` (a test holds attempts there).
func wordCount(_ name: String, beforeMap: @escaping @Sendable () async throws -> Void = {})
    -> MapReduceJob<RedisListSplit, [UInt8], Int, Int> {
    MapReduceJob(name, map: { split, context, output in
        try await beforeMap()
        try await split.read(context) { line in
            for word in line.split(separator: 0x20) { output.emit(Array(word), 1) }
        }
    }, combine: { $0 + $1 }, reduce: { _, counts in counts.reduce(0, +) })
}

/// Runs `body` while two MapReduce workers of `mapReduce` (2 attempts each, short leases) run
/// the jobs of `registry`; `body` gets the workers.
func withMapReduceWorkers<T: Sendable>(_ mapReduce: MapReduce, _ registry: MapReduceRegistry,
                                       _ body: @escaping @Sendable ([MapReduceWorker]) async throws -> T) async throws -> T {
    var logger = Logger(label: "roost.dashboard.test.mapreduce")
    logger.logLevel = .critical
    let workers = (0..<2).map { _ in
        MapReduceWorker(mapReduce: mapReduce, registry: registry,
                        configuration: .init(concurrency: 2, leaseTime: .seconds(2), coordinatorLease: .seconds(2)), logger: logger)
    }
    return try await withThrowingTaskGroup(of: T?.self) { group in
        for worker in workers { group.addTask { try await worker.run(); return nil } }
        defer { group.cancelAll() }
        return try await body(workers)
    }
}
