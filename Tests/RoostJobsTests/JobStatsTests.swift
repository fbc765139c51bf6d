import RoostClient
import RoostCoordination
@testable import RoostJobs
import RoostTestSupport
import Testing

@Suite("Per-minute queue stats on Roost, redis-server and Redis Cluster")
struct JobStatsTests {
    @Test(arguments: TestBackend.available)
    func theScriptsCountCompletionsFailuresAndRetriesPerMinute(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-stats", on: client)
            let before = try await serverMinute(client)
            let worker = Worker.make(queue)
            worker.register(Greet.self) { job, _ in
                if job.who.hasPrefix("bad") { throw JobsError.invalidOptions("boom") }
                return "hi \(job.who)"
            }
            try await whileRunning([worker]) {
                let good = try await queue.enqueue((0..<12).map { Greet(who: "good\($0)") })
                let bad = try await queue.enqueue((0..<3).map { Greet(who: "bad\($0)") },
                                                  options: .init(maxAttempts: 2, backoff: .fixed(.zero)))
                for id in good + bad { _ = try await queue.finished(id, timeout: .seconds(30)) }
            }
            let cancelled = try await queue.enqueue(Greet(who: "later"), options: .init(delay: .seconds(3600)))
            _ = try await queue.cancel(cancelled, timeout: .seconds(10))
            // Everything happened from `before` on: a window from there (and a minute more, in
            // case one starts meanwhile) holds it all, even when jobs finished across a boundary.
            let stats = try await queue.stats(minutes: Int(try await serverMinute(client) - before) + 2)
            #expect(stats.total == JobStats.Counts(enqueued: 16, completed: 12, failed: 4, retried: 3, stalled: 0))
            #expect(try #require(stats.minutes.first?.start) <= before * 60_000)
            let spans = zip(stats.minutes, stats.minutes.dropFirst()).map { $1.start - $0.start }
            #expect(spans.allSatisfy { $0 == 60_000 })
            #expect(try await queue.stats().minutes.count == 60)
            #expect(try await queue.stats().total == stats.total)
            #expect(stats.total.failureRate == 4.0 / 16.0)
        }
    }

    @Test(arguments: TestBackend.available)
    func eachMinuteExpiresARetentionAfterItEnds(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-stats-ttl", on: client)
            _ = try await queue.enqueue((0..<3).map { Count(n: $0) })
            let minutes = try await queue.stats(minutes: 2).minutes.filter { $0.counts.enqueued > 0 }
            #expect(minutes.count == 1)
            let retention = Int64(JobStats.retention.components.seconds * 1000)
            for minute in minutes {
                let key = RedisKey(queue.keys.statsPrefix + String(minute.start / 60_000))
                let ttl = try #require(try await client.execute(RedisCommand("PTTL", [key]), timeout: nil).jobInt)
                // Expires at the minute's end plus the retention: at most a minute past the retention from now.
                #expect(ttl > retention - 60_000 && ttl <= retention + 60_000)
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func aLeaseThatRanOutCountsAsStalledAndTheLastOneAsFailed(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-stats-stall", on: client)
            let id = try await queue.enqueue(Greet(who: "x"), options: .init(maxAttempts: 1))
            // A worker that takes the job with a 1 ms lease and is never heard from again.
            let take = { (lease: Int) in
                try await client.evaluate(JobScripts.take, keys: queue.keys.all, arguments: [
                    RedisArgument(queue.keys.jobPrefix), RedisArgument(queue.keys.events), RedisArgument(lease), RedisArgument(1),
                ])
            }
            _ = try await take(1)
            try await eventually("the next take reaped the attempt") {
                _ = try await take(1)
                return try await queue.info(id)?.state == .failed
            }
            let total = try await queue.stats().total
            #expect(total.stalled == 1 && total.failed == 1 && total.completed == 0)
        }
    }

    @Test(arguments: TestBackend.available)
    func aPartitionedQueueSumsItsPartitions(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-stats-parts", on: client, partitions: 3)
            let worker = Worker.make(queue)
            worker.register(Count.self) { _, _ in Empty() }
            try await whileRunning([worker]) {
                let ids = try await queue.enqueue((0..<30).map { Count(n: $0) })
                for id in ids { _ = try await queue.finished(id, timeout: .seconds(30)) }
            }
            let total = try await queue.stats().total
            #expect(total.enqueued == 30 && total.completed == 30 && total.failed == 0)
            var byPartition: [Int] = []
            for index in 0..<3 { byPartition.append(try await queue.partition(index).stats().total.completed) }
            #expect(byPartition == [10, 10, 10])
            // A tool that opens the queue by name sees the same.
            #expect(try await JobQueue.open("q-stats-parts", on: client).stats().total == total)
        }
    }
}

/// The server's current minute (minutes since 1970).
private func serverMinute(_ client: any CoordinationClient) async throws -> Int64 {
    let time = try await client.execute(RedisCommand("TIME", []), timeout: nil).jobArray ?? []
    let seconds = try #require(time.first?.jobInt)
    return seconds / 60
}
