import RoostClient

/// The outcome of one attempt to obtain a lease.
enum Grant: Sendable {
    /// Granted.
    case granted(Lease)
    /// Refused; try again after `retryAfter` at the latest (when the earliest current lease
    /// runs out), or on a release notice.
    case refused(retryAfter: Duration)
}

/// How a resource's waiters learn that a lease may have become free.
enum WakeUp: Sendable {
    /// The release script publishes on this shard channel and every waiter re-checks
    /// (`NoticeWaiter`): for resources where only a particular waiter may take the lease.
    case everyWaiter(shardChannel: String)
    /// The release script pushes one token onto this list and the waiter blocked longest takes
    /// it (`HandOffWaiter`): one release, one woken waiter.
    case oneWaiter(list: RedisKey)
}

/// A resource handed out as leases (a lock, semaphore permits, leadership): the one-step
/// scripts differ, the waiting, renewing and scoping are shared and live here.
protocol LeasedResource: Sendable {
    var client: any CoordinationClient { get }
    /// How long a grant or renewal lasts on the server.
    var leaseTime: Duration { get }
    /// How waiters are woken when a lease is released.
    var wakeUp: WakeUp { get }
    /// The key under which the current task's lease is reused by nested scopes, or nil when
    /// every scope takes a lease of its own (semaphore permits).
    var reentrancyKey: String? { get }
    /// A new owner id for one acquisition.
    func makeOwner() -> String
    /// One atomic attempt for `owner`; `waiting` registers the owner as a waiter if refused.
    func grant(owner: String, waiting: Bool) async throws -> Grant
    /// Extends `lease` on the server; false when the server no longer has it for this owner.
    func renewOnce(_ lease: Lease, timeout: Duration?) async throws -> Bool
    /// Releases `lease`; false when it was no longer held.
    func release(_ lease: Lease) async throws -> Bool
    /// For `.oneWaiter`: a waiter that took the wake-up token but leaves without a lease
    /// pushes it on, if the resource is free and others wait.
    func passOnWakeUp() async throws
}

/// Reentrancy: leases held by the current task (inherited by its child tasks), by resource key.
enum HeldLeases {
    @TaskLocal static var current: [String: Lease] = [:]
}

extension LeasedResource {
    func makeOwner() -> String { OwnerID.make() }

    /// A lease for a grant whose request was sent at `sent`.
    func lease(token: Int64, owner: String, sent: ContinuousClock.Instant, resource: String) -> Lease {
        Lease(resource: resource, token: token, owner: owner, validUntil: sent + leaseTime - LeaseWatchdog.drift(for: leaseTime))
    }

    func passOnWakeUp() async throws {}

    /// Obtains a lease, waiting (without polling) for as long as `timeout` allows; nil waits
    /// for ever. Waiters are woken as `wakeUp` says, and re-check when the earliest current
    /// lease would run out (its holder may have died without releasing).
    func acquireWaiting(timeout: Duration?) async throws -> Lease {
        let owner = makeOwner()
        @Sendable func attempt(registering: Bool) async throws -> Check<Lease> {
            switch try await grant(owner: owner, waiting: registering) {
            case .granted(let lease): return .done(lease)
            case .refused(let retryAfter): return .notYet(recheckAfter: retryAfter)
            }
        }
        switch wakeUp {
        case .everyWaiter(let channel):
            return try await NoticeWaiter.wait(on: client, channel: channel, timeout: timeout) { subscribed in
                try await attempt(registering: subscribed)
            }
        case .oneWaiter(let list):
            return try await HandOffWaiter.wait(on: client, list: list, timeout: timeout, passOn: passOnWakeUp) {
                try await attempt(registering: true)
            }
        }
    }

    /// Extends `lease` by `leaseTime` from now, or marks it lost and throws
    /// `CoordinationError.leaseLost(.expired)` when the server no longer has it.
    func renewOrThrow(_ lease: Lease) async throws {
        let sent = ContinuousClock.now
        if try await renewOnce(lease, timeout: nil) {
            lease.confirm(validUntil: sent + leaseTime - LeaseWatchdog.drift(for: leaseTime))
        } else {
            lease.markLost(.expired)
            throw CoordinationError.leaseLost(.expired)
        }
    }

    /// Obtains a lease (or reuses the current task's), runs `body` while a child task renews
    /// it, and releases it afterwards; a lost lease cancels `body` and throws `leaseLost`.
    func withLease<Result: Sendable>(
        timeout: Duration?, _ body: @Sendable (Lease) async throws -> Result
    ) async throws -> Result {
        if let reentrancyKey, let held = HeldLeases.current[reentrancyKey], held.isValid {
            return try await body(held)
        }
        let lease = try await acquireWaiting(timeout: timeout)
        let outcome = await run(body, under: lease)
        if lease.lossReason == nil {
            _ = try? await release(lease)
            lease.markReleased()
        }
        if let reason = lease.lossReason { throw CoordinationError.leaseLost(reason) }
        return try outcome.get()
    }

    /// Runs `body` beside the lease's watchdog; cancels `body` when the lease is lost.
    private func run<Value: Sendable>(_ body: @Sendable (Lease) async throws -> Value, under lease: Lease) async -> Result<Value, any Error> {
        var nested = HeldLeases.current
        if let reentrancyKey { nested[reentrancyKey] = lease }
        let held = nested
        return await withoutActuallyEscaping(body) { body in
            await withTaskGroup(of: Result<Value, any Error>?.self) { group in
                group.addTask {
                    await watch(lease)
                    return nil
                }
                group.addTask {
                    do {
                        return .success(try await HeldLeases.$current.withValue(held) { try await body(lease) })
                    } catch {
                        return .failure(error)
                    }
                }
                var result: Result<Value, any Error> = .failure(CancellationError())
                while let outcome = await group.next() {
                    if let outcome {
                        // The body finished: stop the watchdog.
                        result = outcome
                        group.cancelAll()
                    } else if lease.lossReason != nil {
                        // The watchdog ends early only when the lease is lost: stop the body.
                        group.cancelAll()
                    }
                }
                return result
            }
        }
    }

    /// Renews `lease` on the watchdog's schedule until cancelled or until the lease is lost.
    func watch(_ lease: Lease) async {
        var watchdog = LeaseWatchdog(leaseTime: leaseTime, grantedBy: lease.validUntil + LeaseWatchdog.drift(for: leaseTime) - leaseTime)
        var action = watchdog.firstAction
        while true {
            switch action {
            case .lost(let reason):
                lease.markLost(reason)
                return
            case .renew(let instant):
                do {
                    try await Task.sleep(until: instant, clock: .continuous)
                } catch {
                    return
                }
                let sent = ContinuousClock.now
                do {
                    let remaining = watchdog.validUntil - sent
                    if try await renewOnce(lease, timeout: max(remaining, .milliseconds(1))) {
                        action = watchdog.renewalSucceeded(sentAt: sent)
                        lease.confirm(validUntil: watchdog.validUntil)
                    } else {
                        action = watchdog.renewalRefused()
                    }
                } catch {
                    if Task.isCancelled { return }
                    action = watchdog.renewalFailed(String(describing: error), now: .now)
                }
            }
        }
    }
}
