import NIOConcurrencyHelpers

/// A counter that tasks wait on: `bump()` raises it and wakes every task waiting for it to pass
/// the value they saw. Nothing is queued: a waiter that saw version 3 wakes once for any number
/// of bumps past 3, which is how bursts coalesce.
final class VersionSignal: Sendable {
    private struct Waiter {
        var past: UInt64
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var version: UInt64 = 0
        var nextID = 0
        var waiters: [Int: Waiter] = [:]
    }

    private let state = NIOLockedValueBox(State())

    /// The current version.
    var version: UInt64 { state.withLockedValue { $0.version } }

    /// Raises the version and wakes the tasks waiting for it to pass an older one.
    func bump() {
        let ready = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.version += 1
            let version = state.version
            let ready = state.waiters.filter { $0.value.past < version }
            for id in ready.keys { state.waiters[id] = nil }
            return ready.values.map(\.continuation)
        }
        for continuation in ready { continuation.resume() }
    }

    /// Returns once the version is past `past`, or at once when the task is cancelled.
    func wait(past: UInt64) async {
        let id = state.withLockedValue { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // Checked under the lock: a cancellation either came before (and is seen here)
                // or its handler runs after the waiter is registered (and resumes it).
                let resumeNow = state.withLockedValue { state -> Bool in
                    if state.version > past || Task.isCancelled { return true }
                    state.waiters[id] = Waiter(past: past, continuation: continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLockedValue { $0.waiters.removeValue(forKey: id) }?.continuation.resume()
        }
    }

    /// Waits until the version is past `past` or `timeout` has passed (or the task is
    /// cancelled); returns whether the version is past `past`.
    func wait(past: UInt64, timeout: Duration) async -> Bool {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait(past: past) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        return version > past
    }
}
