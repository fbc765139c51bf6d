import Foundation
import RoostClient
@testable import RoostCompute
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

    /// What happens to the coordinator process mid-job.
    enum CoordinatorFault: String, CaseIterable, CustomStringConvertible {
        /// kill -9.
        case kill
        /// SIGSTOP until another coordinator has taken over, then SIGCONT while it works.
        case stop
        var description: String { rawValue }
    }

    /// The coordinator process is killed, or stopped, mid-map; another coordinator takes the job
    /// over from its persisted state (and the commits made while nobody coordinated). A stopped
    /// one resumes while its successor works: its writes are fenced, so each task stays committed
    /// once, only the winning outputs remain, and it leads no more.
    @Test(arguments: TestBackend.available, CoordinatorFault.allCases)
    func aCoordinatorKilledOrStoppedMidJobIsTakenOverFromItsPersistedState(_ backend: TestBackend,
                                                                          _ fault: CoordinatorFault) async throws {
        try await withComputeBackend(backend) { server in
            let client = server.client
            let namespace = "fault-coordinator-\(fault)"
            try await pushLines(Self.lines, to: "fault:lines", on: client)
            let mapReduce = MapReduce(namespace, on: client)
            let keys = mapReduce.keys("job")
            let gate = Flag()
            let started = Counter()
            let gated = MapReduceJob<RedisListSplit, [UInt8], Int, Int>("probe.word-count", map: { split, context, output in
                started.increment()
                try await gate.wait("the test opens the gate")
                try await split.read(context) { BuiltinJobs.countWords($0, into: &output) }
            }, combine: { $0 + $1 }, reduce: { _, counts in counts.reduce(0, +) })
            let registry = MapReduceRegistry()
            registry.register(gated)
            let probe = try ComputeFaultTests.startProbe(server, ["--namespace", namespace, "mapreduce", "coordinator"])
            defer { probe.kill9() }
            let run = try await mapReduce.submit(gated, input: RedisListInput(key: "fault:lines", elementsPerSplit: 300),
                                                 partitions: 3, id: "job")
            let election = LeaderElection(keys.tag, identity: "test", on: client)
            try await whileWorking([.make(mapReduce, registry, coordinates: false)]) {
                try await eventually(timeout: .seconds(60), "map attempts started") { started.count >= 2 }
                let old = try #require(try await election.leader(), "the probe leads the job")
                let beats = RedisKey("roost:probe:{mr:\(namespace)}:beats")
                var beatsWhenStopped = 0
                switch fault {
                case .kill: probe.kill9()
                case .stop:
                    probe.signal(SIGSTOP)
                    try await eventually(timeout: .seconds(10), "the probe is stopped") { probe.isStopped }
                    beatsWhenStopped = try await client.get(beats, as: Int.self) ?? 0
                }
                gate.raise()
                // Maps commit while no coordinator listens; a new one takes over.
                try await whileWorking([.make(mapReduce, registry, runsTasks: false)]) {
                    if fault == .stop {
                        try await eventually(timeout: .seconds(60), "a new coordinator took over") {
                            try await FencedStore(on: client).highestToken(keys.state) > old.epoch
                        }
                        probe.signal(SIGCONT)
                        // Two beats: at least one sent after SIGCONT.
                        try await eventually(timeout: .seconds(60), "the resumed probe beats") {
                            try await client.get(beats, as: Int.self) ?? 0 >= beatsWhenStopped + 2
                        }
                    }
                    try await run.wait(timeout: .seconds(120))
                }
                // Each task committed once; only the committed reduce outputs remain; the old
                // coordinator (if alive) does not lead.
                let committed = try await client.hgetall(keys.committed).compactMapValues { CommitRecord(Array(buffer: $0)) }
                #expect(committed.count == (Self.lines.count + 299) / 300 + 3)
                for partition in 0..<3 {
                    let record = try #require(committed["r\(partition)"])
                    #expect(try await client.hkeys(keys.output(partition)) == [String(record.token)])
                }
                #expect(try await FencedStore(on: client).highestToken(keys.state) > old.epoch)
                #expect(try await client.hget(keys.spec, "status").map { String(buffer: $0) } == "done")
                if probe.exitStatus == nil { #expect(try await election.leader()?.identity != old.identity) }
            }
            let output = try await run.collect()
            #expect(WordCorpus.report(output.map { ($0.key, $0.value) }) == Self.expected)
        }
    }
}
