import RoostClient

/// The atomic steps of tasks with dependencies. Every script gets the namespace's slot key as
/// `KEYS[1]` (so a cluster routes it) and builds the task keys from `ARGV[1]`, the namespace's
/// key prefix (see `ComputeKeys`); all of them are in that one slot.
enum ComputeScripts {
    /// Records a dependent task unless it exists: ARGV[2] id, ARGV[3] its `TaskRecord`, ARGV[4]
    /// the ms to keep it, ARGV[5…] its dependencies. A dependency already done is not waited
    /// for. Returns how many dependencies it still waits for (0: enqueue it now).
    static let link = RedisScript("""
        local task = ARGV[1] .. 'task:' .. ARGV[2]
        local waiting = task .. ':waiting'
        if redis.call('EXISTS', task) == 0 then
          redis.call('SET', task, ARGV[3], 'PX', ARGV[4])
          for i = 5, #ARGV do
            local dependents = ARGV[1] .. 'task:' .. ARGV[i] .. ':dependents'
            redis.call('SADD', dependents, ARGV[2])
            redis.call('PEXPIRE', dependents, ARGV[4])
            if redis.call('EXISTS', ARGV[1] .. 'result:' .. ARGV[i]) == 0 then
              redis.call('SADD', waiting, ARGV[i])
              redis.call('PEXPIRE', waiting, ARGV[4])
            end
          end
        end
        return redis.call('SCARD', waiting)
        """)

    /// Publishes a task's output: ARGV[2] id, ARGV[3] the output ('' when it was published
    /// already), ARGV[4] the ms to keep it. The first output published wins. Then the task is
    /// struck off its dependents' waiting sets; returns the dependents that wait for nothing
    /// more (every time, so a publisher that died before enqueueing them is made good by the
    /// retry: enqueueing is idempotent).
    static let publish = RedisScript("""
        local result = ARGV[1] .. 'result:' .. ARGV[2]
        if ARGV[3] ~= '' then redis.call('SET', result, ARGV[3], 'NX', 'PX', ARGV[4]) end
        local ready = {}
        for _, dependent in ipairs(redis.call('SMEMBERS', ARGV[1] .. 'task:' .. ARGV[2] .. ':dependents')) do
          local waiting = ARGV[1] .. 'task:' .. dependent .. ':waiting'
          redis.call('SREM', waiting, ARGV[2])
          if redis.call('SCARD', waiting) == 0 then ready[#ready + 1] = dependent end
        end
        return ready
        """)

    /// The state of tasks ARGV[3…] (ARGV[2]: the job hash prefix): for each, an array of its
    /// output, its job's state, error and attempt count, and its `TaskRecord` (nil for what is
    /// missing).
    static let status = RedisScript("""
        local out = {}
        for i = 3, #ARGV do
          local id = ARGV[i]
          local job = redis.call('HMGET', ARGV[2] .. id, 'state', 'error', 'attempt')
          out[#out + 1] = {redis.call('GET', ARGV[1] .. 'result:' .. id), job[1], job[2], job[3],
                           redis.call('GET', ARGV[1] .. 'task:' .. id)}
        end
        return out
        """)
}
