import Foundation
import RoostCompute
import RoostCoordination
import RoostTestSupport
import Testing

/// A Dataset job (the MapReduce job `roost.dataset`) whose worker process is killed (kill -9) or
/// stopped (SIGSTOP) mid-stage: the collected result equals the one computed in this process.
@Suite("Datasets when a worker process dies or stalls")
struct DatasetFaultTests {
    typealias Fault = MapReduceFaultTests.Fault

    static let lines = WordCorpus.lines(1500, seed: 98)

    /// A word count (`flatMap`, `map`, `reduceByKey`). A worker process with the same functions,
    /// the only one at first, hangs in the stage's first map (`test.words`) or, after every map,
    /// in its first reduce (`test.sum`); it is killed or stopped; the test's own workers finish.
    @Test(arguments: TestBackend.available, Fault.allCases)
    func aWorkerThatDiesOrStallsMidStageDoesNotChangeTheResult(_ backend: TestBackend, _ fault: Fault) async throws {
        try await withComputeBackend(backend) { server in
            let client = server.client
            let namespace = "ds-fault-\(fault)"
            try await pushLines(Self.lines, to: "ds-fault:lines", on: client)
            let functions = DatasetTestFunctions.registry()
            let dataflow = Dataflow(namespace, on: client, functions: functions, partitions: 3, elementsPerSplit: 300,
                                    stageTimeout: .seconds(180))
            let registry = MapReduceRegistry()
            registry.register(functions)
            let probe = try ComputeFaultTests.startProbe(server, ["--namespace", namespace, "dataset", fault.probeMode])
            defer { probe.kill9() }
            let counts = dataflow.list("ds-fault:lines", of: [UInt8].self).flatMap(DatasetTestFunctions.words)
                .map(DatasetTestFunctions.one).reduceByKey(DatasetTestFunctions.sum)
            let collecting = Task { try await counts.collect() }
            defer { collecting.cancel() }
            let result = try await whileWorking([.make(dataflow.mapReduce, registry, runsTasks: false)]) {
                try await eventually(timeout: .seconds(60), "the probe runs an attempt of the phase") {
                    try await dataflow.mapReduce.tasks.ids(in: .active).contains { $0.contains(fault.stage) }
                }
                switch fault {
                case .killDuringMap, .killDuringReduce: probe.kill9()
                case .stopDuringMap, .stopDuringReduce: probe.signal(SIGSTOP)
                }
                let result = try await whileWorking([.make(dataflow.mapReduce, registry, coordinates: false)]) {
                    try await collecting.value
                }
                if fault == .stopDuringMap || fault == .stopDuringReduce { probe.signal(SIGCONT) }
                return result
            }
            let expected = WordCorpus.reference(Self.lines)
            #expect(result.count == expected.count)
            #expect(Dictionary(result.map { ($0.key, $0.value) }, uniquingKeysWith: +) == expected)
        }
    }
}
