import CoreMetrics
import Logging
import NIOCore
import NIOPosix
import RoostRESP
import ServiceLifecycle

/// A long-lived client for any Redis-protocol server, backed by a connection pool.
///
/// Commands can be sent straight away; each leases a pooled connection for its duration, except
/// blocking commands (`BLMOVE`, `BZPOPMIN`, `XREAD BLOCK`…), which run on dedicated connections
/// of their own and never hold a pooled lease while they wait (see `blmove` for the rules on
/// cancellation and dropped connections). Run the client as a ServiceLifecycle `Service` (or call
/// `run()` in a task of your own) to keep the pool's minimum connections open, close idle ones and
/// health-check them; when `run()` returns the client is shut down and its connections closed.
///
///     let client = try RedisClient(url: "redis://localhost:6379/0")
///     try await client.set("greeting", "hello")
///     let value = try await client.get("greeting", as: String.self)
public final class RedisClient: Service, RedisCommandExecutor, Sendable {
    /// The configuration the client was created with.
    public let configuration: RedisClientConfiguration
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    let pool: RedisConnectionPool
    /// Dedicated connections for blocking commands.
    let blockingLane: RedisBlockingLane
    let metrics: RedisClientMetrics

    /// A client for `configuration`. Nothing connects until the first command or `run()`.
    /// - Parameter metricsFactory: where the client's metrics go; `nil` uses
    ///   `MetricsSystem.factory`. They are `roost_client_commands_total` (counter, dimension
    ///   `result`: `success`, `server_error` or `failure`), `roost_client_command_duration`
    ///   (timer), `roost_client_connections` (gauge) and `roost_client_connect_failures_total`.
    public init(configuration: RedisClientConfiguration,
                eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "roost.client"),
                metricsFactory: (any MetricsFactory)? = nil) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.metrics = RedisClientMetrics(factory: metricsFactory ?? MetricsSystem.factory)
        self.pool = RedisConnectionPool(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger,
                                        metrics: metrics)
        self.blockingLane = RedisBlockingLane(configuration: configuration, eventLoopGroup: eventLoopGroup,
                                              logger: logger, metrics: metrics)
    }

    /// A client for the server at `url` (see `RedisClientConfiguration.init(url:)`).
    /// - Throws: `RedisClientError` `.invalidURL`.
    public convenience init(url: String,
                            eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                            logger: Logger = Logger(label: "roost.client")) throws {
        self.init(configuration: try RedisClientConfiguration(url: url), eventLoopGroup: eventLoopGroup, logger: logger)
    }

    /// Maintains the pool until the task is cancelled or a graceful shutdown is requested, then
    /// closes the pool's connections. Leases made after that fail with `.poolClosed`.
    public func run() async throws {
        let interval = min(configuration.pool.healthCheckInterval, configuration.pool.idleTimeout, .seconds(1))
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.maintain()
                try? await Task.sleep(for: interval)
            }
        }
        await shutdown()
        logger.debug("client shut down")
    }

    /// One round of upkeep: the pool's, and closing blocking connections idle too long.
    func maintain() async {
        await pool.maintain()
        await blockingLane.maintain()
    }

    /// Closes the pool and the blocking connections now (what `run()` does when it ends). Calls
    /// blocked at that moment fail with `.connectionClosed`.
    public func shutdown() async {
        await pool.shutdown()
        await blockingLane.shutdown()
    }

    /// Runs `body` with a connection leased for its sole use, then returns it to the pool (or
    /// closes it if it was left subscribed or holding an abandoned blocking command).
    @discardableResult
    public func withConnection<Result: Sendable>(
        _ body: (RedisConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try await pool.lease()
        do {
            let result = try await body(connection)
            await pool.release(connection)
            return result
        } catch {
            await pool.release(connection)
            throw error
        }
    }

    /// Sends `command` on a pooled connection, or on a dedicated one when it blocks, and returns
    /// its reply.
    public func execute(_ command: RedisCommand, timeout: Duration?) async throws -> RESPValue {
        if command.waitsForOtherClients {
            return try await pipelineOnBlockingConnection([command], timeout: timeout)[0].get()
        }
        return try await withConnection { try await $0.execute(command, timeout: timeout) }
    }

    /// Sends all `commands` in one write on one pooled connection (a dedicated one when any of
    /// them blocks); each result is its command's reply or error.
    public func pipeline(_ commands: [RedisCommand], timeout: Duration? = nil) async throws -> [Result<RESPValue, any Error>] {
        if commands.contains(where: \.waitsForOtherClients) {
            return try await pipelineOnBlockingConnection(commands, timeout: timeout)
        }
        return try await withConnection { try await $0.pipeline(commands, timeout: timeout) }
    }

    /// Pooled connections open (leased or idle).
    public var openConnectionCount: Int {
        get async { await pool.openConnections }
    }

    /// Dedicated connections for blocking commands open (in use or idle).
    public var blockingConnectionCount: Int {
        get async { await blockingLane.openConnections }
    }
}
