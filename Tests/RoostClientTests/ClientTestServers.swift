import Logging
import NIOCore
import RoostClient
import RoostTestSupport
import Testing

/// Starting servers and clients for the client tests.
enum ClientTestServers {
    static let redisAvailable = RedisServerProcess.isAvailable

    /// A configuration for a loopback TCP server on `port`.
    static func configuration(port: Int) -> RedisClientConfiguration {
        var configuration = RedisClientConfiguration(endpoint: .tcp(host: "127.0.0.1", port: port))
        configuration.commandTimeout = .seconds(20)
        return configuration
    }

    /// Runs `body` with a client connected to a fresh real redis-server, the client's `run()`
    /// going alongside; stops both afterwards.
    @discardableResult
    static func withRedis<R: Sendable>(
        _ extraArguments: [String] = [],
        configure: (inout RedisClientConfiguration) -> Void = { _ in },
        _ body: (RedisServerProcess, RedisClient) async throws -> R
    ) async throws -> R {
        try await withRedisServer(arguments: extraArguments) { server in
            var configuration = configuration(port: server.port)
            configure(&configuration)
            return try await withClient(configuration) { try await body(server, $0) }
        }
    }

    /// Starts redis-server on a free port (RedisServerProcess retries when the port was taken
    /// meanwhile, and makes sure the server answering is its own).
    static func startRedis(_ extraArguments: [String] = []) async throws -> RedisServerProcess {
        try await RedisServerProcess.start(extraArguments: extraArguments)
    }

    /// Runs `body` with a client connected to Roost's server started in-process.
    @discardableResult
    static func withRoost<R: Sendable>(
        configure: (inout RedisClientConfiguration) -> Void = { _ in },
        _ body: (RedisClient) async throws -> R
    ) async throws -> R {
        let server = try await RoostTestServer.start()
        var configuration = configuration(port: server.port)
        configure(&configuration)
        do {
            let result = try await withClient(configuration, body)
            try await server.stop()
            return result
        } catch {
            try? await server.stop()
            throw error
        }
    }

    /// Runs `body` with a client whose `run()` goes alongside in a child task.
    @discardableResult
    static func withClient<R: Sendable>(_ configuration: RedisClientConfiguration,
                                        _ body: (RedisClient) async throws -> R) async throws -> R {
        var logger = Logger(label: "roost.client.test")
        logger.logLevel = .warning
        return try await RedisClient(configuration: configuration, logger: logger).runningAlongside(body)
    }
}

/// Which server a test runs against.
enum TestServerKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case redis, roost

    var testDescription: String { rawValue }

    /// The kinds that can run here (redis-server may be missing).
    static var available: [TestServerKind] { ClientTestServers.redisAvailable ? [.redis, .roost] : [.roost] }
}

extension ClientTestServers {
    /// Runs `body` with a client of a fresh server of `kind`.
    @discardableResult
    static func with<R: Sendable>(_ kind: TestServerKind,
                                  configure: (inout RedisClientConfiguration) -> Void = { _ in },
                                  _ body: (RedisClient) async throws -> R) async throws -> R {
        switch kind {
        case .redis: return try await withRedis(configure: configure) { _, client in try await body(client) }
        case .roost: return try await withRoost(configure: configure, body)
        }
    }
}
