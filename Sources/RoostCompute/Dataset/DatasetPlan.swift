/// A dataset's lazy plan: where its elements come from, then the narrow steps (map, filter,
/// flatMap) applied to each. An origin is a Redis list or a wide step (a shuffle) over other plans.
struct DatasetPlan: Sendable {
    indirect enum Origin: Sendable {
        /// The elements of a Redis list.
        case list(String)
        /// The output of `step` over `inputs` (two for a join, one otherwise).
        case wide(WideStep, inputs: [DatasetPlan])
    }

    var origin: Origin
    var narrow: [DatasetFunctionReference] = []

    /// The plan with `function` applied after its own steps.
    func appending(_ function: DatasetFunctionReference) -> DatasetPlan {
        var plan = self
        plan.narrow.append(function)
        return plan
    }

    /// Every function the plan names, its inputs' first.
    var functions: [DatasetFunctionReference] {
        switch origin {
        case .list: return narrow
        case .wide(let step, let inputs): return inputs.flatMap(\.functions) + step.functions + narrow
        }
    }
}

/// A step that needs a shuffle, ending a stage.
enum WideStep: Sendable {
    case reduceByKey(DatasetFunctionReference, partitions: Int?)
    case groupByKey(partitions: Int?)
    case join(partitions: Int?)
    case sortBy(DatasetFunctionReference, ascending: Bool, partitions: Int?)

    var functions: [DatasetFunctionReference] {
        switch self {
        case .reduceByKey(let function, _), .sortBy(let function, _, _): [function]
        case .groupByKey, .join: []
        }
    }
}

/// Where a stage's input comes from: a Redis list, or the committed output of an earlier
/// stage's job (in the same namespace).
enum DatasetSource: Codable, Hashable, Sendable {
    case list(key: String)
    case stage(job: String, partitions: Int)
}

/// One input of a stage: its source and the narrow steps its map phase applies.
struct StageInput: Codable, Hashable, Sendable {
    var source: DatasetSource
    var narrow: [DatasetFunctionReference]
}

/// What a stage's MapReduce job does, as every split of it carries.
struct StageSpec: Codable, Hashable, Sendable {
    enum Operation: Codable, Hashable, Sendable {
        /// The elements, in input order (each map task keeps at most `limit`).
        case collect(limit: Int?)
        /// How many elements there are.
        case count
        /// Pairs folded per key by a reducer.
        case reduceByKey(reducer: DatasetFunctionReference)
        /// Pairs grouped per key.
        case groupByKey
        /// Pairs of input 0 and input 1 with equal keys.
        case join
        /// Elements range-partitioned by `boundaries` and sorted in each partition.
        case sort(key: DatasetFunctionReference, ascending: Bool, boundaries: [[UInt8]])
        /// The boundaries cutting a sample of `perSplit` keys per split into `partitions` ranges.
        case sample(key: DatasetFunctionReference, perSplit: Int, partitions: Int)
    }

    var operation: Operation
    var inputs: [StageInput]
    var partitions: Int
}

/// One map task's split of a stage: the stage, which input, and which part of it.
struct DatasetSplit: MapReduceSplit {
    enum Part: Codable, Hashable, Sendable {
        case list(RedisListSplit)
        case stage(namespace: String, job: String, partition: Int)
    }

    var stage: StageSpec
    var input: Int
    /// The split's position among the stage's splits, and their number.
    var index: Int
    var count: Int
    var part: Part

    /// Reads the part's encoded elements in order.
    func read(_ context: MapReduceInputContext, _ body: ([UInt8]) throws -> Void) async throws {
        switch part {
        case .list(let split):
            try await split.read(context, body)
        case .stage(let namespace, let job, let partition):
            let blob = try await MapReduceOutput<[UInt8], [UInt8]>.blob(
                partition, keys: MapReduceKeys(namespace: namespace, job: job), client: context.client)
            try ShuffleBlob.forEachPair(in: blob) { _, elements in
                var offset = 0
                while offset < elements.count { try body(Array(try ShuffleBlob.readFramed(elements, at: &offset))) }
            }
        }
    }
}
