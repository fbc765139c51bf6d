import RoostClient
import RoostCoordination
import RoostJobs
import RoostRESP

/// A namespace of MapReduce jobs on a Roost, Redis/Valkey or Redis Cluster server.
///
///     let mapReduce = MapReduce("analytics", on: client)
///     let run = try await mapReduce.submit(wordCount, input: RedisListInput(key: "lines"), partitions: 8)
///     try await run.wait()
///     let counts = try await run.collect()
///
/// Submitting stores the job (its splits, its settings) under its own hash tag and enqueues its
/// coordinator. `MapReduceWorker`s (in any process connected to the same server, with the job
/// in their `MapReduceRegistry`) run the coordinator and the map and reduce tasks; see
/// `MapReduceCoordinator` for how the job proceeds and survives crashes, and `MapReduceKeys` for
/// the key layout.
public struct MapReduce: Sendable {
    /// The namespace's name.
    public let name: String
    /// The queue of map and reduce attempts (`mapreduce:<name>`).
    public let tasks: JobQueue
    /// The queue of job coordinators (`mapreduce:<name>:coordinators`).
    public let coordinators: JobQueue
    /// How long a job's keys (description, state, outputs) are kept after submission.
    public var retention: Duration
    let client: any CoordinationClient

    /// The namespace `name` on `client`'s server or cluster.
    public init(_ name: String, on client: any CoordinationClient, retention: Duration = .seconds(24 * 3600)) {
        self.name = name
        self.client = client
        self.retention = retention
        self.tasks = JobQueue(MapReduceKeys.tasksQueue(name), on: client)
        self.coordinators = JobQueue(MapReduceKeys.coordinatorQueue(name), on: client)
    }

    var retentionMilliseconds: Int { max(Int(retention.computeMilliseconds), 1) }

    func keys(_ job: String) -> MapReduceKeys { MapReduceKeys(namespace: name, job: job) }

    /// Submits `job` over `input` with `partitions` reduce partitions and returns its handle.
    /// Submitting again with the same `id` while the job is kept returns the same job.
    /// - Parameters:
    ///   - id: the job's id in the namespace (letters, digits, `-`, `_`); nil: a random one.
    ///   - settings: retries and backups (see `CoordinatorInstance.Settings`).
    /// - Throws: `MapReduceError.invalid` for a bad id or no partitions, what `input` throws
    ///   cutting its splits, client errors.
    public func submit<Input: MapReduceInput, Key, Value, Output>(
        _ job: MapReduceJob<Input.Split, Key, Value, Output>, input: Input, partitions: Int = 4, id: String? = nil,
        settings: CoordinatorInstance.Settings = CoordinatorInstance.Settings()
    ) async throws -> MapReduceRun<Key, Output> {
        guard partitions >= 1 else { throw MapReduceError.invalid("a job needs at least one partition") }
        let id = id ?? Self.randomID()
        guard !id.isEmpty, id.utf8.allSatisfy({ Self.idBytes.contains($0) }), id.utf8.contains(where: { !(48...57).contains($0) })
        else { throw MapReduceError.invalid("job ids are letters, digits, '-' and '_' (not digits only): \(id)") }
        let splits = try await input.splits(MapReduceInputContext(client: client))
        let keys = keys(id)
        var arguments: [RedisArgument] = [RedisArgument(keys.prefix), RedisArgument(retentionMilliseconds)]
        let spec: [(String, String)] = [("name", job.name), ("version", String(job.version)), ("maps", String(splits.count)),
                                        ("partitions", String(partitions)),
                                        ("settings", String(decoding: try TaskCoding.encode(settings), as: UTF8.self))]
        for (field, value) in spec { arguments += [RedisArgument(field), RedisArgument(value)] }
        arguments.append("--")
        for split in splits { arguments.append(RedisArgument(bytes: try TaskCoding.encode(split))) }
        _ = try await client.evaluate(MapReduceScripts.create, keys: [keys.spec], arguments: arguments)
        try await coordinators.enqueue(CoordinateJob(job: id), options: EnqueueOptions(id: id, maxAttempts: 1000))
        return MapReduceRun(id: id, mapReduce: self)
    }

    /// The handle of job `id` (submitted by this or another process), with its key and output types.
    public func run<Key: MapReduceCodable & Hashable, Output: MapReduceCodable>(
        id: String, key: Key.Type, output: Output.Type
    ) -> MapReduceRun<Key, Output> {
        MapReduceRun(id: id, mapReduce: self)
    }

    /// How many workers of the namespace sent a heartbeat lately.
    public func liveWorkers() async throws -> Int {
        let reply = try await client.evaluate(MapReduceScripts.heartbeat, keys: [MapReduceKeys.workers(name)],
                                              arguments: ["", RedisArgument(MapReduceWorker.liveWindowMilliseconds)])
        guard case .integer(let count) = reply else { throw MapReduceError.unexpectedReply("heartbeat: \(reply)") }
        return Int(count)
    }

    private static let idBytes = Set(Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_".utf8))

    static func randomID() -> String {
        var generator = SystemRandomNumberGenerator()
        return "j" + String(generator.next() as UInt64, radix: 36)
    }
}

/// The coordinator queue's job: coordinate MapReduce job `job`.
struct CoordinateJob: Job {
    static let name = "roost.mapreduce.coordinate"
    var job: String
}

/// The task queue's job: run attempt `attempt` of task `stage``index` of MapReduce job `job`.
struct AttemptJob: Job {
    static let name = "roost.mapreduce.attempt"
    var job: String
    var stage: CoordinatorInstance.Stage
    var index: Int
    var attempt: Int
}
