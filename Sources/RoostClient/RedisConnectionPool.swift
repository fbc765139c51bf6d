import Logging
import NIOCore

/// Leases connections exclusively: a leased connection belongs to one caller until it is
/// released, so a blocking command or a subscription never reaches another caller.
///
/// Opens connections on demand up to `maximumConnections` (retrying with exponential backoff and
/// jitter), keeps released ones idle, and on each `maintain()` closes those idle too long above
/// the minimum, checks the others with `PING`, and opens connections up to the minimum.
actor RedisConnectionPool {
    private struct Idle {
        let connection: RedisConnection
        var since: ContinuousClock.Instant
        var lastChecked: ContinuousClock.Instant
    }

    private let configuration: RedisClientConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private var idle: [Idle] = []
    /// Connections open or being opened, leased or idle.
    private var total = 0
    private var waiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
    private var waiterOrder: [UInt64] = []
    private var nextWaiterID: UInt64 = 0
    private var isShutDown = false

    init(configuration: RedisClientConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// Connections currently open (leased or idle), for tests and metrics.
    var openConnections: Int { total }
    /// Idle connections.
    var idleConnections: Int { idle.count }

    /// A connection for the caller's exclusive use; give it back with `release`.
    /// - Throws: `RedisClientError` `.poolClosed`, or the last connect error once the
    ///   backoff's attempts ran out; `CancellationError` when cancelled while waiting.
    func lease() async throws -> RedisConnection {
        while true {
            guard !isShutDown else { throw RedisClientError(.poolClosed, "the client has shut down") }
            while let candidate = idle.popLast() {
                if candidate.connection.isActive { return candidate.connection }
                total -= 1
                await candidate.connection.close()
            }
            if total < configuration.pool.maximumConnections {
                total += 1
                do {
                    return try await openConnection()
                } catch {
                    total -= 1
                    wakeOneWaiter()
                    throw error
                }
            }
            try await waitForRelease()
        }
    }

    /// Gives a leased connection back. It returns to the pool only if it is open and clean:
    /// not subscribed, no abandoned blocking command pending; otherwise it is closed.
    func release(_ connection: RedisConnection, reusable: Bool = true) async {
        var keep = reusable && !isShutDown && connection.isActive
        if keep, await connection.isInPubSubMode() { keep = false }
        if keep, await connection.hasAbandonedBlockingRequest() { keep = false }
        if keep {
            let now = ContinuousClock.now
            idle.append(Idle(connection: connection, since: now, lastChecked: now))
        } else {
            total -= 1
            await connection.close()
        }
        wakeOneWaiter()
    }

    /// Closes idle connections past their idle timeout (keeping the minimum), checks idle
    /// connections due a health check, and opens connections up to the minimum.
    func maintain() async {
        guard !isShutDown else { return }
        let now = ContinuousClock.now
        var kept: [Idle] = []
        var expired: [RedisConnection] = []
        var toCheck: [Idle] = []
        for entry in idle {
            if !entry.connection.isActive {
                expired.append(entry.connection)
            } else if now - entry.since >= configuration.pool.idleTimeout,
                      total - expired.count > configuration.pool.minimumConnections {
                expired.append(entry.connection)
            } else if now - entry.lastChecked >= configuration.pool.healthCheckInterval {
                toCheck.append(entry)
            } else {
                kept.append(entry)
            }
        }
        idle = kept
        total -= expired.count
        for connection in expired { await connection.close() }
        for var entry in toCheck {
            // Out of `idle` during the check: no lease takes it meanwhile.
            do {
                _ = try await entry.connection.execute(RedisCommand("PING"), timeout: .seconds(5))
                entry.lastChecked = .now
                idle.append(entry)
            } catch {
                logger.info("idle connection failed its health check", metadata: ["error": "\(error)"])
                total -= 1
                await entry.connection.close()
            }
        }
        while !isShutDown, total < configuration.pool.minimumConnections {
            total += 1
            do {
                let connection = try await openConnection()
                let opened = ContinuousClock.now
                idle.append(Idle(connection: connection, since: opened, lastChecked: opened))
            } catch {
                total -= 1
                logger.warning("cannot open the pool's minimum connections", metadata: ["error": "\(error)"])
                break
            }
        }
        wakeOneWaiter()
    }

    /// Closes idle connections and fails waiting leases; leased connections close on release.
    func shutdown() async {
        isShutDown = true
        let closing = idle
        idle = []
        total -= closing.count
        for entry in closing { await entry.connection.close() }
        let pending = waiters
        waiters = [:]
        waiterOrder = []
        for (_, waiter) in pending { waiter.resume(throwing: RedisClientError(.poolClosed, "the client has shut down")) }
    }

    private func openConnection() async throws -> RedisConnection {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await RedisConnection.connect(configuration: configuration, eventLoopGroup: eventLoopGroup,
                                                         logger: logger)
            } catch let error as RedisClientError where error.code == .connectFailed {
                guard attempt < max(configuration.reconnect.maximumAttempts, 1) else { throw error }
                let delay = configuration.reconnect.delay(afterAttempt: attempt)
                logger.debug("connect failed, retrying", metadata: ["attempt": "\(attempt)", "delay": "\(delay)"])
                try await Task.sleep(for: delay)
            }
        }
    }

    private func waitForRelease() async throws {
        nextWaiterID += 1
        let id = nextWaiterID
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiters[id] = continuation
                    waiterOrder.append(id)
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    private func cancelWaiter(_ id: UInt64) {
        guard let waiter = waiters.removeValue(forKey: id) else { return }
        waiterOrder.removeAll { $0 == id }
        waiter.resume(throwing: CancellationError())
    }

    private func wakeOneWaiter() {
        while !waiterOrder.isEmpty {
            let id = waiterOrder.removeFirst()
            if let waiter = waiters.removeValue(forKey: id) {
                waiter.resume()
                return
            }
        }
    }
}
