import Foundation
import NIOConcurrencyHelpers
import RoostClient
import RoostCoordination
@testable import RoostJobs
import RoostTestSupport
import Testing

/// A handler's error with fields and no description of its own.
private struct DiskFull: Error {
    var path: String
    var free: Int
}

/// A handler's error that carries its own detail.
private struct UpstreamFailed: Error, JobErrorDetail, CustomStringConvertible {
    var description: String { "upstream answered 503" }
    var detail: String { "GET /inventory → 503\nat step 2 of 3" }
}

/// The keys under a queue's job prefix (job hashes, logs, attempts): what removal must clear.
private func jobKeys<C: CoordinationClient>(of queue: String, on client: C) async throws -> [String] {
    var keys: [String] = []
    for try await key in client.scan(matching: "roost:jobs:{\(queue)}:job:*", count: 1000) { keys.append(String(buffer: key)) }
    return keys.sorted()
}

@Suite("Attempt histories on Roost, redis-server and Redis Cluster")
struct JobAttemptTests {
    @Test(arguments: TestBackend.available)
    func aJobThatFailsThreeTimesThenSucceedsShowsFourAttemptsWithTheirErrors(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-attempts", on: client)
            let worker = Worker.make(queue)
            worker.register(Greet.self) { job, context in
                switch context.attempt {
                case 1: throw DiskFull(path: "/var/spool", free: 0)
                case 2: throw UpstreamFailed()
                case 3:
                    throw NSError(domain: "Upload", code: 7, userInfo: [
                        NSLocalizedDescriptionKey: "upload failed",
                        NSUnderlyingErrorKey: NSError(domain: "Socket", code: 104),
                    ])
                default: return "hello \(job.who)"
                }
            }
            let id = try await queue.enqueue(Greet(who: "Ada"), options: .init(maxAttempts: 4, backoff: .fixed(.zero)))
            try await whileRunning([worker]) {
                let result = try await queue.result(of: id, as: Greet.self, timeout: .seconds(20))
                #expect(result == "hello Ada")
            }
            let attempts = try await queue.attempts(of: id)
            #expect(attempts.map(\.number) == [1, 2, 3, 4])
            #expect(attempts.map(\.outcome) == [.failed, .failed, .failed, .completed])
            #expect(attempts.allSatisfy { $0.worker == worker.presenceID })
            #expect(attempts.allSatisfy { ($0.startedAt ?? 0) > 0 && ($0.startedAt ?? 0) <= ($0.finishedAt ?? 0) })
            #expect(attempts[0].error?.contains("DiskFull") == true)
            #expect(attempts[0].detail?.contains("DiskFull(path: \"/var/spool\", free: 0)") == true)
            #expect(attempts[1].error == "upstream answered 503")
            #expect(attempts[1].detail == "GET /inventory → 503\nat step 2 of 3")
            #expect(attempts[2].detail?.contains("underlying: ") == true)
            #expect(attempts[2].detail?.contains("Socket") == true)
            #expect(attempts[3].error == nil && attempts[3].detail == nil)
            // The job itself still says the last error.
            #expect(try await queue.info(id)?.error == attempts[2].error)
        }
    }

    @Test(arguments: TestBackend.available)
    func anAttemptWhoseLeaseRanOutIsRecordedAsStalled(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-attempts-stalled", on: client)
            let id = try await queue.enqueue(Greet(who: "x"))
            // A worker takes the job with a 300 ms lease, then dies.
            _ = try await client.evaluate(JobScripts.take, keys: queue.keys.all, arguments: [
                RedisArgument(queue.keys.jobPrefix), RedisArgument(queue.keys.events), 300, 1, "dead-worker",
            ])
            #expect(try await queue.attempts(of: id).map(\.outcome) == [.running])
            let worker = Worker.make(queue)
            worker.register(Greet.self) { _, _ in "second" }
            try await whileRunning([worker]) {
                _ = try await queue.result(of: id, as: Greet.self, timeout: .seconds(20))
            }
            let attempts = try await queue.attempts(of: id)
            #expect(attempts.map(\.outcome) == [.stalled, .completed])
            #expect(attempts.map(\.number) == [1, 2])
            #expect(attempts.map(\.worker) == ["dead-worker", worker.presenceID])
            #expect(attempts[0].error?.hasPrefix("stalled: the lease of attempt 1 ran out") == true)
        }
    }

    @Test(arguments: TestBackend.available)
    func cancelledAndTimedOutAttemptsAreRecordedAsSuch(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-attempts-cancel", on: client)
            let worker = Worker.make(queue)
            worker.register(Greet.self) { _, _ in
                try await Task.sleep(for: .seconds(120))
                return "never"
            }
            try await whileRunning([worker]) {
                let cancelled = try await queue.enqueue(Greet(who: "c"))
                try await eventually("the job runs") { try await queue.info(cancelled)?.state == .active }
                try await queue.cancel(cancelled, timeout: .seconds(20))
                let attempts = try await queue.attempts(of: cancelled)
                #expect(attempts.map(\.outcome) == [.cancelled])
                #expect(attempts.first?.error == JobQueue.cancelledMessage)

                let timedOut = try await queue.enqueue(Greet(who: "t"), options: .init(maxAttempts: 1, timeout: .milliseconds(100)))
                _ = try await queue.finished(timedOut, timeout: .seconds(20))
                let late = try await queue.attempts(of: timedOut)
                #expect(late.map(\.outcome) == [.timedOut])
                #expect(late.first?.error?.hasPrefix("timed out after") == true)
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func theHistoryKeepsTheLast25AttemptsAndSurvivesAManualRetry(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-attempts-cap", on: client)
            let healthy = NIOLockedValueBox(false)
            let worker = Worker.make(queue, concurrency: 1)
            worker.register(Count.self) { job, context in
                if healthy.withLockedValue({ $0 }) { return Empty() }
                throw DiskFull(path: "attempt \(context.attempt)", free: job.n)
            }
            let id = try await queue.enqueue(Count(n: 1), options: .init(maxAttempts: 30, backoff: .fixed(.zero)))
            try await whileRunning([worker]) {
                #expect(try await queue.finished(id, timeout: .seconds(30)).state == .failed)
                let attempts = try await queue.attempts(of: id)
                #expect(attempts.count == JobQueue.attemptsKept)
                #expect(attempts.map(\.number) == Array(6...30))
                #expect(attempts.allSatisfy { $0.outcome == .failed })
                #expect(attempts.last?.detail?.contains("attempt 30") == true)

                healthy.withLockedValue { $0 = true }
                #expect(try await queue.retryFailed([id]) == 1)
                #expect(try await queue.finished(id, timeout: .seconds(20)).state == .completed)
            }
            let attempts = try await queue.attempts(of: id)
            #expect(attempts.count == JobQueue.attemptsKept + 1)
            #expect(attempts.last?.outcome == .completed && attempts.last?.number == 1)
        }
    }

    @Test(arguments: TestBackend.available)
    func removingCleaningAndTrimmingAJobLeaveNoKeysBehind(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let name = "q-attempts-keys"
            let queue = JobQueue(name, on: client, keepCompleted: Retention(count: 0, age: .seconds(3600)),
                                 keepFailed: Retention(count: 1, age: .seconds(3600)))
            let worker = Worker.make(queue, concurrency: 1)
            worker.register(Count.self) { job, context in
                try await context.log("trying \(job.n)")
                if job.n < 0 && context.attempt == 1 { throw DiskFull(path: "once", free: 0) }
                if job.n >= 0 { throw UnrecoverableJobError("never works") }
                return Empty()
            }
            let options = EnqueueOptions(maxAttempts: 2, backoff: .fixed(.zero))
            try await whileRunning([worker]) {
                // Completed after one failure, and trimmed at once (keep none completed).
                let trimmed = try await queue.enqueue(Count(n: -1), options: options)
                try await eventually("the completed job is trimmed") { try await queue.info(trimmed) == nil }
                #expect(try await jobKeys(of: name, on: client).isEmpty)
                // Failed for good: the older is trimmed (keep one failed), the newer stays with its keys.
                let first = try await queue.enqueue(Count(n: 1), options: options)
                _ = try await queue.finished(first, timeout: .seconds(20))
                let second = try await queue.enqueue(Count(n: 2), options: options)
                _ = try await queue.finished(second, timeout: .seconds(20))
                try await eventually("the older failed job is trimmed") { try await queue.info(first) == nil }
                let prefix = "roost:jobs:{\(name)}:job:\(second)"
                #expect(try await jobKeys(of: name, on: client) == [prefix, prefix + ":attempts", prefix + ":logs"])
                #expect(try await queue.remove([second]) == 1)
                #expect(try await jobKeys(of: name, on: client).isEmpty)
                #expect(try await queue.attempts(of: second).isEmpty)
                // Cleaning.
                let third = try await queue.enqueue(Count(n: 3), options: options)
                _ = try await queue.finished(third, timeout: .seconds(20))
                #expect(try await queue.clean(.failed) == 1)
                #expect(try await jobKeys(of: name, on: client).isEmpty)
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func aPartitionedQueueReadsEachJobsHistoryFromItsPartition(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-attempts-parts", on: client, partitions: 3)
            let worker = Worker.make(queue)
            worker.register(Count.self) { job, context in
                if context.attempt == 1 { throw DiskFull(path: "job \(job.n)", free: 0) }
                return Empty()
            }
            let ids = try await queue.enqueue((0..<6).map { Count(n: $0) }, options: .init(backoff: .fixed(.zero)))
            try await whileRunning([worker]) {
                for id in ids {
                    let info = try await queue.finished(id, timeout: .seconds(20))
                    #expect(info.state == .completed)
                }
            }
            for (n, id) in ids.enumerated() {
                let attempts = try await queue.attempts(of: id)
                #expect(attempts.map(\.outcome) == [.failed, .completed])
                #expect(attempts.first?.detail?.contains("job \(n)") == true)
            }
        }
    }
}
