import RoostClient

/// Where a `Compute` namespace lives on the server. Its keys carry the hash tag of its job
/// queue (`compute:<name>`), so a task's keys and its job are in one cluster slot and a
/// dependency's completion, its dependents and their jobs can be read and written together.
///
/// | key | type | holds |
/// |---|---|---|
/// | `roost:compute:{compute:<n>}:result:<id>` | string | the task's output (JSON), kept `resultTTL` |
/// | `roost:compute:{compute:<n>}:task:<id>` | string | a dependent task's `TaskRecord` (JSON) |
/// | `roost:compute:{compute:<n>}:task:<id>:waiting` | set | the dependencies it still waits for |
/// | `roost:compute:{compute:<n>}:task:<id>:dependents` | set | the tasks waiting for this one |
///
/// Tasks run as jobs of the RoostJobs queue `compute:<n>` whose job id is the task id (`d` and
/// a SHA-256 for deterministic tasks, `t` and 128 random bits otherwise); waiting listens to
/// that queue's events channel.
struct ComputeKeys: Sendable {
    /// `roost:compute:{compute:<n>}:`, what the scripts build keys from.
    let prefix: String
    /// The prefix of the queue's job hashes (RoostJobs' layout).
    let jobPrefix: String

    init(queue: String) {
        prefix = "roost:compute:{\(queue)}:"
        jobPrefix = "roost:jobs:{\(queue)}:job:"
    }

    func result(_ id: String) -> RedisKey { RedisKey(prefix + "result:" + id) }
    func task(_ id: String) -> RedisKey { RedisKey(prefix + "task:" + id) }
    /// A key of the namespace's slot, for scripts that name their keys from `prefix`.
    var slotKey: RedisKey { RedisKey(prefix + "slot") }
}

/// What a dependent task's submission leaves for whoever enqueues it once its inputs exist.
struct TaskRecord: Codable, Sendable {
    var name: String
    var version: Int
    /// The tasks whose outputs make its arguments, in order.
    var dependencies: [String]
    /// Whether the arguments are the array of the dependencies' outputs (else the one output).
    var gathers: Bool
    var options: TaskOptions
}
