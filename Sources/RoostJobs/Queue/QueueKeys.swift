import RoostClient

/// Where a queue lives on the server. Every key carries the queue's name as its hash tag, so a
/// queue is one cluster slot and every state transition is one single-slot script. A
/// partitioned queue is N such sets under N tags (`QueueKeys+Partitions.swift`); `{q}` below
/// is then the partition's tag, and `meta` also holds `partitions` (partition 0) or `idPrefix`.
///
/// | key | type | holds |
/// |---|---|---|
/// | `roost:jobs:{q}:job:<id>` | hash | the job: `name`, `data`, `state`, `priority`, `score`, `attempt`, `maxAttempts`, `timeout`, `backoff`, `token`, `worker` (the id of the worker that took the latest attempt), `enqueuedAt`, `startedAt`, `finishedAt`, `result`, `error`, `progress` |
/// | `roost:jobs:{q}:job:<id>:logs` | list | the job's log lines (capped) |
/// | `roost:jobs:{q}:job:<id>:attempts` | list | the last 25 (`JobQueue.attemptsKept`) attempts that failed, timed out, stalled or were cancelled, oldest first, each a compact JSON `JobAttempt` (`n` number, `w` worker, `s` started, `f` finished, `o` outcome, `e` error, `d` detail) |
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
/// | `roost:jobs:{q}:workers` | zset | announced workers by when their announcement expires, ms (`WorkerPresence`) |
/// | `roost:jobs:{q}:worker:<id>` | hash | an announced worker: `host`, `pid`, `concurrency`, `running`, `version`, `startedAt`, `heartbeatAt` |
/// | `roost:jobs:{q}:stats:<minute>` | hash | per-minute counts, kept a day (`JobScripts+Stats.swift`) |
///
/// Flows (`JobScripts+Flows.swift`) and group rate and concurrency limits (`JobScripts+Groups.swift`) add:
///
/// | key | type | holds |
/// |---|---|---|
/// | `roost:jobs:{q}:job:<id>` fields | hash | a child's `parentQueue`, `parentId`, `onFailure`, `parentPartitions` (when the parent's queue is partitioned); a parent's `pendingChildren`, and per child ref `<queue>:<id>`: `child:<ref>` (its job name), `dep:<ref>` (not finished yet), `res:<ref>` (its result), `err:<ref>` (its error); a grouped job's `group`, and `gslot` while it holds one of its group's concurrency slots |
/// | `roost:jobs:{q}:waiting-children` | zset | parents waiting for children, by enqueue time |
/// | `roost:jobs:{q}:flow:work` | hash | cross-queue steps to do: `a:<id>` (add parent id's children: its `FlowSpec`), `n:<id>` (tell child id's parent it finished: a JSON notice) |
/// | `roost:jobs:{q}:flow:due` | zset | flow-work entries by when a relay may (re)take them, ms |
/// | `roost:jobs:{q}:flow` | shard channel | `n:<id>`, `a:<id>`: flow work to relay (or its due time) |
/// | `roost:jobs:{q}:meta` fields | hash | `groupRateMax`, `groupRateWindow`: every group's default limit |
/// | `roost:jobs:{q}:meta:group-limits` | hash | group → `<max> <window ms>` |
/// | `roost:jobs:{q}:group:<g>` | zset | jobs of group g held over its limit, by score |
/// | `roost:jobs:{q}:group:<g>:window` | string | group g's starts in its current window |
/// | `roost:jobs:{q}:groups:parked` | zset | groups with held jobs, by when to release some, ms |
/// | `roost:jobs:{q}:groups:held` | string | how many jobs are held |
/// | `roost:jobs:{q}:meta` field | hash | `groupConcurrency`: every group's default concurrency limit |
/// | `roost:jobs:{q}:meta:group-concurrency` | hash | group → its own concurrency limit |
/// | `roost:jobs:{q}:groups:active:<g>` | string | how many jobs of group g hold a concurrency slot |
/// | `roost:jobs:{q}:groups:full` | set | groups with jobs held at their concurrency limit |
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
        case .waitingChildren: waitingChildren
        }
    }
}
