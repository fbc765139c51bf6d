import RoostClient
import RoostCoordination
@testable import RoostJobs
import RoostTestSupport
import Testing

@Suite("Rate limits per group on Roost, redis-server and Redis Cluster")
struct JobGroupTests {
    @Test(arguments: TestBackend.available)
    func aGroupsLimitHoldsAcrossWorkersWhileOtherGroupsFlow(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-groups", on: client)
            try await queue.setGroupRate((count: 3, per: .seconds(1)))
            // Group a's nine jobs are enqueued first: without groups, b would wait behind them.
            let a = try await queue.enqueue((0..<9).map { Count(n: $0) }, options: .init(group: "a"))
            let b = try await queue.enqueue((0..<9).map { Count(n: $0) }, options: .init(group: "b"))
            let workers = (0..<2).map { _ in Worker.make(queue, concurrency: 8) }
            for worker in workers { worker.register(Count.self) { _, _ in Empty() } }
            try await whileRunning(workers) {
                try await eventually("all ran") { try await queue.counts()[.completed] == 18 }
            }
            func starts(_ ids: [String]) async throws -> [Int64] {
                var starts: [Int64] = []
                for id in ids { starts.append(try #require(try await queue.info(id)?.startedAt)) }
                return starts.sorted()
            }
            let startsA = try await starts(a)
            let startsB = try await starts(b)
            // Fixed windows of 1 s, 3 starts each: a's 7th start is in its third window, at
            // least 2 s after its first (the server's clock, in ms).
            #expect(startsA[6] - startsA[0] >= 1990)
            // Group b (3 per window too) was not held behind a: its windows ran alongside.
            #expect(startsB[6] - startsB[0] >= 1990)
            #expect(startsB[0] - startsA[0] < 1000)
        }
    }

    @Test(arguments: TestBackend.available)
    func aGroupsOwnLimitOverridesTheDefaultAndHeldJobsCountAsWaiting(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-groups-own", on: client)
            try await queue.setGroupRate((count: 2, per: .seconds(600)), for: "slow")
            #expect(try await queue.groupRate(for: "slow") == .init(count: 2, per: .seconds(600)))
            #expect(try await queue.groupRate(for: "other") == nil)
            _ = try await queue.enqueue((0..<5).map { Count(n: $0) }, options: .init(group: "slow"))
            _ = try await queue.enqueue((0..<4).map { Count(n: $0) }, options: .init(group: "fast"))
            _ = try await queue.enqueue((0..<3).map { Count(n: $0) })
            let worker = Worker.make(queue, concurrency: 4)
            worker.register(Count.self) { _, _ in Empty() }
            try await whileRunning([worker]) {
                // Everything but the slow group's last three runs; those wait out the window.
                try await eventually("the rest ran") { try await queue.counts()[.completed] == 9 }
                #expect(try await queue.counts()[.waiting] == 3)
                // Lifting the limit releases them.
                try await queue.setGroupRate(nil, for: "slow")
                try await eventually("the held ran") { try await queue.counts()[.completed] == 12 }
            }
            #expect(try await queue.counts()[.waiting] == 0)
        }
    }
}
