import NIOConcurrencyHelpers
import NIOCore
import RoostRESP

extension RedisCommand {
    /// Whether a `RedisClient` sends the command on a dedicated blocking connection: the list,
    /// sorted-set and stream commands that wait for another client to act. `WAIT` and `WAITAOF`
    /// wait for the replication of their own connection's writes, so they stay on the pool.
    var waitsForOtherClients: Bool {
        // A cheap first-letter test keeps the name's upper-casing off the common commands' path.
        guard let first = arguments.first?.bytes.readableBytesView.first else { return false }
        switch first | 0x20 {
        case UInt8(ascii: "b"), UInt8(ascii: "x"): return replyTraits.isBlocking
        default: return false
        }
    }
}

extension RedisClient {
    /// Sends `commands`, at least one of which blocks, on a dedicated connection of the blocking
    /// lane (never a pooled lease), and returns each one's reply or error.
    ///
    /// Cancellation ends the wait with `CLIENT UNBLOCK id TIMEOUT`, sent from a pooled connection
    /// and repeated until the reply arrives, so the dedicated connection stays clean and is
    /// reused. A reply that carries data (the server served the command before the unblock) is
    /// returned even though the task was cancelled, so nothing the server handed over is dropped;
    /// a null reply becomes `RedisClientError` `.cancelled`. When the server cannot be asked to
    /// unblock (no client id, `CLIENT UNBLOCK` refused), the connection is closed instead and the
    /// result is `.cancelled` with an unknown outcome.
    ///
    /// A connection that closes while the command waits fails it with `.connectionClosed`: the
    /// command is not sent again, since the server may have run it and the reply be lost. The
    /// next call opens a new connection (with the configured backoff).
    func pipelineOnBlockingConnection(_ commands: [RedisCommand], timeout: Duration?) async throws -> [Result<RESPValue, any Error>] {
        try Task.checkCancellation()
        let lease = try await blockingLane.lease()
        let futures = lease.connection.submit(commands, timeout: timeout)
        let eventLoop = lease.connection.channel.eventLoop
        let replied = NIOLockedValueBox(false)
        let all = EventLoopFuture.whenAllComplete(futures, on: eventLoop)
        all.whenComplete { _ in replied.withLockedValue { $0 = true } }
        let cancelled = await Self.waitForCompletionOrCancellation(all)
        var closedToCancel = false
        if cancelled {
            let blockingCount = commands.count { $0.waitsForOtherClients }
            // An unstructured task only to shield the unblock from the caller's cancellation
            // (which would fail its pooled lease and sleeps at once); it is awaited right here,
            // so it never outlives the call.
            closedToCancel = await Task {
                await self.unblock(lease, blockingCount: blockingCount, until: replied)
            }.value
        }
        let replies = await lease.connection.results(of: futures)
        await blockingLane.release(lease)
        return zip(commands, replies).map { command, reply in
            Self.outcome(reply, of: command, cancelled: cancelled, closedToCancel: closedToCancel)
        }
    }

    /// What a blocking call reports for `reply`.
    private static func outcome(_ reply: Result<RESPValue, any Error>, of command: RedisCommand, cancelled: Bool,
                                closedToCancel: Bool) -> Result<RESPValue, any Error> {
        switch reply {
        case .success(let value) where cancelled && value.isNull:
            return .failure(RedisClientError(.cancelled, "\(command.name) was cancelled while it waited; it did nothing"))
        case .failure(let error as RedisClientError) where error.code == .connectionClosed:
            if closedToCancel {
                return .failure(RedisClientError(.cancelled, """
                    \(command.name) was cancelled and its connection closed to end the wait: whether it ran is unknown
                    """))
            }
            return .failure(RedisClientError(.connectionClosed, """
                the connection closed while \(command.name) waited: the server may have run it and its reply \
                been lost, so it is not sent again (\(error.message))
                """))
        default:
            return reply
        }
    }

    /// Waits until `future` completes (false) or the task is cancelled (true).
    private static func waitForCompletionOrCancellation<Value>(_ future: EventLoopFuture<Value>) async -> Bool {
        let race = FirstOutcome()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                race.install(continuation)
                future.whenComplete { _ in race.finish(cancelled: false) }
            }
        } onCancel: {
            race.finish(cancelled: true)
        }
    }

    /// Ends the wait of a cancelled call's `blockingCount` blocking commands with
    /// `CLIENT UNBLOCK id TIMEOUT` from a pooled connection, repeated with a short backoff while
    /// the replies are missing: an unblock that finds nothing blocked means the command either
    /// already got its reply (on its way) or has not reached the server yet. Returns true when it
    /// closed the connection instead.
    private func unblock(_ lease: RedisBlockingLane.Lease, blockingCount: Int,
                         until replied: NIOLockedValueBox<Bool>) async -> Bool {
        if let id = lease.clientID {
            var unblocked = 0
            var delay = Duration.milliseconds(1)
            for _ in 0..<64 {
                if unblocked >= blockingCount || replied.withLockedValue({ $0 }) { return false }
                do {
                    unblocked += try await execute(RedisCommand("CLIENT", "UNBLOCK", id, "TIMEOUT"), as: Int.self)
                } catch {
                    logger.debug("CLIENT UNBLOCK failed; closing the blocked connection", metadata: ["error": "\(error)"])
                    break
                }
                if unblocked >= blockingCount || replied.withLockedValue({ $0 }) { return false }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .milliseconds(50))
            }
        }
        await lease.connection.close()
        return true
    }
}

/// Whichever of a reply and a cancellation comes first resumes the waiting call, once.
/// Lock-protected so that the cancellation handler and the event loop can both report.
private final class FirstOutcome: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Bool, Never>?
        var cancelled: Bool?
    }

    private let state = NIOLockedValueBox(State())

    /// Registers the waiter, resuming it at once if the outcome is already known.
    func install(_ continuation: CheckedContinuation<Bool, Never>) {
        let known = state.withLockedValue { state -> Bool? in
            if let cancelled = state.cancelled { return cancelled }
            state.continuation = continuation
            return nil
        }
        if let known { continuation.resume(returning: known) }
    }

    /// Records the outcome if it is the first, and resumes the waiter if it is registered.
    func finish(cancelled: Bool) {
        let continuation = state.withLockedValue { state -> CheckedContinuation<Bool, Never>? in
            guard state.cancelled == nil else { return nil }
            state.cancelled = cancelled
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: cancelled)
    }
}
