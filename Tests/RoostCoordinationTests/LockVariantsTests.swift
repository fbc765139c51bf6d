import NIOConcurrencyHelpers
import RoostClient
import RoostCoordination
import RoostTestSupport
import Testing

@Suite("Fair, read-write and multi-locks on Roost, redis-server and Redis Cluster")
struct LockVariantsTests {
    @Test(arguments: Backend.available)
    func aFairLockServesWaitersInArrivalOrder(_ backend: Backend) async throws {
        try await backend.with(clients: 3) { clients in
            let holder = DistributedLock("v-fair", on: clients[0], leaseTime: .seconds(60), fair: true)
            let held = try #require(try await holder.tryAcquire())
            let order = NIOLockedValueBox<[String]>([])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (i, name) in ["first", "second"].enumerated() {
                    let lock = DistributedLock("v-fair", on: clients[i + 1], leaseTime: .seconds(60), fair: true)
                    group.addTask {
                        try await lock.withLock(timeout: .seconds(60)) { _ in order.withLockedValue { $0.append(name) } }
                    }
                    try await eventually("waiter \(name) to queue") {
                        try await clients[0].send("ZCARD", "roost:lock:{v-fair}:queue", as: Int.self) == i + 1
                    }
                }
                // Free now, but two waiters are queued: a newcomer must not jump the queue.
                try await holder.release(held)
                #expect(try await holder.tryAcquire() == nil || order.withLockedValue { $0.count } == 2)
                try await group.waitForAll()
            }
            #expect(order.withLockedValue { $0 } == ["first", "second"])
        }
    }

    @Test(arguments: Backend.available)
    func readersShareAndWritersExclude(_ backend: Backend) async throws {
        try await backend.with { clients in
            let lock = ReadWriteLock("v-rw", on: clients[0], leaseTime: .seconds(60))
            let r1 = try #require(try await lock.read.tryAcquire())
            let r2 = try #require(try await lock.read.tryAcquire())
            #expect(r1.token != r2.token)
            #expect(try await lock.write.tryAcquire() == nil, "readers hold it")
            try await lock.read.release(r1)
            try await lock.read.release(r2)
            let w = try #require(try await lock.write.tryAcquire())
            #expect(w.token > max(r1.token, r2.token))
            #expect(try await lock.read.tryAcquire() == nil, "a writer holds it")
            #expect(try await lock.write.tryAcquire() == nil)
            try await lock.write.release(w)
            #expect(try await lock.read.tryAcquire() != nil)
        }
    }

    @Test(arguments: Backend.available)
    func aWaitingWriterIsNotStarvedByNewReaders(_ backend: Backend) async throws {
        try await backend.with(clients: 2) { clients in
            let lock = ReadWriteLock("v-starve", on: clients[0], leaseTime: .seconds(60))
            let reader = try #require(try await lock.read.tryAcquire())
            try await withThrowingTaskGroup(of: Lease.self) { group in
                group.addTask { try await ReadWriteLock("v-starve", on: clients[1], leaseTime: .seconds(60)).write.acquire(timeout: .seconds(60)) }
                try await eventually("the writer to wait") {
                    try await clients[0].send("ZCARD", "roost:rwlock:{v-starve}:writers-waiting", as: Int.self) == 1
                }
                #expect(try await lock.read.tryAcquire() == nil, "new readers queue behind the waiting writer")
                try await lock.read.release(reader)
                let writer = try #require(try await group.next())
                try await lock.write.release(writer)
            }
        }
    }

    @Test(arguments: Backend.available)
    func aMultiLockHoldsEveryLockAndReleasesThemAll(_ backend: Backend) async throws {
        try await backend.with { clients in
            let a = DistributedLock("v-multi-a", on: clients[0]), b = DistributedLock("v-multi-b", on: clients[0])
            try await MultiLock([b, a, b]).withLock { leases in
                #expect(leases.map(\.resource) == ["v-multi-a", "v-multi-b"])
                let stolenA = try await a.tryAcquire(), stolenB = try await b.tryAcquire()
                #expect(stolenA == nil && stolenB == nil)
            }
            #expect(try await a.state().owner == nil)
            #expect(try await b.state().owner == nil)
            // One lock held elsewhere: the multi-lock times out and gives back what it took.
            let held = try #require(try await b.tryAcquire())
            await #expect(throws: CoordinationError.timedOut) {
                try await MultiLock([a, b]).withLock(timeout: .milliseconds(200)) { _ in }
            }
            #expect(try await a.state().owner == nil)
            try await b.release(held)
        }
    }
}
