import RoostClient

/// The inspector's read-only scripts: one per object, all its keys under one hash tag. Time is
/// the server's (`TIME`). Lists come back as entries `{id, ms left, token, ms waited or -1}`
/// of a sorted set's members whose score (an expiry in server milliseconds) is still ahead.
extension CoordinationInspector {
    /// `now` (server ms), `live(set, tokens hash or false, arrival set or false)` and
    /// `held(hash)`: `{owner, token, pttl}` or `{}` when the hash has no owner.
    static let prelude = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local function live(key, tokens, queue)
          local out = {}
          local found = redis.call('ZRANGEBYSCORE', key, '(' .. now, '+inf', 'WITHSCORES')
          for i = 1, #found, 2 do
            local token = 0
            if tokens then token = tonumber(redis.call('HGET', tokens, found[i])) or 0 end
            local waited = -1
            if queue then
              local arrived = redis.call('ZSCORE', queue, found[i])
              if arrived then waited = now - tonumber(arrived) end
            end
            out[#out + 1] = {found[i], tonumber(found[i + 1]) - now, token, waited}
          end
          return out
        end
        local function held(key)
          local owner = redis.call('HGET', key, 'owner')
          if not owner then return {} end
          return {owner, tonumber(redis.call('HGET', key, 'token')) or 0, redis.call('PTTL', key)}
        end

        """

    /// `KEYS`: lock hash, fence, waiters, fair queue. `{holder, last token, waiters}`.
    static let lockScript = RedisScript(prelude + """
        return {held(KEYS[1]), tonumber(redis.call('GET', KEYS[2])) or 0, live(KEYS[3], false, KEYS[4])}
        """)

    /// `KEYS`: writer hash, readers, writers waiting, fence, reader tokens.
    /// `{writer, readers, writers waiting, last token}`.
    static let readWriteScript = RedisScript(prelude + """
        return {held(KEYS[1]), live(KEYS[2], KEYS[5], false), live(KEYS[3], false, false), tonumber(redis.call('GET', KEYS[4])) or 0}
        """)

    /// `KEYS`: permits, tokens, waiters. `{holders, waiters, last token}`.
    static let semaphoreScript = RedisScript(prelude + """
        return {live(KEYS[1], KEYS[2], false), live(KEYS[3], false, false), tonumber(redis.call('HGET', KEYS[2], '#next')) or 0}
        """)
}
