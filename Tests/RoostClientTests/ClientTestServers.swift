import Logging
import NIOCore
import RoostClient
import RoostTestSupport
import Testing

/// A test server could not be started.
struct ServerStartError: Error, CustomStringConvertible {
    let description: String
}

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
        let server = try startRedis(extraArguments)
        defer { server.stop() }
        var configuration = configuration(port: server.port)
        configure(&configuration)
        return try await withClient(configuration) { try await body(server, $0) }
    }

    /// Starts redis-server, trying again on another port when the free port it picked was taken
    /// meanwhile (the parallel tests open many ephemeral ports). A marker `dbfilename` proves the
    /// server answering on the port is the one started here, not another test's server that got
    /// the same port first.
    static func startRedis(_ extraArguments: [String] = []) throws -> RedisServerProcess {
        var attempt = 0
        while true {
            attempt += 1
            let marker = "roost-client-\(UInt64.random(in: 0...UInt64.max)).rdb"
            do {
                let server = try RedisServerProcess(extraArguments: extraArguments + ["--dbfilename", marker])
                if try answers(port: server.port, marker: marker, extraArguments: extraArguments) { return server }
                server.stop()
                if attempt >= 3 { throw ServerStartError(description: "another server holds redis-server's port") }
            } catch where attempt < 3 {
                continue
            }
        }
    }

    private static func answers(port: Int, marker: String, extraArguments: [String]) throws -> Bool {
        let connection = try RawConnection(port: port)
        if let index = extraArguments.firstIndex(of: "--requirepass"), index + 1 < extraArguments.count {
            try connection.send(command: [Array("AUTH".utf8), Array(extraArguments[index + 1].utf8)])
            _ = try connection.readReply()
        }
        try connection.send(command: [Array("CONFIG".utf8), Array("GET".utf8), Array("dbfilename".utf8)])
        return String(decoding: try connection.readReply(), as: UTF8.self).contains(marker)
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
        let client = RedisClient(configuration: configuration, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            do {
                let result = try await body(client)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
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
