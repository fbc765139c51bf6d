/// A distributed collection of `Element`s, as a lazy plan: transformations (`map`, `filter`,
/// `flatMap`, `reduceByKey`, `groupByKey`, `join`, `sortBy`) return new plans and run nothing;
/// actions (`collect`, `take`, `count`) compile the plan into MapReduce stages and run them on
/// the dataflow's workers (see `Dataflow`).
///
/// Every function is a registered handle (`MapFunction`, …): the plan holds its name and
/// types, and workers run the function of that name in their `DatasetFunctions`.
///
///     let counts = try await dataflow.list("lines", of: String.self)
///         .flatMap(words).map(one).reduceByKey(sum).collect()   // [Pair<String, Int>]
public struct Dataset<Element: Codable & Sendable>: Sendable {
    /// The dataflow the dataset runs in.
    public let dataflow: Dataflow
    let plan: DatasetPlan

    init(dataflow: Dataflow, plan: DatasetPlan) {
        self.dataflow = dataflow
        self.plan = plan
    }

    private func then<Output>(_ function: some DatasetFunction) -> Dataset<Output> {
        Dataset<Output>(dataflow: dataflow, plan: plan.appending(function.definition.reference))
    }

    private func wide<Output>(_ step: WideStep, _ inputs: [DatasetPlan]) -> Dataset<Output> {
        Dataset<Output>(dataflow: dataflow, plan: DatasetPlan(origin: .wide(step, inputs: inputs)))
    }

    /// Each element transformed by `function`.
    public func map<Output>(_ function: MapFunction<Element, Output>) -> Dataset<Output> { then(function) }

    /// The elements for which `function` returns true, in their order.
    public func filter(_ function: FilterFunction<Element>) -> Dataset<Element> { then(function) }

    /// The elements `function` returns for each element, concatenated.
    public func flatMap<Output>(_ function: FlatMapFunction<Element, Output>) -> Dataset<Output> { then(function) }

    /// The elements ordered by `key` (ascending or descending; equal keys by the elements'
    /// encoded bytes), range-partitioned over `partitions` reduce partitions (default: the
    /// dataflow's).
    public func sortBy<Key>(_ key: SortKeyFunction<Element, Key>, ascending: Bool = true, partitions: Int? = nil) -> Dataset<Element> {
        wide(.sortBy(key.definition.reference, ascending: ascending, partitions: partitions), [plan])
    }

    /// Runs the plan and returns every element, in order.
    /// - Throws: `DatasetError.unknownFunction` or `.signatureMismatch` before anything runs
    ///   when the dataflow's functions lack one the plan names; `.stageFailed` when a stage's
    ///   job failed (a function threw: the message has its error's text); client errors.
    public func collect() async throws -> [Element] {
        try await DatasetExecution.run(plan, dataflow) { execution, input in
            try await execution.elements(of: input, limit: nil, as: Element.self)
        }
    }

    /// The first `count` elements in order (each map task of the final stage keeps at most
    /// `count`, and the output is read only as far as needed).
    /// - Throws: as `collect()`.
    public func take(_ count: Int) async throws -> [Element] {
        guard count > 0 else { return [] }
        return try await DatasetExecution.run(plan, dataflow) { execution, input in
            try await execution.elements(of: input, limit: count, as: Element.self)
        }
    }

    /// How many elements the dataset has (counted by the workers).
    /// - Throws: as `collect()`.
    public func count() async throws -> Int {
        try await DatasetExecution.run(plan, dataflow) { execution, input in try await execution.count(input) }
    }
}

extension Dataset {
    /// Each key once, with its values folded by `reducer` (on the map side first, then per
    /// partition), over `partitions` reduce partitions (default: the dataflow's). Keys come in
    /// no particular order.
    public func reduceByKey<Key, Value>(_ reducer: ReduceFunction<Value>, partitions: Int? = nil) -> Dataset<Pair<Key, Value>>
    where Element == Pair<Key, Value> {
        wide(.reduceByKey(reducer.definition.reference, partitions: partitions), [plan])
    }

    /// Each key once, with all its values (in no particular order).
    public func groupByKey<Key, Value>(partitions: Int? = nil) -> Dataset<Pair<Key, [Value]>> where Element == Pair<Key, Value> {
        wide(.groupByKey(partitions: partitions), [plan])
    }

    /// The inner join with `other`: for each key in both, every pair of a value of this
    /// dataset and a value of `other`. `other`'s stages run in this dataset's dataflow.
    public func join<Key, Value, Other>(_ other: Dataset<Pair<Key, Other>>, partitions: Int? = nil)
    -> Dataset<Pair<Key, Joined<Value, Other>>> where Element == Pair<Key, Value> {
        wide(.join(partitions: partitions), [plan, other.plan])
    }
}
