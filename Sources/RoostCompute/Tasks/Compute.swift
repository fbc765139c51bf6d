import RoostClient
import RoostCoordination
import RoostJobs
import RoostRESP

/// A namespace of distributed tasks on a Roost, Redis/Valkey or Redis Cluster server: submit
/// registered functions with their arguments, get typed handles, await their values.
///
///     let compute = Compute("images", on: client)
///     let a = try await compute.submit(square, 3)
///     let b = try await compute.submit(square, 4)
///     let sum = try await compute.submit(add, afterAll: [a, b])   // runs once both are done
///     print(try await sum.value)                                   // 25
///
/// Tasks run on `ComputeWorker`s (in this process or any other connected to the same server)
/// as jobs of the RoostJobs queue `compute:<name>`, so they are delivered at least once, retried
/// under the task's `TaskOptions`, and a lost worker's task runs again elsewhere. A task whose
/// arguments are other tasks' outputs is enqueued when the last of them is published (by the
/// worker that published it), exactly as if it had been submitted then. Outputs are kept for
/// `resultTTL`; a deterministic task's output is found by its content address (see
/// `ComputeTask`), so it is computed once while it is kept.
///
/// The key layout is described in `ComputeKeys` (hash tag: the queue's name).
public struct Compute: Sendable {
    /// The namespace's name.
    public let name: String
    /// The job queue the tasks run on (`compute:<name>`): its counts, events and dead letters
    /// are the tasks'.
    public let queue: JobQueue
    /// How long task outputs (and dependents' records) are kept.
    public var resultTTL: Duration
    let client: any CoordinationClient
    let keys: ComputeKeys

    /// The namespace `name` on `client`'s server or cluster.
    public init(_ name: String, on client: any CoordinationClient, resultTTL: Duration = .seconds(24 * 3600)) {
        self.name = name
        self.client = client
        self.resultTTL = resultTTL
        let queueName = "compute:" + name
        self.queue = JobQueue(queueName, on: client)
        self.keys = ComputeKeys(queue: queueName)
    }

    /// `resultTTL` in whole milliseconds, at least 1.
    var resultMilliseconds: Int { max(Int(resultTTL.computeMilliseconds), 1) }

    /// Runs one of the namespace's scripts.
    func run(_ script: RedisScript, _ arguments: [RedisArgument]) async throws -> RESPValue {
        try await client.evaluate(script, keys: [keys.slotKey], arguments: [RedisArgument(keys.prefix)] + arguments)
    }
}

/// The job that carries every task: which function, which version, its encoded arguments.
struct ComputeJob: Job {
    static let name = "roost.compute.task"
    var task: String
    var version: Int
    /// The arguments as JSON text.
    var arguments: String
}
