/// One action's run: compiles a plan into stages (one MapReduce job of `roost.dataset` per
/// wide step), runs them in order, and deletes their jobs at the end.
struct DatasetExecution {
    let dataflow: Dataflow
    let runID = MapReduce.randomID()
    private(set) var jobs: [String] = []

    /// Checks the plan's functions, materializes its origin and hands the final input to `body`;
    /// deletes the action's jobs however it ends.
    static func run<Result>(_ plan: DatasetPlan, _ dataflow: Dataflow,
                            _ body: (inout DatasetExecution, StageInput) async throws -> Result) async throws -> Result {
        for function in plan.functions { _ = try dataflow.functions.definition(function) }
        var execution = DatasetExecution(dataflow: dataflow)
        do {
            let input = try await execution.materialize(plan)
            let result = try await body(&execution, input)
            await execution.deleteJobs()
            return result
        } catch {
            await execution.deleteJobs()
            throw error
        }
    }

    /// The input the plan's elements come from: its list, or the output of the stage of its
    /// wide step (run now), with its narrow steps still to apply.
    mutating func materialize(_ plan: DatasetPlan) async throws -> StageInput {
        switch plan.origin {
        case .list(let key):
            return StageInput(source: .list(key: key), narrow: plan.narrow)
        case .wide(let step, let plans):
            var inputs: [StageInput] = []
            for input in plans { inputs.append(try await materialize(input)) }
            let job: (job: String, partitions: Int)
            switch step {
            case .reduceByKey(let reducer, let partitions):
                job = try await stage(.reduceByKey(reducer: reducer), inputs, partitions: partitions ?? dataflow.partitions)
            case .groupByKey(let partitions):
                job = try await stage(.groupByKey, inputs, partitions: partitions ?? dataflow.partitions)
            case .join(let partitions):
                job = try await stage(.join, inputs, partitions: partitions ?? dataflow.partitions)
            case .sortBy(let key, let ascending, let partitions):
                let partitions = partitions ?? dataflow.partitions
                var boundaries: [[UInt8]] = []
                if partitions > 1 {
                    let sample = try await stage(.sample(key: key, perSplit: dataflow.sampleSize, partitions: partitions),
                                                 inputs, partitions: 1)
                    boundaries = try await output(of: sample.job, limit: nil)
                }
                job = try await stage(.sort(key: key, ascending: ascending, boundaries: boundaries), inputs, partitions: partitions)
            }
            return StageInput(source: .stage(job: job.job, partitions: job.partitions), narrow: plan.narrow)
        }
    }

    /// The encoded elements of `input`, in order (the first `limit`).
    mutating func encodedElements(of input: StageInput, limit: Int?) async throws -> [[UInt8]] {
        if input.narrow.isEmpty, case .stage(let job, _) = input.source { return try await output(of: job, limit: limit) }
        let job = try await stage(.collect(limit: limit), [input], partitions: nil)
        return try await output(of: job.job, limit: limit)
    }

    /// The elements of `input`, decoded, in order (the first `limit`).
    mutating func elements<Element: Codable & Sendable>(of input: StageInput, limit: Int?, as type: Element.Type) async throws -> [Element] {
        try await encodedElements(of: input, limit: limit).map { try DatasetCoding.decode(Element.self, from: $0) }
    }

    /// How many elements `input` has, counted by a counting stage.
    mutating func count(_ input: StageInput) async throws -> Int {
        let job = try await stage(.count, [input], partitions: 1)
        return try await output(of: job.job, limit: nil).reduce(0) { $0 + (try DatasetCoding.decode(Int.self, from: $1)) }
    }

    /// Submits a stage over `inputs` with `partitions` reduce partitions (nil: the dataflow's,
    /// at most one per split), waits for it, and returns its output as a source.
    /// - Throws: `DatasetError.stageFailed` when the job failed, client errors.
    private mutating func stage(_ operation: StageSpec.Operation, _ inputs: [StageInput],
                                partitions: Int?) async throws -> (job: String, partitions: Int) {
        let context = MapReduceInputContext(client: dataflow.mapReduce.client)
        var parts: [(input: Int, part: DatasetSplit.Part)] = []
        for (index, input) in inputs.enumerated() {
            switch input.source {
            case .list(let key):
                for split in try await RedisListInput(key: key, elementsPerSplit: dataflow.elementsPerSplit).splits(context) {
                    parts.append((index, .list(split)))
                }
            case .stage(let job, let count):
                for partition in 0..<count { parts.append((index, .stage(namespace: dataflow.mapReduce.name, job: job, partition: partition))) }
            }
        }
        let spec = StageSpec(operation: operation, inputs: inputs,
                             partitions: partitions ?? max(1, min(dataflow.partitions, parts.count)))
        let splits = parts.enumerated().map { index, part in
            DatasetSplit(stage: spec, input: part.input, index: index, count: parts.count, part: part.part)
        }
        let id = "\(runID)-s\(jobs.count)"
        jobs.append(id)
        let run = try await dataflow.mapReduce.submit(DatasetJob.make(dataflow.functions), input: splits, partitions: spec.partitions,
                                                      id: id, settings: dataflow.settings)
        do {
            try await run.wait(timeout: dataflow.stageTimeout)
        } catch let error as MapReduceError {
            let progress = try? await run.currentProgress()
            guard progress?.phase == .failed, let message = progress?.error else { throw error }
            throw DatasetError.stageFailed(stage: id, message: message)
        }
        return (id, spec.partitions)
    }

    /// The framed elements of job `job`'s output, partition after partition (the first `limit`;
    /// later partitions are not read once they are reached).
    private func output(of job: String, limit: Int?) async throws -> [[UInt8]] {
        var elements: [[UInt8]] = []
        for try await pair in dataflow.mapReduce.run(id: job, key: [UInt8].self, output: [UInt8].self).output() {
            elements += try DatasetCoding.elements(pair.value)
            if let limit, elements.count >= limit { return Array(elements.prefix(limit)) }
        }
        return elements
    }

    /// Deletes the action's jobs (their output is read by now); errors are left to the retention.
    private func deleteJobs() async {
        for job in jobs { try? await dataflow.mapReduce.run(id: job, key: [UInt8].self, output: [UInt8].self).delete() }
    }
}
