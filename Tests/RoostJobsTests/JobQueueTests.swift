import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import RoostClient
import RoostCoordination
@testable import RoostJobs
import RoostTestSupport
import Testing

@Suite("Job queues and workers on Roost, redis-server and Redis Cluster")
struct JobQueueTests {
    @Test(arguments: TestBackend.available)
    func aWorkerRunsAJobAndTheProducerGetsItsResult(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-result", on: client)
            let worker = Worker.make(queue)
            worker.register(Greet.self) { job, context in
                #expect(context.attempt == 1)
                return "hello \(job.who)"
            }
            try await whileRunning([worker]) {
                let id = try await queue.enqueue(Greet(who: "Ada"))
                #expect(try await queue.result(of: id, as: Greet.self, timeout: .seconds(20)) == "hello Ada")
                let info = try #require(try await queue.info(id))
                #expect(info.state == .completed && info.attempt == 1 && info.name == "greet")
                #expect(try await queue.counts()[.completed] == 1)
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func everyJobOfABulkEnqueueRunsOnce(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-bulk", on: client)
            let seen = NIOLockedValueBox<[Int: Int]>([:])
            let workers = (0..<2).map { _ in Worker.make(queue, concurrency: 16) }
            for worker in workers {
                worker.register(Count.self) { job, _ in
                    seen.withLockedValue { $0[job.n, default: 0] += 1 }
                    return Empty()
                }
            }
            let ids = try await queue.enqueue((0..<1200).map { Count(n: $0) })
            #expect(Set(ids).count == 1200)
            try await whileRunning(workers) {
                // 1,200 jobs through an in-process server: allow for a loaded machine (the whole suite at once).
                try await eventually(timeout: .seconds(60), "every job completed") { try await queue.counts()[.completed] == 1200 }
            }
            #expect(seen.withLockedValue { $0.count == 1200 && $0.values.allSatisfy { $0 == 1 } })
        }
    }

    @Test(arguments: TestBackend.available)
    func aFailingJobIsRetriedWithBackoffThenDeadLetteredAndCanBeRetried(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-retry", on: client)
            let healthy = NIOLockedValueBox(false)
            let attempts = NIOLockedValueBox<[Int]>([])
            let worker = Worker.make(queue)
            worker.register(Greet.self) { job, context in
                attempts.withLockedValue { $0.append(context.attempt) }
                guard healthy.withLockedValue({ $0 }) else { throw JobsError.invalidOptions("boom \(context.attempt)") }
                return "ok"
            }
            try await whileRunning([worker]) {
                let id = try await queue.enqueue(Greet(who: "x"), options: .init(maxAttempts: 3, backoff: .fixed(.milliseconds(20))))
                let failed = try await queue.finished(id, timeout: .seconds(20))
                #expect(failed.state == .failed && failed.attempt == 3)
                #expect(failed.error?.contains("boom 3") == true)
                #expect(attempts.withLockedValue { $0 } == [1, 2, 3])
                #expect(try await queue.ids(in: .failed) == [id])
                await #expect(throws: JobsError.jobFailed(id: id, message: failed.error ?? "")) {
                    _ = try await queue.result(of: id, as: Greet.self)
                }
                healthy.withLockedValue { $0 = true }
                #expect(try await queue.retryFailed() == 1)
                #expect(try await queue.result(of: id, as: Greet.self, timeout: .seconds(20)) == "ok")
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func anUnrecoverableErrorFailsAtOnce(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-unrecoverable", on: client)
            let worker = Worker.make(queue)
            worker.register(Greet.self) { _, _ in throw UnrecoverableJobError("bad input") }
            try await whileRunning([worker]) {
                let id = try await queue.enqueue(Greet(who: "x"), options: .init(maxAttempts: 5))
                let info = try await queue.finished(id, timeout: .seconds(20))
                #expect(info.state == .failed && info.attempt == 1 && info.error == "bad input")
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func aJobPastItsTimeoutIsCancelledAndRetried(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-timeout", on: client)
            let cancelled = NIOLockedValueBox(false)
            let worker = Worker.make(queue)
            worker.register(Greet.self) { _, context in
                if context.attempt == 1 {
                    do {
                        try await Task.sleep(for: .seconds(120))
                    } catch {
                        cancelled.withLockedValue { $0 = true }
                        throw error
                    }
                }
                return "attempt \(context.attempt)"
            }
            try await whileRunning([worker]) {
                // Later attempts return at once; on a loaded machine one may still miss 200 ms.
                let id = try await queue.enqueue(Greet(who: "x"),
                                                 options: .init(maxAttempts: 10, backoff: .fixed(.zero), timeout: .milliseconds(200)))
                let result = try await queue.result(of: id, as: Greet.self, timeout: .seconds(60))
                #expect(result.hasPrefix("attempt ") && result != "attempt 1")
                #expect(cancelled.withLockedValue { $0 })
                #expect(try await queue.info(id)?.error?.contains("timed out") == true)
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func aDelayedJobRunsWhenDueAndNotBefore(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-delay", on: client)
            let worker = Worker.make(queue)
            worker.register(Greet.self) { _, _ in "done" }
            try await whileRunning([worker]) {
                let id = try await queue.enqueue(Greet(who: "x"), options: .init(delay: .milliseconds(400)))
                #expect(try await queue.info(id)?.state == .delayed)
                // No other enqueue wakes the idle worker: it wakes by itself when the job is due.
                let info = try await queue.finished(id, timeout: .seconds(20))
                let started = try #require(info.startedAt)
                #expect(started - info.enqueuedAt >= 400)
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func lowerPriorityNumbersRunFirstAndEqualOnesInOrder(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-priority", on: client)
            let order = NIOLockedValueBox<[Int]>([])
            let worker = Worker.make(queue, concurrency: 1)
            worker.register(Count.self) { job, _ in
                order.withLockedValue { $0.append(job.n) }
                return Empty()
            }
            try await queue.pause()
            for (n, priority) in [(1, 5), (2, 0), (3, 5), (4, 1), (5, 0)] {
                try await queue.enqueue(Count(n: n), options: .init(priority: priority))
            }
            try await whileRunning([worker]) {
                try await queue.resume()
                try await eventually("all ran") { order.withLockedValue { $0.count } == 5 }
            }
            #expect(order.withLockedValue { $0 } == [2, 5, 4, 1, 3])
        }
    }

    @Test(arguments: TestBackend.available)
    func aJobWhoseWorkerDiedRunsAgainAndTheDeadAttemptIsFencedOff(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-stalled", on: client)
            let id = try await queue.enqueue(Greet(who: "x"))
            // A worker takes the job with a 300 ms lease, then dies (never renews, never reports).
            let taken = try await client.evaluate(JobScripts.take, keys: queue.keys.all, arguments: [
                RedisArgument(queue.keys.jobPrefix), RedisArgument(queue.keys.events), 300, 1,
            ])
            let deadToken = try #require(taken.jobArray?.first?.jobArray?.first?.jobArray?[4].jobInt)
            let worker = Worker.make(queue)
            let attemptsSeen = NIOLockedValueBox<[Int]>([])
            worker.register(Greet.self) { _, context in
                attemptsSeen.withLockedValue { $0.append(context.attempt) }
                return "second"
            }
            try await whileRunning([worker]) {
                // The idle worker wakes when the dead attempt's lease runs out, with no enqueue.
                let result = try await queue.result(of: id, as: Greet.self, timeout: .seconds(20))
                #expect(result == "second")
            }
            #expect(attemptsSeen.withLockedValue { $0 } == [2])
            // The dead attempt wakes up and tries to complete: refused.
            let late = try await client.evaluate(JobScripts.complete, keys: queue.keys.all, arguments: [
                RedisArgument(queue.keys.jobPrefix), RedisArgument(queue.keys.events), 1000, 100_000,
                RedisArgument(id), RedisArgument(Int(deadToken)), "late",
            ])
            #expect(late == .array([.integer(0)]))
            #expect(try await queue.info(id)?.result == Array("\"second\"".utf8))
        }
    }

    @Test(arguments: TestBackend.available)
    func aCancelledWorkerHandsItsJobsBackWithoutUsingAnAttempt(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-handback", on: client)
            let worker = Worker.make(queue)
            let started = NIOLockedValueBox(false)
            worker.register(Greet.self) { _, _ in
                started.withLockedValue { $0 = true }
                try await Task.sleep(for: .seconds(120))
                return "never"
            }
            let id = try await queue.enqueue(Greet(who: "x"))
            try await whileRunning([worker]) {
                try await eventually("the handler started") { started.withLockedValue { $0 } }
            }
            let info = try #require(try await queue.info(id))
            #expect(info.state == .waiting && info.attempt == 0)
        }
    }

    @Test(arguments: TestBackend.available)
    func eventsFollowAJobThroughItsLife(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-events", on: client)
            let worker = Worker.make(queue)
            worker.register(Greet.self) { _, context in
                try await context.progress(["step": 1])
                try await context.log("halfway")
                return "done"
            }
            try await queue.events { events in
                let id = try await queue.enqueue(Greet(who: "x"))
                try await whileRunning([worker]) {
                    var kinds: [JobEvent.Kind] = []
                    for try await event in events {
                        guard case .job(let kind, let eventID) = event, eventID == id else { continue }
                        kinds.append(kind)
                        if kind == .completed { break }
                    }
                    #expect(kinds == [.waiting, .active, .progress, .completed])
                }
                let info = try #require(try await queue.info(id))
                #expect(info.progress == Array("{\"step\":1}".utf8))
                #expect(try await queue.logs(of: id) == ["halfway"])
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func aCustomIDDeduplicatesAndNumericIDsAreRefused(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-dedup", on: client)
            let first = try await queue.enqueue(Greet(who: "a"), options: .init(id: "order-17"))
            let second = try await queue.enqueue(Greet(who: "b"), options: .init(id: "order-17"))
            #expect(first == "order-17" && second == "order-17")
            #expect(try await queue.counts()[.waiting] == 1)
            #expect(try await queue.info("order-17")?.payload == Array("{\"who\":\"a\"}".utf8))
            await #expect(throws: JobsError.self) { try await queue.enqueue(Greet(who: "c"), options: .init(id: "42")) }
            await #expect(throws: JobsError.self) { try await queue.enqueue(Greet(who: "c"), options: .init(priority: -1)) }
        }
    }

    @Test(arguments: TestBackend.available)
    func finishedJobsAreKeptOnlyAsTheRetentionSays(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-retention", on: client, keepCompleted: Retention(count: 5, age: .seconds(3600)))
            let worker = Worker.make(queue, concurrency: 1)
            worker.register(Count.self) { _, _ in Empty() }
            let ids = try await queue.enqueue((0..<20).map { Count(n: $0) })
            try await whileRunning([worker]) {
                try await eventually("all ran") { try await queue.counts()[.waiting] == 0 && worker.runningCount == 0 }
                try await eventually("the last completed") { try await queue.info(ids[19])?.state == .completed }
            }
            #expect(try await queue.counts()[.completed] == 5)
            #expect(try await queue.info(ids[0]) == nil)
            #expect(try await queue.ids(in: .completed) == Array(ids[15...]))
        }
    }
}

@Suite("Cancelling jobs on Roost, redis-server and Redis Cluster")
struct JobCancelTests {
    @Test(arguments: TestBackend.available)
    func cancellingARunningJobStopsItsHandlerAndIsAcknowledged(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-cancel", on: client)
            let worker = Worker.make(queue)
            let started = NIOLockedValueBox(false)
            let sawCancellation = NIOLockedValueBox(false)
            worker.register(Greet.self) { _, _ in
                started.withLockedValue { $0 = true }
                do {
                    try await Task.sleep(for: .seconds(120))
                } catch {
                    sawCancellation.withLockedValue { $0 = true }
                    throw error
                }
                return "never"
            }
            try await whileRunning([worker]) {
                let id = try await queue.enqueue(Greet(who: "x"), options: .init(maxAttempts: 5))
                try await eventually("the handler started") { started.withLockedValue { $0 } }
                let ended = try await queue.cancel(id, timeout: .seconds(20))
                #expect(ended.state == .failed && ended.error == JobQueue.cancelledMessage && ended.attempt == 1)
                #expect(sawCancellation.withLockedValue { $0 })
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func cancellingAWaitingJobFailsItAtOnceAndUnknownIDsThrow(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-cancel-waiting", on: client)
            let id = try await queue.enqueue(Greet(who: "x"), options: .init(delay: .seconds(60)))
            let ended = try await queue.cancel(id, timeout: .seconds(5))
            #expect(ended.state == .failed && ended.attempt == 0)
            #expect(try await queue.counts()[.delayed] == 0)
            await #expect(throws: JobsError.notFound(id: "nope")) { try await queue.cancel("nope") }
        }
    }
}

@Suite("Graceful shutdown")
struct WorkerShutdownTests {
    @Test(arguments: [TestBackend.roost])
    func gracefulShutdownFinishesShortJobsAndHandsLongOnesBack(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-graceful", on: client)
            var logger = Logger(label: "roost.jobs.test")
            logger.logLevel = .critical
            let worker = Worker(queue: queue, configuration: .init(concurrency: 4, shutdownGracePeriod: .milliseconds(500)),
                                logger: logger)
            let started = NIOLockedValueBox(0)
            worker.register(Count.self) { job, _ in
                started.withLockedValue { $0 += 1 }
                // Job 0 ends within the grace period once shutdown begins; job 1 never does.
                try await Task.sleep(for: job.n == 0 ? .milliseconds(100) : .seconds(120))
                return Empty()
            }
            let ids = try await queue.enqueue([Count(n: 0), Count(n: 1)])
            let group = ServiceGroup(configuration: .init(services: [.init(service: worker)], logger: logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await eventually("both started") { started.withLockedValue { $0 } == 2 }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            #expect(try await queue.info(ids[0])?.state == .completed)
            let handedBack = try #require(try await queue.info(ids[1]))
            #expect(handedBack.state == .waiting && handedBack.attempt == 0)
        }
    }
}
