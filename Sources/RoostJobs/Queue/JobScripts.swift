import RoostClient

/// Every state transition of a job, one atomic script each. All get the queue's keys in the
/// order of `QueueKeys.all` (`KEYS[1]` ready … `KEYS[9]` meta), `ARGV[1]` the job-hash prefix
/// and `ARGV[2]` the events channel; their own arguments follow. Time is the server's (`TIME`).
///
/// An attempt is fenced: taking a job gives the attempt a token (strictly increasing per
/// queue), and heartbeat, progress, completion, failure and hand-back all check that the job is
/// still `active` with that token. An attempt whose lease ran out (and whose job was handed to
/// another worker) can no longer change the job.
enum JobScripts {
    /// Shared by every script: the server's time, and the wake-up of idle workers (one token per
    /// woken job, at most 8 per call; the list never grows past 64 tokens).
    static let prelude = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local function wake(n)
          for _ = 1, math.min(n, 8) do
            if redis.call('RPUSH', KEYS[6], '1') > 64 then redis.call('LTRIM', KEYS[6], -64, -1) end
          end
        end
        local function event(name, id) redis.call('SPUBLISH', ARGV[2], name .. ' ' .. id) end
        -- Workers' channel (cancels, schedule changes): ARGV[1] without its 'job:' suffix.
        local function control(message) redis.call('SPUBLISH', string.sub(ARGV[1], 1, -5) .. 'control', message) end
        local function trim(set, count, age)
          local old = redis.call('ZRANGEBYSCORE', set, '-inf', now - age, 'LIMIT', 0, 100)
          for _, id in ipairs(old) do
            redis.call('ZREM', set, id)
            redis.call('DEL', ARGV[1] .. id, ARGV[1] .. id .. ':logs', ARGV[1] .. id .. ':attempts')
          end
          local excess = redis.call('ZCARD', set) - count
          if excess > 0 then
            local ids = redis.call('ZPOPMIN', set, math.min(excess, 100))
            for i = 1, #ids, 2 do redis.call('DEL', ARGV[1] .. ids[i], ARGV[1] .. ids[i] .. ':logs', ARGV[1] .. ids[i] .. ':attempts') end
          end
        end
        -- Whether the attempt with `token` owns job `key`; second, the group whose concurrency
        -- slot the job holds (false: none), for `groupRelease`.
        local function owns(key, token)
          local f = redis.call('HMGET', key, 'state', 'token', 'gslot', 'group')
          return f[1] == 'active' and f[2] == token, f[3] and f[4]
        end
        -- Adds job `id` (its key must be free) from the 8 arguments at ARGV[b]: id, name, data,
        -- priority, delay ms, max attempts, timeout ms, backoff; `seq` orders it. With `aging`
        -- ms > 0 the order is by enqueue time plus priority · aging, so a job of priority p
        -- waits at most p · aging behind newer jobs of priority 0.
        local function add(id, b, seq, delay, aging)
          local key = ARGV[1] .. id
          local priority = tonumber(ARGV[b + 3])
          local score = priority * 1099511627776 + seq % 1099511627776
          if aging > 0 then score = now + priority * aging end
          local state = 'waiting'
          if delay > 0 then state = 'delayed' end
          redis.call('HSET', key, 'name', ARGV[b + 1], 'data', ARGV[b + 2], 'state', state, 'priority', priority,
            'score', score, 'attempt', 0, 'maxAttempts', ARGV[b + 5], 'timeout', ARGV[b + 6], 'backoff', ARGV[b + 7],
            'enqueuedAt', now)
          if delay > 0 then
            redis.call('ZADD', KEYS[2], now + delay, id)
            event('delayed', id)
          else
            redis.call('ZADD', KEYS[1], score, id)
            event('waiting', id)
          end
        end
        -- Moves delayed job `id` to ready with its stored order and announces it; false when
        -- the delayed set does not hold it (or its hash is gone).
        local function undelay(id)
          if redis.call('ZREM', KEYS[2], id) == 0 then return false end
          local key = ARGV[1] .. id
          local score = redis.call('HGET', key, 'score')
          if not score then return false end
          redis.call('ZADD', KEYS[1], score, id)
          redis.call('HSET', key, 'state', 'waiting')
          event('waiting', id)
          return true
        end
        -- A finished job frees its "until finished" deduplication key (if it still holds it).
        local function finished(id)
          local d = redis.call('HGET', ARGV[1] .. id, 'dedup')
          if d and redis.call('GET', ARGV[1] .. 'dedup:' .. d) == id then redis.call('DEL', ARGV[1] .. 'dedup:' .. d) end
        end

        """ + flowPrelude + groupPrelude + attemptsPrelude + statsPrelude
        // flows: `flowDone`; groups: `popReady`, `groupWait`; attempts: `attemptEnded`; stats: `stat`

    /// Enqueues `ARGV[3]` jobs (priority aging `ARGV[4]` ms, 0 for none), each as 12 arguments
    /// from `ARGV[5]`: id ('' to number it), name,
    /// data, priority, delay ms, max attempts, timeout ms, backoff, then deduplication: mode
    /// ('' none, `u` until finished, `t` throttle, `d` debounce), key, window ms, then the
    /// rate-limit group ('' none; see `groupPrelude`). A job whose
    /// id the queue still holds, or whose deduplication key is taken, is not added (a debounced
    /// one replaces the pending job's data and restarts its delay). Returns `{id, outcome}` per
    /// job: 1 added, 0 deduplicated (the id is the existing job's), 2 replaced (debounce). On a
    /// bounded queue (meta `capacity`) it stops at the first job that does not fit: the reply
    /// is then shorter than the jobs sent.
    static let enqueue = RedisScript(prelude + """
        local out, woken = {}, 0
        local capacity = tonumber(redis.call('HGET', KEYS[9], 'capacity') or '0')
        -- Partitions: partition p (p >= 1) numbers its ids 'p:<seq>' (JobQueue+Partitions).
        local idPrefix = redis.call('HGET', KEYS[9], 'idPrefix') or ''
        local held = 0
        if capacity > 0 then held = redis.call('ZCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2]) end
        for i = 0, tonumber(ARGV[3]) - 1 do
          local b = 5 + i * 12
          local mode, dedupKey = ARGV[b + 8], ARGV[1] .. 'dedup:' .. ARGV[b + 9]
          local window = tonumber(ARGV[b + 10])
          local existing = false
          if mode ~= '' then existing = redis.call('GET', dedupKey) end
          if existing and redis.call('EXISTS', ARGV[1] .. existing) == 0 then existing = false end
          if existing then
            local key = ARGV[1] .. existing
            if mode == 'd' and redis.call('HGET', key, 'state') == 'delayed' then
              redis.call('HSET', key, 'data', ARGV[b + 2])
              redis.call('ZADD', KEYS[2], now + window, existing)
              redis.call('PEXPIRE', dedupKey, window)
              out[#out + 1] = {existing, 2}
            else
              out[#out + 1] = {existing, 0}
            end
          else
            -- Bounded queue: stop at the first job that does not fit; the caller waits for room.
            if capacity > 0 and held >= capacity then break end
            local seq = redis.call('INCR', KEYS[8])
            local id = ARGV[b]
            if id == '' then id = idPrefix .. seq end
            local key = ARGV[1] .. id
            if redis.call('EXISTS', key) == 1 then
              out[#out + 1] = {id, 0}
            else
              local delay = tonumber(ARGV[b + 4])
              if mode == 'd' then delay = window end
              add(id, b, seq, delay, tonumber(ARGV[4]))
              if ARGV[b + 11] ~= '' then redis.call('HSET', key, 'group', ARGV[b + 11]) end -- groups
              if mode == 'u' then
                redis.call('SET', dedupKey, id)
                redis.call('HSET', key, 'dedup', ARGV[b + 9])
              elseif mode ~= '' then
                redis.call('SET', dedupKey, id, 'PX', window)
              end
              woken = woken + 1
              held = held + 1
              out[#out + 1] = {id, 1}
            end
          end
        end
        stat('enqueued', woken) -- stats
        wake(woken)
        return out
        """)

    /// A worker (`ARGV[5]`, its id; optional) takes up to `ARGV[4]` jobs with a lease of
    /// `ARGV[3]` ms each. First moves due delayed jobs to ready and reaps attempts whose lease
    /// ran out (recorded as stalled; back to ready, or failed when no attempts remain).
    /// Returns `{jobs, wait, now, waiting, active}`: each job as `{id, name, data, attempt,
    /// token, maxAttempts, timeout, backoff, enqueuedAt}`; when none was
    /// taken, the ms until a delayed job is due or a lease runs out (-1: nothing scheduled); the
    /// server's time; how many jobs wait and how many attempts run.
    static let take = RedisScript(prelude + """
        local lease = tonumber(ARGV[3])
        for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1000)) do undelay(id) end
        for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 100)) do
          local key = ARGV[1] .. id
          redis.call('ZREM', KEYS[3], id)
          groupRelease(id) -- groups: the lease ran out, the slot comes back
          local f = redis.call('HMGET', key, 'attempt', 'maxAttempts', 'score')
          if f[1] then
            local stall = 'stalled: the lease of attempt ' .. f[1] .. ' ran out (its worker died or stalled)'
            attemptEnded(id, 'stalled', stall) -- attempts
            stat('stalled', 1) -- stats
            if tonumber(f[1]) >= tonumber(f[2]) then
              redis.call('HSET', key, 'state', 'failed', 'finishedAt', now, 'error', stall)
              redis.call('ZADD', KEYS[5], now, id)
              finished(id)
              flowDone(id) -- flows
              stat('failed', 1) -- stats
              event('failed', id)
            else
              redis.call('HSET', key, 'state', 'waiting')
              redis.call('ZADD', KEYS[1], f[3], id)
              event('stalled', id)
            end
          end
        end
        local meta = redis.call('HMGET', KEYS[9], 'paused', 'concurrency', 'rateMax', 'rateWindow', 'groupRateMax', 'groupConcurrency')
        if meta[1] == '1' then return {{}, -1} end
        local want = tonumber(ARGV[4])
        if meta[2] then
          -- Global concurrency: no more active attempts than this across every worker.
          want = math.min(want, tonumber(meta[2]) - redis.call('ZCARD', KEYS[3]))
          if want <= 0 then
            local a = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
            return {{}, a[2] and math.max(tonumber(a[2]) - now, 1) or -1}
          end
        end
        local limiter = KEYS[9] .. ':window'
        if meta[3] then
          -- Rate limit: at most rateMax jobs started per window of rateWindow ms (fixed windows).
          local used = tonumber(redis.call('GET', limiter) or '0')
          want = math.min(want, tonumber(meta[3]) - used)
          if want <= 0 then
            if redis.call('ZCARD', KEYS[1]) == 0 then return {{}, -1} end
            return {{}, math.max(redis.call('PTTL', limiter), 1)}
          end
        end
        local taken = {}
        local popped = popReady(want, meta[5] or meta[6]) -- groups: ZPOPMIN that holds jobs of groups over their limit
        if meta[3] and #popped > 0 then
          if redis.call('INCRBY', limiter, #popped / 2) == #popped / 2 then redis.call('PEXPIRE', limiter, meta[4]) end
        end
        for i = 1, #popped, 2 do
          local id = popped[i]
          local key = ARGV[1] .. id
          if redis.call('EXISTS', key) == 1 then
            local token = redis.call('INCR', KEYS[7])
            local attempt = redis.call('HINCRBY', key, 'attempt', 1)
            redis.call('HSET', key, 'state', 'active', 'token', token, 'startedAt', now, 'worker', ARGV[5] or '')
            redis.call('ZADD', KEYS[3], now + lease, id)
            local f = redis.call('HMGET', key, 'name', 'data', 'maxAttempts', 'timeout', 'backoff', 'enqueuedAt')
            taken[#taken + 1] = {id, f[1], f[2], attempt, token, tonumber(f[3]), tonumber(f[4]), f[5], tonumber(f[6])}
            event('active', id)
          end
        end
        local wait = -1
        if #taken == 0 then
          local d = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
          if d[2] then wait = tonumber(d[2]) - now end
          local a = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
          if a[2] and (wait < 0 or tonumber(a[2]) - now < wait) then wait = tonumber(a[2]) - now end
          wait = groupWait(wait) -- groups
          if wait >= 0 and wait < 1 then wait = 1 end
        end
        return {taken, wait, now, redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[3])}
        """)

    /// Extends the leases of the attempts given as id, token pairs from `ARGV[4]` to `ARGV[3]`
    /// ms from now. Returns per attempt 1 (still owned), 2 (owned, and a cancel was requested)
    /// or 0 (lost).
    static let heartbeat = RedisScript(prelude + """
        local out = {}
        for i = 4, #ARGV, 2 do
          if owns(ARGV[1] .. ARGV[i], ARGV[i + 1]) then
            redis.call('ZADD', KEYS[3], 'XX', now + tonumber(ARGV[3]), ARGV[i])
            if redis.call('HGET', ARGV[1] .. ARGV[i], 'cancel') == '1' then out[#out + 1] = 2 else out[#out + 1] = 1 end
          else
            out[#out + 1] = 0
          end
        end
        return out
        """)

    /// Completes attempts given as id, token, result triples from `ARGV[5]`, keeping at most
    /// `ARGV[3]` completed jobs for at most `ARGV[4]` ms. Returns per attempt 1, or 0 for a
    /// stale one.
    static let complete = RedisScript(prelude + """
        local out = {}
        for i = 5, #ARGV, 3 do
          local id = ARGV[i]
          local key = ARGV[1] .. id
          local owned, slot = owns(key, ARGV[i + 1])
          if owned then
            redis.call('ZREM', KEYS[3], id)
            groupRelease(id, slot) -- groups
            redis.call('HSET', key, 'state', 'completed', 'result', ARGV[i + 2], 'finishedAt', now)
            redis.call('ZADD', KEYS[4], now, id)
            finished(id)
            flowDone(id) -- flows
            event('completed', id)
            out[#out + 1] = 1
          else
            out[#out + 1] = 0
          end
        end
        stat('completed', sum(out)) -- stats: once per batch
        trim(KEYS[4], tonumber(ARGV[3]), tonumber(ARGV[4]))
        -- Under a global concurrency limit, idle workers wait for running attempts to end.
        if redis.call('HEXISTS', KEYS[9], 'concurrency') == 1 then wake(#out) end
        return out
        """)

    /// Fails attempt `ARGV[4]` of job `ARGV[3]` with error `ARGV[5]`. With attempts left and a
    /// retry delay `ARGV[6]` ≥ 0 ms, the job waits that long (delayed) or not at all; otherwise
    /// it fails for good, kept as `ARGV[7]`, `ARGV[8]` say. The attempt is recorded with
    /// outcome `ARGV[9]` and detail `ARGV[10]` (`JobAttempt`). Returns 2 (retrying), 1
    /// (failed), 0 (stale attempt).
    static let fail = RedisScript(prelude + """
        local id = ARGV[3]
        local key = ARGV[1] .. id
        local owned, slot = owns(key, ARGV[4])
        if not owned then return 0 end
        attemptEnded(id, ARGV[9] or 'failed', ARGV[5], ARGV[10]) -- attempts
        redis.call('ZREM', KEYS[3], id)
        groupRelease(id, slot) -- groups
        local f = redis.call('HMGET', key, 'attempt', 'maxAttempts', 'score')
        local delay = tonumber(ARGV[6])
        if delay >= 0 and tonumber(f[1]) < tonumber(f[2]) then
          if delay == 0 then
            redis.call('HSET', key, 'state', 'waiting', 'error', ARGV[5])
            redis.call('ZADD', KEYS[1], f[3], id)
          else
            redis.call('HSET', key, 'state', 'delayed', 'error', ARGV[5])
            redis.call('ZADD', KEYS[2], now + delay, id)
          end
          wake(1)
          stat('retried', 1) -- stats
          event('retrying', id)
          return 2
        end
        redis.call('HSET', key, 'state', 'failed', 'error', ARGV[5], 'finishedAt', now)
        redis.call('ZADD', KEYS[5], now, id)
        finished(id)
        flowDone(id) -- flows
        trim(KEYS[5], tonumber(ARGV[7]), tonumber(ARGV[8]))
        if redis.call('HEXISTS', KEYS[9], 'concurrency') == 1 then wake(1) end
        stat('failed', 1) -- stats
        event('failed', id)
        return 1
        """)

    /// Hands attempt `ARGV[4]` of job `ARGV[3]` back unfinished (a worker shutting down): the
    /// job waits again and the attempt does not count. Returns 1, or 0 for a stale attempt.
    static let handBack = RedisScript(prelude + """
        local id = ARGV[3]
        local key = ARGV[1] .. id
        local owned, slot = owns(key, ARGV[4])
        if not owned then return 0 end
        redis.call('ZREM', KEYS[3], id)
        groupRelease(id, slot) -- groups
        redis.call('HINCRBY', key, 'attempt', -1)
        redis.call('HSET', key, 'state', 'waiting')
        redis.call('ZADD', KEYS[1], redis.call('HGET', key, 'score'), id)
        wake(1)
        event('waiting', id)
        return 1
        """)

    /// Records progress `ARGV[5]` (and, unless empty, log line `ARGV[6]`, keeping the last
    /// `ARGV[7]`) for attempt `ARGV[4]` of job `ARGV[3]`. Returns 1, or 0 for a stale attempt.
    static let report = RedisScript(prelude + """
        local id = ARGV[3]
        local key = ARGV[1] .. id
        if not owns(key, ARGV[4]) then return 0 end
        if ARGV[5] ~= '' then
          redis.call('HSET', key, 'progress', ARGV[5])
          event('progress', id)
        end
        if ARGV[6] ~= '' then
          redis.call('RPUSH', key .. ':logs', ARGV[6])
          redis.call('LTRIM', key .. ':logs', -tonumber(ARGV[7]), -1)
        end
        return 1
        """)

    /// Sends the failed jobs `ARGV[3]…` back to waiting with their attempts reset. Returns how
    /// many were failed and now wait.
    static let retryFailed = RedisScript(prelude + """
        local n = 0
        for i = 3, #ARGV do
          local id = ARGV[i]
          local key = ARGV[1] .. id
          if redis.call('ZREM', KEYS[5], id) == 1 and redis.call('EXISTS', key) == 1 then
            redis.call('HSET', key, 'state', 'waiting', 'attempt', 0)
            redis.call('HDEL', key, 'finishedAt', 'cancel')
            redis.call('ZADD', KEYS[1], redis.call('HGET', key, 'score'), id)
            event('waiting', id)
            n = n + 1
          end
        end
        wake(n)
        return n
        """)

    /// Removes the jobs `ARGV[3]…` that are not running (waiting, delayed, completed or failed)
    /// with their logs and attempts. Returns how many were removed.
    static let remove = RedisScript(prelude + """
        local n = 0
        local sets = {waiting = KEYS[1], delayed = KEYS[2], completed = KEYS[4], failed = KEYS[5]}
        sets['waiting-children'] = string.sub(ARGV[1], 1, -5) .. 'waiting-children' -- flows
        for i = 3, #ARGV do
          local id = ARGV[i]
          local key = ARGV[1] .. id
          local set = sets[redis.call('HGET', key, 'state') or '']
          if set then
            redis.call('ZREM', set, id)
            finished(id)
            redis.call('DEL', key, key .. ':logs', key .. ':attempts')
            event('removed', id)
            n = n + 1
          end
        end
        return n
        """)

    /// Cancels job `ARGV[3]`: a waiting, delayed or waiting-children job fails at once (error `ARGV[4]`), a
    /// running one is marked and announced (`cancelling`) so that its worker stops the handler
    /// and fails the attempt; the mark makes it durable (heartbeats report it). Returns the
    /// state the job was in ('' when the queue does not have it).
    static let cancel = RedisScript(prelude + """
        local id = ARGV[3]
        local key = ARGV[1] .. id
        local state = redis.call('HGET', key, 'state')
        if not state then return '' end
        if state == 'waiting' or state == 'delayed' or state == 'waiting-children' then
          redis.call('ZREM', KEYS[1], id)
          redis.call('ZREM', KEYS[2], id)
          redis.call('ZREM', string.sub(ARGV[1], 1, -5) .. 'waiting-children', id) -- flows
          redis.call('HSET', key, 'state', 'failed', 'error', ARGV[4], 'finishedAt', now)
          redis.call('ZADD', KEYS[5], now, id)
          finished(id)
          flowDone(id) -- flows
          stat('failed', 1) -- stats
          event('failed', id)
        elseif state == 'active' then
          redis.call('HSET', key, 'cancel', '1')
          event('cancelling', id)
          control('cancel ' .. id)
        end
        return state
        """)

    /// Sets (or, when empty, clears) the queue's global concurrency `ARGV[3]`, its rate limit
    /// of `ARGV[4]` starts per `ARGV[5]` ms and its capacity `ARGV[6]`; wakes idle workers.
    static let limits = RedisScript(prelude + """
        if ARGV[6] == '' then redis.call('HDEL', KEYS[9], 'capacity') else redis.call('HSET', KEYS[9], 'capacity', ARGV[6]) end
        if ARGV[3] == '' then redis.call('HDEL', KEYS[9], 'concurrency') else redis.call('HSET', KEYS[9], 'concurrency', ARGV[3]) end
        if ARGV[4] == '' then
          redis.call('HDEL', KEYS[9], 'rateMax', 'rateWindow')
        else
          redis.call('HSET', KEYS[9], 'rateMax', ARGV[4], 'rateWindow', ARGV[5])
        end
        wake(8)
        return 1
        """)

    /// Sets schedule `ARGV[3]` to definition `ARGV[4]` with its first tick at `ARGV[5]` ms
    /// (keys `…:meta:repeat` and `…:meta:repeat:next`), or with `ARGV[4]` empty removes it.
    /// Announces the change on the workers' control channel so that schedulers re-read. Returns 1, or 0 when nothing was removed.
    static let setRepeat = RedisScript(prelude + """
        local definitions, ticks = KEYS[9] .. ':repeat', KEYS[9] .. ':repeat:next'
        local n = 1
        if ARGV[4] == '' then
          n = redis.call('HDEL', definitions, ARGV[3])
          redis.call('ZREM', ticks, ARGV[3])
        else
          redis.call('HSET', definitions, ARGV[3], ARGV[4])
          redis.call('ZADD', ticks, ARGV[5], ARGV[3])
        end
        control('schedule ' .. ARGV[3])
        return n
        """)

    /// The earliest schedule: `{name, tick ms, definition, now}`, or `{'', ms until it is due
    /// (-1: no schedules)}` when none is due.
    static let dueRepeat = RedisScript(prelude + """
        local next = redis.call('ZRANGE', KEYS[9] .. ':repeat:next', 0, 0, 'WITHSCORES')
        if not next[1] then return {'', -1} end
        local tick = tonumber(next[2])
        if tick > now then return {'', tick - now} end
        return {next[1], tick, redis.call('HGET', KEYS[9] .. ':repeat', next[1]), now}
        """)

    /// Fires schedule `ARGV[3]`'s tick `ARGV[4]` once, however many schedulers try: only while
    /// the schedule's next tick is still `ARGV[4]`, moves it to `ARGV[5]` (-1: the schedule
    /// ends) and adds job `ARGV[3]@ARGV[4]` (priority aging `ARGV[6]` ms) from the 8 job
    /// arguments at `ARGV[7]`. Returns 1
    /// if this call fired the tick, 0 if another scheduler did.
    static let fireRepeat = RedisScript(prelude + """
        local ticks = KEYS[9] .. ':repeat:next'
        if tonumber(redis.call('ZSCORE', ticks, ARGV[3])) ~= tonumber(ARGV[4]) then return 0 end
        if ARGV[5] == '-1' then
          redis.call('ZREM', ticks, ARGV[3])
          redis.call('HDEL', KEYS[9] .. ':repeat', ARGV[3])
        else
          redis.call('ZADD', ticks, ARGV[5], ARGV[3])
        end
        local id = ARGV[3] .. '@' .. ARGV[4]
        if redis.call('EXISTS', ARGV[1] .. id) == 0 then
          add(id, 7, redis.call('INCR', KEYS[8]), 0, tonumber(ARGV[6]))
          stat('enqueued', 1) -- stats
          wake(1)
        end
        return 1
        """)

    /// Pauses (`ARGV[3]` = 1) or resumes (0) taking jobs; resuming wakes idle workers.
    static let pause = RedisScript(prelude + """
        if ARGV[3] == '1' then
          redis.call('HSET', KEYS[9], 'paused', '1')
        else
          redis.call('HDEL', KEYS[9], 'paused')
          wake(8)
        end
        return 1
        """)
}
