import RoostClient
import RoostCoordination

/// Where `Dataset`s start and run: a MapReduce namespace, the functions plans may name, and
/// how stages are cut.
///
///     let dataflow = Dataflow("analytics", on: client, functions: functions)
///     let top = try await dataflow.list("lines", of: String.self)
///         .flatMap(WordCount.words).map(WordCount.one).reduceByKey(WordCount.sum)
///         .sortBy(WordCount.byCountDescending).take(10)
///
/// **Stages.** An action (`collect`, `take`, `count`) compiles the plan into MapReduce jobs
/// of the one registered job `roost.dataset`, one per wide step (`reduceByKey`, `groupByKey`,
/// `join`, `sortBy`). The narrow steps (`map`, `filter`, `flatMap`) before a wide step run in
/// that stage's map tasks; a stage's committed output is the next stage's input (one split
/// per partition, read straight from the job's output); narrow steps after the last wide step
/// run in a final collecting or counting stage. Workers need only
/// `MapReduceRegistry.register(_: DatasetFunctions)` with the same functions, and run the
/// namespace's `MapReduceWorker`s as for any MapReduce job, so stages survive worker crashes
/// the same way. The action deletes its stages' jobs when it ends.
///
/// **sortBy** orders globally by range partitioning: a sampling stage first reads the input
/// (a seeded reservoir of `sampleSize` keys per split), its reduce cuts the sorted sample into
/// equal ranges, and the sorting stage sends each element to its key's range and sorts each
/// partition; partitions are read in order, so the output is exactly sorted. With one
/// partition the sampling stage is skipped.
public struct Dataflow: Sendable {
    /// The MapReduce namespace the stages run in; its workers run them.
    public let mapReduce: MapReduce
    /// The functions plans may name; an action checks its plan against them before it submits.
    public let functions: DatasetFunctions
    /// The reduce partitions of a wide step that does not say.
    public var partitions: Int
    /// How many list elements a map task of a first stage reads.
    public var elementsPerSplit: Int
    /// How many keys each split contributes to the sample of a `sortBy`.
    public var sampleSize: Int
    /// Retries and backups of the stages' jobs.
    public var settings: CoordinatorInstance.Settings
    /// How long an action waits for one stage (nil: without limit).
    public var stageTimeout: Duration?

    /// A dataflow in the MapReduce namespace `name` on `client`'s server or cluster.
    public init(_ name: String, on client: any CoordinationClient, functions: DatasetFunctions, partitions: Int = 4,
                elementsPerSplit: Int = 10_000, sampleSize: Int = 100, settings: CoordinatorInstance.Settings = .init(),
                stageTimeout: Duration? = nil) {
        mapReduce = MapReduce(name, on: client)
        self.functions = functions
        self.partitions = max(partitions, 1)
        self.elementsPerSplit = max(elementsPerSplit, 1)
        self.sampleSize = max(sampleSize, 1)
        self.settings = settings
        self.stageTimeout = stageTimeout
    }

    /// The elements of the Redis list at `key` (read when an action runs), each decoded as
    /// `Element` (a `String` is the element's UTF-8, `[UInt8]` its bytes, another `Codable`
    /// type its JSON).
    public func list<Element: Codable & Sendable>(_ key: String, of type: Element.Type = Element.self) -> Dataset<Element> {
        Dataset(dataflow: self, plan: DatasetPlan(origin: .list(key)))
    }

    /// Stores `elements` in a new Redis list of the namespace (kept for the namespace's
    /// retention) and returns them as a dataset.
    /// - Throws: client errors.
    public func parallelize<Element: Codable & Sendable>(_ elements: [Element]) async throws -> Dataset<Element> {
        let name = "roost:dataset:{ds:\(mapReduce.name):\(MapReduce.randomID())}:input"
        let key = RedisKey(name)
        for start in stride(from: 0, to: elements.count, by: 1000) {
            let batch = elements[start..<min(start + 1000, elements.count)]
            _ = try await mapReduce.client.rpush(key, batch.map { RedisArgument(bytes: DatasetCoding.encode($0)) as any RedisArgumentConvertible })
        }
        _ = try await mapReduce.client.pexpire(key, milliseconds: mapReduce.retentionMilliseconds)
        return Dataset(dataflow: self, plan: DatasetPlan(origin: .list(name)))
    }
}
