import RoostClient

/// The cache's atomic steps. Every script gets one entry's keys: `KEYS[1]` its value, `KEYS[2]`
/// its computing lease, `KEYS[3]` its fencing counter (see `ResultCache`). Time is the
/// server's. A value is stored as `<fresh until, ms> <token>\n<output>`.
enum CacheScripts {
    /// Looks an entry up for caller ARGV[1] (lease ARGV[2] ms). Returns {outcome, value, token,
    /// lease ms left}: 0 fresh; 1 stale, and the caller now holds the lease to refresh it;
    /// 2 stale, another caller is refreshing it; 3 missing, and the caller holds the lease to
    /// compute it; 4 missing, another caller is computing it.
    static let lookup = RedisScript("""
        local function acquire()
          local token = redis.call('INCR', KEYS[3])
          if redis.call('PTTL', KEYS[3]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[3], ARGV[2]) end
          redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
          return token
        end
        local holder = redis.call('GET', KEYS[2])
        local value = redis.call('GET', KEYS[1])
        if value then
          local t = redis.call('TIME')
          local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
          local fresh = tonumber(string.match(value, '^(%d+) '))
          if fresh > now then return {0, value, 0, 0} end
          if not holder then return {1, value, acquire(), 0} end
          return {2, value, 0, 0}
        end
        if not holder then return {3, false, acquire(), 0} end
        return {4, false, 0, redis.call('PTTL', KEYS[2])}
        """)

    /// Stores caller ARGV[1]'s output ARGV[3] under token ARGV[2], fresh for ARGV[4] ms and kept
    /// ARGV[5] ms, if the caller still holds the lease, or nobody does and no later token has
    /// stored; releases the caller's lease and announces on channel ARGV[6]. Returns 1 if stored.
    static let store = RedisScript("""
        local holder = redis.call('GET', KEYS[2])
        local stored = holder == ARGV[1]
        if not holder then
          local value = redis.call('GET', KEYS[1])
          stored = (not value) or tonumber(string.match(value, '^%d+ (%d+)')) < tonumber(ARGV[2])
        end
        if stored then
          local t = redis.call('TIME')
          local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
          redis.call('SET', KEYS[1], string.format('%d', now + tonumber(ARGV[4])) .. ' ' .. ARGV[2] .. '\\n' .. ARGV[3], 'PX', ARGV[5])
          if redis.call('PTTL', KEYS[3]) < tonumber(ARGV[5]) then redis.call('PEXPIRE', KEYS[3], ARGV[5]) end
        end
        if holder == ARGV[1] then redis.call('DEL', KEYS[2]) end
        redis.call('SPUBLISH', ARGV[6], 'stored')
        if stored then return 1 end
        return 0
        """)

    /// Renews caller ARGV[1]'s lease to ARGV[2] ms; 1 if it still held it, else 0.
    static let renew = RedisScript("""
        if redis.call('GET', KEYS[2]) == ARGV[1] then
          redis.call('PEXPIRE', KEYS[2], ARGV[2])
          return 1
        end
        return 0
        """)

    /// Releases caller ARGV[1]'s lease (its computation failed) and announces it on channel
    /// ARGV[2], so that a waiting caller takes over.
    static let release = RedisScript("""
        if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
        redis.call('SPUBLISH', ARGV[2], 'released')
        return 1
        """)

    /// The entry's state: {value, server time ms, whether a lease is held}.
    static let inspect = RedisScript("""
        local t = redis.call('TIME')
        return {redis.call('GET', KEYS[1]), string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)),
                redis.call('EXISTS', KEYS[2])}
        """)
}
