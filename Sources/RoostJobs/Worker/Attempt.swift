import NIOConcurrencyHelpers

/// Why an attempt's handler was stopped before it returned.
enum StopReason: Sendable, Equatable {
    /// It ran past the job's timeout.
    case timedOut
    /// Its lease is lost: renewal was refused, or failed until the lease ran out.
    case leaseLost
    /// The worker is shutting down past its grace period: hand the job back.
    case shutdown
    /// Someone cancelled the job (`JobQueue.cancel`).
    case cancelled
}

/// One running attempt, as its worker tracks it: identity, lease, and the stop signal that
/// the heartbeat, the timeout and shutdown use to end its handler.
final class Attempt: Sendable {
    let id: String
    let token: Int64
    /// The partition (`WorkerLane.index`) the job belongs to.
    let lane: Int
    private struct State {
        var validUntil: ContinuousClock.Instant
        var stop: StopReason?
        var waiter: CheckedContinuation<StopReason?, Never>?
    }

    private let state: NIOLockedValueBox<State>

    init(id: String, token: Int64, validUntil: ContinuousClock.Instant, lane: Int = 0) {
        self.id = id
        self.token = token
        self.lane = lane
        state = NIOLockedValueBox(State(validUntil: validUntil))
    }

    /// Until when the lease is surely ours (from when the last renewal was sent).
    var validUntil: ContinuousClock.Instant { state.withLockedValue { $0.validUntil } }

    /// Why it was stopped, if it was.
    var stopReason: StopReason? { state.withLockedValue { $0.stop } }

    /// A renewal sent at `sent` succeeded: the lease is ours until `validUntil`.
    func renewed(validUntil: ContinuousClock.Instant) {
        state.withLockedValue { $0.validUntil = max($0.validUntil, validUntil) }
    }

    /// Stops the attempt for `reason` (the first reason wins).
    func stop(_ reason: StopReason) {
        let waiter = state.withLockedValue { s -> CheckedContinuation<StopReason?, Never>? in
            guard s.stop == nil else { return nil }
            s.stop = reason
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(returning: reason)
    }

    /// Returns when the attempt is stopped, with the reason; cancelled, returns nil.
    func stopped() async -> StopReason? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<StopReason?, Never>) in
                let resumeWith = state.withLockedValue { s -> StopReason?? in
                    if let stop = s.stop { return .some(stop) }
                    if Task.isCancelled { return .some(nil) }
                    s.waiter = continuation
                    return nil
                }
                if let resumeWith { continuation.resume(returning: resumeWith) }
            }
        } onCancel: {
            let waiter = state.withLockedValue { s -> CheckedContinuation<StopReason?, Never>? in
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume(returning: nil)
        }
    }
}
