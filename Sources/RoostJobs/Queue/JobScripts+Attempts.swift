/// Attempt histories: the Lua the scripts share to record an attempt that ended other than by
/// completing (see `JobAttempt`).
extension JobScripts {
    /// Part of `prelude`: `attemptEnded(id, outcome, message, detail)` appends the running
    /// attempt of job `id` (its number, worker and start from the job hash; now as its end) to
    /// the job's `…:attempts` list as compact JSON, keeping the last `JobQueue.attemptsKept`.
    /// Call it before the attempt's fields change.
    static let attemptsPrelude = """
        local function attemptEnded(id, outcome, message, detail)
          local key = ARGV[1] .. id
          local f = redis.call('HMGET', key, 'attempt', 'startedAt', 'worker')
          local record = {n = tonumber(f[1]) or 0, s = tonumber(f[2]), f = now, o = outcome, e = message}
          if f[3] and f[3] ~= '' then record.w = f[3] end
          if detail and detail ~= '' then record.d = detail end
          redis.call('RPUSH', key .. ':attempts', cjson.encode(record))
          redis.call('LTRIM', key .. ':attempts', -\(JobQueue.attemptsKept), -1)
        end

        """
}
