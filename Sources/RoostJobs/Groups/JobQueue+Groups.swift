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

    /// Lets at most `max` jobs of `group` (`EnqueueOptions.group`) run at once across every
    /// worker and process (BullMQ Pro's group concurrency), overriding the default
    /// (`setGroupConcurrency(max:)`); nil removes the group's own limit. A job of a group at its
    /// limit is held aside while other groups' jobs keep starting, and waits again as soon as
    /// one of the group's running jobs completes, fails, times out, is cancelled, is handed
    /// back, or has its lease run out (a worker killed mid-job gives its slot back when the
    /// reaper finds its lease expired). Workers obey from their next take.
    ///
    /// On a partitioned queue all of a group's jobs live in one partition, so each partition
    /// gets the whole limit and counts its own groups' running jobs: the limit holds for the
    /// whole queue.
    /// - Throws: `JobsError.invalidOptions` for a limit under 1 or an empty group; client errors.
    public func setGroupConcurrency(_ group: String, max: Int?) async throws {
        if group.isEmpty { throw JobsError.invalidOptions("empty group") }
        try await setGroupConcurrency(max, for: group)
    }

    /// Lets at most `max` jobs of each group run at once (every group without a limit of its
    /// own, `setGroupConcurrency(_:max:)`); nil removes the default.
    /// - Throws: `JobsError.invalidOptions` for a limit under 1; client errors.
    public func setGroupConcurrency(max: Int?) async throws {
        try await setGroupConcurrency(max, for: nil)
    }

    private func setGroupConcurrency(_ max: Int?, for group: String?) async throws {
        if let max, max < 1 { throw JobsError.invalidOptions("group concurrency must be at least 1") }
        if spansPartitions { return _ = try await eachPartition { try await $0.setGroupConcurrency(max, for: group) } }
        _ = try await run(JobScripts.groupConcurrencyLimits, [RedisArgument(group ?? ""), RedisArgument(max.map(String.init) ?? "")])
    }

    /// The concurrency limit that applies to `group` (its own, else the default for every
    /// group), or with `group` nil the default; nil when none.
    /// - Throws: client errors.
    public func groupConcurrency(for group: String? = nil) async throws -> Int? {
        if let group, let own = try await client.execute(RedisCommand("HGET", [keys.groupConcurrency, RedisArgument(group)]),
                                                          timeout: nil).jobInt {
            return Int(own)
        }
        return try await client.execute(RedisCommand("HGET", [keys.meta, "groupConcurrency"]), timeout: nil).jobInt.map { Int($0) }
    }

    /// How many jobs of `group` run now, as the group's concurrency limit counts them (only
    /// jobs started while a limit applied to the group count).
    /// - Throws: client errors.
    public func runningCount(of group: String) async throws -> Int {
        if spansPartitions { return try await partition(Self.partitionIndex(hashing: group, count: partitionCount)).runningCount(of: group) }
        return Int(try await client.execute(RedisCommand("GET", [keys.groupActive(group)]), timeout: nil).jobInt ?? 0)
    }

    /// How many waiting jobs are held aside because their group is over its limit.
    func heldCount() async throws -> Int {
        Int(try await client.execute(RedisCommand("GET", [keys.heldCount]), timeout: nil).jobInt ?? 0)
    }
}
