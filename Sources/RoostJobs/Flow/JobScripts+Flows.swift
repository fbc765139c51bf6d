import RoostClient

/// Parent/child flows, as scripts. A flow crosses queues (and so cluster slots), so no step may
/// touch two queues: each queue keeps its own **flow work** (`…:flow:work`, `…:flow:due`) — a
/// durable to-do list of cross-queue steps that a relay (every `Worker` runs one) carries out and
/// then clears, and that any relay re-drives when its claim runs out (a relay died mid-step).
/// Every cross-queue step is idempotent, so doing one twice changes nothing:
///
/// - `a:<id>`: job `id` of this queue is a parent whose children may not all be added yet (the
///   value is its `FlowSpec`, children included). Adding a child whose id the queue holds adds
///   nothing.
/// - `n:<id>`: job `id` of this queue, a child, finished (the value is a JSON notice with its
///   parent, state and result). The parent's step deletes the child's `dep:` field, and only the
///   call that deleted it counts the child.
extension JobScripts {
    /// Appended to `prelude`: `flowDone(id)`, called right after job `id` completed or failed for
    /// good. When the job has a parent, it records the notice in this queue's flow work (due now)
    /// and announces it on the queue's flow channel.
    static let flowPrelude = """
        local function flowDone(id)
          local key = ARGV[1] .. id
          if redis.call('HEXISTS', key, 'parentQueue') == 0 then return end
          local f = redis.call('HMGET', key, 'parentQueue', 'parentId', 'onFailure', 'state', 'result', 'error',
            'parentPartitions')
          local base = string.sub(ARGV[1], 1, -5)
          local value = cjson.encode({parentQueue = f[1], parentId = f[2], policy = f[3] or 'fail', state = f[4],
            result = f[5] or '', error = f[6] or '', child = id, parentPartitions = tonumber(f[7] or '1')})
          redis.call('HSET', base .. 'flow:work', 'n:' .. id, value)
          redis.call('ZADD', base .. 'flow:due', now, 'n:' .. id)
          redis.call('SPUBLISH', base .. 'flow', 'n:' .. id)
        end

        """

    /// Adds `ARGV[3]` flow nodes (priority aging `ARGV[4]` ms; a parent's own pending-add entry
    /// due after `ARGV[5]` ms) from `ARGV[6]`, each as: id, name, data, priority, delay ms (a leaf's),
    /// max attempts, timeout ms, backoff, parent queue ('' for a root), parent id, failure
    /// policy (`fail`, `ignore`, `wait`), spec ('' for a leaf), child count n, the parent
    /// queue's partition count (the parent lives in the partition its id routes to), then n
    /// pairs of child ref (`<queue>:<id>`) and child job name. A leaf waits like an enqueued job; a parent
    /// waits in `waiting-children` with a `dep:<ref>` field per child. A node whose id the queue
    /// holds is not added. Returns 1 (added) or 0 per node.
    static let flowAdd = RedisScript(prelude + """
        local base = string.sub(ARGV[1], 1, -5)
        local aging, lease = tonumber(ARGV[4]), tonumber(ARGV[5])
        local out, woken, b = {}, 0, 6
        for _ = 1, tonumber(ARGV[3]) do
          local id, n = ARGV[b], tonumber(ARGV[b + 12])
          local children = b + 14
          local key = ARGV[1] .. id
          if redis.call('EXISTS', key) == 1 then
            out[#out + 1] = 0
          else
            local seq = redis.call('INCR', KEYS[8])
            if n == 0 then
              add(id, b, seq, tonumber(ARGV[b + 4]), aging)
              woken = woken + 1
            else
              local priority = tonumber(ARGV[b + 3])
              local score = priority * 1099511627776 + seq % 1099511627776
              if aging > 0 then score = now + priority * aging end
              redis.call('HSET', key, 'name', ARGV[b + 1], 'data', ARGV[b + 2], 'state', 'waiting-children',
                'priority', priority, 'score', score, 'attempt', 0, 'maxAttempts', ARGV[b + 5], 'timeout', ARGV[b + 6],
                'backoff', ARGV[b + 7], 'enqueuedAt', now, 'pendingChildren', n)
              for c = 0, n - 1 do
                local ref = ARGV[children + c * 2]
                redis.call('HSET', key, 'dep:' .. ref, '1', 'child:' .. ref, ARGV[children + 1 + c * 2])
              end
              redis.call('ZADD', base .. 'waiting-children', now, id)
              if ARGV[b + 11] ~= '' then
                redis.call('HSET', base .. 'flow:work', 'a:' .. id, ARGV[b + 11])
                redis.call('ZADD', base .. 'flow:due', now + lease, 'a:' .. id)
                -- Relays learn of the entry's due time (in case this producer stops).
                redis.call('SPUBLISH', base .. 'flow', 'a:' .. id)
              end
              event('waiting-children', id)
            end
            if ARGV[b + 8] ~= '' then
              redis.call('HSET', key, 'parentQueue', ARGV[b + 8], 'parentId', ARGV[b + 9], 'onFailure', ARGV[b + 10])
              if ARGV[b + 13] ~= '1' then redis.call('HSET', key, 'parentPartitions', ARGV[b + 13]) end
            end
            out[#out + 1] = 1
          end
          b = children + n * 2
        end
        stat('enqueued', sum(out)) -- stats
        wake(woken)
        return out
        """)

    /// The parent's step: child `ARGV[4]` (a ref) of parent `ARGV[3]` finished in state
    /// `ARGV[5]` with result or error `ARGV[6]`, under failure policy `ARGV[7]`. Only the call
    /// that clears the child's `dep:` field counts it (idempotent). A completed child's result
    /// goes to `res:<ref>`; a failed one's error to `err:<ref>`, and then: `fail` fails a parent
    /// still waiting for children (which notifies its own parent), `ignore` counts the child as
    /// done, `wait` keeps the parent waiting for the child (a retried child can still complete
    /// it). The last child moves the parent to waiting. Returns 0 (already counted, or no such
    /// parent), 1 (counted), 2 (the parent failed), 3 (the parent now waits).
    static let flowChildDone = RedisScript(prelude + """
        local id, ref = ARGV[3], ARGV[4]
        local key = ARGV[1] .. id
        if redis.call('HEXISTS', key, 'dep:' .. ref) == 0 then return 0 end
        local failed = ARGV[5] ~= 'completed'
        if failed and ARGV[7] == 'wait' then
          redis.call('HSET', key, 'err:' .. ref, ARGV[6])
          return 1
        end
        redis.call('HDEL', key, 'dep:' .. ref)
        local left = redis.call('HINCRBY', key, 'pendingChildren', -1)
        if failed then
          redis.call('HSET', key, 'err:' .. ref, ARGV[6])
        else
          redis.call('HSET', key, 'res:' .. ref, ARGV[6])
          redis.call('HDEL', key, 'err:' .. ref)
        end
        if redis.call('HGET', key, 'state') ~= 'waiting-children' then return 1 end
        local waiting = string.sub(ARGV[1], 1, -5) .. 'waiting-children'
        if failed and ARGV[7] == 'fail' then
          redis.call('ZREM', waiting, id)
          redis.call('HSET', key, 'state', 'failed', 'finishedAt', now, 'error', 'child ' .. ref .. ' failed: ' .. ARGV[6])
          redis.call('ZADD', KEYS[5], now, id)
          finished(id)
          flowDone(id)
          stat('failed', 1) -- stats
          event('failed', id)
          return 2
        end
        if left > 0 then return 1 end
        redis.call('ZREM', waiting, id)
        redis.call('HSET', key, 'state', 'waiting')
        redis.call('ZADD', KEYS[1], redis.call('HGET', key, 'score'), id)
        wake(1)
        event('waiting', id)
        return 3
        """)

    /// Claims up to `ARGV[4]` due flow-work entries for `ARGV[3]` ms (another relay takes them
    /// over if this one has not cleared them by then). Returns `{{entry, value}…, wait}`: wait
    /// is, when nothing is due, the ms until an entry is (-1: none).
    static let flowClaim = RedisScript(prelude + """
        local base = string.sub(ARGV[1], 1, -5)
        local due, work = base .. 'flow:due', base .. 'flow:work'
        local out = {}
        for _, entry in ipairs(redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))) do
          local value = redis.call('HGET', work, entry)
          if value then
            redis.call('ZADD', due, now + tonumber(ARGV[3]), entry)
            out[#out + 1] = {entry, value}
          else
            redis.call('ZREM', due, entry)
          end
        end
        local wait = -1
        if #out == 0 then
          local first = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')
          if first[2] then wait = math.max(tonumber(first[2]) - now, 1) end
        end
        return {out, wait}
        """)

    /// Clears flow-work entry `ARGV[3]` if it still holds `ARGV[4]` (a newer notice of the same
    /// child stays). Returns 1, or 0 when it did not.
    static let flowWorkDone = RedisScript(prelude + """
        local base = string.sub(ARGV[1], 1, -5)
        if redis.call('HGET', base .. 'flow:work', ARGV[3]) ~= ARGV[4] then return 0 end
        redis.call('HDEL', base .. 'flow:work', ARGV[3])
        redis.call('ZREM', base .. 'flow:due', ARGV[3])
        return 1
        """)
}
