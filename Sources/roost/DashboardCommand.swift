import ArgumentParser
import Foundation
import Logging
import RoostClient
import RoostDashboard
import ServiceLifecycle

/// `roost dashboard`: the web dashboard (RoostDashboard) of the job queues on a Roost, Redis,
/// Valkey or Redis Cluster server, in the foreground until Ctrl-C or SIGTERM.
struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Serve the web dashboard of the job queues on a server.",
        discussion: """
            Binds 127.0.0.1 unless --host says otherwise. With --token (or ROOST_DASHBOARD_TOKEN), every request \
            needs the token: the login form sets a cookie, scripts send Authorization: Bearer <token>. \
            --read-only hides every action.
            """
    )

    @OptionGroup var server: ServerConnectionOptions

    @Option(help: "The address to serve on.")
    var host = "127.0.0.1"

    @Option(help: "The port to serve on (0 picks a free one).")
    var port = 7070

    @Option(help: "A token every request must carry (default: $ROOST_DASHBOARD_TOKEN, if set).")
    var token: String?

    @Flag(name: .customLong("read-only"), help: "Hide every action and refuse them.")
    var readOnly = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        _ = try server.connection()
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "roost.dashboard")
        logger.logLevel = .warning
        let connection = try server.connection().forLongRunningService()
        let token = token ?? ProcessInfo.processInfo.environment["ROOST_DASHBOARD_TOKEN"]
        let configuration = Dashboard.Configuration(host: host, port: port, token: token, readOnly: readOnly)
        try await connection.withClient { client in
            let dashboard = Dashboard(client: client, configuration: configuration, logger: logger)
            let application = dashboard.application { channel in
                let port = channel.localAddress?.port ?? configuration.port
                // Unbuffered, so that a script reading the output sees the line at once.
                let line = "Roost dashboard on http://\(configuration.host):\(port)/ for \(connection.endpoint)"
                    + (configuration.readOnly ? " (read-only)" : "") + "\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            }
            let group = ServiceGroup(configuration: ServiceGroupConfiguration(
                services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }
}

extension JobsConnection {
    /// The same connection with the client's default retries and pool: a dashboard outlives
    /// server restarts and serves several pages at once, unlike a one-shot `roost jobs` call.
    func forLongRunningService() -> JobsConnection {
        switch self {
        case .single(var configuration):
            configuration.reconnect = RedisClientConfiguration.Backoff()
            configuration.pool.maximumConnections = RedisClientConfiguration.Pool().maximumConnections
            return .single(configuration)
        case .cluster(var configuration):
            configuration.node.reconnect = RedisClientConfiguration.Backoff()
            configuration.node.pool.maximumConnections = RedisClientConfiguration.Pool().maximumConnections
            return .cluster(configuration)
        }
    }
}

/// `--url` and `--cluster`: the server a command works with, as `roost jobs` takes them.
struct ServerConnectionOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The server: redis://[user:pass@]host[:port][/db], rediss://… (TLS) or unix:///path[?db=N].", valueName: "url"))
    var url: String = JobsOptions.defaultURL

    @Flag(help: "Use --url as a seed node of a Redis Cluster (TCP, database 0).")
    var cluster = false

    /// The connection the options describe.
    /// - Throws: `ValidationError` when the URL does not parse or does not suit a cluster.
    func connection() throws -> JobsConnection { try JobsConnection(url: url, cluster: cluster) }
}
