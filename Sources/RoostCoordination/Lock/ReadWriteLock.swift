import RoostClient
import RoostRESP

/// A read-write lock shared by every process that names it: many readers or one writer, with
/// leases on the server's clock and fencing tokens from one counter for both sides.
///
///     let config = ReadWriteLock("config", on: client)
///     try await config.read.withLock { lease in … }    // shared
///     try await config.write.withLock { lease in … }   // exclusive
///
/// Writers are preferred: once a writer waits, new readers wait behind it, so a stream of
/// readers cannot starve writers. Each side is a `ReadWriteLock.Side` with the same API as
/// `DistributedLock` (try, acquire, renew, release, `withLock`).
///
/// Keys (hash tag `{name}`): `roost:rwlock:{name}:writer` (hash: owner, token; TTL = lease),
/// `roost:rwlock:{name}:readers` (sorted set: owner → expiry, server ms),
/// `roost:rwlock:{name}:writers-waiting` (sorted set: waiting writer → expiry of its interest),
/// `roost:rwlock:{name}:fence`, `roost:rwlock:{name}:reader-tokens` (hash: reader → token), and the shard channel `roost:rwlock:{name}:released`.
public struct ReadWriteLock: Sendable {
    /// The lock's name.
    public let name: String
    /// The shared side.
    public let read: Side
    /// The exclusive side.
    public let write: Side

    /// A read-write lock named `name` on `client`'s server or cluster.
    public init(_ name: String, on client: any CoordinationClient, leaseTime: Duration = .seconds(30)) {
        self.name = name
        let base = "roost:rwlock:{\(name)}"
        let keys = [RedisKey(base + ":writer"), RedisKey(base + ":readers"), RedisKey(base + ":writers-waiting"),
                    RedisKey(base + ":fence"), RedisKey(base + ":reader-tokens")]
        let leaseTime = max(leaseTime, .milliseconds(10))
        read = Side(name: name, exclusive: false, client: client, leaseTime: leaseTime, keys: keys, noticeChannel: base + ":released")
        write = Side(name: name, exclusive: true, client: client, leaseTime: leaseTime, keys: keys, noticeChannel: base + ":released")
    }

    /// One side of a read-write lock.
    public struct Side: LeasedResource {
        /// The lock's name.
        public let name: String
        /// Whether this is the writer's side.
        public let exclusive: Bool
        let client: any CoordinationClient
        /// How long a grant or renewal lasts on the server.
        public let leaseTime: Duration
        let keys: [RedisKey]
        let noticeChannel: String
        /// A writer's release may let every waiting reader in: wake them all.
        var wakeUp: WakeUp { .everyWaiter(shardChannel: noticeChannel) }
        var reentrancyKey: String? { "roost:rwlock:{\(name)}" + (exclusive ? ":w" : ":r") }

        func grant(owner: String, waiting: Bool) async throws -> Grant {
            var tries = 0
            while true {
                tries += 1
                let sent = ContinuousClock.now
                let reply = try await client.run(ReadWriteLock.acquireScript, keys: keys, arguments: [
                    RedisArgument(owner), RedisArgument(Int(leaseTime.wholeMilliseconds)), exclusive ? "w" : "r",
                    waiting ? "1" : "0", RedisArgument(Int(leaseTime.wholeMilliseconds * 2)),
                ])
                guard case .array(let items?) = reply, items.count == 3, case .integer(let granted) = items[0],
                      case .integer(let token) = items[1], case .integer(let ms) = items[2]
                else { throw CoordinationError.unexpectedReply("rwlock acquire: \(reply)") }
                if granted == 1 {
                    if ContinuousClock.now - sent > leaseTime / 2 && tries < 3 { continue }
                    return .granted(lease(token: token, owner: owner, sent: sent, resource: name))
                }
                return .refused(retryAfter: .milliseconds(max(ms, 1)))
            }
        }

        /// This side's lease if it can be had now, else nil.
        public func tryAcquire() async throws -> Lease? {
            if case .granted(let lease) = try await grant(owner: makeOwner(), waiting: false) { return lease }
            return nil
        }

        /// This side's lease, waiting (without polling) up to `timeout` (nil: for ever).
        public func acquire(timeout: Duration? = nil) async throws -> Lease {
            try await acquireWaiting(timeout: timeout)
        }

        /// Extends `lease` by `leaseTime`; throws `leaseLost(.expired)` if it already ended.
        public func renew(_ lease: Lease) async throws {
            try await renewOrThrow(lease)
        }

        func renewOnce(_ lease: Lease, timeout: Duration?) async throws -> Bool {
            let reply = try await client.run(ReadWriteLock.renewScript, keys: Array(keys[0...1]), arguments: [
                RedisArgument(lease.owner), RedisArgument(Int(leaseTime.wholeMilliseconds)), exclusive ? "w" : "r",
            ], timeout: timeout)
            guard case .integer(let renewed) = reply else { throw CoordinationError.unexpectedReply("rwlock renew: \(reply)") }
            return renewed == 1
        }

        /// Releases `lease` and wakes waiters; harmless if it already ended.
        @discardableResult
        public func release(_ lease: Lease) async throws -> Bool {
            let reply = try await client.run(ReadWriteLock.releaseScript, keys: [keys[0], keys[1], keys[4]], arguments: [
                RedisArgument(lease.owner), exclusive ? "w" : "r", RedisArgument(noticeChannel),
            ])
            guard case .integer(let released) = reply else { throw CoordinationError.unexpectedReply("rwlock release: \(reply)") }
            lease.markReleased()
            return released == 1
        }

        /// Runs `body` holding this side (renewed while it runs; a lost lease cancels `body`
        /// and throws `leaseLost`), then releases it.
        public func withLock<Result: Sendable>(
            timeout: Duration? = nil, _ body: @Sendable (Lease) async throws -> Result
        ) async throws -> Result {
            try await withLease(timeout: timeout, body)
        }
    }

    /// `KEYS`: writer hash, readers, writers waiting, fence, reader tokens. `ARGV`: owner, lease ms, `r`/`w`,
    /// waiting (`1`), waiter ttl ms. Returns `{1, token, lease ms}` or `{0, 0, re-check ms}`.
    static let acquireScript = RedisScript("""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        for _, gone in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do redis.call('HDEL', KEYS[5], gone) end
        redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
        redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
        local writer = redis.call('HGET', KEYS[1], 'owner')
        local lease = tonumber(ARGV[2])
        if ARGV[3] == 'w' then
          if writer == ARGV[1] then
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
            return {1, tonumber(redis.call('HGET', KEYS[1], 'token')), lease}
          end
          if writer == false and redis.call('ZCARD', KEYS[2]) == 0 then
            local token = redis.call('INCR', KEYS[4])
            redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', token)
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
            redis.call('ZREM', KEYS[3], ARGV[1])
            return {1, token, lease}
          end
          if ARGV[4] == '1' then
            redis.call('ZADD', KEYS[3], now + tonumber(ARGV[5]), ARGV[1])
            redis.call('PEXPIRE', KEYS[3], ARGV[5])
          end
          local wait = redis.call('PTTL', KEYS[1])
          if wait < 0 then
            local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
            wait = first[2] and (tonumber(first[2]) - now) or 1
          end
          return {0, 0, math.max(wait, 1)}
        end
        local mine = redis.call('ZSCORE', KEYS[2], ARGV[1])
        if mine or (writer == false and redis.call('ZCARD', KEYS[3]) == 0) then
          local token = tonumber(redis.call('HGET', KEYS[5], ARGV[1]))
          if not token then
            token = redis.call('INCR', KEYS[4])
            redis.call('HSET', KEYS[5], ARGV[1], token)
          end
          redis.call('ZADD', KEYS[2], now + lease, ARGV[1])
          return {1, token, lease}
        end
        local wait = redis.call('PTTL', KEYS[1])
        if wait < 0 then
          local first = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
          wait = first[2] and (tonumber(first[2]) - now) or 1
        end
        return {0, 0, math.max(wait, 1)}
        """)

    /// `KEYS`: writer hash, readers. `ARGV`: owner, lease ms, `r`/`w`. 1 if renewed, else 0.
    static let renewScript = RedisScript("""
        if ARGV[3] == 'w' then
          if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
            return 1
          end
          return 0
        end
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local expiry = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[1]))
        if expiry and expiry > now then
          redis.call('ZADD', KEYS[2], 'XX', now + tonumber(ARGV[2]), ARGV[1])
          return 1
        end
        return 0
        """)

    /// `KEYS`: writer hash, readers, reader tokens. `ARGV`: owner, `r`/`w`, channel. 1 if
    /// released, else 0.
    static let releaseScript = RedisScript("""
        local released = 0
        if ARGV[2] == 'w' then
          if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then
            redis.call('DEL', KEYS[1])
            released = 1
          end
        else
          released = redis.call('ZREM', KEYS[2], ARGV[1])
          redis.call('HDEL', KEYS[3], ARGV[1])
        end
        if released == 1 then redis.call('SPUBLISH', ARGV[3], ARGV[2]) end
        return released
        """)
}
