import RoostClient
import RoostCoordination
@testable import RoostJobs
import RoostTestSupport
import Testing

/// The ids below are picked so that the flows spread over partitions (FNV-1a of the id):
/// of 3 partitions, `root` and `relay-p` are in 1; of 4, `leaf-0`…`leaf-3` are in 0, 3, 2, 1,
/// `relay-1` in 0 and `relay-2` in 1.
@Suite("Flows whose parents and children live in partitioned queues, on Roost, redis-server and Redis Cluster")
struct JobPartitionFlowTests {
    @Test(arguments: TestBackend.available)
    func nestedFlowsAcrossPartitionedAndPlainQueuesRunBottomUp(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let top = JobQueue("pflow-top", on: client, partitions: 3)
            let middle = JobQueue("pflow-middle", on: client)
            let leaves = JobQueue("pflow-leaves", on: client, partitions: 4)
            let producer = FlowProducer(on: client, partitions: [top.name: 3, leaves.name: 4])
            func leaf(_ index: Int, _ n: Int, in queue: JobQueue = leaves) -> FlowJob {
                FlowJob(Part(n: n), in: queue.name, options: .init(id: "leaf-\(index)"))
            }
            let added = try await producer.add(FlowJob(Total(label: "root"), in: top.name, options: .init(id: "root"), children: [
                FlowJob(Total(label: "inner"), in: middle.name, options: .init(id: "inner"), children: [
                    leaf(0, 1), leaf(1, 2), leaf(2, 4), leaf(3, 8), leaf(4, 16, in: top),
                ]),
                leaf(5, 100),
            ]))
            // Each job is in the partition its id routes to, and only there.
            #expect(try await top.partition(1).info("root")?.state == .waitingChildren)
            #expect(try await top.partition(0).info("root") == nil)
            #expect(try await top.info("root")?.state == .waitingChildren)
            let inner = added.children[0].job
            let leafRefs = added.children[0].children.map(\.job).filter { $0.queue == leaves.name }
            #expect(Set(leafRefs.map { JobQueue.partitionIndex(of: $0.id, count: 4) }) == [0, 1, 2, 3])
            for ref in leafRefs {
                let info = try #require(try await leaves.partition(holding: ref.id).info(ref.id))
                #expect(info.state == .waiting && info.flow?.parent == inner)
            }
            #expect(try await top.info("leaf-4")?.flow?.parent == inner)
            #expect(try await middle.flow(of: inner.id)?.parent == added.job)
            #expect(try await middle.flow(of: inner.id)?.pendingChildren == 5)

            try await whileRunning([top, middle, leaves].map(flowWorker)) {
                let total = try await top.result(of: "root", as: Total.self, timeout: .seconds(30))
                #expect(total == 131)
            }
            #expect(try await middle.info(inner.id)?.result == Array("31".utf8))
            let done = try #require(try await middle.flow(of: inner.id))
            #expect(done.pendingChildren == 0 && done.children.count == 5 && done.children.allSatisfy { $0.state == .completed })
            #expect(try await top.counts()[.waitingChildren] == 0)
        }
    }

    @Test(arguments: TestBackend.available)
    func aFailedChildInAPartitionFailsItsParentUnlessIgnored(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let parents = JobQueue("pflow-fail-parents", on: client, partitions: 3)
            let children = JobQueue("pflow-fail-children", on: client, partitions: 4)
            // The queues record their counts; the producer reads them.
            try await parents.checkPartitions()
            try await children.checkPartitions()
            let producer = FlowProducer(on: client)
            func kid(_ id: String, _ n: Int, _ policy: ChildFailurePolicy = .failParent) -> FlowJob {
                FlowJob(Part(n: n), in: children.name, options: .init(id: id), onFailure: policy)
            }
            let strict = try await producer.add(FlowJob(Total(label: "strict"), in: parents.name, options: .init(id: "strict"),
                                                        children: [kid("kid-a", 1), kid("kid-b", -1)]))
            let lenient = try await producer.add(FlowJob(Total(label: "lenient"), in: parents.name, options: .init(id: "lenient"),
                                                         children: [kid("kid-c", 4), kid("kid-d", -2, .ignore)]))
            #expect(try await children.partition(holding: "kid-d").flow(of: "kid-d")?.onFailure == .ignore)
            #expect(lenient.children[1].job == JobRef(queue: children.name, id: "kid-d"))
            try await expectStrictFailsAndLenientRuns(strict, lenient, parents: parents, children: children)
        }
    }

    @Test(arguments: TestBackend.available)
    func aChildFinishWhoseRelayDiedIsRelayedToItsParentsPartitionOnce(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let parents = JobQueue("pflow-relay-parents", on: client, partitions: 3)
            let children = JobQueue("pflow-relay-children", on: client, partitions: 4)
            let added = try await FlowProducer(on: client, partitions: [parents.name: 3, children.name: 4])
                .add(FlowJob(Total(label: "p"), in: parents.name, options: .init(id: "relay-p"), children: [
                    FlowJob(Part(n: 7), in: children.name, options: .init(id: "relay-1")),
                    FlowJob(Part(n: 8), in: children.name, options: .init(id: "relay-2")),
                ]))
            #expect(try await parents.partition(1).info(added.job.id)?.state == .waitingChildren)
            // relay-1 (partition 0) completes, and the relay that claimed its notice dies.
            let first = try await completeWithoutRelay(children.partition(0), result: 7)
            #expect(first == "relay-1")
            let claimedAt = ContinuousClock.now
            guard case .entries(let claimed) = try await children.partition(0).claimFlowWork(for: .seconds(2)) else {
                Issue.record("no notice to claim")
                return
            }
            #expect(claimed.map(\.0) == ["n:relay-1"])
            var relayed = try await children.reconcileFlows()
            // Only while the claim surely holds (a loaded machine may take longer to get here):
            // no other relay takes the notice.
            if ContinuousClock.now - claimedAt < .milliseconds(1500) {
                #expect(relayed == 0)
                #expect(try await parents.flow(of: added.job.id)?.pendingChildren == 2)
            }
            // Once the claim ran out, another relay tells the parent, in its partition.
            try await eventually("the notice is relayed") {
                relayed += try await children.reconcileFlows()
                return relayed == 1
            }
            #expect(try await parents.flow(of: added.job.id)?.pendingChildren == 1)
            let (entry, value) = try #require(claimed.first)
            try await children.partition(0).carryOut(entry, value)
            #expect(try await parents.flow(of: added.job.id)?.pendingChildren == 1)
            // relay-2 (partition 1) completes the same way; the parent then waits and runs.
            #expect(try await children.partition(1).ids(in: .waiting) == ["relay-2"])
            try await relayLastChildThenRunParent(added.job.id, of: parents, from: children, completing: children.partition(1),
                                                  result: 8, total: 15)
        }
    }

    @Test(arguments: TestBackend.available)
    func aFlowWhoseProducerStoppedHalfWayIsFinishedByAPartitionsRelay(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let parents = JobQueue("pflow-crash-parents", on: client, partitions: 3)
            let children = JobQueue("pflow-crash-children", on: client, partitions: 4)
            let producer = FlowProducer(on: client, recoveryDelay: .milliseconds(300),
                                        partitions: [parents.name: 3, children.name: 4])
            let spec = try await producer.resolvePartitions(of: try FlowSpec(FlowJob(
                Total(label: "p"), in: parents.name, options: .init(id: "root"), children: [
                    FlowJob(Part(n: 1), in: children.name, options: .init(id: "leaf-0")),
                    FlowJob(Part(n: 2), in: children.name, options: .init(id: "leaf-1")),
                ])))
            try await whileRunning([flowWorker(parents), flowWorker(children)]) {
                // The producer adds the parent (partition 1) and dies before adding its
                // children; that partition's relay finishes the add once it is due.
                #expect(try await producer.addNodes([spec], parent: nil) == [true])
                #expect(try await parents.partition(1).info("root")?.state == .waitingChildren)
                let total = try await parents.result(of: spec.id, as: Total.self, timeout: .seconds(30))
                #expect(total == 3)
            }
            #expect(try await children.counts()[.completed] == 2)
        }
    }

    @Test(arguments: TestBackend.available)
    func aProducerGivenAnotherPartitionCountIsRefused(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("pflow-mismatch", on: client, partitions: 3)
            try await queue.checkPartitions()
            await #expect(throws: JobsError.self) {
                try await FlowProducer(on: client, partitions: [queue.name: 2]).add(FlowJob(Count(n: 1), in: queue.name))
            }
            // Read from the queue, the count is right: the job lands in its partition.
            let added = try await FlowProducer(on: client).add(FlowJob(Count(n: 1), in: queue.name))
            let index = JobQueue.partitionIndex(of: added.job.id, count: 3)
            #expect(try await queue.partition(index).info(added.job.id)?.state == .waiting)
        }
    }
}
