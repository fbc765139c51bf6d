import RoostClient
import RoostCompute
import RoostCoordination
import RoostTestSupport
import Testing

/// Dataset plans compiled into MapReduce stages, run by workers on each backend, compared with
/// the same computation done here in one process.
@Suite("Datasets")
struct DatasetTests {
    typealias F = DatasetTestFunctions

    /// Runs `body` with a dataflow in namespace `name` whose workers (in this process) have
    /// `workerFunctions` (default: every test function).
    static func withDataflow(_ backend: TestBackend, _ name: String, workerFunctions: DatasetFunctions = F.registry(),
                             settings: CoordinatorInstance.Settings = .init(),
                             _ body: @escaping @Sendable (Dataflow, any CoordinationClient) async throws -> Void) async throws {
        try await withComputeBackend(backend) { server in
            let dataflow = Dataflow(name, on: server.client, functions: F.registry(), partitions: 3, elementsPerSplit: 300,
                                    sampleSize: 50, settings: settings, stageTimeout: .seconds(120))
            let registry = MapReduceRegistry()
            registry.register(workerFunctions)
            try await whileWorking([.make(dataflow.mapReduce, registry), .make(dataflow.mapReduce, registry)]) {
                try await body(dataflow, server.client)
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func aWordCountSortedByCountMatchesTheLocalComputation(_ backend: TestBackend) async throws {
        try await Self.withDataflow(backend, "ds-words") { dataflow, client in
            let lines = WordCorpus.lines(2000, seed: 21)
            try await pushLines(lines, to: "ds:lines", on: client)
            let counts = dataflow.list("ds:lines", of: [UInt8].self).flatMap(F.words).map(F.one).reduceByKey(F.sum)
            let sorted = counts.sortBy(F.byCountThenWord)
            let expected = WordCorpus.reference(lines).map { CountThenWord(count: $0.value, word: $0.key) }.sorted()
            let all = try await sorted.collect()
            #expect(all.map { CountThenWord(count: $0.value, word: $0.key) } == expected)
            let top = try await sorted.take(15)
            #expect(top.map { CountThenWord(count: $0.value, word: $0.key) } == Array(expected.prefix(15)))
            #expect(try await counts.count() == expected.count)
        }
    }

    @Test(arguments: TestBackend.available)
    func filterMapTakeAndCountKeepTheInputOrder(_ backend: TestBackend) async throws {
        try await Self.withDataflow(backend, "ds-filter") { dataflow, _ in
            let numbers = seededIntegers(2500, bound: 10_000, seed: 5)
            let squares = try await dataflow.parallelize(numbers).filter(F.isEven).map(F.square)
            let expected = numbers.filter { $0 % 2 == 0 }.map { $0 * $0 }
            #expect(try await squares.collect() == expected)
            #expect(try await squares.take(7) == Array(expected.prefix(7)))
            #expect(try await squares.count() == expected.count)
            #expect(try await dataflow.list("ds:no-such-list", of: Int.self).collect() == [])
        }
    }

    @Test(arguments: TestBackend.available)
    func groupByKeyGathersEveryValueOfAKey(_ backend: TestBackend) async throws {
        try await Self.withDataflow(backend, "ds-group") { dataflow, _ in
            let numbers = seededIntegers(1200, bound: 100_000, seed: 8)
            let groups = try await dataflow.parallelize(numbers).map(F.byLastDigit).groupByKey().collect()
            let expected = Dictionary(grouping: numbers) { $0 % 10 }.mapValues { $0.sorted() }
            #expect(groups.count == expected.count)
            #expect(Dictionary(uniqueKeysWithValues: groups.map { ($0.key, $0.value.sorted()) }) == expected)
        }
    }

    @Test(arguments: TestBackend.available)
    func joinPairsEveryValueOfAKeyOnBothSides(_ backend: TestBackend) async throws {
        try await Self.withDataflow(backend, "ds-join") { dataflow, _ in
            let customers = (0..<60).map { Pair($0 * 2, Customer(name: "customer \($0 * 2)", city: ["Oslo", "Lyon", "Kyoto"][$0 % 3])) }
            let orders = seededIntegers(400, bound: 150, seed: 3).enumerated().map { Pair($0.element, $0.offset) }
            let left = try await dataflow.parallelize(customers)
            let right = try await dataflow.parallelize(orders)
            let joined = try await left.join(right).collect()
            struct Row: Hashable { var id: Int; var customer: Customer; var order: Int }
            var expected: [Row] = []
            for customer in customers {
                for order in orders where order.key == customer.key { expected.append(Row(id: customer.key, customer: customer.value, order: order.value)) }
            }
            let rows = joined.map { Row(id: $0.key, customer: $0.value.left, order: $0.value.right) }
            #expect(rows.count == expected.count)
            #expect(Set(rows) == Set(expected))
        }
    }

    @Test(arguments: TestBackend.available)
    func stagesChainThroughEachOthersOutput(_ backend: TestBackend) async throws {
        try await Self.withDataflow(backend, "ds-chain") { dataflow, client in
            let lines = WordCorpus.lines(1500, seed: 44)
            try await pushLines(lines, to: "ds:chain", on: client)
            // reduceByKey → groupByKey → (sample) → sortBy: how many words occur n times, by n.
            let histogram = try await dataflow.list("ds:chain", of: [UInt8].self).flatMap(F.words).map(F.one).reduceByKey(F.sum)
                .map(F.countToWord).groupByKey(partitions: 2).map(F.groupSize).sortBy(F.byKey, ascending: false).collect()
            let expected = Dictionary(grouping: WordCorpus.reference(lines).values) { $0 }.mapValues(\.count)
                .sorted { $0.key > $1.key }.map { Pair($0.key, $0.value) }
            #expect(histogram == expected)
        }
    }

    @Test(arguments: TestBackend.available)
    func sortByWithOnePartitionOrRepeatedKeysIsExact(_ backend: TestBackend) async throws {
        try await Self.withDataflow(backend, "ds-sort") { dataflow, _ in
            let numbers = seededIntegers(3000, bound: 40, seed: 77)
            let dataset = try await dataflow.parallelize(numbers)
            #expect(try await dataset.sortBy(F.identity, partitions: 1).collect() == numbers.sorted())
            #expect(try await dataset.sortBy(F.identity, ascending: false, partitions: 5).collect() == numbers.sorted(by: >))
            #expect(try await dataset.sortBy(F.identity, partitions: 4).take(10) == Array(numbers.sorted().prefix(10)))
        }
    }
}

/// What a plan that cannot run reports.
@Suite("Dataset errors")
struct DatasetErrorTests {
    typealias F = DatasetTestFunctions

    @Test(arguments: TestBackend.available)
    func aFunctionTheDriverLacksIsRefusedBeforeAnythingRuns(_ backend: TestBackend) async throws {
        try await withComputeBackend(backend) { server in
            let dataflow = Dataflow("ds-missing", on: server.client, functions: F.registry(except: [F.one.name]))
            let counts = dataflow.list("ds:none", of: [UInt8].self).flatMap(F.words).map(F.one).reduceByKey(F.sum)
            // No worker runs: the error comes from the check, not from a job.
            await #expect(throws: DatasetError.unknownFunction(name: F.one.name)) { try await counts.collect() }
            let renamed = DatasetFunctions(MapFunction("test.one") { (word: String) in Pair(word, 1) })
            let mismatched = Dataflow("ds-missing", on: server.client, functions: renamed)
            await #expect(throws: DatasetError.self) { try await mismatched.list("ds:none", of: [UInt8].self).map(F.one).count() }
        }
    }

    @Test(arguments: TestBackend.available)
    func aFunctionAWorkerLacksFailsTheStageWithItsName(_ backend: TestBackend) async throws {
        try await DatasetTests.withDataflow(backend, "ds-worker-missing", workerFunctions: F.registry(except: [F.square.name]),
                                            settings: .init(maxAttempts: 2)) { dataflow, _ in
            let squares = try await dataflow.parallelize([1, 2, 3]).map(F.square)
            let error = await #expect(throws: DatasetError.self) { try await squares.collect() }
            #expect(error?.stageMessage?.contains("no dataset function named '\(F.square.name)'") == true, "\(String(describing: error))")
        }
    }

    @Test(arguments: TestBackend.available)
    func aWorkerFunctionOfOtherTypesFailsTheStageWithBothSignatures(_ backend: TestBackend) async throws {
        let workers = F.registry()
        workers.register(ReduceFunction("test.sum") { (a: Double, b: Double) in a + b })
        try await DatasetTests.withDataflow(backend, "ds-worker-types", workerFunctions: workers,
                                            settings: .init(maxAttempts: 1)) { dataflow, _ in
            let sums = try await dataflow.parallelize([1, 2, 3]).map(F.byLastDigit).reduceByKey(F.sum)
            let error = await #expect(throws: DatasetError.self) { try await sums.collect() }
            #expect(error?.stageMessage?.contains("reduce(Swift.Double)") == true, "\(String(describing: error))")
            #expect(error?.stageMessage?.contains("reduce(Swift.Int)") == true, "\(String(describing: error))")
        }
    }

    @Test(arguments: TestBackend.available)
    func aFunctionThatThrowsFailsTheStageWithItsErrorText(_ backend: TestBackend) async throws {
        try await DatasetTests.withDataflow(backend, "ds-throws", settings: .init(maxAttempts: 2)) { dataflow, _ in
            let dataset = try await dataflow.parallelize(Array(0..<40)).map(F.explode)
            let error = await #expect(throws: DatasetError.self) { try await dataset.count() }
            #expect(error?.stageMessage?.contains("thirteen is unlucky") == true, "\(String(describing: error))")
            // Without the bad element the same plan runs.
            #expect(try await dataflow.parallelize(Array(0..<13)).map(F.explode).count() == 13)
        }
    }
}
