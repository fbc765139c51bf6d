import RoostClient
import RoostCoordination
@testable import RoostJobs
import RoostTestSupport
import Testing

@Suite("Cleaning finished jobs and reading settings on Roost, redis-server and Redis Cluster")
struct JobCleanTests {
    @Test(arguments: TestBackend.available)
    func cleanRemovesOldFinishedJobsAndSparesTheNewest(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-clean", on: client)
            let worker = Worker.make(queue)
            worker.register(Count.self) { _, _ in Empty() }
            var old: [String] = [], new: [String] = []
            func finishedAt(_ ids: [String]) async throws -> [Int64] {
                var times: [Int64] = []
                for id in ids { times.append(try #require(try await queue.info(id)?.finishedAt)) }
                return times
            }
            func serverMilliseconds() async throws -> Int64 { Int64(try await queue.serverTime().timeIntervalSince1970 * 1000) }
            try await whileRunning([worker]) {
                old = try await queue.enqueue((0..<3).map { Count(n: $0) })
                for id in old { _ = try await queue.finished(id, timeout: .seconds(20)) }
                // Two seconds of the server's clock between the old jobs and the new ones.
                let oldEnd = try await finishedAt(old).max() ?? 0
                try await eventually("the server's clock moved on") { try await serverMilliseconds() > oldEnd + 2000 }
                new = try await queue.enqueue((3..<5).map { Count(n: $0) })
                for id in new { _ = try await queue.finished(id, timeout: .seconds(20)) }
            }
            #expect(try await queue.clean(.completed, olderThan: .seconds(3600)) == 0)
            // A cutoff halfway between the groups: a second either way for the calls to arrive.
            let oldEnd = try await finishedAt(old).max() ?? 0
            let newStart = try await finishedAt(new).min() ?? 0
            let age = Duration.milliseconds(try await serverMilliseconds() - (oldEnd + newStart) / 2)
            // Of five, the four newest are spared: only the oldest goes.
            #expect(try await queue.clean(.completed, olderThan: age, keep: 4) == 1)
            #expect(try await queue.clean(.completed, olderThan: age) == 2)
            #expect(Set(try await queue.ids(in: .completed)) == Set(new))
            #expect(try await queue.info(old[0]) == nil)
            #expect(try await queue.clean(.completed, keep: 1) == 1)
            // The two new jobs ran side by side: either may have finished last.
            let kept = try await queue.ids(in: .completed)
            #expect(kept.count == 1 && new.contains(kept[0]))
        }
    }

    @Test(arguments: TestBackend.available)
    func cleanEmptiesTheFailedSet(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-clean-failed", on: client)
            let worker = Worker.make(queue)
            worker.register(Greet.self) { _, _ in throw UnrecoverableJobError("bad input") }
            let ids = try await queue.enqueue([Greet(who: "a"), Greet(who: "b")])
            try await whileRunning([worker]) {
                for id in ids { _ = try await queue.finished(id, timeout: .seconds(20)) }
            }
            #expect(try await queue.counts()[.failed] == 2)
            #expect(try await queue.clean(.failed) == 2)
            #expect(try await queue.counts()[.failed] == 0)
        }
    }

    @Test func cleanRefusesUnfinishedStatesAndNegativeBounds() async throws {
        try await withJobsBackend(.roost) { client in
            let queue = JobQueue("q-clean-refused", on: client)
            await #expect(throws: JobsError.self) { try await queue.clean(.waiting) }
            await #expect(throws: JobsError.self) { try await queue.clean(.completed, keep: -1) }
            await #expect(throws: JobsError.self) { try await queue.clean(.failed, olderThan: .seconds(-1)) }
        }
    }

    @Test(arguments: TestBackend.available)
    func settingsReflectPauseAndLimits(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-settings", on: client)
            #expect(try await queue.settings() == JobQueue.Settings())
            try await queue.pause()
            try await queue.setLimits(concurrency: 3, rate: (count: 10, per: .seconds(2)))
            #expect(try await queue.settings()
                == JobQueue.Settings(isPaused: true, concurrency: 3, rate: .init(count: 10, per: .seconds(2))))
            try await queue.resume()
            try await queue.setLimits()
            #expect(try await queue.settings() == JobQueue.Settings())
        }
    }
}
