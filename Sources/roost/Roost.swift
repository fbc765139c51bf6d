import ArgumentParser
import Foundation
import Logging
import RoostEngine
import RoostServer
import ServiceLifecycle

@main
struct Roost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roost",
        abstract: "Distributed computing on the Redis protocol.",
        subcommands: [Server.self, DemoCommand.self, JobsCommand.self, WorkerCommand.self, DashboardCommand.self, WordCountCommand.self,
                      GrepCommand.self, IndexCommand.self, SortCommand.self]
    )
}

extension Roost {
    struct Server: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the Redis-compatible server in the foreground."
        )

        @Option(help: "TCP port to listen on (0 picks a free one).")
        var port: Int?

        @Option(help: "Address to bind; repeat for several. Default: 127.0.0.1 and ::1.")
        var bind: [String] = []

        @Option(help: "Password clients must AUTH with.")
        var requirepass: String?

        @Option(help: "A redis.conf-style configuration file.")
        var config: String?

        @Option(help: "Directory of the RDB file, loaded at start and written by SAVE.")
        var dir: String?

        @Option(help: "Name of the RDB file in --dir (default dump.rdb).")
        var dbfilename: String?

        @Option(help: "Save points as in redis.conf, \"3600 1 300 100 60 10000\"; \"\" for none (the default).")
        var save: String?

        @Option(help: "Unix socket path to listen on as well.")
        var unixsocket: String?

        @Option(name: .customLong("client-output-buffer-limit"),
                help: "Output limits per client class, as in redis.conf: \"pubsub 32mb 8mb 60\". Repeatable.")
        var clientOutputBufferLimit: [String] = []

        @Option(name: .customLong("enable-debug-command"),
                help: "Allow DEBUG: no (the default), yes, or local (loopback and Unix-socket clients only).")
        var enableDebugCommand: String?

        func run() async throws {
            LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
            let logger = Logger(label: "roost")
            var configuration = EngineConfiguration()
            if let config {
                let text = try String(contentsOfFile: config, encoding: .utf8)
                try configuration.apply(configurationFile: text)
                configuration.configFile = config.hasPrefix("/")
                    ? config : FileManager.default.currentDirectoryPath + "/" + config
            }
            if let port { configuration.port = port }
            if !bind.isEmpty { configuration.bind = bind }
            if let requirepass { configuration.requirePass = requirepass }
            if let unixsocket { configuration.unixSocket = unixsocket }
            if let dir { try configuration.set("dir", [dir]) }
            if let dbfilename { try configuration.set("dbfilename", [dbfilename]) }
            if let save { try configuration.set("save", [save]) }
            for value in clientOutputBufferLimit { try configuration.set("client-output-buffer-limit", [value]) }
            if let enableDebugCommand { try configuration.set("enable-debug-command", [enableDebugCommand]) }
            let server = RoostServer(configuration: configuration, logger: logger)
            try await server.start()
            print("Roost \(Engine.version) listening on port \(server.port)")
            // SHUTDOWN ends the server's run(): a normal end of the group, not a failure.
            let group = ServiceGroup(configuration: ServiceGroupConfiguration(
                services: [.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }
}
