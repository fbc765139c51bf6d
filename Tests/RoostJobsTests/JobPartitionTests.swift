import NIOConcurrencyHelpers
import RoostClient
import RoostCoordination
@testable import RoostJobs
import RoostTestSupport
import Testing

@Suite("Partition layout and routing (no server)")
struct JobPartitionLayoutTests {
    @Test(arguments: [2, 3, 4, 6, 16])
    func theTagsOfNPartitionsFallInNDifferentSlotRanges(_ count: Int) {
        for name in ["images", "q", "emails-eu", "x#1"] {
            let tags = (0..<count).map { QueueKeys.partitionTag(of: name, partition: $0, count: count) }
            #expect(tags[0] == name)
            #expect(Set(tags.map { QueueKeys.slotRange(of: $0, count: count) }).count == count)
        }
    }

    @Test
    func onePartitionIsTheUnpartitionedLayout() {
        let keys = QueueKeys.partitions(of: "images", count: 1)
        #expect(keys.count == 1 && keys[0].all == QueueKeys(queue: "images").all)
    }

    @Test
    func idsNameTheirPartition() {
        #expect(JobQueue.partitionIndex(of: "3:17", count: 4) == 3)
        #expect(JobQueue.partitionIndex(of: "17", count: 4) == 0)
        #expect(JobQueue.partitionIndex(of: "nightly@1700000000000", count: 4) == 0)
        #expect(JobQueue.partitionIndex(of: "9:1", count: 4) == 0)
        let custom = JobQueue.partitionIndex(of: "invoice-42", count: 4)
        #expect(custom == JobQueue.partitionIndex(hashing: "invoice-42", count: 4))
        #expect(Set((0..<200).map { JobQueue.partitionIndex(hashing: "key-\($0)", count: 4) }).count == 4)
    }
}

@Suite("Partitioned queues on Roost, redis-server and Redis Cluster")
struct JobPartitionTests {
    @Test(arguments: TestBackend.available)
    func aWorkerTakesFromEveryPartitionInTurn(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-parts", on: client, partitions: 3)
            let ids = try await queue.enqueue((0..<30).map { Count(n: $0) })
            #expect(Set(ids).count == 30)
            // Round-robin: ten per partition, each numbered in its own partition.
            for index in 0..<3 {
                #expect(try await queue.partition(index).counts()[.waiting] == 10)
                #expect(ids.filter { JobQueue.partitionIndex(of: $0, count: 3) == index }.count == 10)
            }
            #expect(try await queue.counts()[.waiting] == 30)
            #expect(Set(try await queue.ids(in: .waiting, limit: 100)) == Set(ids))
            let order = NIOLockedValueBox<[Int]>([])
            let worker = Worker.make(queue, concurrency: 1)
            worker.register(Count.self) { _, context in
                order.withLockedValue { $0.append(JobQueue.partitionIndex(of: context.id, count: 3)) }
                return Empty()
            }
            try await whileRunning([worker]) {
                try await eventually("all ran") { try await queue.counts()[.completed] == 30 }
            }
            // One slot: each take starts at the next partition, so every three runs visit all three.
            let runs = order.withLockedValue { $0 }
            #expect(runs.count == 30)
            for start in stride(from: 0, to: 30, by: 3) { #expect(Set(runs[start..<start + 3]).count == 3) }
            let last = try #require(ids.last)
            #expect(try await queue.info(last)?.state == .completed)
            #expect(try await queue.finished(last, timeout: .seconds(20)).state == .completed)
        }
    }

    @Test(arguments: TestBackend.available)
    func queueWideOperationsCoverEveryPartition(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-parts-ops", on: client, partitions: 3)
            let ids = try await queue.events { events in
                let ids = try await queue.enqueue((0..<6).map { Count(n: $0) })
                var seen = Set<String>()
                for try await event in events {
                    if case .job(.waiting, let id) = event { seen.insert(id) }
                    if seen.count == 6 { break }
                }
                #expect(seen == Set(ids))
                return ids
            }
            try await queue.pause()
            #expect(try await queue.settings().isPaused)
            for index in 0..<3 { #expect(try await queue.partition(index).settings().isPaused) }
            try await queue.resume()
            #expect(try await !queue.settings().isPaused)

            // Cancel one job of each partition; retry them all; remove one; remove the rest.
            for id in ids.prefix(3) { #expect(try await queue.cancel(id, timeout: .seconds(20)).state == .failed) }
            #expect(try await queue.counts()[.failed] == 3)
            #expect(Set(try await queue.ids(in: .failed)) == Set(ids.prefix(3)))
            #expect(try await queue.retryFailed() == 3)
            #expect(try await queue.remove([ids[4]], in: .waiting) == 1)
            #expect(try await queue.info(ids[4]) == nil)
            #expect(try await queue.remove(nil, in: .waiting) == 5)
            #expect(try await queue.counts().values.reduce(0, +) == 0)

            // Finished jobs of every partition are cleaned.
            let worker = Worker.make(queue)
            worker.register(Count.self) { _, _ in Empty() }
            _ = try await queue.enqueue((0..<6).map { Count(n: $0) })
            try await whileRunning([worker]) {
                try await eventually("all ran") { try await queue.counts()[.completed] == 6 }
            }
            #expect(try await queue.clean(.completed) == 6)
        }
    }

    @Test(arguments: TestBackend.available)
    func deduplicationAndLimitsHoldAcrossPartitions(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-parts-limits", on: client, partitions: 3)
            let options = EnqueueOptions(deduplication: .untilFinished(key: "report"))
            let first = try await queue.enqueue(Count(n: 0), options: options)
            for n in 1..<5 { #expect(try await queue.enqueue(Count(n: n), options: options) == first) }
            #expect(try await queue.counts()[.waiting] == 1)
            #expect(try await queue.remove(nil, in: .waiting) == 1)

            await #expect(throws: JobsError.self) { try await queue.setLimits(concurrency: 2) }
            try await queue.setLimits(concurrency: 3)
            #expect(try await queue.settings().concurrency == 3)
            for index in 0..<3 { #expect(try await queue.partition(index).settings().concurrency == 1) }
            let current = NIOLockedValueBox(0)
            let peak = NIOLockedValueBox(0)
            let workers = (0..<2).map { _ in Worker.make(queue, concurrency: 4) }
            for worker in workers {
                worker.register(Count.self) { _, _ in
                    let now = current.withLockedValue { $0 += 1; return $0 }
                    peak.withLockedValue { $0 = max($0, now) }
                    try await Task.sleep(for: .milliseconds(10))
                    current.withLockedValue { $0 -= 1 }
                    return Empty()
                }
            }
            _ = try await queue.enqueue((0..<30).map { Count(n: $0) })
            try await whileRunning(workers) {
                try await eventually("all ran") { try await queue.counts()[.completed] == 30 }
            }
            #expect(peak.withLockedValue { $0 } <= 3)

            // Rate and capacity are split the same way: shares that sum to the limit.
            try await queue.setLimits(rate: (count: 7, per: .seconds(1)), capacity: 5)
            #expect(try await queue.settings().rate == JobQueue.Settings.Rate(count: 7, per: .seconds(1)))
            var rates: [Int] = []
            for index in 0..<3 { rates.append(try #require(try await queue.partition(index).settings().rate?.count)) }
            #expect(rates == [3, 2, 2])
        }
    }

    @Test(arguments: TestBackend.available)
    func aGroupLivesInOnePartitionWithItsWholeRate(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-parts-groups", on: client, partitions: 3)
            let ids = try await queue.enqueue((0..<6).map { Count(n: $0) }, options: EnqueueOptions(group: "tenant-7"))
            #expect(Set(ids.map { JobQueue.partitionIndex(of: $0, count: 3) }).count == 1)
            try await queue.setGroupRate((count: 2, per: .seconds(600)), for: "tenant-7")
            for index in 0..<3 {
                #expect(try await queue.partition(index).groupRate(for: "tenant-7") == .init(count: 2, per: .seconds(600)))
            }
            await #expect(throws: JobsError.self) {
                try await queue.enqueue(Count(n: 9), options: EnqueueOptions(deduplication: .untilFinished(key: "k"), group: "g"))
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func eachTickOfASchedulerRunsOnceOnAPartitionedQueue(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-parts-repeat", on: client, partitions: 3)
            let runs = NIOLockedValueBox<[String]>([])
            let workers = (0..<2).map { _ in Worker.make(queue) }
            for worker in workers {
                worker.register(Greet.self) { job, context in
                    runs.withLockedValue { $0.append(context.id) }
                    return job.who
                }
            }
            try await queue.schedule(Greet(who: "tick"), try RepeatSchedule(every: .milliseconds(200)), name: "beat")
            try await whileRunning(workers) {
                try await eventually("three ticks ran") { runs.withLockedValue { $0.count } >= 3 }
                #expect(try await queue.unschedule("beat"))
            }
            let ids = runs.withLockedValue { $0 }
            #expect(Set(ids).count == ids.count, "a tick ran twice: \(ids)")
            #expect(try await queue.info(try #require(ids.first))?.state == .completed)
        }
    }

    @Test(arguments: TestBackend.available)
    func aMismatchedPartitionCountIsAClearError(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-parts-count", on: client, partitions: 4)
            _ = try await queue.enqueue(Count(n: 1))
            for wrong in [1, 2] {
                await #expect(throws: JobsError.partitionMismatch(name: "q-parts-count", stored: 4, requested: wrong)) {
                    try await JobQueue("q-parts-count", on: client, partitions: wrong).enqueue(Count(n: 2))
                }
            }
            let opened = try await JobQueue.open("q-parts-count", on: client)
            #expect(opened.partitionCount == 4)
            #expect(try await opened.counts()[.waiting] == 1)
            // A queue that never was partitioned opens with one partition and records nothing.
            _ = try await JobQueue("q-parts-single", on: client).enqueue(Count(n: 1))
            #expect(try await JobQueue.open("q-parts-single", on: client).partitionCount == 1)
        }
    }

    @Test(.enabled(if: RedisClusterProcess.isAvailable))
    func onAClusterThePartitionsLandOnDifferentMastersAndAllAreWorked() async throws {
        try await withJobsBackend(.redisCluster) { client in
            let cluster = try #require(client as? RedisClusterClient)
            let topology = try await cluster.topology
            let masters = topology.masters.count
            let queue = JobQueue("q-parts-cluster", on: client, partitions: masters)
            var owners = Set<RedisClusterNodeAddress>()
            for index in 0..<masters {
                let key = queue.partition(index).keys.ready
                let slot = RedisHashSlot(key: key)
                let owner = try #require(topology.master(for: slot))
                // The node agrees on the slot (CLUSTER KEYSLOT) and serves the key (no MOVED).
                let asked = try await cluster.execute(RedisCommand("CLUSTER", ["KEYSLOT", RedisArgument(key.bytes)]), on: owner)
                #expect(asked == .integer(Int64(slot.rawValue)))
                owners.insert(owner)
            }
            #expect(owners.count == masters)

            let workers = (0..<2).map { _ in Worker.make(queue, concurrency: 8) }
            for worker in workers { worker.register(Count.self) { _, _ in Empty() } }
            _ = try await queue.enqueue((0..<(100 * masters)).map { Count(n: $0) })
            try await whileRunning(workers) {
                try await eventually("all ran") { try await queue.counts()[.completed] == 100 * masters }
            }
            for index in 0..<masters { #expect(try await queue.partition(index).counts()[.completed] == 100) }
        }
    }
}
