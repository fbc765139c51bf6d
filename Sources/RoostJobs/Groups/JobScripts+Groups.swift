import RoostClient

/// Rate limits per group, as script functions the take script calls. A job enqueued with a
/// group key (`EnqueueOptions.group`) waits in `ready` like any other; the limit is enforced
/// when a worker pops it:
///
/// - A group within its limit (fixed windows: at most `max` starts per `window` ms, counted in
///   `…:group:<g>:window`) has the job started.
/// - A group over its limit has the job **held** in `…:group:<g>` (a zset by the job's score)
///   and the group **parked** in `…:groups:parked` until its window ends; the take goes on
///   popping, so other groups' jobs are not blocked behind it.
/// - When a parked group's window has ended, the next take moves as many held jobs as one
///   window allows back to `ready` (with their scores, so they run before the group's newer
///   jobs), and parks the group again for one window while more are held. Idle workers wake
///   at the earliest parked group's end instead of polling.
///
/// `…:groups:held` counts held jobs (they are still `waiting`; `counts()` includes them).
extension JobScripts {
    /// Appended to `prelude`: `popReady(want)`, which returns up to `want` jobs to start as
    /// ZPOPMIN would (`{id, score, …}`), and `groupWait(wait)`, the take's idle wait shortened to
    /// the earliest parked group's end.
    static let groupPrelude = """
        local function groupLimit(g)
          local o = redis.call('HGET', KEYS[9] .. ':group-limits', g)
          if o then
            local sp = string.find(o, ' ')
            return tonumber(string.sub(o, 1, sp - 1)), tonumber(string.sub(o, sp + 1))
          end
          local m = redis.call('HMGET', KEYS[9], 'groupRateMax', 'groupRateWindow')
          if m[1] then return tonumber(m[1]), tonumber(m[2]) end
          return nil, nil
        end
        local function groupWait(wait)
          local p = redis.call('ZRANGE', string.sub(ARGV[1], 1, -5) .. 'groups:parked', 0, 0, 'WITHSCORES')
          if p[2] then
            local w = math.max(tonumber(p[2]) - now, 1)
            if wait < 0 or w < wait then return w end
          end
          return wait
        end
        local function popReady(want)
          local base = string.sub(ARGV[1], 1, -5)
          local parked, heldCount = base .. 'groups:parked', base .. 'groups:held'
          local limited = redis.call('HEXISTS', KEYS[9], 'groupRateMax') == 1 or redis.call('EXISTS', KEYS[9] .. ':group-limits') == 1
          if not limited and redis.call('EXISTS', parked) == 0 then return redis.call('ZPOPMIN', KEYS[1], want) end
          -- Parked groups whose window ended: a window's worth of held jobs waits again.
          for _, g in ipairs(redis.call('ZRANGEBYSCORE', parked, '-inf', now, 'LIMIT', 0, 100)) do
            local held = base .. 'group:' .. g
            local max, window = groupLimit(g)
            local ids = redis.call('ZPOPMIN', held, math.min(max or 1000, 1000))
            for i = 1, #ids, 2 do
              if redis.call('HGET', ARGV[1] .. ids[i], 'state') == 'waiting' then redis.call('ZADD', KEYS[1], ids[i + 1], ids[i]) end
            end
            if #ids > 0 then redis.call('DECRBY', heldCount, #ids / 2) end
            if redis.call('EXISTS', held) == 0 then redis.call('ZREM', parked, g) else redis.call('ZADD', parked, now + (window or 0), g) end
          end
          local out, budget = {}, 1000
          while #out < want * 2 and budget > 0 do
            local popped = redis.call('ZPOPMIN', KEYS[1], math.min(want - #out / 2, budget))
            if #popped == 0 then break end
            budget = budget - #popped / 2
            for i = 1, #popped, 2 do
              local id = popped[i]
              local g = redis.call('HGET', ARGV[1] .. id, 'group')
              local start = true
              if g then
                local max, window = groupLimit(g)
                local counter = base .. 'group:' .. g .. ':window'
                if max then
                  if tonumber(redis.call('GET', counter) or '0') >= max then
                    start = false
                    redis.call('ZADD', parked, now + math.max(redis.call('PTTL', counter), 1), g)
                  elseif redis.call('INCR', counter) == 1 then
                    redis.call('PEXPIRE', counter, window)
                  end
                end
                if not start then
                  redis.call('ZADD', base .. 'group:' .. g, popped[i + 1], id)
                  redis.call('INCR', heldCount)
                end
              end
              if start then
                out[#out + 1] = id
                out[#out + 1] = popped[i + 1]
              end
            end
          end
          return out
        end

        """

    /// Sets (`ARGV[4]` max and `ARGV[5]` window ms) or, with `ARGV[4]` empty, clears the rate
    /// limit of group `ARGV[3]`, or with `ARGV[3]` empty the default limit of every group; the
    /// groups concerned have their held jobs released at the next take; wakes idle workers.
    static let groupLimits = RedisScript(prelude + """
        if ARGV[3] == '' then
          if ARGV[4] == '' then
            redis.call('HDEL', KEYS[9], 'groupRateMax', 'groupRateWindow')
          else
            redis.call('HSET', KEYS[9], 'groupRateMax', ARGV[4], 'groupRateWindow', ARGV[5])
          end
        elseif ARGV[4] == '' then
          redis.call('HDEL', KEYS[9] .. ':group-limits', ARGV[3])
        else
          redis.call('HSET', KEYS[9] .. ':group-limits', ARGV[3], ARGV[4] .. ' ' .. ARGV[5])
        end
        -- Held jobs of the groups concerned are released at the next take, under the new limit.
        local parked = string.sub(ARGV[1], 1, -5) .. 'groups:parked'
        if ARGV[3] == '' then
          for _, g in ipairs(redis.call('ZRANGE', parked, 0, -1)) do redis.call('ZADD', parked, now, g) end
        else
          redis.call('ZADD', parked, 'XX', now, ARGV[3])
        end
        wake(8)
        return 1
        """)
}
