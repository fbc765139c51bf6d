import RoostClient

extension JobQueue {
    /// Limits how fast the queue's workers, all together, start jobs of each group
    /// (`EnqueueOptions.group`): at most `rate.count` starts per `rate.per` (fixed windows) for
    /// every group, or with `group`, for that group only (overriding the default). nil removes
    /// the limit. A job of a group over its limit is held aside until the group's window ends;
    /// jobs of other groups (and without a group) keep starting meanwhile. Workers obey from
    /// their next take.
    /// - Throws: `JobsError.invalidOptions` for a rate under 1 per ms or an empty group; client
    ///   errors.
    public func setGroupRate(_ rate: (count: Int, per: Duration)?, for group: String? = nil) async throws {
        if group == "" { throw JobsError.invalidOptions("empty group") }
        if let rate, rate.count < 1 || rate.per.milliseconds < 1 { throw JobsError.invalidOptions("rate must allow at least 1 per ms") }
        // Partitions: a group's jobs all go to one partition, so each partition gets the whole limit.
        if spansPartitions { return _ = try await eachPartition { try await $0.setGroupRate(rate, for: group) } }
        _ = try await run(JobScripts.groupLimits, [
            RedisArgument(group ?? ""), RedisArgument(rate.map { String($0.count) } ?? ""),
            RedisArgument(rate.map { String($0.per.milliseconds) } ?? ""),
        ])
    }

    /// The rate limit that applies to `group` (its own, else the default for every group), or
    /// with `group` nil the default; nil when none.
    /// - Throws: client errors.
    public func groupRate(for group: String? = nil) async throws -> Settings.Rate? {
        if let group, let own = try await client.execute(RedisCommand("HGET", [keys.groupLimits, RedisArgument(group)]),
                                                          timeout: nil).jobString {
            let parts = own.split(separator: " ")
            if parts.count == 2, let count = Int(parts[0]), let window = Int64(parts[1]) {
                return Settings.Rate(count: count, per: .milliseconds(window))
            }
        }
        let fields = try await client.execute(RedisCommand("HMGET", [keys.meta, "groupRateMax", "groupRateWindow"]),
                                              timeout: nil).jobArray ?? []
        guard fields.count == 2, let count = fields[0].jobInt, let window = fields[1].jobInt else { return nil }
        return Settings.Rate(count: Int(count), per: .milliseconds(window))
    }

    /// How many waiting jobs are held aside because their group is over its limit.
    func heldCount() async throws -> Int {
        Int(try await client.execute(RedisCommand("GET", [keys.heldCount]), timeout: nil).jobInt ?? 0)
    }
}
