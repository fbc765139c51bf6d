import RoostClient
import RoostRESP

/// The current leader of an election, as the server records it.
public struct Leader: Sendable, Hashable {
    /// The identity the leader campaigned with.
    public var identity: String
    /// The leadership's epoch: strictly increasing per election, usable as a fencing token.
    public var epoch: Int64
    /// How long the leader's lease has left on the server.
    public var remainingLease: Duration
}

/// Leader election among every process that names the election: at most one leader at a time,
/// holding leadership as a lease on the server's clock, with an epoch that increases with every
/// new leader (the lease's fencing token).
///
///     let election = LeaderElection("scheduler", identity: hostName, on: client)
///     try await election.lead { term in
///         // runs only while this process leads; cancelled if leadership is lost
///         try await scheduler.run(fencedBy: term.token)
///     }
///
///     try await election.observe { changes in
///         for try await leader in changes { print("leader:", leader?.identity ?? "none") }
///     }
///
/// - A leader renews its lease while `lead`'s body runs; if renewal is refused or keeps failing,
///   the body is cancelled when the lease runs out on the leader's conservative clock, which is
///   before the server lets another candidate win.
/// - Candidates wait for the leader's resignation notice (or its lease's end) without polling.
/// - Followers observe changes (new leader, resignation, expiry) as an `AsyncSequence`.
///
/// Keys (hash tag `{name}`): `roost:leader:{name}` (hash: owner, token; TTL = lease),
/// `roost:leader:{name}:fence` (the epoch counter), `roost:leader:{name}:waiters`, and the
/// shard channel `roost:leader:{name}:changes`.
public struct LeaderElection: Sendable {
    /// The election's name.
    public let name: String
    /// This candidate's identity, shown to followers.
    public let identity: String
    let lock: DistributedLock

    /// An election named `name`, in which this process campaigns as `identity`.
    /// - Parameter leaseTime: how long leadership lasts without renewal; a dead leader is
    ///   replaced within about this long.
    public init(_ name: String, identity: String, on client: any CoordinationClient, leaseTime: Duration = .seconds(10)) {
        self.name = name
        self.identity = identity
        self.lock = DistributedLock(name, on: client, leaseTime: leaseTime, prefix: "roost:leader", identity: identity)
    }

    /// Campaigns until elected (waiting up to `timeout`, nil: for ever), then runs `body` as
    /// leader, renewing the lease, and resigns when `body` returns or throws.
    /// - Throws: `CoordinationError.leaseLost` if leadership was lost while `body` ran (the
    ///   body was cancelled), `.timedOut`, what `body` throws, client errors.
    public func lead<Result: Sendable>(timeout: Duration? = nil, _ body: @Sendable (Lease) async throws -> Result) async throws -> Result {
        try await lock.withLease(timeout: timeout, body)
    }

    /// Becomes leader if there is none now: the term's lease (its token is the epoch), or nil.
    /// The lease is not renewed automatically (`renew`, or use `lead`).
    public func tryCampaign() async throws -> Lease? {
        try await lock.tryAcquire()
    }

    /// Campaigns until elected, waiting (without polling) up to `timeout` (nil: for ever). The
    /// lease is not renewed automatically (`renew`, or use `lead`).
    /// - Throws: `CoordinationError.timedOut`, `CancellationError`, client errors.
    public func campaign(timeout: Duration? = nil) async throws -> Lease {
        try await lock.acquire(timeout: timeout)
    }

    /// Extends the term by the lease time.
    /// - Throws: `CoordinationError.leaseLost(.expired)` if leadership already ended.
    public func renew(_ term: Lease) async throws {
        try await lock.renew(term)
    }

    /// Resigns the term and tells candidates and followers. Harmless if it already ended.
    /// - Returns: whether this call ended the term.
    @discardableResult
    public func resign(_ term: Lease) async throws -> Bool {
        try await lock.release(term)
    }

    /// The current leader, or nil when there is none.
    public func leader() async throws -> Leader? {
        let state = try await lock.state()
        guard let owner = state.owner, let remaining = state.remainingLease else { return nil }
        let identity = owner.lastIndex(of: "#").map { String(owner[..<$0]) } ?? owner
        return Leader(identity: identity, epoch: state.token, remainingLease: remaining)
    }

    /// Runs `body` with the sequence of leadership changes: the current leader (or nil) first,
    /// then each change (a new leader, or nil when the leader resigns or its lease runs out).
    /// The sequence ends when `body` returns.
    public func observe<Result: Sendable>(_ body: (LeadershipChanges) async throws -> Result) async throws -> Result {
        try await lock.client.subscribe(channels: [], patterns: [], shardChannels: [lock.noticeChannel]) { notices in
            let wake = WakeSignal()
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await _ in notices { wake.notify() }
                }
                defer { group.cancelAll() }
                return try await body(LeadershipChanges(election: self, wake: wake))
            }
        }
    }
}

/// Leadership changes of one election, as an `AsyncSequence` of the leader after each change
/// (nil: no leader). Consecutive equal states are reported once; a leader that renews is not
/// a change.
public struct LeadershipChanges: AsyncSequence, Sendable {
    public typealias Element = Leader?
    let election: LeaderElection
    let wake: WakeSignal

    /// The iterator.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let election: LeaderElection
        let wake: WakeSignal
        var tracker = LeadershipTracker()

        /// The leader after the next change (the current one on the first call).
        public mutating func next() async throws -> Leader?? {
            while true {
                try Task.checkCancellation()
                let leader = try await election.leader()
                if tracker.isChange(leader) { return .some(leader) }
                // Unchanged: wait for a notice, or for the leader's lease to run out.
                await wake.wait(until: ContinuousClock.now + LeadershipTracker.recheck(after: leader))
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(election: election, wake: wake)
    }
}

/// Which observed leadership states are changes: the first state, a different epoch, a leader
/// appearing or going. A leader that renews (same epoch) is no change.
struct LeadershipTracker: Sendable {
    /// The last reported state: nil before the first; `.some(nil)` for "no leader".
    private var last: Int64??

    /// Records `leader` and tells whether it differs from the last reported state.
    mutating func isChange(_ leader: Leader?) -> Bool {
        let epoch = leader?.epoch
        if let last, last == epoch { return false }
        last = .some(epoch)
        return true
    }

    /// When an unchanged state is worth reading again without a notice: just after the
    /// leader's lease would run out (a dead leader sends none), or in a day when there is none.
    static func recheck(after leader: Leader?) -> Duration {
        leader.map { $0.remainingLease + .milliseconds(1) } ?? .seconds(86_400)
    }
}
