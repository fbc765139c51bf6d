import RoostClient

/// Where a MapReduce job lives on the server.
///
/// A job's own keys share the hash tag `{mr:<namespace>:<job>}` (one cluster slot, so each of
/// its state changes is one script); the intermediate and output data of reduce partition `p`
/// carry the tag `{mr:<namespace>:<job>:p<p>}`, so a cluster spreads partitions over its masters.
///
/// | key | type | holds |
/// |---|---|---|
/// | `roost:mr:{mr:<n>:<j>}:spec` | hash | name, version, maps, partitions, settings, status (`running`, `done`, `failed`), error, submittedAt, finishedAt |
/// | `roost:mr:{mr:<n>:<j>}:splits` | hash | split index → the split (JSON) |
/// | `roost:mr:{mr:<n>:<j>}:state` | hash | the coordinator's `CoordinatorInstance` (JSON, `value`) fenced by its leadership epoch (`token`) |
/// | `roost:mr:{mr:<n>:<j>}:committed` | hash | `m<i>` / `r<p>` → `<attempt>:<token>`: the one committed attempt of each task |
/// | `roost:mr:{mr:<n>:<j>}:progress` | hash | bytesIn, bytesOut, records: sums over committed attempts |
/// | `roost:mr:{mr:<n>:<j>}:notices` | shard channel | a notice after every commit and coordinator step |
/// | `roost:mr:{mr:<n>:<j>:p<p>}:shuffle` | hash | `<i>:<token>` → the intermediate blob of map attempt `token` of task `i` for partition `p` |
/// | `roost:mr:{mr:<n>:<j>:p<p>}:output` | hash | `<token>` → the output blob of reduce attempt `token` of partition `p` |
/// | `roost:leader:{mr:<n>:<j>}` … | | the job's coordinator election (`LeaderElection` named `mr:<n>:<j>`) |
/// | `roost:mr:{mapreduce:<n>}:workers` | sorted set | worker identity → its last heartbeat (server ms) |
///
/// Map and reduce attempts run as jobs `<j>.m<i>.<attempt>` / `<j>.r<p>.<attempt>` of the RoostJobs
/// queue `mapreduce:<n>`; coordinators run as jobs `<j>` of the queue `mapreduce:<n>:coordinators`.
/// A running attempt's job records `{"worker": <identity>}` as its progress (`MapReduce.inspect`).
struct MapReduceKeys: Sendable {
    let namespace: String
    let job: String
    /// `mr:<n>:<j>`: the hash tag and the coordinator election's name.
    let tag: String
    let prefix: String

    init(namespace: String, job: String) {
        self.namespace = namespace
        self.job = job
        tag = "mr:\(namespace):\(job)"
        prefix = "roost:mr:{\(tag)}:"
    }

    var spec: RedisKey { RedisKey(prefix + "spec") }
    var splits: RedisKey { RedisKey(prefix + "splits") }
    var state: RedisKey { RedisKey(prefix + "state") }
    var committed: RedisKey { RedisKey(prefix + "committed") }
    var progress: RedisKey { RedisKey(prefix + "progress") }
    var notices: String { prefix + "notices" }
    var jobKeys: [RedisKey] { [spec, splits, state, committed, progress] }

    func shuffle(_ partition: Int) -> RedisKey { RedisKey("roost:mr:{\(tag):p\(partition)}:shuffle") }
    func output(_ partition: Int) -> RedisKey { RedisKey("roost:mr:{\(tag):p\(partition)}:output") }

    /// The task-queue job id of an attempt: `<j>.m3.2`.
    func attemptID(_ attempt: CoordinatorInstance.Attempt) -> String { "\(job).\(attempt.task).\(attempt.number)" }

    /// The attempt a task-queue job id names, if it is one of this job's.
    func attempt(fromID id: String) -> (task: CoordinatorInstance.TaskID, number: Int)? {
        guard id.hasPrefix(job + ".") else { return nil }
        let parts = id.dropFirst(job.count + 1).split(separator: ".")
        guard parts.count == 2, let first = parts[0].first, let stage = CoordinatorInstance.Stage(rawValue: String(first)),
              let index = Int(parts[0].dropFirst()), let number = Int(parts[1]) else { return nil }
        return (CoordinatorInstance.TaskID(stage, index), number)
    }

    /// The names of the namespace's queues and its worker set.
    static func tasksQueue(_ namespace: String) -> String { "mapreduce:" + namespace }
    static func coordinatorQueue(_ namespace: String) -> String { "mapreduce:\(namespace):coordinators" }
    static func workers(_ namespace: String) -> RedisKey { RedisKey("roost:mr:{mapreduce:\(namespace)}:workers") }
}

/// A committed attempt as the `committed` hash records it: `<attempt>:<token>`.
struct CommitRecord: Sendable, Hashable {
    var attempt: Int
    var token: Int64

    var encoded: String { "\(attempt):\(token)" }

    init(attempt: Int, token: Int64) {
        self.attempt = attempt
        self.token = token
    }

    init?(_ bytes: [UInt8]) {
        let parts = String(decoding: bytes, as: UTF8.self).split(separator: ":")
        guard parts.count == 2, let attempt = Int(parts[0]), let token = Int64(parts[1]) else { return nil }
        self.init(attempt: attempt, token: token)
    }
}
