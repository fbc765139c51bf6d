import NIOConcurrencyHelpers
import RoostClient
import RoostCoordination
@testable import RoostJobs
import RoostTestSupport
import Testing

/// How many handlers of each group run at once, and the most seen.
private final class GroupGauge: Sendable {
    private let state = NIOLockedValueBox<(now: [String: Int], most: [String: Int])>(([:], [:]))

    func started(_ group: String) {
        state.withLockedValue { s in
            s.now[group, default: 0] += 1
            s.most[group] = max(s.most[group] ?? 0, s.now[group]!)
        }
    }

    func ended(_ group: String) { state.withLockedValue { $0.now[group, default: 0] -= 1 } }

    var most: [String: Int] { state.withLockedValue { $0.most } }
}

struct GroupTask: Job {
    static let name = "group-task"
    var group: String
    var n: Int
}

/// Takes up to `count` jobs of `queue` (one partition's view) with a `lease` in ms, as a worker
/// would, but nothing runs or renews them: the state a worker killed with -9 leaves.
private func takeAndDie(_ queue: JobQueue, count: Int, lease: Int) async throws -> [String] {
    let taken = try await queue.client.evaluate(JobScripts.take, keys: queue.keys.all, arguments: [
        RedisArgument(queue.keys.jobPrefix), RedisArgument(queue.keys.events), RedisArgument(lease), RedisArgument(count),
    ])
    return (taken.jobArray?.first?.jobArray ?? []).compactMap { $0.jobArray?.first?.jobString }
}

@Suite("Concurrency per group on Roost, redis-server and Redis Cluster")
struct JobGroupConcurrencyTests {
    /// On a plain queue, then on one of 3 partitions (one server: each start of a cluster
    /// holds up the test process).
    @Test(arguments: TestBackend.available)
    func noGroupRunsMoreHandlersAtOnceThanItsLimitWhileOtherGroupsFlow(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            for partitions in [1, 3] {
                let queue = JobQueue("q-group-slots-\(partitions)", on: client, partitions: partitions)
                try await queue.setGroupConcurrency(max: 3)
                try await queue.setGroupConcurrency("a", max: 1)
                try await queue.setGroupConcurrency("b", max: 2)
                #expect(try await queue.groupConcurrency(for: "a") == 1)
                #expect(try await queue.groupConcurrency(for: "c") == 3)
                #expect(try await queue.groupConcurrency() == 3)
                // Group a's jobs come first: without the limits, the others would wait behind them.
                var ids: [String: [String]] = [:]
                for group in ["a", "b", "c"] {
                    ids[group] = try await queue.enqueue((0..<10).map { GroupTask(group: group, n: $0) },
                                                         options: .init(maxAttempts: 2, group: group))
                }
                let gauge = GroupGauge()
                let workers = (0..<4).map { _ in Worker.make(queue, concurrency: 8) }
                for worker in workers {
                    worker.register(GroupTask.self) { job, context in
                        gauge.started(job.group)
                        defer { gauge.ended(job.group) }
                        try await Task.sleep(for: .milliseconds(100))
                        // Every fourth job fails its first attempt: a failure gives its slot back too.
                        if job.n % 4 == 0 && context.attempt == 1 { throw JobsError.invalidOptions("first attempt fails") }
                        return Empty()
                    }
                }
                try await whileRunning(workers) {
                    // Waits on the queue's events, not by polling: the machine may be loaded.
                    for id in ids.values.joined() {
                        let info = try await queue.finished(id, timeout: .seconds(60))
                        #expect(info.state == .completed)
                    }
                }
                let most = gauge.most
                #expect(most["a"] == 1)
                #expect(most["b"] == 2)
                #expect(most["c"] == 3)
                // c was not held behind a: it finished before a's last job started.
                var lastStartA: Int64 = 0
                for id in ids["a"]! { lastStartA = max(lastStartA, try #require(try await queue.info(id)?.startedAt)) }
                var lastEndC: Int64 = 0
                for id in ids["c"]! { lastEndC = max(lastEndC, try #require(try await queue.info(id)?.finishedAt)) }
                #expect(lastEndC < lastStartA)
                // No slot leaked: every group's count is back to 0, nothing is held.
                for group in ["a", "b", "c"] { #expect(try await queue.runningCount(of: group) == 0) }
                #expect(try await queue.counts()[.waiting] == 0)
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func aLeaseThatRanOutGivesTheSlotBack(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-group-slots-lease", on: client)
            try await queue.setGroupConcurrency("g", max: 1)
            let ids = try await queue.enqueue([GroupTask(group: "g", n: 1), GroupTask(group: "g", n: 2)],
                                              options: .init(maxAttempts: 3, group: "g"))
            _ = try await queue.enqueue(GroupTask(group: "other", n: 3), options: .init(group: "other"))
            // A worker takes g's first job and dies: its slot is taken until the lease runs out.
            #expect(try await takeAndDie(queue, count: 1, lease: 5000) == [ids[0]])
            #expect(try await queue.runningCount(of: "g") == 1)
            // g's second job is held; the other group's job is taken.
            let taken = try await takeAndDie(queue, count: 5, lease: 60_000)
            #expect(taken.count == 1 && taken.first != ids[1])
            #expect(try await queue.counts()[.waiting] == 1)
            let worker = Worker.make(queue)
            worker.register(GroupTask.self) { _, _ in Empty() }
            try await whileRunning([worker]) {
                // The reaper finds the lease run out: the job waits again, the slot comes back,
                // and both of g's jobs run.
                for id in ids {
                    let finished = try await queue.finished(id, timeout: .seconds(30))
                    #expect(finished.state == .completed)
                }
            }
            #expect(try await queue.info(ids[0])?.attempt == 2)
            #expect(try await queue.runningCount(of: "g") == 0)
        }
    }

    @Test(arguments: TestBackend.available)
    func aTimeoutACancelAndAHandBackGiveTheSlotBack(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-group-slots-stops", on: client)
            try await queue.setGroupConcurrency("g", max: 1)
            let worker = Worker.make(queue)
            // n = 1 runs until stopped; the others return at once.
            worker.register(GroupTask.self) { job, _ in
                if job.n == 1 { try await Task.sleep(for: .seconds(120)) }
                return Empty()
            }
            let slow = EnqueueOptions(maxAttempts: 1, timeout: .milliseconds(300), group: "g")
            let timedOut = try await queue.enqueue(GroupTask(group: "g", n: 1), options: slow)
            let cancelled = try await queue.enqueue(GroupTask(group: "g", n: 1), options: .init(group: "g"))
            let quick = try await queue.enqueue(GroupTask(group: "g", n: 2), options: .init(group: "g"))
            try await whileRunning([worker]) {
                let first = try await queue.finished(timedOut, timeout: .seconds(30))
                #expect(first.state == .failed && first.error?.hasPrefix("timed out") == true)
                try await eventually("the second runs") { try await queue.info(cancelled)?.state == .active }
                let second = try await queue.cancel(cancelled, timeout: .seconds(30))
                #expect(second.state == .failed)
                let third = try await queue.finished(quick, timeout: .seconds(30))
                #expect(third.state == .completed)
            }
            // A worker stopping hands its running job back, and with it the slot.
            let handedBack = try await queue.enqueue(GroupTask(group: "g", n: 1), options: .init(group: "g"))
            let taken = try await queue.client.evaluate(JobScripts.take, keys: queue.keys.all, arguments: [
                RedisArgument(queue.keys.jobPrefix), RedisArgument(queue.keys.events), "60000", "1",
            ])
            let job = try #require(taken.jobArray?.first?.jobArray?.first?.jobArray)
            #expect(job[0].jobString == handedBack)
            #expect(try await queue.runningCount(of: "g") == 1)
            let token = try #require(job[4].jobInt)
            #expect(try await queue.run(JobScripts.handBack, [RedisArgument(handedBack), RedisArgument(Int(token))]) == 1)
            #expect(try await queue.info(handedBack)?.state == .waiting)
            #expect(try await queue.runningCount(of: "g") == 0)
        }
    }

    @Test(arguments: TestBackend.available)
    func raisingOrLiftingALimitReleasesHeldJobs(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-group-slots-raise", on: client)
            try await queue.setGroupConcurrency(max: 1)
            _ = try await queue.enqueue((0..<4).map { GroupTask(group: "g", n: $0) }, options: .init(group: "g"))
            #expect(try await takeAndDie(queue, count: 4, lease: 60_000).count == 1)
            #expect(try await takeAndDie(queue, count: 4, lease: 60_000).isEmpty)
            try await queue.setGroupConcurrency("g", max: 2)
            #expect(try await takeAndDie(queue, count: 4, lease: 60_000).count == 1)
            #expect(try await queue.runningCount(of: "g") == 2)
            try await queue.setGroupConcurrency("g", max: nil)
            try await queue.setGroupConcurrency(max: nil)
            #expect(try await takeAndDie(queue, count: 4, lease: 60_000).count == 2)
            #expect(try await queue.counts()[.waiting] == 0)
            await #expect(throws: JobsError.self) { try await queue.setGroupConcurrency("g", max: 0) }
            await #expect(throws: JobsError.self) { try await queue.setGroupConcurrency("", max: 1) }
        }
    }
}
