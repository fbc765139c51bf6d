import RoostClient
import RoostRESP

/// A counting semaphore shared by every process that names it: at most `permits` holders at a
/// time, each holding a permit as a lease that expires on the server's clock if its holder
/// dies.
///
///     let uploads = DistributedSemaphore("uploads", permits: 4, on: client)
///     try await uploads.withPermit { permit in … }          // renewed while the body runs
///     let permit = try await uploads.acquire(timeout: .seconds(5))   // expires after leaseTime
///
/// - `withPermit` renews its permit from a child task and cancels the body if the permit is
///   lost, as `DistributedLock.withLock` does.
/// - `acquire` returns a *permit-expirable* lease: it ends after `leaseTime` unless renewed or
///   released, so a crashed holder never leaks a permit.
/// - Every permit carries a fencing token, strictly increasing per semaphore.
/// - Waiters wait for release notices, and re-check when the earliest permit would expire.
/// - Every process must use the same `permits` for one name (the count travels with each call).
///
/// Keys (hash tag `{name}`): `roost:semaphore:{name}` (sorted set: owner → expiry in server
/// milliseconds), `roost:semaphore:{name}:tokens` (hash: owner → token, `#next` counter),
/// `roost:semaphore:{name}:waiters`, and the shard channel `roost:semaphore:{name}:released`.
public struct DistributedSemaphore: LeasedResource {
    /// The semaphore's name.
    public let name: String
    /// How many permits exist.
    public let permits: Int
    /// How long a permit lasts without renewal.
    public let leaseTime: Duration
    let client: any CoordinationClient
    let keys: [RedisKey]
    let noticeChannel: String
    var reentrancyKey: String? { nil }
    var wakeUp: WakeUp { .everyWaiter(shardChannel: noticeChannel) }

    /// A semaphore named `name` with `permits` permits on `client`'s server or cluster.
    public init(_ name: String, permits: Int, on client: any CoordinationClient, leaseTime: Duration = .seconds(30)) {
        self.name = name
        self.permits = max(permits, 0)
        self.leaseTime = max(leaseTime, .milliseconds(10))
        self.client = client
        let base = "roost:semaphore:{\(name)}"
        self.keys = [RedisKey(base), RedisKey(base + ":tokens"), RedisKey(base + ":waiters")]
        self.noticeChannel = base + ":released"
    }

    func grant(owner: String, waiting: Bool) async throws -> Grant {
        var tries = 0
        while true {
            tries += 1
            let sent = ContinuousClock.now
            let reply = try await client.run(Self.acquireScript, keys: keys, arguments: [
                RedisArgument(owner), RedisArgument(Int(leaseTime.wholeMilliseconds)), RedisArgument(permits),
                RedisArgument(waiting ? owner : ""), RedisArgument(Int(leaseTime.wholeMilliseconds * 2)),
            ])
            guard case .array(let items?) = reply, items.count == 3,
                  case .integer(let granted) = items[0], case .integer(let token) = items[1], case .integer(let ms) = items[2]
            else { throw CoordinationError.unexpectedReply("semaphore acquire: \(reply)") }
            if granted == 1 {
                if ContinuousClock.now - sent > leaseTime / 2 && tries < 3 { continue }
                return .granted(lease(token: token, owner: owner, sent: sent, resource: name))
            }
            return .refused(retryAfter: .milliseconds(max(ms, 1)))
        }
    }

    /// A permit if one is free now, else nil.
    public func tryAcquire() async throws -> Lease? {
        if case .granted(let lease) = try await grant(owner: OwnerID.make(), waiting: false) { return lease }
        return nil
    }

    /// A permit, waiting (without polling) up to `timeout` (nil: for ever). It expires after
    /// `leaseTime` unless renewed or released.
    /// - Throws: `CoordinationError.timedOut`, `CancellationError`, client errors.
    public func acquire(timeout: Duration? = nil) async throws -> Lease {
        try await acquireWaiting(timeout: timeout)
    }

    /// Extends `permit` by `leaseTime` from now.
    /// - Throws: `CoordinationError.leaseLost(.expired)` if it already expired.
    public func renew(_ permit: Lease) async throws {
        try await renewOrThrow(permit)
    }

    func renewOnce(_ lease: Lease, timeout: Duration?) async throws -> Bool {
        let reply = try await client.run(Self.renewScript, keys: [keys[0]],
                                         arguments: [RedisArgument(lease.owner), RedisArgument(Int(leaseTime.wholeMilliseconds))],
                                         timeout: timeout)
        guard case .integer(let renewed) = reply else { throw CoordinationError.unexpectedReply("semaphore renew: \(reply)") }
        return renewed == 1
    }

    /// Returns `permit` and wakes a waiter. Harmless when already released or expired.
    /// - Returns: whether this call returned the permit.
    @discardableResult
    public func release(_ permit: Lease) async throws -> Bool {
        let reply = try await client.run(Self.releaseScript, keys: [keys[0], keys[1]],
                                         arguments: [RedisArgument(permit.owner), RedisArgument(noticeChannel)])
        guard case .integer(let released) = reply else { throw CoordinationError.unexpectedReply("semaphore release: \(reply)") }
        permit.markReleased()
        return released == 1
    }

    /// Takes a permit (waiting up to `timeout`), runs `body` while a child task renews it, and
    /// returns it afterwards. A lost permit cancels `body` and throws `leaseLost`.
    public func withPermit<Result: Sendable>(
        timeout: Duration? = nil, _ body: @Sendable (Lease) async throws -> Result
    ) async throws -> Result {
        try await withLease(timeout: timeout, body)
    }

    /// How many permits are free now (expired permits count as free).
    public func availablePermits() async throws -> Int {
        let reply = try await client.run(Self.countScript, keys: [keys[0]], arguments: [])
        guard case .integer(let held) = reply else { throw CoordinationError.unexpectedReply("semaphore count: \(reply)") }
        return max(permits - Int(held), 0)
    }

    /// `ARGV`: owner, lease ms, permits, waiter id (may be empty), waiter ttl ms. Expired permits
    /// are dropped first. `{1, token, lease ms}` or `{0, 0, ms until the earliest permit ends}`.
    static let acquireScript = RedisScript("""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
        for _, owner in ipairs(expired) do redis.call('HDEL', KEYS[2], owner) end
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        local mine = redis.call('ZSCORE', KEYS[1], ARGV[1])
        if mine or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
          local token = tonumber(redis.call('HGET', KEYS[2], ARGV[1]))
          if not token then
            token = redis.call('HINCRBY', KEYS[2], '#next', 1)
            redis.call('HSET', KEYS[2], ARGV[1], token)
          end
          redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
          if ARGV[4] ~= '' then redis.call('ZREM', KEYS[3], ARGV[4]) end
          return {1, token, tonumber(ARGV[2])}
        end
        if ARGV[4] ~= '' then
          redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
          redis.call('ZADD', KEYS[3], now + tonumber(ARGV[5]), ARGV[4])
          redis.call('PEXPIRE', KEYS[3], ARGV[5])
        end
        local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
        local wait = 1
        if first[2] then wait = math.max(tonumber(first[2]) - now, 1) end
        return {0, 0, wait}
        """)

    /// Extends owner `ARGV[1]`'s unexpired permit to `ARGV[2]` ms from now: 1, else 0.
    static let renewScript = RedisScript("""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local expiry = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]))
        if expiry and expiry > now then
          redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
          return 1
        end
        return 0
        """)

    /// Returns owner `ARGV[1]`'s permit and publishes on `ARGV[2]`: 1, else 0.
    static let releaseScript = RedisScript("""
        redis.call('HDEL', KEYS[2], ARGV[1])
        if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
          redis.call('SPUBLISH', ARGV[2], '1')
          return 1
        end
        return 0
        """)

    /// How many unexpired permits are held.
    static let countScript = RedisScript("""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
        """)
}
