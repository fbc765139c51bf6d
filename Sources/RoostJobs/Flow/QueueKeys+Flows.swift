import RoostClient

extension QueueKeys {
    /// The queue's keys' common prefix: `roost:jobs:{q}:`.
    var base: String { String(jobPrefix.dropLast(4)) }
    /// Parents waiting for their children, by enqueue time.
    var waitingChildren: RedisKey { RedisKey(base + "waiting-children") }
    /// The shard channel a child's finish is announced on, for relays.
    var flowChannel: String { base + "flow" }
    /// How many jobs of groups over their limit are held aside.
    var heldCount: RedisKey { RedisKey(base + "groups:held") }
    /// Per-group rate limits that differ from the queue's default.
    var groupLimits: RedisKey { RedisKey(base + "meta:group-limits") }
    /// Per-group concurrency limits that differ from the queue's default.
    var groupConcurrency: RedisKey { RedisKey(base + "meta:group-concurrency") }
    /// How many jobs of group `group` run under its concurrency limit.
    func groupActive(_ group: String) -> RedisKey { RedisKey(base + "groups:active:" + group) }
}
