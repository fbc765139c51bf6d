/// The renewal schedule of one lease, as a pure value: when to renew next, and when the lease
/// must count as lost on the holder's side.
///
/// The server decides expiry (the scripts set PEXPIRE when they grant or renew). The holder
/// only keeps a *conservative* view: a grant or renewal sent at instant `t` is believed valid
/// until `t + leaseTime - drift`, because the server started its own countdown after `t`. The
/// holder therefore declares a lease lost no later than the server lets it expire, so no other
/// owner can be granted the lease while this holder still believes it holds it (given clocks
/// that run at nearly the same rate; `drift` absorbs the difference, as Redlock does).
///
/// Renewals happen a third of the lease after the last confirmation. A renewal that fails
/// (connection error) is retried every `retryDelay` while the lease is still believed valid; a
/// renewal the server refuses (another owner, or no lease) ends it at once.
struct LeaseWatchdog: Sendable {
    typealias Instant = ContinuousClock.Instant

    /// What the shell does next.
    enum Action: Hashable, Sendable {
        /// Send a renewal at this instant.
        case renew(at: Instant)
        /// The lease is over: stop renewing and tell the holder.
        case lost(LeaseLossReason)
    }

    let leaseTime: Duration
    let retryDelay: Duration
    /// Until when the lease is believed valid.
    private(set) var validUntil: Instant
    /// Set once a `lost` action was returned.
    private(set) var lossReason: LeaseLossReason?

    /// The allowance for clock-rate differences between holder and server: 1% of the lease
    /// plus 2 ms.
    static func drift(for leaseTime: Duration) -> Duration { leaseTime / 100 + .milliseconds(2) }

    /// A watchdog for a lease granted by a request sent at `sentAt`.
    init(leaseTime: Duration, grantedBy sentAt: Instant, retryDelay: Duration = .milliseconds(100)) {
        self.leaseTime = leaseTime
        self.retryDelay = retryDelay
        self.validUntil = sentAt + leaseTime - Self.drift(for: leaseTime)
    }

    /// The first action after the grant.
    var firstAction: Action { .renew(at: renewalInstant) }

    /// A third of the lease after the last confirmation.
    private var renewalInstant: Instant { validUntil + Self.drift(for: leaseTime) - leaseTime * 2 / 3 }

    /// The server renewed the lease on a request sent at `sentAt`.
    mutating func renewalSucceeded(sentAt: Instant) -> Action {
        if let lossReason { return .lost(lossReason) }
        validUntil = max(validUntil, sentAt + leaseTime - Self.drift(for: leaseTime))
        return .renew(at: renewalInstant)
    }

    /// The server answered that this owner no longer holds the lease.
    mutating func renewalRefused() -> Action {
        let reason = lossReason ?? .expired
        lossReason = reason
        return .lost(reason)
    }

    /// The renewal did not reach the server or got no answer (`error` describes why), at `now`.
    mutating func renewalFailed(_ error: String, now: Instant) -> Action {
        if let lossReason { return .lost(lossReason) }
        let next = now + retryDelay
        if next >= validUntil {
            let reason = LeaseLossReason.renewalFailed(error)
            lossReason = reason
            return .lost(reason)
        }
        return .renew(at: next)
    }

    /// Whether the lease is believed valid at `now`.
    func isValid(at now: Instant) -> Bool { lossReason == nil && now < validUntil }
}
