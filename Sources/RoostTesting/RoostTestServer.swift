import RoostClient
import RoostEngine
import RoostServer

/// Starts Roost's server in-process on a free loopback port.
public enum RoostTestServer {
    /// Starts a server listening on 127.0.0.1 on a port the system picks (read it from
    /// `RoostServer.port`). Call `stop()` on it when done, or use
    /// ``withRoostServer(configuration:isolation:_:)``, which always does.
    /// - Parameter configure: adjusts the engine's configuration (`maxmemory`, `requirepass`…)
    ///   after the port and bind address are set, so it may change those too.
    /// - Throws: when the server cannot bind (see `RoostServer.start()`).
    public static func start(_ configure: (inout EngineConfiguration) -> Void = { _ in }) async throws -> RoostServer {
        try await start(configuration: configuration(configure))
    }

    /// A configuration for a loopback server on a port the system picks, adjusted by
    /// `configure`.
    static func configuration(_ configure: (inout EngineConfiguration) -> Void) -> EngineConfiguration {
        var configuration = EngineConfiguration()
        configuration.port = 0
        configuration.bind = ["127.0.0.1"]
        configure(&configuration)
        return configuration
    }

    /// Starts a server with `configuration` as it is.
    static func start(configuration: EngineConfiguration) async throws -> RoostServer {
        let server = RoostServer(configuration: configuration)
        try await server.start()
        return server
    }
}

/// Runs `body` with Roost's server started in-process on a free loopback port, and stops it
/// (closing its listeners and connections) when `body` returns or throws, or the task is
/// cancelled.
///
///     try await withRoostServer(configuration: { $0.maxMemory = 1 << 20 }) { server in
///         try await server.withClient { client in
///             try await client.set("k", "v")
///         }
///     }
///
/// - Parameter configure: adjusts the engine's configuration (see ``RoostTestServer/start(_:)``).
/// - Throws: when the server cannot start, or what `body` throws.
public func withRoostServer<Result>(
    configuration configure: (inout EngineConfiguration) -> Void = { _ in },
    isolation: isolated (any Actor)? = #isolation,
    _ body: (RoostServer) async throws -> Result
) async throws -> Result {
    let server = try await RoostTestServer.start(configuration: RoostTestServer.configuration(configure))
    let result: Result
    do {
        result = try await body(server)
    } catch {
        try? await server.stop()
        throw error
    }
    try await server.stop()
    return result
}

extension RoostServer: RedisTestServer {
    /// `redis://127.0.0.1:<port>`, for a server listening on loopback as
    /// ``RoostTestServer/start(_:)``'s do.
    public var url: String { "redis://127.0.0.1:\(port)" }

    /// A client configuration for this server on 127.0.0.1, with its `requirepass` password
    /// when one is set.
    public var clientConfiguration: RedisClientConfiguration {
        var configuration = RedisClientConfiguration(endpoint: .tcp(host: "127.0.0.1", port: port))
        let password = engine.withLock { engine.configuration.requirePass }
        if !password.isEmpty { configuration.password = password }
        return configuration
    }
}
