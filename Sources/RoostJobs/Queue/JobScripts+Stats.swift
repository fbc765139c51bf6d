import RoostClient

/// Per-minute counts of what happened on a queue, kept by the scripts themselves, so a queue
/// has its history whether or not anything watches it:
///
/// | key | type | holds |
/// |---|---|---|
/// | `roost:jobs:{q}:stats:<minute>` | hash | for the minute that starts at `<minute>` · 60,000 ms since 1970 (server time): `enqueued`, `completed`, `failed` (for good), `retried` (an attempt failed and the job goes again), `stalled` (a lease ran out) |
///
/// A field is written with `HINCRBY`; the first write of a field in a minute also sets the hash's
/// expiry to `JobStats.retention` after the minute ends (`PEXPIREAT`, the same instant for every
/// write of that minute), so history is bounded with no trimming work. A partitioned queue keeps
/// one set per partition, under the partition's tag; `JobQueue.stats` sums them.
extension JobScripts {
    /// Appended to `prelude`: `stat(field, n)` adds `n` to the current minute's `field`, and
    /// `sum(list)` adds up a list of numbers (a script's per-item replies, to count once per call).
    static let statsPrelude = """
        local function stat(field, n)
          if n <= 0 then return end
          local minute = math.floor(now / 60000)
          local key = string.sub(ARGV[1], 1, -5) .. 'stats:' .. minute
          if redis.call('HINCRBY', key, field, n) == n then
            redis.call('PEXPIREAT', key, (minute + 1) * 60000 + \(JobStats.retentionMilliseconds))
          end
        end
        local function sum(list)
          local n = 0
          for _, v in ipairs(list) do n = n + v end
          return n
        end

        """

    /// Reads the last `ARGV[2]` minutes (the current one last) of the stats under prefix
    /// `ARGV[1]` (`roost:jobs:{q}:stats:`; `KEYS[1]` is a key of the same tag, for routing).
    /// Returns `{current minute, {enqueued, completed, failed, retried, stalled}…}`, missing
    /// counts as nil.
    static let readStats = RedisScript("""
        local t = redis.call('TIME')
        local minute = math.floor((tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)) / 60000)
        local out = {minute}
        for m = minute - tonumber(ARGV[2]) + 1, minute do
          out[#out + 1] = redis.call('HMGET', ARGV[1] .. m, 'enqueued', 'completed', 'failed', 'retried', 'stalled')
        end
        return out
        """)
}
