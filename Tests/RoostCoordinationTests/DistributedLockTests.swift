import NIOConcurrencyHelpers
import RoostClient
import RoostCoordination
import RoostTestSupport
import Testing

@Suite("DistributedLock on Roost, redis-server and Redis Cluster")
struct DistributedLockTests {
    @Test(arguments: Backend.available)
    func onlyOneHolderAtATimeAndTokensIncrease(_ backend: Backend) async throws {
        try await backend.with { clients in
            let lock = DistributedLock("t-exclusive", on: clients[0])
            let first = try #require(try await lock.tryAcquire())
            #expect(try await lock.tryAcquire() == nil)
            let state = try await lock.state()
            #expect(state.owner == first.owner)
            #expect(state.token == first.token)
            #expect(try await lock.release(first))
            #expect(try await !lock.release(first), "a second release changes nothing")
            #expect(!first.isValid)
            let second = try #require(try await lock.tryAcquire())
            #expect(second.token > first.token)
            try await lock.release(second)
            #expect(try await lock.state().owner == nil)
        }
    }

    @Test(arguments: Backend.available)
    func tokensKeepIncreasingAfterTheLockExpires(_ backend: Backend) async throws {
        try await backend.with { clients in
            let lock = DistributedLock("t-expiry", on: clients[0], leaseTime: .milliseconds(50))
            let first = try #require(try await lock.tryAcquire())
            try await eventually("the lease to expire on the server") { try await lock.state().owner == nil }
            let second = try #require(try await DistributedLock("t-expiry", on: clients[0]).tryAcquire())
            #expect(second.token == first.token + 1)
            #expect(try await !lock.release(first), "the expired holder cannot release the new holder's lease")
            #expect(try await lock.state().owner == second.owner)
        }
    }

    @Test(arguments: Backend.available)
    func aWaiterWakesOnReleaseWithoutPolling(_ backend: Backend) async throws {
        try await backend.with(clients: 2) { clients in
            let holder = DistributedLock("t-handoff", on: clients[0], leaseTime: .seconds(60))
            let waiter = DistributedLock("t-handoff", on: clients[1], leaseTime: .seconds(60))
            let held = try #require(try await holder.tryAcquire())
            try await withThrowingTaskGroup(of: Lease.self) { group in
                group.addTask { try await waiter.acquire(timeout: .seconds(30)) }
                try await eventually("the waiter to register") { try await holder.state().waiters == 1 }
                let released = ContinuousClock.now
                try await holder.release(held)
                let lease = try #require(try await group.next())
                // The holder's lease had 60 s left: only the release notice explains a fast wake.
                #expect(ContinuousClock.now - released < .seconds(5))
                #expect(lease.token > held.token)
                #expect(try await holder.state().waiters == 0)
                try await waiter.release(lease)
            }
        }
    }

    /// Single-server backends, where `INFO clients` counts every blocked waiter.
    @Test(arguments: Backend.available.filter { $0 != .cluster })
    func eachReleaseWakesOneWaiterAndTheOthersStayBlocked(_ backend: Backend) async throws {
        try await backend.with(clients: 2) { clients in
            let lock = DistributedLock("t-one", on: clients[0], leaseTime: .seconds(60))
            let waiters = DistributedLock("t-one", on: clients[1], leaseTime: .seconds(60))
            @Sendable func blocked() async throws -> Int {
                let info = try String(fromRESP: try await clients[0].send("INFO", "clients"))
                let line = info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("blocked_clients:") }
                return Int(try #require(line).dropFirst("blocked_clients:".count)) ?? -1
            }
            var held = try #require(try await lock.tryAcquire())
            try await withThrowingTaskGroup(of: Lease.self) { group in
                for _ in 0..<3 { group.addTask { try await waiters.acquire(timeout: .seconds(30)) } }
                try await eventually("three waiters blocked on the signal list") { try await blocked() == 3 }
                for stillWaiting in [2, 1, 0] {
                    try await lock.release(held)
                    let next = try #require(try await group.next())
                    #expect(next.token > held.token)
                    // Exactly one waiter took the token; the rest never left BLPOP.
                    #expect(try await blocked() == stillWaiting)
                    #expect(try await clients[0].send("LLEN", "roost:lock:{t-one}:signal") == .integer(0))
                    held = next
                }
                try await lock.release(held)
            }
            #expect(try await lock.state().owner == nil)
        }
    }

    @Test(arguments: Backend.available)
    func aWaiterThatGaveUpDoesNotDelayTheNextOne(_ backend: Backend) async throws {
        try await backend.with(clients: 2) { clients in
            let lock = DistributedLock("t-pass", on: clients[0], leaseTime: .seconds(60))
            let held = try #require(try await lock.tryAcquire())
            // A waiter registers, then gives up; a second one keeps waiting.
            await #expect(throws: CoordinationError.timedOut) {
                _ = try await lock.acquire(timeout: .milliseconds(50))
            }
            let waiter = DistributedLock("t-pass", on: clients[1], leaseTime: .seconds(60))
            try await withThrowingTaskGroup(of: Lease.self) { group in
                group.addTask { try await waiter.acquire(timeout: .seconds(30)) }
                try await eventually("the second waiter to register") { try await lock.state().waiters == 2 }
                let released = ContinuousClock.now
                try await lock.release(held)
                let lease = try #require(try await group.next())
                // The wake-up reached the live waiter: the lock had 60 s left on its lease.
                #expect(ContinuousClock.now - released < .seconds(10))
                try await waiter.release(lease)
            }
        }
    }

    @Test(arguments: Backend.available)
    func aWaiterTakesOverWhenTheHolderDiesWithoutReleasing(_ backend: Backend) async throws {
        try await backend.with { clients in
            let lock = DistributedLock("t-dead-holder", on: clients[0], leaseTime: .milliseconds(300))
            let dead = try #require(try await lock.tryAcquire())
            let lease = try await lock.acquire(timeout: .seconds(20))
            #expect(lease.token > dead.token)
            try await lock.release(lease)
        }
    }

    @Test(arguments: Backend.available)
    func acquireTimesOut(_ backend: Backend) async throws {
        try await backend.with { clients in
            let lock = DistributedLock("t-timeout", on: clients[0], leaseTime: .seconds(60))
            let held = try #require(try await lock.tryAcquire())
            await #expect(throws: CoordinationError.timedOut) {
                _ = try await lock.acquire(timeout: .milliseconds(200))
            }
            try await lock.release(held)
        }
    }

    @Test(arguments: Backend.available)
    func withLockRenewsTheLeaseWhileTheBodyRuns(_ backend: Backend) async throws {
        try await backend.with { clients in
            // A lease long enough that a loaded machine (parallel tests, 2 cores) still renews in time.
            let lock = DistributedLock("t-renew", on: clients[0], leaseTime: .seconds(2))
            try await lock.withLock { lease in
                // Outlive the lease over twice; the watchdog must keep it ours.
                let end = ContinuousClock.now + .seconds(5)
                while ContinuousClock.now < end {
                    #expect(try await lock.state().owner == lease.owner)
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(lease.isValid)
            }
            #expect(try await lock.state().owner == nil)
        }
    }

    @Test(arguments: Backend.available)
    func losingTheLeaseCancelsTheBody(_ backend: Backend) async throws {
        try await backend.with { clients in
            let lock = DistributedLock("t-lost", on: clients[0], leaseTime: .seconds(2))
            let seen = NIOLockedValueBox<Lease?>(nil)
            do {
                try await lock.withLock { lease in
                    seen.withLockedValue { $0 = lease }
                    // Another party takes the lock over behind the holder's back.
                    _ = try await clients[0].send("HSET", "roost:lock:{t-lost}", "owner", "intruder")
                    _ = try await clients[0].send("PERSIST", "roost:lock:{t-lost}")
                    // Cancelled by the watchdog at its next renewal, well before this sleep ends.
                    try await Task.sleep(for: .seconds(60))
                }
                Issue.record("withLock returned although the lease was lost")
            } catch let error as CoordinationError {
                // Refused renewal (.expired) normally; on a starved machine the lease may run out
                // on the holder's clock first. Either way the body was cancelled.
                #expect(error.leaseLossReason != nil)
            }
            let lease = try #require(seen.withLockedValue { $0 })
            #expect(!lease.isValid)
            _ = try await lease.lost
            #expect(try await lock.state().owner == "intruder", "the lost holder must not release the new owner")
        }
    }

    @Test(arguments: Backend.available)
    func nestedWithLockReusesTheLease(_ backend: Backend) async throws {
        try await backend.with { clients in
            let lock = DistributedLock("t-reentrant", on: clients[0])
            try await lock.withLock { outer in
                try await lock.withLock { inner in
                    #expect(inner === outer)
                }
                #expect(outer.isValid)
                #expect(try await lock.state().owner == outer.owner)
            }
        }
    }

    @Test(arguments: Backend.available)
    func contendedHoldersNeverOverlap(_ backend: Backend) async throws {
        try await backend.with(clients: 4) { clients in
            let inside = NIOLockedValueBox(0)
            let overlaps = NIOLockedValueBox(0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    let lock = DistributedLock("t-contended", on: clients[worker % clients.count], leaseTime: .seconds(10))
                    group.addTask {
                        for _ in 0..<10 {
                            try await lock.withLock(timeout: .seconds(60)) { _ in
                                if inside.withLockedValue({ $0 += 1; return $0 }) > 1 { overlaps.withLockedValue { $0 += 1 } }
                                // A read-modify-write that loses updates unless the lock excludes.
                                let value = try await clients[0].send("GET", "t-counter", as: String?.self).flatMap { Int($0) } ?? 0
                                _ = try await clients[0].send("SET", "t-counter", value + 1)
                                inside.withLockedValue { $0 -= 1 }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(overlaps.withLockedValue { $0 } == 0)
            #expect(try await clients[0].send("GET", "t-counter", as: String.self) == "80")
        }
    }
}

@Suite("FencedStore on Roost, redis-server and Redis Cluster")
struct FencedStoreTests {
    @Test(arguments: Backend.available)
    func staleTokensAreRefusedByTheServer(_ backend: Backend) async throws {
        try await backend.with { clients in
            let store = FencedStore(on: clients[0])
            try await store.set("report", "v5", token: 5)
            try await store.set("report", "v5b", token: 5)
            await #expect(throws: CoordinationError.staleToken(presented: 4, highest: 5)) {
                try await store.set("report", "v4", token: 4)
            }
            try await store.set("report", "v6", token: 6)
            #expect(try await store.get("report") == Array("v6".utf8))
            #expect(try await store.highestToken("report") == 6)
        }
    }

    @Test(arguments: Backend.available)
    func aLockHolderWhoseLeaseEndedCannotWrite(_ backend: Backend) async throws {
        try await backend.with { clients in
            let lock = DistributedLock("t-fenced", on: clients[0], leaseTime: .milliseconds(50))
            let store = FencedStore(on: clients[0])
            let paused = try #require(try await lock.tryAcquire())
            try await eventually("the paused holder's lease to expire") { try await lock.state().owner == nil }
            let next = try #require(try await lock.tryAcquire())
            try await store.set("{t-fenced}data", "new", token: next.token)
            await #expect(throws: CoordinationError.staleToken(presented: paused.token, highest: next.token)) {
                try await store.set("{t-fenced}data", "stale", token: paused.token)
            }
            #expect(try await store.get("{t-fenced}data") == Array("new".utf8))
        }
    }

    @Test(arguments: Backend.available)
    func fencedScriptsAndTheFunctionLibraryCheckTheSameFence(_ backend: Backend) async throws {
        try await backend.with { clients in
            let append = FencedScript("return redis.call('APPEND', KEYS[2], ARGV[2])")
            #expect(try await append.run(on: clients[0], fence: "{f}fence", token: 2, keys: ["{f}log"], arguments: ["a"]) == .integer(1))
            await #expect(throws: CoordinationError.staleToken(presented: 1, highest: 2)) {
                _ = try await append.run(on: clients[0], fence: "{f}fence", token: 1, keys: ["{f}log"], arguments: ["b"])
            }
            #expect(try await append.run(on: clients[0], fence: "{f}fence", token: 3, keys: ["{f}log"], arguments: ["c"]) == .integer(2))
            if backend != .cluster {
                // FUNCTION LOAD goes to one node; on a cluster a user loads it on every master.
                _ = try await clients[0].functionLoad(FencedStore.functionLibrary, replace: true)
                #expect(try await clients[0].fcall("roost_fenced_set", keys: ["g"], arguments: ["7", "x"]) == .array([.integer(1), .integer(7)]))
                #expect(try await clients[0].fcall("roost_fenced_set", keys: ["g"], arguments: ["6", "y"]) == .array([.integer(0), .integer(7)]))
            }
        }
    }
}
