import NIOConcurrencyHelpers
import RoostClient
import RoostCoordination
@testable import RoostJobs
import RoostTestSupport
import Testing

@Suite("Deduplication and limits on Roost, redis-server and Redis Cluster")
struct JobLimitsTests {
    @Test(arguments: TestBackend.available)
    func untilFinishedDeduplicatesUntilTheJobFinishes(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-dedup-until", on: client)
            let options = EnqueueOptions(deduplication: .untilFinished(key: "report-7"))
            let first = try await queue.enqueue(Greet(who: "a"), options: options)
            #expect(try await queue.enqueue(Greet(who: "b"), options: options) == first)
            let worker = Worker.make(queue)
            worker.register(Greet.self) { job, _ in job.who }
            try await whileRunning([worker]) {
                let result1 = try await queue.result(of: first, as: Greet.self, timeout: .seconds(20))

                #expect(result1 == "a")
                // Finished: the key is free again.
                let second = try await queue.enqueue(Greet(who: "c"), options: options)
                #expect(second != first)
                let result2 = try await queue.result(of: second, as: Greet.self, timeout: .seconds(20))

                #expect(result2 == "c")
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func throttleAddsOnePerWindow(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-throttle", on: client)
            let options = EnqueueOptions(deduplication: .throttle(key: "t", window: .seconds(60)))
            let ids = try await queue.enqueue((0..<5).map { Greet(who: "\($0)") }, options: options)
            #expect(Set(ids).count == 1)
            #expect(try await queue.counts()[.waiting] == 1)
        }
    }

    @Test(arguments: TestBackend.available)
    func debounceKeepsTheLastPayloadAndRestartsTheWait(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-debounce", on: client)
            // A window long enough that a loaded machine's enqueues fall within it.
            let options = EnqueueOptions(deduplication: .debounce(key: "d", window: .seconds(60)))
            let first = try await queue.enqueue(Greet(who: "first"), options: options)
            let dueFirst = try await client.send("ZSCORE", "roost:jobs:{q-debounce}:delayed", first, as: Double.self)
            let second = try await queue.enqueue(Greet(who: "last"), options: options)
            #expect(first == second)
            let info = try #require(try await queue.info(first))
            #expect(info.state == .delayed && info.payload == Array("{\"who\":\"last\"}".utf8))
            // The wait restarted from the second enqueue.
            let dueSecond = try await client.send("ZSCORE", "roost:jobs:{q-debounce}:delayed", first, as: Double.self)
            #expect(dueSecond >= dueFirst)
            #expect(try await queue.counts()[.delayed] == 1)
        }
    }

    @Test(arguments: TestBackend.available)
    func globalConcurrencyHoldsAcrossWorkers(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-global", on: client)
            try await queue.setLimits(concurrency: 2)
            let current = NIOLockedValueBox(0)
            let peak = NIOLockedValueBox(0)
            let workers = (0..<3).map { _ in Worker.make(queue, concurrency: 4) }
            for worker in workers {
                worker.register(Count.self) { _, _ in
                    let now = current.withLockedValue { $0 += 1; return $0 }
                    peak.withLockedValue { $0 = max($0, now) }
                    try await Task.sleep(for: .milliseconds(20))
                    current.withLockedValue { $0 -= 1 }
                    return Empty()
                }
            }
            _ = try await queue.enqueue((0..<30).map { Count(n: $0) })
            try await whileRunning(workers) {
                try await eventually("all ran") { try await queue.counts()[.completed] == 30 }
            }
            #expect(peak.withLockedValue { $0 } <= 2)
        }
    }

    @Test(arguments: TestBackend.available)
    func aRateLimitSpacesStartsAcrossWorkers(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-rate", on: client)
            try await queue.setLimits(rate: (count: 5, per: .milliseconds(500)))
            let starts = NIOLockedValueBox<[Int64]>([])
            let workers = (0..<2).map { _ in Worker.make(queue, concurrency: 8) }
            for worker in workers {
                worker.register(Count.self) { _, _ in Empty() }
            }
            let ids = try await queue.enqueue((0..<15).map { Count(n: $0) })
            try await whileRunning(workers) {
                try await eventually("all ran") { try await queue.counts()[.completed] == 15 }
            }
            for id in ids { if let started = try await queue.info(id)?.startedAt { starts.withLockedValue { $0.append(started) } } }
            // Fixed windows of 500 ms, 5 starts each: 15 jobs need at least 3 windows, so the
            // first and last start are at least one full window apart.
            let all = starts.withLockedValue { $0.sorted() }
            #expect(all.count == 15)
            #expect(all.last! - all.first! >= 500)
        }
    }
}

@Suite("Priority aging")
struct PriorityAgingTests {
    @Test(arguments: TestBackend.available)
    func anOldLowPriorityJobOvertakesNewHighPriorityOnes(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-aging", on: client, priorityAging: .milliseconds(100))
            try await queue.pause()
            let old = try await queue.enqueue(Count(n: 0), options: .init(priority: 2))
            // Wait (on the server's clock) until the old job is over 200 ms old: priority 2 · 100 ms.
            let enqueuedAt = try #require(try await queue.info(old)?.enqueuedAt)
            try await eventually("200 ms passed on the server") {
                Int64(try await queue.serverTime().timeIntervalSince1970 * 1000) > enqueuedAt + 250
            }
            _ = try await queue.enqueue([Count(n: 1), Count(n: 2)], options: .init(priority: 0))
            #expect(try await queue.ids(in: .waiting).first == old)
            // Without aging the same jobs would run the new ones first.
            let strict = JobQueue("q-strict", on: client)
            let low = try await strict.enqueue(Count(n: 0), options: .init(priority: 2))
            _ = try await strict.enqueue(Count(n: 1), options: .init(priority: 0))
            #expect(try await strict.ids(in: .waiting).last == low)
        }
    }
}

@Suite("Bounded queues")
struct BoundedQueueTests {
    @Test(arguments: TestBackend.available)
    func aFullQueueMakesProducersWaitForRoom(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-bounded", on: client)
            try await queue.setLimits(capacity: 3)
            await #expect(throws: JobsError.queueFull(name: "q-bounded")) {
                _ = try await queue.enqueue((0..<5).map { Count(n: $0) }, options: .init(fullQueueTimeout: .zero))
            }
            #expect(try await queue.counts()[.waiting] == 3)
            await #expect(throws: JobsError.queueFull(name: "q-bounded")) {
                _ = try await queue.enqueue(Count(n: 9), options: .init(fullQueueTimeout: .milliseconds(100)))
            }
            let worker = Worker.make(queue, concurrency: 2)
            worker.register(Count.self) { _, _ in Empty() }
            try await whileRunning([worker]) {
                // Twenty more than fit: the producer waits for the worker to make room.
                let ids = try await queue.enqueue((10..<30).map { Count(n: $0) })
                #expect(Set(ids).count == 20 && !ids.contains(""))
                try await eventually("all ran") { try await queue.counts()[.completed] == 23 }
            }
        }
    }
}
