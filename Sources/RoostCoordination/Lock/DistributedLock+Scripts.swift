import RoostClient

/// The lock's atomic steps. Each runs as one script on the lock's slot; all its keys share the
/// lock's hash tag. Keys: `KEYS[1]` the lock hash (`owner`, `token`; its TTL is the lease),
/// `KEYS[2]` the fencing counter (no TTL, so tokens keep increasing after the lock expires),
/// `KEYS[3]` the waiters (sorted set: waiter id scored by when its interest expires, in server
/// milliseconds). Time is the server's (`TIME`), never the client's.
extension DistributedLock {
    /// Grants the lease to `ARGV[1]` for `ARGV[2]` ms if the lock is free or already this
    /// owner's (a retry after a lost reply gets the same token). A refused waiter `ARGV[3]`
    /// (may be empty) is registered for `ARGV[4]` ms. A new grant is announced on the shard
    /// channel `ARGV[5]` unless it is empty (leader election). Returns `{1, token, lease ms}` or
    /// `{0, holder's token, holder's remaining ms}`.
    static let acquireScript = RedisScript("""
        local owner = redis.call('HGET', KEYS[1], 'owner')
        if owner == false or owner == ARGV[1] then
          local token
          if owner == false then
            token = redis.call('INCR', KEYS[2])
            redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', token)
            if ARGV[5] ~= '' then redis.call('SPUBLISH', ARGV[5], token) end
          else
            token = tonumber(redis.call('HGET', KEYS[1], 'token'))
          end
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          if ARGV[3] ~= '' then redis.call('ZREM', KEYS[3], ARGV[3]) end
          return {1, token, tonumber(ARGV[2])}
        end
        if ARGV[3] ~= '' then
          local t = redis.call('TIME')
          local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
          redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
          redis.call('ZADD', KEYS[3], now + tonumber(ARGV[4]), ARGV[3])
          redis.call('PEXPIRE', KEYS[3], ARGV[4])
        end
        return {0, tonumber(redis.call('HGET', KEYS[1], 'token')) or 0, redis.call('PTTL', KEYS[1])}
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

    /// Releases `ARGV[1]`'s lease and tells waiters on the shard channel `ARGV[2]`. Returns 1,
    /// or 0 when the lock was not this owner's (already released, or expired).
    static let releaseScript = RedisScript("""
        if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then
          local token = redis.call('HGET', KEYS[1], 'token')
          redis.call('DEL', KEYS[1])
          redis.call('SPUBLISH', ARGV[2], token)
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
