import NIOConcurrencyHelpers

/// A wake-up for one waiting task: `notify` wakes the current or the next `wait`. Several
/// notifications before a wait count as one.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = NIOLockedValueBox(State())

    /// Wakes the waiting task, or the next one to wait.
    func notify() {
        let waiter = state.withLockedValue { s -> CheckedContinuation<Void, Never>? in
            guard let waiter = s.waiter else {
                s.pending = true
                return nil
            }
            s.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns at the first notification (or at once if one is pending), at `deadline`, or
    /// when the task is cancelled, whichever comes first.
    /// - Returns: whether a notification (or cancellation) ended the wait, not the deadline.
    @discardableResult
    func wait(until deadline: ContinuousClock.Instant) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return false
            }
            group.addTask {
                await self.waitForNotification()
                return true
            }
            let notified = await group.next() ?? false
            group.cancelAll()
            self.notify()
            await group.waitForAll()
            self.state.withLockedValue { $0.pending = false }
            return notified
        }
    }

    private func waitForNotification() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLockedValue { s -> Bool in
                    if s.pending || Task.isCancelled {
                        s.pending = false
                        return true
                    }
                    s.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            notify()
        }
    }
}
