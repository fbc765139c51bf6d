import RoostClient
import RoostRESP

/// Waiting for a hand-off: the releaser pushes one token onto a list, and the waiters block on
/// it (`BLPOP`), so a release wakes exactly one waiter instead of every one (no thundering herd).
/// The server hands the token to the client that has been blocked longest, and never to a
/// closed connection, so a waiter that died cannot swallow it.
///
/// A token outlives the moment it was pushed: a waiter that starts blocking after the release
/// still finds it, so there is no window between a refused check and the wait. A token nobody
/// needed any more costs its finder one extra check. The state names a re-check time (a
/// lease running out) and the deadline bounds every wait, as with `NoticeWaiter`.
enum HandOffWaiter {
    /// Runs `check` (registered as a waiter) until it is done or `timeout` (nil: none) passes;
    /// between checks, blocks on `list` until a token arrives or the re-check time comes.
    ///
    /// If this waiter took a token and then leaves without being done (cancelled, timed out,
    /// an error), it calls `passOn` so that another waiter gets the wake-up it consumed.
    /// - Throws: `CoordinationError.timedOut`, `CancellationError`, what `check` throws.
    static func wait<Value: Sendable>(
        on client: any CoordinationClient, list: RedisKey, timeout: Duration?,
        passOn: @Sendable () async throws -> Void,
        _ check: @Sendable () async throws -> Check<Value>
    ) async throws -> Value {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        var holdsToken = false
        do {
            while true {
                try Task.checkCancellation()
                let outcome = try await check()
                holdsToken = false
                switch outcome {
                case .done(let value):
                    return value
                case .notYet(let recheckAfter):
                    let now = ContinuousClock.now
                    if let deadline, now >= deadline { throw CoordinationError.timedOut }
                    var until = recheckAfter.map { now + $0 }
                    if let deadline { until = min(until ?? deadline, deadline) }
                    // A wait without any bound blocks for ever (BLPOP timeout 0).
                    let popped = try await client.blpop([list], timeout: until.map { max($0 - now, .milliseconds(1)) })
                    holdsToken = popped != nil
                }
            }
        } catch {
            if holdsToken { try? await passOn() }
            throw error
        }
    }
}
