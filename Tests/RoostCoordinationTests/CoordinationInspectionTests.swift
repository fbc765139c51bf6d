import RoostClient
import RoostCoordination
import RoostTestSupport
import Testing

@Suite("CoordinationInspector on Roost, redis-server and Redis Cluster")
struct CoordinationInspectionTests {
    @Test(arguments: Backend.available)
    func showsHoldersLeasesTokensAndWaitersThenNothingAfterRelease(_ backend: Backend) async throws {
        try await backend.with(clients: 2) { clients in
            let inspector = CoordinationInspector(client: clients[0])
            let fair = DistributedLock("i-fair", on: clients[0], leaseTime: .seconds(30), fair: true)
            let plain = DistributedLock("i-plain", on: clients[0], leaseTime: .seconds(30))
            let permits = DistributedSemaphore("i-permits", permits: 3, on: clients[0], leaseTime: .seconds(30))
            let election = LeaderElection("i-election", identity: "node-a", on: clients[0], leaseTime: .seconds(30))
            let config = ReadWriteLock("i-config", on: clients[0], leaseTime: .seconds(30))

            let fairLease = try #require(try await fair.tryAcquire())
            let plainLease = try #require(try await plain.tryAcquire())
            let permit1 = try #require(try await permits.tryAcquire())
            let permit2 = try #require(try await permits.tryAcquire())
            let term = try #require(try await election.tryCampaign())
            let reader = try #require(try await config.read.tryAcquire())

            let names = try await inspector.names()
            #expect(names.locks == ["i-fair", "i-plain"])
            #expect(names.semaphores == ["i-permits"])
            #expect(names.elections == ["i-election"])
            #expect(names.readWriteLocks == ["i-config"])

            let snapshot = try await inspector.snapshot()
            let fairState = try #require(snapshot.locks.first { $0.name == "i-fair" })
            #expect(fairState.holder?.owner == fairLease.owner)
            #expect(fairState.holder?.token == fairLease.token)
            #expect(fairState.lastToken == fairLease.token)
            let left = try #require(fairState.holder?.leaseLeftMilliseconds)
            #expect(left > 0 && left <= 30_000)
            #expect(snapshot.locks.first { $0.name == "i-plain" }?.holder?.token == plainLease.token)

            let semaphore = try #require(snapshot.semaphores.first)
            #expect(semaphore.permitsUsed == 2)
            #expect(Set(semaphore.holders.map(\.owner)) == [permit1.owner, permit2.owner])
            #expect(Set(semaphore.holders.map(\.token)) == [permit1.token, permit2.token])
            #expect(semaphore.holders.allSatisfy { $0.leaseLeftMilliseconds > 0 && $0.leaseLeftMilliseconds <= 30_000 })

            let leader = try #require(snapshot.elections.first)
            #expect(leader.leaderIdentity == "node-a")
            #expect(leader.leader?.owner == term.owner)
            #expect(leader.leader?.token == term.token)
            #expect(leader.leader.map { $0.leaseLeftMilliseconds > 0 && $0.leaseLeftMilliseconds <= 30_000 } == true)

            let rw = try #require(snapshot.readWriteLocks.first)
            #expect(rw.writer == nil)
            #expect(rw.readers.map(\.owner) == [reader.owner])
            #expect(rw.readers.map(\.token) == [reader.token])

            // Waiters: the fair lock's queue records arrival; the plain lock's waiters have none.
            let fairWaiter = DistributedLock("i-fair", on: clients[1], leaseTime: .seconds(30), fair: true)
            let plainWaiter = DistributedLock("i-plain", on: clients[1], leaseTime: .seconds(30))
            try await withThrowingTaskGroup(of: Lease.self) { group in
                group.addTask { try await fairWaiter.acquire(timeout: .seconds(60)) }
                group.addTask { try await plainWaiter.acquire(timeout: .seconds(60)) }
                try await eventually("both waiters to show up") {
                    let locks = try await inspector.snapshot().locks
                    return locks.count == 2 && locks.allSatisfy { $0.waiters.count == 1 }
                }
                let waiting = try await inspector.snapshot().locks
                let queued = try #require(waiting.first { $0.name == "i-fair" })
                #expect(queued.fair)
                #expect(queued.waiters.first?.waitedMilliseconds.map { $0 >= 0 } == true)
                #expect(queued.waiters.first.map { $0.interestLeftMilliseconds > 0 } == true)
                let unqueued = try #require(waiting.first { $0.name == "i-plain" })
                #expect(!unqueued.fair)
                #expect(unqueued.waiters.first?.waitedMilliseconds == nil)
                let waiterIDs = Set(waiting.compactMap { $0.waiters.first?.id })

                try await fair.release(fairLease)
                try await plain.release(plainLease)
                let first = try #require(try await group.next()), second = try #require(try await group.next())
                #expect(Set([first.owner, second.owner]) == waiterIDs, "each waiter holds the lock under the id shown")
                let handedOver = try await inspector.snapshot().locks
                #expect(Set(handedOver.compactMap(\.holder?.owner)) == waiterIDs)
                #expect(handedOver.allSatisfy { $0.waiters.isEmpty })
                try await fairWaiter.release(first.resource == "i-fair" ? first : second)
                try await plainWaiter.release(first.resource == "i-fair" ? second : first)
            }

            try await permits.release(permit1)
            try await permits.release(permit2)
            try await election.resign(term)
            try await config.read.release(reader)
            let after = try await inspector.snapshot()
            #expect(after == CoordinationSnapshot(), "nothing is held or waited for")
            let idle = try await inspector.snapshot(includeIdle: true)
            #expect(idle.locks.map(\.name) == ["i-fair", "i-plain"])
            #expect(idle.locks.allSatisfy { $0.holder == nil && $0.lastToken == 2 })
            #expect(idle.elections.first?.lastTerm == term.token)
        }
    }
}
