import Hummingbird
import NIOConcurrencyHelpers
import Prometheus
import RoostCoordination

/// The coordination objects' names, found by `CoordinationInspector.names()` (a `SCAN` per
/// prefix) and kept for `lifetime`, so that the page's live refresh reads objects, not the
/// keyspace, every second.
final class CoordinationDirectory: Sendable {
    private struct Cache {
        var names = CoordinationNames()
        var readAt: ContinuousClock.Instant?
    }

    let inspector: CoordinationInspector
    private let lifetime: Duration
    private let cache = NIOLockedValueBox(Cache())

    init(inspector: CoordinationInspector, lifetime: Duration) {
        self.inspector = inspector
        self.lifetime = lifetime
    }

    /// The held or waited-for objects among the names found at most `lifetime` ago.
    func snapshot() async throws -> CoordinationSnapshot {
        let now = ContinuousClock.now
        var names = cache.withLockedValue { $0.readAt.map { now - $0 < lifetime } == true ? $0.names : nil }
        if names == nil {
            let found = try await inspector.names()
            cache.withLockedValue { $0 = Cache(names: found, readAt: now) }
            names = found
        }
        return try await inspector.snapshot(of: names ?? CoordinationNames())
    }
}

/// `GET coordination` (the page) and `GET coordination/live` (its sections alone, re-read by
/// the page's script every second); the coordination gauges of `/metrics`:
///
/// | metric | labels | what |
/// |---|---|---|
/// | `roost_lock_held` | `name` | 1 while held |
/// | `roost_lock_fencing_token` | `name` | the holder's (or last) token |
/// | `roost_lock_waiters` | `name` | live waiters |
/// | `roost_rwlock_writer_held`, `roost_rwlock_readers` | `name` | writer (1/0), readers |
/// | `roost_semaphore_permits_used`, `roost_semaphore_waiters` | `name` | permits held, waiters |
/// | `roost_leader_term`, `roost_leader_lease_left_seconds` | `election` | the leader's term and lease |
///
/// Only objects held or waited for are reported.
extension Dashboard {
    func addCoordinationRoutes<Context: RequestContext>(to routes: RouteCollection<Context>) {
        let directory = CoordinationDirectory(inspector: CoordinationInspector(client: client), lifetime: configuration.queueListLifetime)
        routes.get("coordination") { _, _ -> Response in html(coordinationPage(try await directory.snapshot())) }
        routes.get("coordination/live") { _, _ -> Response in html(coordinationSections(try await directory.snapshot())) }
    }

    /// Adds the coordination gauges to `registry`, from a fresh scan.
    func addCoordinationMetrics(to registry: PrometheusCollectorRegistry) async throws {
        func gauge(_ name: String, _ help: String, _ value: Int64, _ label: (String, String)) {
            registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: [label])
                .set(to: Double(value))
        }
        let snapshot = try await CoordinationInspector(client: client).snapshot()
        for lock in snapshot.locks {
            gauge("roost_lock_held", "1 while the lock is held", lock.holder == nil ? 0 : 1, ("name", lock.name))
            gauge("roost_lock_fencing_token", "The lock holder's fencing token (the last one when free)",
                  lock.holder?.token ?? lock.lastToken, ("name", lock.name))
            gauge("roost_lock_waiters", "Tasks waiting for the lock", Int64(lock.waiters.count), ("name", lock.name))
        }
        for lock in snapshot.readWriteLocks {
            gauge("roost_rwlock_writer_held", "1 while a writer holds the read-write lock", lock.writer == nil ? 0 : 1, ("name", lock.name))
            gauge("roost_rwlock_readers", "Readers holding the read-write lock", Int64(lock.readers.count), ("name", lock.name))
        }
        for semaphore in snapshot.semaphores {
            gauge("roost_semaphore_permits_used", "Semaphore permits held", Int64(semaphore.permitsUsed), ("name", semaphore.name))
            gauge("roost_semaphore_waiters", "Tasks waiting for a permit", Int64(semaphore.waiters.count), ("name", semaphore.name))
        }
        for election in snapshot.elections {
            gauge("roost_leader_term", "The current leader's term (its fencing token; the last one without a leader)",
                  election.leader?.token ?? election.lastTerm, ("election", election.name))
            registry.makeGauge(descriptor: MetricNameDescriptor(metricName: "roost_leader_lease_left_seconds", unitName: "",
                                                                helpText: "How long the leader's lease has left"),
                               labels: [("election", election.name)])
                .set(to: Double(max(election.leader?.leaseLeftMilliseconds ?? 0, 0)) / 1000)
        }
    }
}
