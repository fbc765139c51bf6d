import NIOConcurrencyHelpers
import RoostClient
import RoostCoordination
@testable import RoostJobs
import RoostTestSupport
import Testing

struct Part: Job {
    static let name = "part"
    typealias Output = Int
    var n: Int
}

struct Total: Job {
    static let name = "total"
    typealias Output = Int
    var label: String
}

/// A worker for `queue` whose `Part` handler returns n (failing for n < 0) and whose `Total`
/// handler sums its children's results of both types.
func flowWorker(_ queue: JobQueue) -> Worker {
    let worker = Worker.make(queue)
    worker.register(Part.self) { job, _ in
        if job.n < 0 { throw UnrecoverableJobError("negative \(job.n)") }
        return job.n
    }
    worker.register(Total.self) { _, context in
        let parts = try await context.childrenResults(of: Part.self).values.reduce(0, +)
        return try await parts + context.childrenResults(of: Total.self).values.reduce(0, +)
    }
    return worker
}

/// Takes one job of `queue` and completes it with `result` through the queue's scripts, as a
/// worker would, but without the relay that tells its parent: the state a crash leaves between
/// a child's completion and its parent's step.
func completeWithoutRelay(_ queue: JobQueue, result: Int) async throws -> String {
    let taken = try await queue.client.evaluate(JobScripts.take, keys: queue.keys.all, arguments: [
        RedisArgument(queue.keys.jobPrefix), RedisArgument(queue.keys.events), "30000", "1",
    ])
    let job = try #require(taken.jobArray?.first?.jobArray?.first?.jobArray)
    let id = try #require(job[0].jobString)
    let token = try #require(job[4].jobInt)
    let done = try await queue.client.evaluate(JobScripts.complete, keys: queue.keys.all, arguments: [
        RedisArgument(queue.keys.jobPrefix), RedisArgument(queue.keys.events), "100", "3600000",
        RedisArgument(id), RedisArgument(Int(token)), RedisArgument("\(result)"),
    ])
    #expect(done.jobArray?.first?.jobInt == 1)
    return id
}

/// Completes the last child of `parent` (the one job `holder`, a view of `children`, has
/// waiting) with `result` without its relay, relays it by hand, and runs the parent, which
/// must then total `total`.
func relayLastChildThenRunParent(_ parent: String, of parents: JobQueue, from children: JobQueue, completing holder: JobQueue,
                                 result: Int, total: Int) async throws {
    _ = try await completeWithoutRelay(holder, result: result)
    #expect(try await children.reconcileFlows() == 1)
    #expect(try await parents.info(parent)?.state == .waiting)
    try await whileRunning([flowWorker(parents)]) {
        let sum = try await parents.result(of: parent, as: Total.self, timeout: .seconds(30))
        #expect(sum == total)
    }
}

/// Runs the flows `strict` and `lenient` of `parents`, each with two children of `children`
/// whose second fails (`negative -1`, `negative -2`); `strict`'s fails its parent, `lenient`'s
/// is ignored: its parent runs, reads the failure and totals its first child's 4.
func expectStrictFailsAndLenientRuns(_ strict: AddedFlow, _ lenient: AddedFlow, parents: JobQueue, children: JobQueue) async throws {
    let failures = NIOLockedValueBox<[JobRef: String]>([:])
    let parentWorker = Worker.make(parents)
    parentWorker.register(Total.self) { _, context in
        failures.withLockedValue { $0 = [:] }
        let seen = try await context.childrenFailures()
        failures.withLockedValue { $0 = seen }
        return try await context.childrenResults(of: Part.self).values.reduce(0, +)
    }
    try await whileRunning([parentWorker, flowWorker(children)]) {
        let failed = try await parents.finished(strict.job.id, timeout: .seconds(30))
        #expect(failed.state == .failed)
        #expect(failed.error?.contains("child \(strict.children[1].job) failed: negative -1") == true)
        let total = try await parents.result(of: lenient.job.id, as: Total.self, timeout: .seconds(30))
        #expect(total == 4)
    }
    #expect(failures.withLockedValue { $0 } == [lenient.children[1].job: "negative -2"])
    let states = try #require(try await parents.flow(of: lenient.job.id)).children.map(\.state)
    #expect(Set(states) == [.completed, .failed])
}

@Suite("Parent/child flows across queues on Roost, redis-server and Redis Cluster")
struct JobFlowTests {
    @Test(arguments: TestBackend.available)
    func aParentRunsAfterItsChildrenInTwoQueuesAndReadsTheirResults(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            // Three queues, three hash tags: on the cluster, other slots.
            let parents = JobQueue("flow-parents", on: client)
            let left = JobQueue("flow-left", on: client)
            let right = JobQueue("flow-right", on: client)
            let added = try await FlowProducer(on: client).add(FlowJob(Total(label: "sum"), in: parents.name, children: [
                FlowJob(Part(n: 2), in: left.name), FlowJob(Part(n: 3), in: right.name), FlowJob(Part(n: 5), in: right.name),
            ]))
            let parent = added.job.id
            #expect(try await parents.info(parent)?.state == .waitingChildren)
            #expect(try await parents.counts()[.waitingChildren] == 1)
            let flow = try #require(try await parents.flow(of: parent))
            #expect(flow.pendingChildren == 3 && flow.children.allSatisfy { $0.state == .pending })
            #expect(Set(flow.children.map(\.job)) == Set(added.children.map(\.job)))
            let child = try #require(added.children.first?.job)
            #expect(try await left.flow(of: child.id)?.parent == added.job)
            #expect(try await left.info(child.id)?.flow?.parent == added.job)
            #expect(try await parents.info(parent)?.flow?.pendingChildren == 3)

            let workers = [parents, left, right].map(flowWorker)
            try await whileRunning(workers) {
                let total = try await parents.result(of: parent, as: Total.self, timeout: .seconds(30))
                #expect(total == 10)
            }
            let done = try #require(try await parents.flow(of: parent))
            #expect(done.pendingChildren == 0 && done.children.allSatisfy { $0.state == .completed })
            #expect(try await parents.counts()[.waitingChildren] == 0)
        }
    }

    @Test(arguments: TestBackend.available)
    func aParentsEventsTellItWaitsForChildrenThenWaits(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let parents = JobQueue("flow-events-parents", on: client)
            let children = JobQueue("flow-events-children", on: client)
            let seen = try await parents.events { events in
                let added = try await FlowProducer(on: client).add(FlowJob(Total(label: "e"), in: parents.name, children: [
                    FlowJob(Part(n: 1), in: children.name),
                ]))
                var kinds: [JobEvent.Kind] = []
                try await whileRunning([flowWorker(children)]) {
                    for try await event in events {
                        guard case .job(let kind, let id) = event, id == added.job.id else { continue }
                        kinds.append(kind)
                        if kind == .waiting { break }
                    }
                }
                return kinds
            }
            #expect(seen == [.waitingChildren, .waiting])
        }
    }

    @Test(arguments: TestBackend.available)
    func nestedFlowsRunBottomUp(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let top = JobQueue("flow-nest-top", on: client)
            let middle = JobQueue("flow-nest-middle", on: client)
            let leaves = JobQueue("flow-nest-leaves", on: client)
            let added = try await FlowProducer(on: client).add(FlowJob(Total(label: "root"), in: top.name, children: [
                FlowJob(Total(label: "inner"), in: middle.name, children: [
                    FlowJob(Part(n: 1), in: leaves.name), FlowJob(Part(n: 10), in: top.name),
                ]),
                FlowJob(Part(n: 100), in: leaves.name),
            ]))
            let inner = added.children[0].job
            #expect(try await middle.info(inner.id)?.state == .waitingChildren)
            try await whileRunning([top, middle, leaves].map(flowWorker)) {
                let total = try await top.result(of: added.job.id, as: Total.self, timeout: .seconds(30))
                #expect(total == 111)
            }
            #expect(try await middle.info(inner.id)?.result == Array("11".utf8))
            // The inner parent started only after both of its children had finished.
            let innerStart = try #require(try await middle.info(inner.id)?.startedAt)
            for leaf in added.children[0].children {
                let finished = try #require(try await JobQueue(leaf.job.queue, on: client).info(leaf.job.id)?.finishedAt)
                #expect(finished <= innerStart)
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func aFailedChildFailsItsParentUnlessIgnored(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let parents = JobQueue("flow-fail-parents", on: client)
            let children = JobQueue("flow-fail-children", on: client)
            let producer = FlowProducer(on: client)
            let strict = try await producer.add(FlowJob(Total(label: "strict"), in: parents.name, children: [
                FlowJob(Part(n: 1), in: children.name), FlowJob(Part(n: -1), in: children.name),
            ]))
            let lenient = try await producer.add(FlowJob(Total(label: "lenient"), in: parents.name, children: [
                FlowJob(Part(n: 4), in: children.name), FlowJob(Part(n: -2), in: children.name, onFailure: .ignore),
            ]))
            try await expectStrictFailsAndLenientRuns(strict, lenient, parents: parents, children: children)
        }
    }

    @Test(arguments: TestBackend.available)
    func aParentKeptWaitingForAFailedChildRunsWhenTheRetriedChildCompletes(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let parents = JobQueue("flow-wait-parents", on: client)
            let children = JobQueue("flow-wait-children", on: client)
            let added = try await FlowProducer(on: client).add(FlowJob(Total(label: "p"), in: parents.name, children: [
                FlowJob(Part(n: 6), in: children.name, options: .init(maxAttempts: 1), onFailure: .keepParentWaiting),
            ]))
            let healthy = NIOLockedValueBox(false)
            let childWorker = Worker.make(children)
            childWorker.register(Part.self) { job, _ in
                guard healthy.withLockedValue({ $0 }) else { throw UnrecoverableJobError("not yet") }
                return job.n
            }
            try await whileRunning([flowWorker(parents), childWorker]) {
                let child = try #require(added.children.first?.job)
                try await eventually("the child's failure reached the parent") {
                    try await parents.flow(of: added.job.id)?.children.first?.error == "not yet"
                }
                let waiting = try #require(try await parents.flow(of: added.job.id))
                #expect(waiting.pendingChildren == 1 && waiting.children.first?.state == .pending)
                #expect(try await parents.info(added.job.id)?.state == .waitingChildren)
                healthy.withLockedValue { $0 = true }
                #expect(try await children.retryFailed([child.id]) == 1)
                let total = try await parents.result(of: added.job.id, as: Total.self, timeout: .seconds(30))
                #expect(total == 6)
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func aChildFinishWhoseRelayDiedIsRelayedOnceByAnother(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let parents = JobQueue("flow-relay-parents", on: client)
            let children = JobQueue("flow-relay-children", on: client)
            let added = try await FlowProducer(on: client).add(FlowJob(Total(label: "p"), in: parents.name, children: [
                FlowJob(Part(n: 7), in: children.name), FlowJob(Part(n: 8), in: children.name),
            ]))
            // The first child completes, and the relay that claimed its notice dies (it holds
            // the claim for 2 s and never tells the parent).
            let first = try await completeWithoutRelay(children, result: 7)
            guard case .entries(let claimed) = try await children.claimFlowWork(for: .seconds(2)) else {
                Issue.record("no notice to claim")
                return
            }
            #expect(claimed.map(\.0) == ["n:" + first])
            #expect(try await children.reconcileFlows() == 0)
            #expect(try await parents.flow(of: added.job.id)?.pendingChildren == 2)
            // Once the claim ran out, another relay tells the parent.
            try await eventually("the notice is relayed") { try await children.reconcileFlows() == 1 }
            #expect(try await parents.flow(of: added.job.id)?.pendingChildren == 1)
            // Telling the parent twice counts the child once.
            let (entry, value) = try #require(claimed.first)
            try await children.carryOut(entry, value)
            let flow = try #require(try await parents.flow(of: added.job.id))
            #expect(flow.pendingChildren == 1 && flow.children.filter { $0.state == .completed }.count == 1)
            #expect(try await parents.info(added.job.id)?.state == .waitingChildren)
            // The second child completes the same way; the parent then waits and runs.
            try await relayLastChildThenRunParent(added.job.id, of: parents, from: children, completing: children,
                                                  result: 8, total: 15)
        }
    }

    @Test(arguments: TestBackend.available)
    func aFlowWhoseProducerStoppedHalfWayIsFinishedByARelay(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let parents = JobQueue("flow-crash-parents", on: client)
            let children = JobQueue("flow-crash-children", on: client)
            let producer = FlowProducer(on: client, recoveryDelay: .milliseconds(300))
            let spec = try FlowSpec(FlowJob(Total(label: "p"), in: parents.name, children: [
                FlowJob(Part(n: 1), in: children.name), FlowJob(Part(n: 2), in: children.name),
            ]))
            try await whileRunning([flowWorker(parents), flowWorker(children)]) {
                // The producer adds the parent and dies before adding its children; the parent
                // queue's worker (idle until then) relays the pending add once it is due.
                let added = try await producer.addNodes([spec], parent: nil)
                #expect(added == [true])
                let total = try await parents.result(of: spec.id, as: Total.self, timeout: .seconds(30))
                #expect(total == 3)
            }
            #expect(try await children.counts()[.completed] == 2)
        }
    }
}
