/// One lease as the server records it: a lock's holder, a reader, a semaphore permit, a leader.
public struct LeaseHolder: Sendable, Codable, Hashable {
    /// The owner id as stored: 32 random hex digits per acquisition, or `identity#id` for a
    /// leader. Reentrancy is counted in the holding task, not on the server, so it is not here.
    public var owner: String
    /// The lease's fencing token.
    public var token: Int64
    /// How long the lease has left on the server's clock, in milliseconds (-1: the key has no
    /// expiry, which only a foreign write can cause).
    public var leaseLeftMilliseconds: Int64

    public init(owner: String, token: Int64, leaseLeftMilliseconds: Int64) {
        self.owner = owner
        self.token = token
        self.leaseLeftMilliseconds = leaseLeftMilliseconds
    }
}

/// A task waiting for a lock, a permit or leadership, as the server records it.
public struct CoordinationWaiter: Sendable, Codable, Hashable {
    /// The waiter's id (the owner id it will hold the lease under).
    public var id: String
    /// How long its registered interest lasts unless it re-checks, in milliseconds; a waiter
    /// that died drops out when this runs out.
    public var interestLeftMilliseconds: Int64
    /// How long it has waited, in milliseconds: recorded for fair locks' queues only (nil
    /// elsewhere: the server does not store when other waiters arrived).
    public var waitedMilliseconds: Int64?

    public init(id: String, interestLeftMilliseconds: Int64, waitedMilliseconds: Int64?) {
        self.id = id
        self.interestLeftMilliseconds = interestLeftMilliseconds
        self.waitedMilliseconds = waitedMilliseconds
    }
}

/// A `DistributedLock`'s state.
public struct LockSnapshot: Sendable, Codable, Hashable {
    /// The lock's name.
    public var name: String
    /// The current holder, nil when the lock is free.
    public var holder: LeaseHolder?
    /// The last fencing token granted (the holder's, or the next holder's minus one).
    public var lastToken: Int64
    /// Whether waiters queue in arrival order: a fair lock with waiters (a fair lock no one
    /// waits for leaves no trace of its fairness on the server).
    public var fair: Bool
    /// The live waiters: longest waiting first for a fair lock, else by when their interest ends.
    public var waiters: [CoordinationWaiter]

    /// Free and unwaited for.
    public var isIdle: Bool { holder == nil && waiters.isEmpty }
}

/// A `ReadWriteLock`'s state.
public struct ReadWriteLockSnapshot: Sendable, Codable, Hashable {
    /// The lock's name.
    public var name: String
    /// The writer, nil when none writes.
    public var writer: LeaseHolder?
    /// The readers, by owner.
    public var readers: [LeaseHolder]
    /// Writers waiting (new readers wait behind them).
    public var writersWaiting: [CoordinationWaiter]
    /// The last fencing token granted to either side.
    public var lastToken: Int64

    /// No writer, no reader, no writer waiting.
    public var isIdle: Bool { writer == nil && readers.isEmpty && writersWaiting.isEmpty }
}

/// A `DistributedSemaphore`'s state. The number of permits is not stored on the server (each
/// caller passes it), so only the permits in use are known.
public struct SemaphoreSnapshot: Sendable, Codable, Hashable {
    /// The semaphore's name.
    public var name: String
    /// The unexpired permits, by owner.
    public var holders: [LeaseHolder]
    /// The live waiters.
    public var waiters: [CoordinationWaiter]
    /// The last fencing token granted.
    public var lastToken: Int64

    /// Permits in use.
    public var permitsUsed: Int { holders.count }
    /// No permit held, no waiter.
    public var isIdle: Bool { holders.isEmpty && waiters.isEmpty }
}

/// A `LeaderElection`'s state.
public struct ElectionSnapshot: Sendable, Codable, Hashable {
    /// The election's name.
    public var name: String
    /// The leader's lease (its token is the term), nil when there is no leader.
    public var leader: LeaseHolder?
    /// The last term granted (the leader's, when there is one).
    public var lastTerm: Int64
    /// Candidates waiting to lead.
    public var candidates: [CoordinationWaiter]

    /// The identity the leader campaigned with (its owner id up to the last `#`).
    public var leaderIdentity: String? {
        leader.map { holder in holder.owner.lastIndex(of: "#").map { String(holder.owner[..<$0]) } ?? holder.owner }
    }

    /// No leader, no candidate waiting.
    public var isIdle: Bool { leader == nil && candidates.isEmpty }
}

/// An armed `CountDownLatch` (an open latch has no key).
public struct LatchSnapshot: Sendable, Codable, Hashable {
    /// The latch's name.
    public var name: String
    /// Count-downs still needed to open it.
    public var remaining: Int64
}

/// A `DistributedBarrier`'s round. The number of parties is not stored on the server.
public struct BarrierSnapshot: Sendable, Codable, Hashable {
    /// The barrier's name.
    public var name: String
    /// Rounds tripped so far.
    public var generation: Int64
    /// Callers waiting in the current round.
    public var arrived: Int64
}

/// The names of the coordination objects whose keys exist on a server.
public struct CoordinationNames: Sendable, Codable, Hashable {
    public var locks: [String] = []
    public var readWriteLocks: [String] = []
    public var semaphores: [String] = []
    public var elections: [String] = []
    public var latches: [String] = []
    public var barriers: [String] = []

    public init() {}
}

/// The state of a server's coordination objects, each read atomically (the objects one after
/// another, not all at one instant).
public struct CoordinationSnapshot: Sendable, Codable, Hashable {
    public var locks: [LockSnapshot] = []
    public var readWriteLocks: [ReadWriteLockSnapshot] = []
    public var semaphores: [SemaphoreSnapshot] = []
    public var elections: [ElectionSnapshot] = []
    public var latches: [LatchSnapshot] = []
    public var barriers: [BarrierSnapshot] = []

    public init() {}
}
