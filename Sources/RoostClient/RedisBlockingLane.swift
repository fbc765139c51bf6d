import Logging
import NIOCore

/// The dedicated connections a `RedisClient` runs blocking commands on, apart from its pool: a
/// caller blocked in `BLMOVE` holds one of these, never a pooled lease, so a pool of any size
/// keeps serving other commands however many callers are blocked.
///
/// Each blocked caller has a connection of its own. A connection is reused by the next blocking
/// call when its command ended cleanly (a reply, a timeout's null, or an `UNBLOCK` after a
/// cancellation); one that closed, or still owes the reply of an abandoned command, is dropped,
/// and the next call opens a new one with the configured backoff. Idle connections are closed
/// after the pool's idle timeout.
actor RedisBlockingLane {
    /// A connection leased for one blocking call, with its server-side client id (`CLIENT ID`),
    /// which a cancelled call needs for `CLIENT UNBLOCK`.
    struct Lease: Sendable {
        let connection: RedisConnection
        /// nil when the server refused `CLIENT ID`: a cancelled call then closes the connection.
        let clientID: Int?
    }

    private struct Idle {
        let lease: Lease
        let since: ContinuousClock.Instant
    }

    private let configuration: RedisClientConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let metrics: RedisClientMetrics?
    private var idle: [Idle] = []
    /// Leased connections, closed by `shutdown` so that no call stays blocked past it.
    private var leased: [ObjectIdentifier: RedisConnection] = [:]
    private var isShutDown = false

    init(configuration: RedisClientConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger,
         metrics: RedisClientMetrics?) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.metrics = metrics
    }

    /// Connections open, leased or idle.
    var openConnections: Int { idle.count + leased.count }

    /// An idle connection, or a new one.
    /// - Throws: `RedisClientError` `.poolClosed` after `shutdown`; the connect error once the
    ///   backoff's attempts ran out; `CancellationError`.
    func lease() async throws -> Lease {
        guard !isShutDown else { throw RedisClientError(.poolClosed, "the client has shut down") }
        while let candidate = idle.popLast() {
            if candidate.lease.connection.isActive {
                leased[ObjectIdentifier(candidate.lease.connection)] = candidate.lease.connection
                return candidate.lease
            }
            await candidate.lease.connection.close()
        }
        let connection = try await RedisConnection.connectRetrying(configuration: configuration,
                                                                   eventLoopGroup: eventLoopGroup,
                                                                   logger: logger, metrics: metrics)
        let clientID: Int?
        do {
            clientID = try await connection.execute(RedisCommand("CLIENT", "ID"), as: Int.self)
        } catch is RedisServerError {
            clientID = nil
        } catch {
            await connection.close()
            throw error
        }
        guard !isShutDown else {
            await connection.close()
            throw RedisClientError(.poolClosed, "the client has shut down")
        }
        leased[ObjectIdentifier(connection)] = connection
        return Lease(connection: connection, clientID: clientID)
    }

    /// Takes a connection back: idle again if it is clean (open, not subscribed, no abandoned
    /// blocking command), else closed.
    func release(_ lease: Lease) async {
        leased[ObjectIdentifier(lease.connection)] = nil
        if !isShutDown, lease.connection.isReusable {
            idle.append(Idle(lease: lease, since: .now))
        } else {
            await lease.connection.close()
        }
    }

    /// Closes connections idle for longer than the pool's idle timeout.
    func maintain() async {
        let now = ContinuousClock.now
        var kept: [Idle] = []
        var expired: [RedisConnection] = []
        for entry in idle {
            if now - entry.since >= configuration.pool.idleTimeout || !entry.lease.connection.isActive {
                expired.append(entry.lease.connection)
            } else {
                kept.append(entry)
            }
        }
        idle = kept
        for connection in expired { await connection.close() }
    }

    /// Closes every connection, leased ones too: calls blocked on them fail with
    /// `.connectionClosed`. Later leases fail with `.poolClosed`.
    func shutdown() async {
        isShutDown = true
        let closing = idle.map(\.lease.connection) + Array(leased.values)
        idle = []
        for connection in closing { await connection.close() }
    }
}
