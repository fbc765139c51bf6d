import RoostClient
import RoostRESP

/// A mutual-exclusion lock shared by every process that names it, with leases on the server's
/// clock and a fencing token per acquisition.
///
///     let lock = DistributedLock("invoices", on: client)
///     try await lock.withLock { lease in
///         try await store.set("total", value, token: lease.token)
///     }
///
/// - The lease expires on the server (PEXPIRE inside the granting script) unless renewed, so a
///   holder that dies frees the lock after at most `leaseTime`.
/// - `withLock` renews the lease from a child task while the body runs; if renewal is refused
///   or keeps failing until the lease runs out, the body's task is cancelled and `withLock`
///   throws `CoordinationError.leaseLost`.
/// - Every grant returns a fencing token, strictly increasing per lock, even across the lock
///   key's expiry (the counter has no TTL). Under `allkeys-*` eviction policies the counter can
///   be evicted; use `noeviction` or a `volatile-*` policy for servers that hold locks.
/// - Waiters do not poll. A release wakes one waiter: it pushes a token onto the lock's signal
///   list, on which waiters block (`BLPOP`), and the server hands it to the waiter blocked
///   longest. A fair lock, whose free lock may go only to the head of its queue, wakes every
///   waiter with a notice on a shard channel instead. Either way waiters also re-check when the
///   holder's lease would run out (in case the holder died without releasing).
/// - Nested `withLock` calls on the same lock in one task reuse the outer lease (reentrancy).
///
/// Keys (all under the hash tag `{name}`, so they share a cluster slot):
/// `roost:lock:{name}` (hash: owner, token; TTL = lease), `roost:lock:{name}:fence` (counter),
/// `roost:lock:{name}:waiters` (sorted set), `roost:lock:{name}:signal` (list: the wake-up
/// token), and for fair locks `roost:lock:{name}:queue` (sorted set) and the shard channel
/// `roost:lock:{name}:released`.
public struct DistributedLock: LeasedResource {
    /// The lock's name.
    public let name: String
    /// How long a grant or renewal lasts on the server.
    public let leaseTime: Duration
    let client: any CoordinationClient
    let keys: [RedisKey]
    let noticeChannel: String
    /// Set for leader election: grants are announced on `noticeChannel`, and owner ids start
    /// with the candidate's identity.
    let identity: String?
    /// Whether waiters are served in arrival order.
    public let fair: Bool

    /// A lock named `name` on `client`'s server or cluster.
    /// - Parameter leaseTime: how long a grant lasts without renewal (at least 10 ms).
    /// - Parameter fair: hand the lock to waiters in the order they started waiting (FIFO),
    ///   instead of to whichever waiter asks first after a release. A waiter that dies leaves
    ///   the queue when its interest expires (twice the lease time).
    public init(_ name: String, on client: any CoordinationClient, leaseTime: Duration = .seconds(30), fair: Bool = false) {
        self.init(name, on: client, leaseTime: leaseTime, prefix: "roost:lock", identity: nil, fair: fair)
    }

    /// A lock under `prefix` (`roost:lock`, `roost:leader`); `identity` makes it announce
    /// grants and prefix owner ids with it.
    init(_ name: String, on client: any CoordinationClient, leaseTime: Duration, prefix: String, identity: String?,
         fair: Bool = false) {
        self.name = name
        self.leaseTime = max(leaseTime, .milliseconds(10))
        self.client = client
        let base = "\(prefix):{\(name)}"
        self.keys = [RedisKey(base), RedisKey(base + ":fence"), RedisKey(base + ":waiters"), RedisKey(base + ":queue"),
                     RedisKey(base + ":signal")]
        self.noticeChannel = base + (identity == nil ? ":released" : ":changes")
        self.identity = identity
        self.fair = fair
    }

    var reentrancyKey: String? { String(buffer: keys[0].bytes) }

    /// A fair lock wakes every waiter (only the queue's head may take it); otherwise a release
    /// wakes one.
    var wakeUp: WakeUp { fair ? .everyWaiter(shardChannel: noticeChannel) : .oneWaiter(list: keys[4]) }

    /// Where the release script publishes: fair locks' waiters and election observers listen.
    var releaseChannel: String { fair || identity != nil ? noticeChannel : "" }

    /// How long a wake-up token waits for a waiter: as long as a waiter's registered interest.
    var signalMilliseconds: Int { Int(leaseTime.wholeMilliseconds * 2) }

    func makeOwner() -> String { identity.map { "\($0)#\(OwnerID.make())" } ?? OwnerID.make() }

    // MARK: - Acquire

    /// One attempt for `owner`.
    ///
    /// The lease counts from when the request was sent (the server may have granted it at once
    /// and the reply been slow), so a grant whose round trip took more than half the lease, as
    /// a first command that also opens a connection can, is confirmed by asking again with the
    /// same owner id, which refreshes the lease and returns the same token.
    func grant(owner: String, waiting: Bool) async throws -> Grant {
        var tries = 0
        while true {
            tries += 1
            let sent = ContinuousClock.now
            let reply = try await client.run(Self.acquireScript, keys: Array(keys[0...3]), arguments: [
                RedisArgument(owner), RedisArgument(Int(leaseTime.wholeMilliseconds)), RedisArgument(waiting ? owner : ""),
                RedisArgument(Int(leaseTime.wholeMilliseconds * 2)), RedisArgument(identity == nil ? "" : noticeChannel),
                RedisArgument(fair ? "1" : "0"),
            ])
            guard case .array(let items?) = reply, items.count == 3,
                  case .integer(let granted) = items[0], case .integer(let token) = items[1], case .integer(let ms) = items[2]
            else { throw CoordinationError.unexpectedReply("lock acquire: \(reply)") }
            if granted == 1 {
                if ContinuousClock.now - sent > leaseTime / 2 && tries < 3 { continue }
                return .granted(lease(token: token, owner: owner, sent: sent, resource: name))
            }
            // PTTL -1 (no expiry: a key someone else wrote) or -2 (just expired): re-check soon.
            return .refused(retryAfter: ms > 0 ? .milliseconds(ms) : .milliseconds(1))
        }
    }

    /// Acquires the lock without waiting: the lease, or nil if another owner holds it.
    public func tryAcquire() async throws -> Lease? {
        if case .granted(let lease) = try await grant(owner: makeOwner(), waiting: false) { return lease }
        return nil
    }

    /// Acquires the lock, waiting (without polling) for as long as `timeout` allows; nil waits
    /// for ever. The lease is not renewed automatically: call `renew` before it runs out, or
    /// use `withLock`, which does.
    /// - Throws: `CoordinationError.timedOut`, `CancellationError`, or client errors.
    public func acquire(timeout: Duration? = nil) async throws -> Lease {
        try await acquireWaiting(timeout: timeout)
    }

    // MARK: - Renew and release

    /// Extends `lease` by `leaseTime` from now (on the server).
    /// - Throws: `CoordinationError.leaseLost(.expired)` if the server no longer has this
    ///   owner's lease (the lease is then marked lost); client errors otherwise.
    public func renew(_ lease: Lease) async throws {
        try await renewOrThrow(lease)
    }

    func renewOnce(_ lease: Lease, timeout: Duration?) async throws -> Bool {
        let reply = try await client.run(Self.renewScript, keys: [keys[0]],
                                         arguments: [RedisArgument(lease.owner), RedisArgument(Int(leaseTime.wholeMilliseconds))],
                                         timeout: timeout)
        guard case .integer(let renewed) = reply else { throw CoordinationError.unexpectedReply("lock renew: \(reply)") }
        return renewed == 1
    }

    /// Releases `lease` and wakes the waiters. Releasing twice, or after the lease expired, is
    /// harmless: it returns false and changes nothing (another owner's lease is never touched).
    /// - Returns: whether this call released the lock.
    @discardableResult
    public func release(_ lease: Lease) async throws -> Bool {
        let reply = try await client.run(Self.releaseScript, keys: [keys[0], keys[2], keys[4]], arguments: [
            RedisArgument(lease.owner), RedisArgument(releaseChannel), RedisArgument(fair ? "" : String(signalMilliseconds)),
        ])
        guard case .integer(let released) = reply else { throw CoordinationError.unexpectedReply("lock release: \(reply)") }
        lease.markReleased()
        return released == 1
    }

    func passOnWakeUp() async throws {
        _ = try await client.run(Self.passOnScript, keys: [keys[0], keys[2], keys[4]],
                                 arguments: [RedisArgument(signalMilliseconds)])
    }

    // MARK: - Scoped

    /// Acquires the lock (waiting up to `timeout`; nil for ever), runs `body` while a child
    /// task renews the lease, then releases it, also when `body` throws.
    ///
    /// If the lease is lost while `body` runs (renewal refused, or failing until the lease ran
    /// out), `body`'s task is cancelled and this throws `CoordinationError.leaseLost`: the
    /// caller learns that its critical section may have overlapped another holder's. A nested
    /// call for the same lock in the same task runs `body` under the outer lease.
    /// - Throws: `CoordinationError.timedOut`, `.leaseLost`, what `body` throws, client errors.
    public func withLock<Result: Sendable>(
        timeout: Duration? = nil, _ body: @Sendable (Lease) async throws -> Result
    ) async throws -> Result {
        try await withLease(timeout: timeout, body)
    }

    // MARK: - Introspection

    /// A snapshot of a lock's state on the server.
    public struct State: Sendable, Hashable {
        /// The holder's owner id, or nil when the lock is free.
        public var owner: String?
        /// The current holder's fencing token, or the last one granted when free (0 if never).
        public var token: Int64
        /// The holder's remaining lease, or nil when the lock is free.
        public var remainingLease: Duration?
        /// How many tasks are waiting for the lock.
        public var waiters: Int
    }

    /// Reads the lock's owner, token, remaining lease and number of waiters in one step.
    public func state() async throws -> State {
        let reply = try await client.run(Self.inspectScript, keys: Array(keys[0...2]), arguments: [])
        guard case .array(let items?) = reply, items.count == 4,
              case .integer(let token) = items[1], case .integer(let pttl) = items[2], case .integer(let waiters) = items[3]
        else { throw CoordinationError.unexpectedReply("lock state: \(reply)") }
        var owner: String?
        if case .bulkString(let bytes?) = items[0] { owner = String(decoding: bytes, as: UTF8.self) }
        return State(owner: owner, token: token, remainingLease: owner != nil && pttl >= 0 ? .milliseconds(pttl) : nil,
                     waiters: Int(waiters))
    }
}
