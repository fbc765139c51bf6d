import RoostClient

/// The servers a test body can run against: Roost in-process, a real `redis-server`, and a
/// six-node Redis Cluster.
///
/// Run one body against each with ``withTestBackend(_:isolation:_:)``; with Swift Testing, pass
/// the cases as arguments:
///
///     @Test(arguments: TestBackend.available)
///     func counts(backend: TestBackend) async throws {
///         try await withTestBackend(backend) { client in
///             #expect(try await client.send("INCR", "{counter}:hits", as: Int.self) == 1)
///         }
///     }
///
/// A body meant for every backend keeps the keys of one multi-key command under one hash tag
/// (`{user1}:a`, `{user1}:b`), as a cluster requires.
public enum TestBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Roost's server, in-process (``withRoostServer(configuration:isolation:_:)``).
    case roost
    /// A `redis-server` child process (``withRedisServer(arguments:isolation:_:)``).
    case redis
    /// A six-node Redis Cluster of child processes (``withRedisCluster(isolation:_:)``).
    case redisCluster

    /// Whether this backend can start here: Roost always can; the others need `redis-server`
    /// (and `redis-cli` for the cluster).
    public var isAvailable: Bool {
        switch self {
        case .roost: true
        case .redis: RedisServerProcess.isAvailable
        case .redisCluster: RedisClusterProcess.isAvailable
        }
    }

    /// The backends that can start here, in declaration order.
    public static var available: [TestBackend] { allCases.filter(\.isAvailable) }

    /// The case's name (what test reports show for an argument).
    public var description: String { rawValue }
}

/// Starts `backend`, runs `body` with a client for it (a `RedisClient`, or a
/// `RedisClusterClient` for the cluster), then shuts the client down and stops the server, also
/// when `body` throws or the task is cancelled.
/// - Throws: ``RoostTestingError`` when the backend cannot start, or what `body` throws.
public func withTestBackend<Result: Sendable>(
    _ backend: TestBackend,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (any RedisCommandExecutor) async throws -> Result
) async throws -> Result {
    switch backend {
    case .roost:
        return try await withRoostServer { server in try await server.withClient { try await body($0) } }
    case .redis:
        return try await withRedisServer { server in try await server.withClient { try await body($0) } }
    case .redisCluster:
        return try await withRedisCluster { cluster in try await cluster.withClient { try await body($0) } }
    }
}
