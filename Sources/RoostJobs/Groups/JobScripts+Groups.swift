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
///
/// Concurrency per group (`JobQueue.setGroupConcurrency`) holds jobs the same way:
///
/// - A started job of a group with a concurrency limit takes one of the group's slots: the
///   group's count `…:groups:active:<g>` goes up and the job's hash gets `gslot`.
/// - A group whose count is at its limit has its popped jobs held in `…:group:<g>` (checked
///   before its rate limit, so a held job uses no rate) and is recorded in `…:groups:full`.
/// - Every way out of `active` — completion, failure (retried or for good, timeouts and
///   cancels included), hand-back, and the reaper for a lease that ran out — gives the slot
///   back (`groupRelease`, only for a job that has `gslot`, so a limit set while jobs ran
///   leaks nothing) and, for a full group, moves its first held job back to `ready`.
extension JobScripts {
    /// Appended to `prelude`: `popReady(want, defaults)`, which returns up to `want` jobs to start as
    /// ZPOPMIN would (`{id, score, …}`), and `groupWait(wait)`, the take's idle wait shortened to
    /// the earliest parked group's end; and `groupRelease(id, slot)`, which gives back the group
    /// slot of job `id` leaving `active`.
    static let groupPrelude = """
        local function groupConcurrency(g)
          local o = redis.call('HGET', KEYS[9] .. ':group-concurrency', g)
          if o then return tonumber(o) end
          local m = redis.call('HGET', KEYS[9], 'groupConcurrency')
          if m then return tonumber(m) end
          return nil
        end
        -- Moves up to `n` held jobs of group g (all: n < 0) back to ready; returns how many.
        local function groupUnhold(g, n)
          local base = string.sub(ARGV[1], 1, -5)
          local held, moved = base .. 'group:' .. g, 0
          while n < 0 or moved < n do
            local ids = redis.call('ZPOPMIN', held, n < 0 and 1000 or n - moved)
            if #ids == 0 then break end
            redis.call('DECRBY', base .. 'groups:held', #ids / 2)
            for i = 1, #ids, 2 do
              if redis.call('HGET', ARGV[1] .. ids[i], 'state') == 'waiting' then
                redis.call('ZADD', KEYS[1], ids[i + 1], ids[i])
                moved = moved + 1
              end
            end
          end
          if redis.call('EXISTS', held) == 0 then redis.call('SREM', base .. 'groups:full', g) end
          return moved
        end
        -- `slot`: the group whose slot the job holds, as `owns` read it (false: none); nil to read it here.
        local function groupRelease(id, slot)
          local g = slot
          if g == nil then
            local f = redis.call('HMGET', ARGV[1] .. id, 'gslot', 'group')
            g = f[1] and f[2]
          end
          if not g then return end
          redis.call('HDEL', ARGV[1] .. id, 'gslot')
          local base = string.sub(ARGV[1], 1, -5)
          local count = base .. 'groups:active:' .. g
          if redis.call('DECR', count) <= 0 then redis.call('DEL', count) end
          if redis.call('SISMEMBER', base .. 'groups:full', g) == 1 then wake(groupUnhold(g, 1)) end
        end
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
        -- `defaults`: whether meta holds a default group limit (the caller read it).
        local function popReady(want, defaults)
          local base = string.sub(ARGV[1], 1, -5)
          local parked, heldCount = base .. 'groups:parked', base .. 'groups:held'
          -- One EXISTS over the same-slot keys that make groups matter (per-group limits, parked groups).
          if not defaults and redis.call('EXISTS', KEYS[9] .. ':group-limits', KEYS[9] .. ':group-concurrency', parked) == 0 then
            return redis.call('ZPOPMIN', KEYS[1], want)
          end
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
              local slots = g and groupConcurrency(g)
              if slots and tonumber(redis.call('GET', base .. 'groups:active:' .. g) or '0') >= slots then
                -- The group is at its concurrency limit: held until one of its jobs leaves active.
                start = false
                redis.call('SADD', base .. 'groups:full', g)
                redis.call('ZADD', base .. 'group:' .. g, popped[i + 1], id)
                redis.call('INCR', heldCount)
              elseif g then
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
              if start and slots then
                redis.call('INCR', base .. 'groups:active:' .. g)
                redis.call('HSET', ARGV[1] .. id, 'gslot', '1')
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

    /// Sets (`ARGV[4]`) or, with `ARGV[4]` empty, clears the concurrency limit of group
    /// `ARGV[3]`, or with `ARGV[3]` empty the default limit of every group. The held jobs of
    /// the full groups concerned wait again (those still over the new limit are held again at
    /// the next take); wakes idle workers.
    static let groupConcurrencyLimits = RedisScript(prelude + """
        local own = KEYS[9] .. ':group-concurrency'
        if ARGV[3] == '' then
          if ARGV[4] == '' then redis.call('HDEL', KEYS[9], 'groupConcurrency') else redis.call('HSET', KEYS[9], 'groupConcurrency', ARGV[4]) end
        elseif ARGV[4] == '' then
          redis.call('HDEL', own, ARGV[3])
        else
          redis.call('HSET', own, ARGV[3], ARGV[4])
        end
        local full = string.sub(ARGV[1], 1, -5) .. 'groups:full'
        local groups = {ARGV[3]}
        if ARGV[3] == '' then groups = redis.call('SMEMBERS', full) end
        for _, g in ipairs(groups) do
          if redis.call('SISMEMBER', full, g) == 1 then groupUnhold(g, -1) end
        end
        wake(8)
        return 1
        """)
}
