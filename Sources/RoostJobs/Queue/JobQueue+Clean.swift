import RoostClient

extension JobQueue {
    /// How many finished jobs one clean script call removes at most.
    static let cleanBatch = 500

    /// Removes finished jobs in `state` (`.completed` or `.failed`): those that finished more
    /// than `olderThan` ago on the server's clock (nil: of any age), sparing the `keep` most
    /// recently finished whatever their age. Returns how many were removed.
    ///
    /// Runs in atomic batches of `cleanBatch` jobs; each removed job is announced as
    /// `.removed`, and frees its "until finished" deduplication key as retention does. On a
    /// partitioned queue each partition is cleaned, and `keep` applies to each.
    /// - Throws: `JobsError.invalidOptions` for another state, a negative `keep` or a negative
    ///   `olderThan`; client errors.
    @discardableResult
    public func clean(_ state: JobState, olderThan: Duration? = nil, keep: Int = 0) async throws -> Int {
        guard state == .completed || state == .failed else {
            throw JobsError.invalidOptions("only completed or failed jobs can be cleaned, not \(state.rawValue)")
        }
        guard keep >= 0 else { throw JobsError.invalidOptions("keep must not be negative") }
        if let olderThan, olderThan < .zero { throw JobsError.invalidOptions("olderThan must not be negative") }
        if spansPartitions { return try await eachPartition { try await $0.clean(state, olderThan: olderThan, keep: keep) }.reduce(0, +) }
        let arguments = [RedisArgument(state.rawValue), RedisArgument(olderThan.map { String($0.milliseconds) } ?? ""),
                         RedisArgument(keep), RedisArgument(Self.cleanBatch)]
        var total = 0
        while true {
            let removed = Int(try await run(JobScripts.clean, arguments))
            total += removed
            if removed < Self.cleanBatch { return total }
        }
    }
}

extension JobScripts {
    /// Removes up to `ARGV[6]` jobs from the `ARGV[3]` (`completed` or `failed`) set, oldest
    /// first, that finished at least `ARGV[4]` ms ago ('' for any age), never touching the
    /// `ARGV[5]` newest. Returns how many it removed.
    static let clean = RedisScript(prelude + """
        local set = KEYS[4]
        if ARGV[3] == 'failed' then set = KEYS[5] end
        local limit = math.min(redis.call('ZCARD', set) - tonumber(ARGV[5]), tonumber(ARGV[6]))
        if limit <= 0 then return 0 end
        local ids
        if ARGV[4] == '' then
          ids = redis.call('ZRANGE', set, 0, limit - 1)
        else
          ids = redis.call('ZRANGEBYSCORE', set, '-inf', now - tonumber(ARGV[4]), 'LIMIT', 0, limit)
        end
        for _, id in ipairs(ids) do
          local key = ARGV[1] .. id
          redis.call('ZREM', set, id)
          finished(id)
          redis.call('DEL', key, key .. ':logs', key .. ':attempts')
          event('removed', id)
        end
        return #ids
        """)
}
