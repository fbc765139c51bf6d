import RoostClient

/// A single server started for a test: Roost's in-process `RoostServer` or a
/// ``RedisServerProcess``.
public protocol RedisTestServer: Sendable {
    /// `redis://127.0.0.1:<port>`.
    var url: String { get }
    /// A client configuration that reaches the server (with its password when it has one).
    var clientConfiguration: RedisClientConfiguration { get }
}

extension RedisTestServer {
    /// Runs `body` with a ``RoostClient/RedisClient`` for this server whose `run()` goes
    /// alongside, and shuts the client down afterwards (also when `body` throws).
    /// - Parameter configure: adjusts ``clientConfiguration`` first.
    /// - Throws: what `body` throws.
    public func withClient<Result: Sendable>(
        configure: (inout RedisClientConfiguration) -> Void = { _ in },
        isolation: isolated (any Actor)? = #isolation,
        _ body: (RedisClient) async throws -> Result
    ) async throws -> Result {
        var configuration = clientConfiguration
        configure(&configuration)
        return try await RedisClient(configuration: configuration, logger: .testing).runningAlongside(body)
    }
}
