/// What one check of a waiting primitive found.
public enum Check<Value: Sendable>: Sendable {
    /// Done: the wait is over with this value.
    case done(Value)
    /// Not yet; check again on the next notice, or after `after` at the latest (nil: only on a
    /// notice or at the deadline).
    case notYet(recheckAfter: Duration?)
}

/// Waiting without polling: checks once, and if the state is not there yet, subscribes to the
/// primitive's shard channel, checks again (a notice sent between the first check and the
/// subscription is not missed), then checks once per notice, at the re-check time the state
/// itself names (a lease running out), and at the deadline.
///
/// It is the building block of every waiting primitive here, and of anything else that waits
/// for a state on the server that its writers announce on a shard channel (RoostJobs waits for
/// a job's result this way).
public enum NoticeWaiter {
    /// Runs `check` until it is done or `timeout` (nil: none) passes. `check` gets whether the
    /// subscription is in place (false only for the first check, made before subscribing).
    /// - Throws: `CoordinationError.timedOut`, `CancellationError`, what `check` throws.
    public static func wait<Value: Sendable>(
        on client: any CoordinationClient, channel: String, timeout: Duration?,
        _ check: @Sendable (_ subscribed: Bool) async throws -> Check<Value>
    ) async throws -> Value {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        if case .done(let value) = try await check(false) { return value }
        if let deadline, ContinuousClock.now >= deadline { throw CoordinationError.timedOut }
        return try await client.subscribe(channels: [], patterns: [], shardChannels: [channel]) { notices in
            let wake = WakeSignal()
            return try await withoutActuallyEscaping(check) { check in
                try await withThrowingTaskGroup(of: Value?.self) { group in
                    group.addTask {
                        for try await _ in notices { wake.notify() }
                        return nil
                    }
                    defer { group.cancelAll() }
                    while true {
                        try Task.checkCancellation()
                        switch try await check(true) {
                        case .done(let value):
                            return value
                        case .notYet(let recheckAfter):
                            let now = ContinuousClock.now
                            if let deadline, now >= deadline { throw CoordinationError.timedOut }
                            var until = recheckAfter.map { now + $0 } ?? deadline ?? now + .seconds(86_400 * 365)
                            if let deadline { until = min(until, deadline) }
                            await wake.wait(until: until)
                        }
                    }
                }
            }
        }
    }
}
