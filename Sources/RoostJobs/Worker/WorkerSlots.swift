import NIOConcurrencyHelpers

/// The worker's concurrency limit: `capacity` slots, one per running attempt.
final class WorkerSlots: Sendable {
    private struct State {
        var free: Int
        var waiters: [(id: Int, continuation: CheckedContinuation<Void, any Error>)] = []
        var idleWaiters: [(id: Int, continuation: CheckedContinuation<Void, Never>)] = []
        var nextID = 0
    }

    let capacity: Int
    private let state: NIOLockedValueBox<State>

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        state = NIOLockedValueBox(State(free: max(capacity, 1)))
    }

    /// Slots in use.
    var busy: Int { capacity - state.withLockedValue { $0.free } }

    /// Takes one slot, waiting for it, plus every other free one; returns how many it took.
    /// - Throws: `CancellationError` if the task is cancelled while waiting.
    func acquireAvailable() async throws -> Int {
        let id = state.withLockedValue { s -> Int? in
            if s.free > 0 { return nil }
            s.nextID += 1
            return s.nextID
        }
        if let id {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let resumeNow = state.withLockedValue { s -> Bool in
                        if s.free > 0 || Task.isCancelled { return true }
                        s.waiters.append((id, continuation))
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                let waiter = state.withLockedValue { s -> CheckedContinuation<Void, any Error>? in
                    guard let index = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                    return s.waiters.remove(at: index).continuation
                }
                waiter?.resume(throwing: CancellationError())
            }
            try Task.checkCancellation()
        }
        return state.withLockedValue { s in
            let taken = max(s.free, 0)
            s.free -= taken
            return taken
        }
    }

    /// Returns `count` slots.
    func release(_ count: Int = 1) {
        guard count > 0 else { return }
        let (waiter, idle) = state.withLockedValue { s -> (CheckedContinuation<Void, any Error>?, [CheckedContinuation<Void, Never>]) in
            s.free += count
            let waiter = s.waiters.isEmpty ? nil : s.waiters.removeFirst().continuation
            var idle: [CheckedContinuation<Void, Never>] = []
            if s.free == capacity {
                idle = s.idleWaiters.map(\.continuation)
                s.idleWaiters = []
            }
            return (waiter, idle)
        }
        waiter?.resume()
        for continuation in idle { continuation.resume() }
    }

    /// Returns once every slot is free, or when the task is cancelled.
    func waitUntilIdle() async {
        let id = state.withLockedValue { s -> Int in
            s.nextID += 1
            return s.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLockedValue { s -> Bool in
                    if s.free == capacity || Task.isCancelled { return true }
                    s.idleWaiters.append((id, continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLockedValue { s -> CheckedContinuation<Void, Never>? in
                guard let index = s.idleWaiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.idleWaiters.remove(at: index).continuation
            }
            waiter?.resume()
        }
    }
}
