import RoostClient

/// Where a queue lives on the server. Every key carries the queue's name as its hash tag, so a
/// queue is one cluster slot and every state transition is one single-slot script. A
/// partitioned queue is N such sets under N tags (`QueueKeys+Partitions.swift`); `{q}` below
/// is then the partition's tag, and `meta` also holds `partitions` (partition 0) or `idPrefix`.
///
/// | key | type | holds |
/// |---|---|---|
/// | `roost:jobs:{q}:job:<id>` | hash | the job: `name`, `data`, `state`, `priority`, `score`, `attempt`, `maxAttempts`, `timeout`, `backoff`, `token`, `enqueuedAt`, `startedAt`, `finishedAt`, `result`, `error`, `progress` |
/// | `roost:jobs:{q}:job:<id>:logs` | list | the job's log lines (capped) |
/// | `roost:jobs:{q}:ready` | zset | waiting jobs by `priority · 2^40 + sequence` |
/// | `roost:jobs:{q}:delayed` | zset | delayed jobs (and retries in backoff) by when due, ms |
/// | `roost:jobs:{q}:active` | zset | running attempts by lease deadline, ms: the reaper's index |
/// | `roost:jobs:{q}:completed` | zset | completed jobs by finish time (retention) |
/// | `roost:jobs:{q}:failed` | zset | failed jobs by finish time: the dead-letter set |
/// | `roost:jobs:{q}:marker` | list | wake-up tokens idle workers block on (`BLPOP`) |
/// | `roost:jobs:{q}:fence` | string | the attempt-token counter |
/// | `roost:jobs:{q}:seq` | string | the enqueue counter (ids, order) |
/// | `roost:jobs:{q}:meta` | hash | `paused`, `concurrency`, `rateMax`, `rateWindow` |
/// | `roost:jobs:{q}:meta:window` | string | starts in the current rate-limit window |
/// | `roost:jobs:{q}:meta:repeat` | hash | schedule name → `RepeatDefinition` (JSON) |
/// | `roost:jobs:{q}:meta:repeat:next` | zset | schedule name → next tick, ms |
/// | `roost:jobs:{q}:job:dedup:<key>` | string | the job holding a deduplication key |
/// | `roost:jobs:{q}:events` | shard channel | `<event> <id>` for every transition |
/// | `roost:jobs:{q}:control` | shard channel | for workers: `cancel <id>`, `schedule <name>` |
struct QueueKeys: Sendable {
    let ready, delayed, active, completed, failed, marker, fence, seq, meta: RedisKey
    /// The schedules' definitions (read by `schedules()`; the scripts derive it from `meta`).
    let repeatDefinitions: RedisKey
    /// The prefix of job hashes: `roost:jobs:{q}:job:`.
    let jobPrefix: String
    /// The shard channel of the queue's events.
    let events: String
    /// The shard channel workers listen to (cancels, schedule changes), apart from the busy
    /// events channel.
    let control: String

    init(queue: String) {
        let base = "roost:jobs:{\(queue)}:"
        ready = RedisKey(base + "ready")
        delayed = RedisKey(base + "delayed")
        active = RedisKey(base + "active")
        completed = RedisKey(base + "completed")
        failed = RedisKey(base + "failed")
        marker = RedisKey(base + "marker")
        fence = RedisKey(base + "fence")
        seq = RedisKey(base + "seq")
        meta = RedisKey(base + "meta")
        repeatDefinitions = RedisKey(base + "meta:repeat")
        jobPrefix = base + "job:"
        events = base + "events"
        control = base + "control"
    }

    /// The keys every script gets, in the order the scripts read them (`KEYS[1]`…`KEYS[9]`).
    var all: [RedisKey] { [ready, delayed, active, completed, failed, marker, fence, seq, meta] }

    /// The hash of job `id`.
    func job(_ id: String) -> RedisKey { RedisKey(jobPrefix + id) }

    /// The set a job in `state` is indexed in.
    func set(for state: JobState) -> RedisKey {
        switch state {
        case .waiting: ready
        case .delayed: delayed
        case .active: active
        case .completed: completed
        case .failed: failed
        }
    }
}
