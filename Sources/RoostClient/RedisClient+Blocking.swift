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
    /// Cancellation, and the client's deadline `timeout` (the configured command timeout when
    /// nil) passing, end the wait with `CLIENT UNBLOCK id TIMEOUT`, sent from a pooled connection
    /// and repeated until the reply arrives, so the dedicated connection stays clean and is
    /// reused. A reply that carries data (the server served the command before the unblock) is
    /// returned all the same, so nothing the server handed over is dropped; a null reply becomes
    /// `RedisClientError` `.cancelled` or `.timeout`. When the server cannot be asked to unblock
    /// (no client id, `CLIENT UNBLOCK` refused), the connection is closed instead and the same
    /// errors say that the outcome is unknown.
    ///
    /// A connection that closes while the command waits fails it with `.connectionClosed`: the
    /// command is not sent again, since the server may have run it and the reply be lost. The
    /// next call opens a new connection (with the configured backoff).
    func pipelineOnBlockingConnection(_ commands: [RedisCommand], timeout: Duration?) async throws -> [Result<RESPValue, any Error>] {
        try Task.checkCancellation()
        let lease = try await blockingLane.lease()
        // No timer in the handler: a reply abandoned there would be discarded, data and all.
        let futures = lease.connection.submit(commands, timeout: nil)
        let eventLoop = lease.connection.channel.eventLoop
        let replied = NIOLockedValueBox(false)
        let all = EventLoopFuture.whenAllComplete(futures, on: eventLoop)
        all.whenComplete { _ in replied.withLockedValue { $0 = true } }
        let deadline = timeout ?? lease.connection.commandTimeout
        let interruption = await Self.waitForReply(all, deadline: deadline, on: eventLoop)
        var closedToInterrupt = false
        if interruption != nil {
            let blockingCount = commands.count { $0.waitsForOtherClients }
            // An unstructured task only to shield the unblock from the caller's cancellation
            // (which would fail its pooled lease and sleeps at once); it is awaited right here,
            // so it never outlives the call.
            closedToInterrupt = await Task {
                await self.unblock(lease, blockingCount: blockingCount, until: replied)
            }.value
        }
        let replies = await lease.connection.results(of: futures)
        await blockingLane.release(lease)
        return zip(commands, replies).map { command, reply in
            Self.outcome(reply, of: command, interruption: interruption, deadline: deadline,
                         closedToInterrupt: closedToInterrupt)
        }
    }

    /// What ended a blocking call's wait before its reply.
    enum Interruption {
        case cancelled, timedOut
    }

    /// What a blocking call reports for `reply`.
    private static func outcome(_ reply: Result<RESPValue, any Error>, of command: RedisCommand,
                                interruption: Interruption?, deadline: Duration?,
                                closedToInterrupt: Bool) -> Result<RESPValue, any Error> {
        let why: (code: RedisClientError.Code, text: String)? = interruption.map {
            switch $0 {
            case .cancelled: return (.cancelled, "\(command.name) was cancelled")
            case .timedOut: return (.timeout, "no reply to \(command.name) within \(deadline.map { "\($0)" } ?? "")")
            }
        }
        switch reply {
        case .success(let value) where value.isNull && command.waitsForOtherClients:
            guard let why else { return reply }
            return .failure(RedisClientError(why.code, "\(why.text) while it waited; it was unblocked and did nothing"))
        case .failure(let error as RedisClientError) where error.code == .connectionClosed:
            if closedToInterrupt, let why {
                return .failure(RedisClientError(why.code, """
                    \(why.text) and its connection closed to end the wait: whether it ran is unknown
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

    /// Waits until `future` completes (nil), the task is cancelled, or `deadline` passes.
    private static func waitForReply<Value>(_ future: EventLoopFuture<Value>, deadline: Duration?,
                                            on eventLoop: any EventLoop) async -> Interruption? {
        let race = FirstOutcome()
        let timer = deadline.map { deadline in
            eventLoop.scheduleTask(in: .nanoseconds(deadline.components.seconds * 1_000_000_000
                                                    + deadline.components.attoseconds / 1_000_000_000)) {
                race.finish(.timedOut)
            }
        }
        defer { timer?.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                race.install(continuation)
                future.whenComplete { _ in race.finish(nil) }
            }
        } onCancel: {
            race.finish(.cancelled)
        }
    }

    /// How long an interrupted call keeps asking the server to unblock it before it closes the
    /// connection instead (a command the server cannot unblock, or a server that stopped
    /// answering).
    static let unblockPatience = Duration.seconds(10)

    /// Ends the wait of an interrupted call's `blockingCount` blocking commands with
    /// `CLIENT UNBLOCK id TIMEOUT` from a pooled connection, repeated with a short backoff while
    /// the replies are missing: an unblock that finds nothing blocked means the command either
    /// already got its reply (on its way) or has not reached the server yet. Returns true when it
    /// closed the connection instead.
    private func unblock(_ lease: RedisBlockingLane.Lease, blockingCount: Int,
                         until replied: NIOLockedValueBox<Bool>) async -> Bool {
        if let id = lease.clientID {
            var unblocked = 0
            var delay = Duration.milliseconds(1)
            let giveUp = ContinuousClock.now + Self.unblockPatience
            while ContinuousClock.now < giveUp {
                if unblocked >= blockingCount || replied.withLockedValue({ $0 }) { return false }
                do {
                    unblocked += try await execute(RedisCommand("CLIENT", "UNBLOCK", id, "TIMEOUT"), as: Int.self)
                } catch {
                    logger.debug("CLIENT UNBLOCK failed; closing the blocked connection", metadata: ["error": "\(error)"])
                    break
                }
                if unblocked >= blockingCount || replied.withLockedValue({ $0 }) { return false }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .milliseconds(100))
            }
        }
        await lease.connection.close()
        return true
    }
}

/// Whichever of the reply, a cancellation and the deadline comes first resumes the waiting call,
/// once. Lock-protected so that the cancellation handler and the event loop can both report.
private final class FirstOutcome: Sendable {
    typealias Outcome = RedisClient.Interruption?

    private struct State {
        var continuation: CheckedContinuation<Outcome, Never>?
        var outcome: Outcome?
    }

    private let state = NIOLockedValueBox(State())

    /// Registers the waiter, resuming it at once if the outcome is already known.
    func install(_ continuation: CheckedContinuation<Outcome, Never>) {
        let known = state.withLockedValue { state -> Outcome? in
            if let outcome = state.outcome { return outcome }
            state.continuation = continuation
            return nil
        }
        if let known { continuation.resume(returning: known) }
    }

    /// Records `outcome` if it is the first, and resumes the waiter if it is registered.
    func finish(_ outcome: Outcome) {
        let continuation = state.withLockedValue { state -> CheckedContinuation<Outcome, Never>? in
            guard state.outcome == nil else { return nil }
            state.outcome = .some(outcome)
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: outcome)
    }
}
