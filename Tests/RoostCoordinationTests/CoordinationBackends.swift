import Logging
import RoostClient
import RoostCoordination
import RoostServer
import RoostTestSupport
import Testing

/// The servers the coordination primitives are tested on: Roost in-process, redis-server, and
/// a six-node Redis Cluster, each started fresh by the test that uses it.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case roost, redis, cluster

    var testDescription: String { rawValue }

    /// The backends that can run here (redis-server may be missing).
    static var available: [Backend] {
        var kinds: [Backend] = [.roost]
        if RedisServerProcess.isAvailable { kinds.append(.redis) }
        if RedisClusterProcess.isAvailable { kinds.append(.cluster) }
        return kinds
    }

    static var logger: Logger {
        var logger = Logger(label: "roost.coordination.test")
        logger.logLevel = .warning
        return logger
    }

    /// Runs `body` with `clients` clients of a fresh server of this kind (their `run()` going
    /// alongside) and a raw command client for inspection; stops everything afterwards.
    func with(clients count: Int = 1,
              _ body: @Sendable ([any CoordinationClient]) async throws -> Void) async throws {
        switch self {
        case .roost:
            let server = try await RoostTestServer.start()
            do {
                try await Self.withClients(count, port: server.port, body)
                try await server.stop()
            } catch {
                try? await server.stop()
                throw error
            }
        case .redis:
            let server = try await RedisServerProcess.start()
            defer { server.stop() }
            try await Self.withClients(count, port: server.port, body)
        case .cluster:
            let cluster = try await RedisClusterProcess.start()
            defer { cluster.stop() }
            var node = RedisClientConfiguration(endpoint: .tcp(host: "127.0.0.1", port: cluster.ports[0]))
            node.commandTimeout = .seconds(20)
            let configuration = RedisClusterConfiguration(
                seeds: cluster.ports.prefix(2).map { RedisClusterNodeAddress(host: "127.0.0.1", port: $0) }, node: node)
            let clients = (0..<count).map { _ in RedisClusterClient(configuration: configuration, logger: Self.logger) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in clients { group.addTask { try await client.run() } }
                defer { group.cancelAll() }
                try await body(clients)
            }
        }
    }

    private static func withClients(_ count: Int, port: Int,
                                    _ body: @Sendable ([any CoordinationClient]) async throws -> Void) async throws {
        var configuration = RedisClientConfiguration(endpoint: .tcp(host: "127.0.0.1", port: port))
        configuration.commandTimeout = .seconds(20)
        let clients = (0..<count).map { _ in RedisClient(configuration: configuration, logger: logger) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in clients { group.addTask { try await client.run() } }
            defer { group.cancelAll() }
            try await body(clients)
        }
    }
}
