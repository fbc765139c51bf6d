import Foundation
import RoostClient
import RoostCompute
import RoostCoordination
import RoostTestSupport
import Testing

/// MapReduce jobs whose worker or coordinator process is killed (kill -9) or stopped (SIGSTOP)
/// mid-job: the output is byte-identical to the single-process reference every time.
@Suite("MapReduce when a process dies or stalls")
struct MapReduceFaultTests {
    enum Fault: String, CaseIterable, CustomStringConvertible {
        case killDuringMap, killDuringReduce, stopDuringMap, stopDuringReduce
        var description: String { rawValue }
        var probeMode: String { self == .killDuringMap || self == .stopDuringMap ? "hang-map" : "hang-reduce" }
        var stage: String { self == .killDuringMap || self == .stopDuringMap ? ".m" : ".r" }
    }

    static let lines = WordCorpus.lines(1500, seed: 99)
    static var expected: [UInt8] { WordCorpus.report(WordCorpus.reference(lines).map { ($0.key, $0.value) }) }

    /// A worker process, the only one at first, runs the job's tasks and hangs in the first
    /// map (or, after doing every map, in the first reduce); it is killed or stopped; the test's
    /// own workers finish the job.
    @Test(arguments: TestBackend.available, Fault.allCases)
    func aWorkerThatDiesOrStallsMidJobDoesNotChangeTheOutput(_ backend: TestBackend, _ fault: Fault) async throws {
        try await withComputeBackend(backend) { server in
            let client = server.client
            let namespace = "fault-\(fault)"
            try await pushLines(Self.lines, to: "fault:lines", on: client)
            let mapReduce = MapReduce(namespace, on: client)
            let registry = MapReduceRegistry()
            registry.register(probeWordCount)
            let probe = try ComputeFaultTests.startProbe(server, ["--namespace", namespace, "mapreduce", fault.probeMode])
            defer { probe.kill9() }
            let run = try await mapReduce.submit(probeWordCount, input: RedisListInput(key: "fault:lines", elementsPerSplit: 300),
                                                 partitions: 3, id: "job")
            let coordinator = MapReduceWorker.make(mapReduce, registry, runsTasks: false)
            try await whileWorking([coordinator]) {
                try await eventually(timeout: .seconds(60), "the probe runs an attempt of the phase") {
                    try await mapReduce.tasks.ids(in: .active).contains { $0.hasPrefix("job" + fault.stage) }
                }
                switch fault {
                case .killDuringMap, .killDuringReduce: probe.kill9()
                case .stopDuringMap, .stopDuringReduce: probe.signal(SIGSTOP)
                }
                try await whileWorking([.make(mapReduce, registry, coordinates: false)]) {
                    try await run.wait(timeout: .seconds(120))
                }
                if fault == .stopDuringMap || fault == .stopDuringReduce { probe.signal(SIGCONT) }
            }
            let output = try await run.collect()
            #expect(WordCorpus.report(output.map { ($0.key, $0.value) }) == Self.expected)
            let progress = try await run.currentProgress()
            #expect(progress.map.failedAttempts + progress.reduce.failedAttempts + progress.map.backups + progress.reduce.backups >= 1)
        }
    }

    /// The coordinator process is killed mid-map; another coordinator takes the job over from
    /// its persisted state (and the commits made while nobody coordinated).
    @Test(arguments: TestBackend.available)
    func aCoordinatorKilledMidJobIsTakenOverFromItsPersistedState(_ backend: TestBackend) async throws {
        try await withComputeBackend(backend) { server in
            let client = server.client
            try await pushLines(Self.lines, to: "fault:lines", on: client)
            let mapReduce = MapReduce("fault-coordinator", on: client)
            let gate = Flag()
            let started = Counter()
            let gated = MapReduceJob<RedisListSplit, [UInt8], Int, Int>("probe.word-count", map: { split, context, output in
                started.increment()
                try await gate.wait("the test opens the gate")
                try await split.read(context) { BuiltinJobs.countWords($0, into: &output) }
            }, combine: { $0 + $1 }, reduce: { _, counts in counts.reduce(0, +) })
            let registry = MapReduceRegistry()
            registry.register(gated)
            let probe = try ComputeFaultTests.startProbe(server, ["--namespace", "fault-coordinator", "mapreduce", "coordinator"])
            defer { probe.kill9() }
            let run = try await mapReduce.submit(gated, input: RedisListInput(key: "fault:lines", elementsPerSplit: 300),
                                                 partitions: 3, id: "job")
            try await whileWorking([.make(mapReduce, registry, coordinates: false)]) {
                try await eventually(timeout: .seconds(60), "map attempts started") { started.count >= 2 }
                let election = LeaderElection("mr:fault-coordinator:job", identity: "test", on: client)
                #expect(try await election.leader() != nil)
                probe.kill9()
                gate.raise()
                // Maps commit while no coordinator listens; a new one takes over.
                try await whileWorking([.make(mapReduce, registry, runsTasks: false)]) {
                    try await run.wait(timeout: .seconds(120))
                }
            }
            let output = try await run.collect()
            #expect(WordCorpus.report(output.map { ($0.key, $0.value) }) == Self.expected)
        }
    }
}
