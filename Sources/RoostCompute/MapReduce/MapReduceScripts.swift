import RoostClient
import RoostCoordination

/// The atomic steps of a MapReduce job. Each gets a key of the job's slot as `KEYS[1]` (so a
/// cluster routes it) and builds the job's keys from `ARGV[1]`, its key prefix.
enum MapReduceScripts {
    /// Creates a job unless it exists: ARGV[2] the ms to keep it, ARGV[3…] spec field/value pairs
    /// up to the marker `--`, then the splits in order. Returns 1 when created, 0 if it existed.
    static let create = RedisScript("""
        local spec = ARGV[1] .. 'spec'
        if redis.call('EXISTS', spec) == 1 then return 0 end
        local t = redis.call('TIME')
        local i = 3
        while ARGV[i] ~= '--' do
          redis.call('HSET', spec, ARGV[i], ARGV[i + 1])
          i = i + 2
        end
        redis.call('HSET', spec, 'status', 'running', 'submittedAt', t[1] * 1000 + math.floor(t[2] / 1000))
        redis.call('PEXPIRE', spec, ARGV[2])
        local splits = ARGV[1] .. 'splits'
        for j = i + 1, #ARGV do redis.call('HSET', splits, j - i - 1, ARGV[j]) end
        if #ARGV > i then redis.call('PEXPIRE', splits, ARGV[2]) end
        return 1
        """)

    /// Commits a task's attempt: ARGV[2] the task (`m3`, `r0`), ARGV[3] the record
    /// (`<attempt>:<token>`), ARGV[4] bytes in, ARGV[5] bytes out, ARGV[6] records, ARGV[7] the ms
    /// to keep it. Only while the job runs, and only the first commit of a task: returns 1 when
    /// committed, 0 when another attempt was first, -1 when the job is not running.
    static let commit = RedisScript("""
        if redis.call('HGET', ARGV[1] .. 'spec', 'status') ~= 'running' then return -1 end
        local committed = ARGV[1] .. 'committed'
        if redis.call('HSETNX', committed, ARGV[2], ARGV[3]) == 0 then return 0 end
        redis.call('PEXPIRE', committed, ARGV[7])
        local progress = ARGV[1] .. 'progress'
        redis.call('HINCRBY', progress, 'bytesIn', ARGV[4])
        redis.call('HINCRBY', progress, 'bytesOut', ARGV[5])
        redis.call('HINCRBY', progress, 'records', ARGV[6])
        redis.call('PEXPIRE', progress, ARGV[7])
        redis.call('SPUBLISH', ARGV[1] .. 'notices', 'commit')
        return 1
        """)

    /// Saves the coordinator's state (fenced by its leadership epoch; `KEYS[1]` the state hash):
    /// ARGV[2] the state, ARGV[3] the notices channel, ARGV[4] the ms to keep it.
    static let saveState = FencedScript("""
        redis.call('HSET', KEYS[1], 'value', ARGV[2])
        redis.call('PEXPIRE', KEYS[1], ARGV[4])
        redis.call('SPUBLISH', ARGV[3], 'state')
        return 1
        """)

    /// Ends the job (fenced like `saveState`): KEYS[2] the spec, ARGV[2] the status, ARGV[3]
    /// the error, ARGV[4] the notices channel.
    static let finish = FencedScript("""
        local t = redis.call('TIME')
        redis.call('HSET', KEYS[2], 'status', ARGV[2], 'error', ARGV[3], 'finishedAt', t[1] * 1000 + math.floor(t[2] / 1000))
        redis.call('SPUBLISH', ARGV[4], 'finish')
        return 1
        """)

    /// What progress shows, in one read: `{status, error, submittedAt, finishedAt, state,
    /// bytesIn, bytesOut, records, now}`.
    static let snapshot = RedisScript("""
        local spec = redis.call('HMGET', ARGV[1] .. 'spec', 'status', 'error', 'submittedAt', 'finishedAt')
        local counts = redis.call('HMGET', ARGV[1] .. 'progress', 'bytesIn', 'bytesOut', 'records')
        local t = redis.call('TIME')
        return {spec[1], spec[2], spec[3], spec[4], redis.call('HGET', ARGV[1] .. 'state', 'value'),
                counts[1], counts[2], counts[3], tostring(t[1] * 1000 + math.floor(t[2] / 1000))}
        """)

    /// A worker's heartbeat in the namespace's worker set (`KEYS[1]`): ARGV[1] its identity,
    /// ARGV[2] how long a silent worker counts as live (ms). Drops the silent ones; returns how
    /// many are live.
    static let heartbeat = RedisScript("""
        local t = redis.call('TIME')
        local now = t[1] * 1000 + math.floor(t[2] / 1000)
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
        if ARGV[1] ~= '' then redis.call('ZADD', KEYS[1], now, ARGV[1]) end
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return redis.call('ZCARD', KEYS[1])
        """)
}
