/// Several locks held together: `withLock` takes every lock (in one global order, by name, so
/// two multi-locks over overlapping sets cannot deadlock), runs the body while each lease is
/// renewed, and releases them all. Losing any one lease cancels the body.
///
/// The locks may live on different cluster slots or even different servers; each is taken by
/// its own atomic step, so the set is acquired one lock at a time, not atomically.
///
///     let transfer = MultiLock([DistributedLock("account:7", on: client), DistributedLock("account:9", on: client)])
///     try await transfer.withLock { leases in … }
public struct MultiLock: Sendable {
    /// The locks, in acquisition order.
    public let locks: [DistributedLock]

    /// A multi-lock over `locks` (duplicates by name are taken once).
    public init(_ locks: [DistributedLock]) {
        var seen = Set<String>()
        self.locks = locks.sorted { $0.name < $1.name }.filter { seen.insert($0.name).inserted }
    }

    /// Takes every lock (waiting up to `timeout` for all of them together; nil: for ever),
    /// runs `body` with the leases in `locks` order, and releases them in reverse order.
    /// - Throws: `CoordinationError.timedOut` (locks already taken are released),
    ///   `.leaseLost` if any lease was lost while `body` ran, what `body` throws.
    public func withLock<Result: Sendable>(
        timeout: Duration? = nil, _ body: @Sendable ([Lease]) async throws -> Result
    ) async throws -> Result {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        return try await nest(0, held: [], deadline: deadline, body)
    }

    private func nest<Result: Sendable>(
        _ index: Int, held: [Lease], deadline: ContinuousClock.Instant?, _ body: @Sendable ([Lease]) async throws -> Result
    ) async throws -> Result {
        guard index < locks.count else { return try await body(held) }
        let remaining = deadline.map { max($0 - ContinuousClock.now, .zero) }
        return try await locks[index].withLock(timeout: remaining) { lease in
            try await nest(index + 1, held: held + [lease], deadline: deadline, body)
        }
    }
}
