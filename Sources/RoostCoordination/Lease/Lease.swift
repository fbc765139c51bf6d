import NIOConcurrencyHelpers

/// A time-limited grant held by one owner: a lock's hold, a permit, a leadership term.
///
/// Every lease carries a **fencing token** from the same atomic step that granted it, strictly
/// increasing per resource. Pass it to storage (`FencedStore`) so that a holder whose lease
/// ran out while it was paused cannot overwrite the work of the next holder.
///
/// Losing a lease is an event: `isValid` turns false and `lost` returns, and inside
/// `DistributedLock.withLock` the body's task is cancelled.
public final class Lease: Sendable, CustomStringConvertible {
    /// The resource's name (the lock's name).
    public let resource: String
    /// The fencing token: greater than every token granted before for this resource.
    public let token: Int64
    /// The owner id the server records for this lease (random per acquisition).
    public let owner: String

    private struct State {
        var validUntil: ContinuousClock.Instant
        var lossReason: LeaseLossReason?
        var released = false
        var waiters: [Int: CheckedContinuation<LeaseLossReason, any Error>] = [:]
        var nextWaiter = 0
    }

    private let state: NIOLockedValueBox<State>

    init(resource: String, token: Int64, owner: String, validUntil: ContinuousClock.Instant) {
        self.resource = resource
        self.token = token
        self.owner = owner
        self.state = NIOLockedValueBox(State(validUntil: validUntil))
    }

    /// Whether the holder may still act under this lease: not released, not lost, and its time
    /// (as last confirmed by the server, minus a drift allowance) not yet over.
    public var isValid: Bool {
        state.withLockedValue { $0.lossReason == nil && !$0.released && ContinuousClock.now < $0.validUntil }
    }

    /// Until when the lease is believed valid on this process's clock.
    public var validUntil: ContinuousClock.Instant { state.withLockedValue { $0.validUntil } }

    /// Why the lease was lost, or nil while it was not.
    public var lossReason: LeaseLossReason? { state.withLockedValue { $0.lossReason } }

    /// Returns when the lease is lost, with the reason.
    /// - Throws: `CancellationError` if the waiting task is cancelled first, and
    ///   `CoordinationError.notHeld` if the lease is released before it is lost.
    public var lost: LeaseLossReason {
        get async throws {
            let id = state.withLockedValue { s -> Int in
                s.nextWaiter += 1
                return s.nextWaiter
            }
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    let ready: Result<LeaseLossReason, any Error>? = state.withLockedValue { s in
                        if let reason = s.lossReason { return .success(reason) }
                        if s.released { return .failure(CoordinationError.notHeld) }
                        if Task.isCancelled { return .failure(CancellationError()) }
                        s.waiters[id] = continuation
                        return nil
                    }
                    if let ready { continuation.resume(with: ready) }
                }
            } onCancel: {
                let waiter = state.withLockedValue { $0.waiters.removeValue(forKey: id) }
                waiter?.resume(throwing: CancellationError())
            }
        }
    }

    /// Records a renewal the server confirmed.
    func confirm(validUntil: ContinuousClock.Instant) {
        state.withLockedValue { $0.validUntil = max($0.validUntil, validUntil) }
    }

    /// Marks the lease lost and wakes everything awaiting `lost`. Later calls keep the first reason.
    func markLost(_ reason: LeaseLossReason) {
        let waiters = state.withLockedValue { s -> [CheckedContinuation<LeaseLossReason, any Error>] in
            guard s.lossReason == nil, !s.released else { return [] }
            s.lossReason = reason
            defer { s.waiters.removeAll() }
            return Array(s.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: reason) }
    }

    /// Marks the lease released by its holder.
    func markReleased() {
        let waiters = state.withLockedValue { s -> [CheckedContinuation<LeaseLossReason, any Error>] in
            guard s.lossReason == nil, !s.released else { return [] }
            s.released = true
            defer { s.waiters.removeAll() }
            return Array(s.waiters.values)
        }
        for waiter in waiters { waiter.resume(throwing: CoordinationError.notHeld) }
    }

    public var description: String { "Lease(\(resource), token \(token), owner \(owner))" }
}
