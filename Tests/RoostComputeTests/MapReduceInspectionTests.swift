import RoostClient
import RoostCompute
import RoostCoordination
import RoostTestSupport
import Testing

/// `MapReduce.jobs(on:)` and `inspect(_:)` on a real job whose map attempts the test holds.
@Suite("MapReduce inspection")
struct MapReduceInspectionTests {
    @Test(arguments: TestBackend.available)
    func heldAttemptsShowTheirWorkersAndBackupsThenEveryTaskIsDone(_ backend: TestBackend) async throws {
        try await withComputeBackend(backend) { server in
            let client = server.client
            let lines = WordCorpus.lines(600, seed: 21)
            try await pushLines(lines, to: "inspect:lines", on: client)
            let mapReduce = MapReduce("inspect", on: client)
            let gate = Flag()
            let held = MapReduceJob<RedisListSplit, [UInt8], Int, Int>("test.held-word-count", map: { split, context, output in
                try await gate.wait("the test opens the gate")
                try await split.read(context) { BuiltinJobs.countWords($0, into: &output) }
            }, combine: { $0 + $1 }, reduce: { _, counts in counts.reduce(0, +) })
            let registry = MapReduceRegistry()
            registry.register(held)
            #expect(try await mapReduce.inspect("held") == nil)
            // Every running attempt is a straggler at once (no backupAfter, no median yet), and
            // every task gets a backup (the whole phase is "near its end").
            let run = try await mapReduce.submit(held, input: RedisListInput(key: "inspect:lines", elementsPerSplit: 300), partitions: 2,
                                                 id: "held", settings: CoordinatorInstance.Settings(backupFraction: 1, backupAfter: .zero))
            let workers: [MapReduceWorker] = [.make(mapReduce, registry), .make(mapReduce, registry)]
            let identities = Set(workers.map(\.identity))
            try await whileWorking(workers) {
                var seen: MapReduceJobInspection?
                try await eventually(timeout: .seconds(60), "both map tasks run twice, each attempt on a worker") {
                    seen = try await mapReduce.inspect("held")
                    return seen.map { $0.attempts.count == 4 && $0.attempts.allSatisfy { $0.state == .active && $0.worker != nil } } ?? false
                }
                let inspection = try #require(seen)
                let summary = inspection.summary
                #expect(summary.reference == MapReduceJobReference(namespace: "inspect", job: "held"))
                #expect(summary.name == "test.held-word-count" && summary.status == .running && summary.phase == .map)
                #expect(summary.map.running == 2 && summary.map.total == 2 && summary.map.backups == 2)
                #expect(summary.reduce.pending == 2 && summary.reduce.total == 2)
                #expect(summary.tasksDone == 0 && summary.tasksTotal == 4 && summary.tasksQueue == "mapreduce:inspect")
                #expect(inspection.attempts.filter(\.isBackup).count == 2)
                #expect(Set(inspection.attempts.map(\.task)) == [CoordinatorInstance.TaskID(.map, 0), CoordinatorInstance.TaskID(.map, 1)])
                #expect(inspection.attempts.allSatisfy { $0.isStraggler && $0.startedAt != nil && $0.elapsedMilliseconds != nil })
                #expect(inspection.attempts.allSatisfy { identities.contains($0.worker ?? "") })
                #expect(inspection.workers.filter { identities.contains($0.identity) }.reduce(0) { $0 + $1.runningAttempts } == 4)
                #expect(inspection.workers.allSatisfy { $0.heartbeatAt > 0 })
                #expect(try await MapReduce.jobs(on: client).contains(summary.reference))
                gate.raise()
                try await run.wait(timeout: .seconds(120))
            }
            let done = try #require(try await mapReduce.inspect("held"))
            let summary = done.summary
            #expect(summary.status == .done && summary.phase == .done && summary.finishedAt != nil && summary.error == nil)
            #expect(summary.map.done == 2 && summary.reduce.done == 2 && summary.tasksDone == 4 && summary.tasksTotal == 4)
            #expect(summary.map.medianMilliseconds != nil && summary.reduce.medianMilliseconds != nil)
            #expect(summary.bytesIn > 0 && summary.bytesOut > 0 && summary.elapsedMilliseconds > 0)
            #expect(summary.records == Int64(WordCorpus.reference(lines).values.reduce(0, +)))
            #expect(done.attempts.isEmpty)
            #expect(try await MapReduce.summaries(on: client).map(\.reference) == [summary.reference])
        }
    }
}
