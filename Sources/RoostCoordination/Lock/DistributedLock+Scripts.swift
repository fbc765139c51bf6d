import RoostClient

/// The lock's atomic steps. Each runs as one script on the lock's slot; all its keys share the
/// lock's hash tag. Keys: `KEYS[1]` the lock hash (`owner`, `token`; its TTL is the lease),
/// `KEYS[2]` the fencing counter (no TTL, so tokens keep increasing after the lock expires),
/// `KEYS[3]` the waiters (sorted set: waiter id scored by when its interest expires, in server
/// milliseconds), `KEYS[4]` the fair lock's queue (sorted set: waiter id scored by arrival),
/// `KEYS[5]` the signal list (the wake-up token of an unfair lock's release).
/// Time is the server's (`TIME`), never the client's.
extension DistributedLock {
    /// Grants the lease to `ARGV[1]` for `ARGV[2]` ms if the lock is free or already this
    /// owner's (a retry after a lost reply gets the same token). A refused waiter `ARGV[3]`
    /// (may be empty) is registered for `ARGV[4]` ms. A new grant is announced on the shard
    /// channel `ARGV[5]` unless it is empty (leader election). With `ARGV[6]` = `1` the lock is
    /// fair: a free lock goes only to the longest-waiting live waiter (`KEYS[4]`, waiters by
    /// arrival; waiters whose interest expired are dropped). Returns `{1, token, lease ms}` or
    /// `{0, holder's token, ms until a re-check is worth it}`.
    static let acquireScript = RedisScript("""
        local fair = ARGV[6] == '1'
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        if fair then
          for _, gone in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)) do redis.call('ZREM', KEYS[4], gone) end
        end
        redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
        local owner = redis.call('HGET', KEYS[1], 'owner')
        local blockedBy = false
        if fair and owner == false then
          local head = redis.call('ZRANGE', KEYS[4], 0, 0)[1]
          if head and head ~= ARGV[1] then blockedBy = head end
        end
        if (owner == false and not blockedBy) or owner == ARGV[1] then
          local token
          if owner == false then
            token = redis.call('INCR', KEYS[2])
            redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', token)
            if ARGV[5] ~= '' then redis.call('SPUBLISH', ARGV[5], token) end
          else
            token = tonumber(redis.call('HGET', KEYS[1], 'token'))
          end
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          redis.call('ZREM', KEYS[3], ARGV[1])
          if fair then redis.call('ZREM', KEYS[4], ARGV[1]) end
          return {1, token, tonumber(ARGV[2])}
        end
        if ARGV[3] ~= '' then
          redis.call('ZADD', KEYS[3], now + tonumber(ARGV[4]), ARGV[3])
          redis.call('PEXPIRE', KEYS[3], ARGV[4])
          if fair then
            redis.call('ZADD', KEYS[4], 'NX', now, ARGV[3])
            redis.call('PEXPIRE', KEYS[4], ARGV[4])
          end
        end
        local wait = redis.call('PTTL', KEYS[1])
        if blockedBy then
          -- Free, but another waiter is first: re-check when its interest would lapse.
          wait = math.max((tonumber(redis.call('ZSCORE', KEYS[3], blockedBy)) or now) - now, 1)
        end
        return {0, tonumber(redis.call('HGET', KEYS[1], 'token')) or 0, wait}
        """)

    /// Extends `ARGV[1]`'s lease to `ARGV[2]` ms from now. Returns 1, or 0 when the lock is no
    /// longer this owner's.
    static let renewScript = RedisScript("""
        if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return 1
        end
        return 0
        """)

    /// Releases `ARGV[1]`'s lease. Keys: the lock, its waiters, its signal list. Announces the
    /// release on the shard channel `ARGV[2]` unless it is empty (fair locks, elections), and
    /// unless `ARGV[3]` is empty, leaves one wake-up token (the released token) in the signal
    /// list for `ARGV[3]` ms when anyone waits. Returns 1, or 0 when the lock was not this
    /// owner's (already released, or expired).
    static let releaseScript = RedisScript("""
        if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then
          local token = redis.call('HGET', KEYS[1], 'token')
          redis.call('DEL', KEYS[1])
          if ARGV[2] ~= '' then redis.call('SPUBLISH', ARGV[2], token) end
          if ARGV[3] ~= '' and redis.call('EXISTS', KEYS[2]) == 1 then
            redis.call('DEL', KEYS[3])
            redis.call('RPUSH', KEYS[3], token)
            redis.call('PEXPIRE', KEYS[3], ARGV[3])
          end
          return 1
        end
        return 0
        """)

    /// A waiter that took the wake-up token but leaves without the lock passes it on: if the
    /// lock (`KEYS[1]`) is free and anyone waits (`KEYS[2]`), one token is left in the signal
    /// list (`KEYS[3]`) for `ARGV[1]` ms. Returns 1 if a token was left.
    static let passOnScript = RedisScript("""
        if redis.call('EXISTS', KEYS[1]) == 0 and redis.call('EXISTS', KEYS[2]) == 1 then
          redis.call('DEL', KEYS[3])
          redis.call('RPUSH', KEYS[3], 'pass')
          redis.call('PEXPIRE', KEYS[3], ARGV[1])
          return 1
        end
        return 0
        """)

    /// The lock's state: `{owner or false, token, remaining ms, waiters}`.
    static let inspectScript = RedisScript("""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local owner = redis.call('HGET', KEYS[1], 'owner')
        local token = tonumber(redis.call('HGET', KEYS[1], 'token')) or tonumber(redis.call('GET', KEYS[2])) or 0
        return {owner, token, redis.call('PTTL', KEYS[1]), redis.call('ZCOUNT', KEYS[3], '(' .. now, '+inf')}
        """)
}
