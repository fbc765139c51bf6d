import NIOConcurrencyHelpers
import RoostClient
import RoostCoordination
import RoostTestSupport
import Testing

@Suite("DistributedSemaphore on Roost, redis-server and Redis Cluster")
struct DistributedSemaphoreTests {
    @Test(arguments: Backend.available)
    func neverMoreThanNPermits(_ backend: Backend) async throws {
        try await backend.with { clients in
            let semaphore = DistributedSemaphore("s-count", permits: 3, on: clients[0], leaseTime: .seconds(60))
            var permits: [Lease] = []
            for _ in 0..<3 { permits.append(try #require(try await semaphore.tryAcquire())) }
            #expect(try await semaphore.tryAcquire() == nil)
            #expect(try await semaphore.availablePermits() == 0)
            #expect(Set(permits.map(\.token)).count == 3)
            #expect(try await semaphore.release(permits[1]))
            #expect(try await !semaphore.release(permits[1]))
            #expect(try await semaphore.availablePermits() == 1)
            let again = try #require(try await semaphore.tryAcquire())
            #expect(again.token > permits.map(\.token).max()!)
        }
    }

    @Test(arguments: Backend.available)
    func aDeadHoldersPermitExpires(_ backend: Backend) async throws {
        try await backend.with { clients in
            let short = DistributedSemaphore("s-expire", permits: 1, on: clients[0], leaseTime: .milliseconds(50))
            let dead = try #require(try await short.tryAcquire())
            let semaphore = DistributedSemaphore("s-expire", permits: 1, on: clients[0])
            let permit = try await semaphore.acquire(timeout: .seconds(20))
            #expect(permit.token > dead.token)
            await #expect(throws: CoordinationError.leaseLost(.expired)) { try await short.renew(dead) }
            #expect(!dead.isValid)
        }
    }

    @Test(arguments: Backend.available)
    func aWaiterWakesWhenAPermitIsReturned(_ backend: Backend) async throws {
        try await backend.with(clients: 2) { clients in
            let holder = DistributedSemaphore("s-wake", permits: 1, on: clients[0], leaseTime: .seconds(60))
            let waiter = DistributedSemaphore("s-wake", permits: 1, on: clients[1], leaseTime: .seconds(60))
            let held = try #require(try await holder.tryAcquire())
            try await withThrowingTaskGroup(of: Lease.self) { group in
                group.addTask { try await waiter.acquire(timeout: .seconds(30)) }
                try await eventually("the waiter to register") {
                    try await clients[0].send("ZCARD", "roost:semaphore:{s-wake}:waiters", as: Int.self) == 1
                }
                try await holder.release(held)
                let permit = try #require(try await group.next())
                #expect(permit.token > held.token)
            }
        }
    }

    @Test(arguments: Backend.available)
    func contendedPermitHoldersStayWithinTheLimit(_ backend: Backend) async throws {
        try await backend.with(clients: 3) { clients in
            let inside = NIOLockedValueBox(0)
            let most = NIOLockedValueBox(0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<6 {
                    let semaphore = DistributedSemaphore("s-contended", permits: 2, on: clients[worker % 3], leaseTime: .seconds(10))
                    group.addTask {
                        for _ in 0..<5 {
                            try await semaphore.withPermit(timeout: .seconds(60)) { _ in
                                let now = inside.withLockedValue { $0 += 1; return $0 }
                                most.withLockedValue { $0 = max($0, now) }
                                _ = try await clients[0].send("INCR", "s-work")
                                inside.withLockedValue { $0 -= 1 }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(most.withLockedValue { $0 } <= 2)
            #expect(try await clients[0].send("GET", "s-work", as: String.self) == "30")
            #expect(try await DistributedSemaphore("s-contended", permits: 2, on: clients[0]).availablePermits() == 2)
        }
    }
}
