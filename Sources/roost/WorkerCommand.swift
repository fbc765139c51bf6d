import ArgumentParser
import Foundation
import Logging
import RoostClient
import RoostCompute
import RoostCoordination
import ServiceLifecycle

/// `roost worker`: runs the map and reduce tasks (and the coordinators) of MapReduce jobs for
/// the built-in jobs (`BuiltinJobs`), until SIGTERM or SIGINT.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run a MapReduce worker for the built-in jobs (RoostCompute).",
        discussion: "Exit codes: 0 after SIGTERM/SIGINT, 1 runtime error, 64 usage error."
    )

    @Option(help: ArgumentHelp(
        "The server: redis://[user:pass@]host[:port][/db], rediss://… (TLS) or unix:///path[?db=N].",
        valueName: "url"))
    var url: String = JobsOptions.defaultURL

    @Flag(help: "Use --url as a seed node of a Redis Cluster (TCP, database 0).")
    var cluster = false

    @Option(help: "The MapReduce namespace.")
    var namespace = "default"

    @Option(help: "How many map or reduce attempts run at once (default: the number of cores).")
    var concurrency: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Run tasks only: leave job coordination to other workers.")
    var noCoordinator = false

    @Option(help: "Seconds an attempt's lease lasts without a heartbeat: how soon a dead worker's tasks run again.")
    var leaseSeconds: Int = 10

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard leaseSeconds >= 1 else { throw ValidationError("--lease-seconds must be at least 1") }
        guard !namespace.isEmpty else { throw ValidationError("--namespace must not be empty") }
        _ = try JobsConnection(url: url, cluster: cluster)
    }

    func run() async throws {
        let connection = try JobsConnection(url: url, cluster: cluster)
        var logger = Logger(label: "roost.worker")
        logger.logLevel = .warning
        let client: any CoordinationClient & Service
        switch connection {
        case .single(let configuration): client = RedisClient(configuration: configuration, logger: logger)
        case .cluster(let configuration): client = RedisClusterClient(configuration: configuration, logger: logger)
        }
        let registry = MapReduceRegistry()
        BuiltinJobs.register(in: registry)
        let worker = MapReduceWorker(mapReduce: MapReduce(namespace, on: client), registry: registry,
                                     configuration: .init(concurrency: concurrency, leaseTime: .seconds(leaseSeconds),
                                                                           coordinates: !noCoordinator), logger: logger)
        // Written at once (not through print's buffer), so a supervisor sees the worker start.
        let banner = "roost worker: namespace \(namespace) on \(connection.endpoint), jobs \(registry.registered.joined(separator: ", "))\n"
        FileHandle.standardOutput.write(Data(banner.utf8))
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: client), .init(service: worker, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            throw JobsCommandError(connection.describe(error))
        }
    }
}
