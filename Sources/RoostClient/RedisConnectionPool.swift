import Logging
import NIOConcurrencyHelpers
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
    private var total = 0 {
        didSet { metrics?.openConnections.record(total) }
    }
    private let metrics: RedisClientMetrics?
    private let waiters = LeaseWaiters()
    private var nextWaiterID: UInt64 = 0
    private var isShutDown = false

    init(configuration: RedisClientConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger,
         metrics: RedisClientMetrics? = nil) {
        self.metrics = metrics
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
        if reusable && !isShutDown && connection.isReusable {
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
        waiters.failAll(RedisClientError(.poolClosed, "the client has shut down"))
    }

    private func openConnection() async throws -> RedisConnection {
        try await RedisConnection.connectRetrying(configuration: configuration, eventLoopGroup: eventLoopGroup,
                                                  logger: logger, metrics: metrics)
    }

    private func waitForRelease() async throws {
        nextWaiterID += 1
        let id = nextWaiterID
        let waiters = self.waiters
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                waiters.add(id, continuation)
            }
        } onCancel: {
            waiters.cancel(id)
        }
    }

    private func wakeOneWaiter() {
        waiters.wakeOne()
    }
}

/// Leases waiting for a connection, in arrival order. Lock-protected rather than actor-isolated
/// so that a cancellation handler can remove its waiter synchronously.
final class LeaseWaiters: Sendable {
    private struct State {
        var continuations: [UInt64: CheckedContinuation<Void, any Error>] = [:]
        var order: [UInt64] = []
        /// Waiters cancelled before they were added.
        var cancelled: Set<UInt64> = []
    }

    private let state = NIOLockedValueBox(State())

    /// Adds a waiter, or fails it at once if it was already cancelled.
    func add(_ id: UInt64, _ continuation: CheckedContinuation<Void, any Error>) {
        let cancelledEarly = state.withLockedValue { state -> Bool in
            if state.cancelled.remove(id) != nil { return true }
            state.continuations[id] = continuation
            state.order.append(id)
            return false
        }
        if cancelledEarly { continuation.resume(throwing: CancellationError()) }
    }

    /// Fails the waiter with `CancellationError` (or remembers the cancellation if not added yet).
    func cancel(_ id: UInt64) {
        let continuation = state.withLockedValue { state -> CheckedContinuation<Void, any Error>? in
            guard let continuation = state.continuations.removeValue(forKey: id) else {
                state.cancelled.insert(id)
                return nil
            }
            state.order.removeAll { $0 == id }
            return continuation
        }
        continuation?.resume(throwing: CancellationError())
    }

    /// Resumes the longest-waiting lease, which then tries again.
    func wakeOne() {
        let continuation = state.withLockedValue { state -> CheckedContinuation<Void, any Error>? in
            while !state.order.isEmpty {
                let id = state.order.removeFirst()
                if let continuation = state.continuations.removeValue(forKey: id) { return continuation }
            }
            return nil
        }
        continuation?.resume()
    }

    /// Fails every waiter with `error`.
    func failAll(_ error: any Error) {
        let all = state.withLockedValue { state -> [CheckedContinuation<Void, any Error>] in
            let all = state.order.compactMap { state.continuations[$0] }
            state.continuations = [:]
            state.order = []
            return all
        }
        for continuation in all { continuation.resume(throwing: error) }
    }
}
