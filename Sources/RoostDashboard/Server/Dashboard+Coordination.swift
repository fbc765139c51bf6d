import Hummingbird
import RoostCoordination

/// `GET coordination` (the page) and `GET coordination/live` (its sections alone, a live
/// fragment the page follows: `Dashboard+Fragments`); the coordination gauges of `/metrics`:
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
        routes.get("coordination") { _, _ -> Response in html(coordinationPage(try await coordinationSnapshot())) }
        routes.get("coordination/live") { request, _ -> Response in
            try await fragment(request, missing: { refusal(.notFound, "Nothing to show.") }) { coordinationSections(try await coordinationSnapshot()) }
        }
    }

    /// The held or waited-for objects among the names found (`SCAN`) at most
    /// `scanLifetime` ago, so that the page's live refresh reads objects, not the
    /// keyspace, every second.
    func coordinationSnapshot() async throws -> CoordinationSnapshot {
        try await CoordinationInspector(client: client).snapshot(of: try await coordinationNames.value())
    }

    /// The coordination gauges.
    func coordinationMetrics(_ setGauge: GaugeSetter) async throws {
        func gauge(_ name: String, _ help: String, _ value: Int64, _ label: (String, String)) {
            setGauge(name, help, Double(value), [label])
        }
        let snapshot = try await coordinationSnapshot()
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
            setGauge("roost_leader_lease_left_seconds", "How long the leader's lease has left",
                     Double(max(election.leader?.leaseLeftMilliseconds ?? 0, 0)) / 1000, [("election", election.name)])
        }
    }
}
