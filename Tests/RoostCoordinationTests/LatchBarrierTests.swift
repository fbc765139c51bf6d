import NIOConcurrencyHelpers
import RoostClient
import RoostCoordination
import Testing

@Suite("CountDownLatch and DistributedBarrier on Roost, redis-server and Redis Cluster")
struct LatchBarrierTests {
    @Test(arguments: Backend.available)
    func theLatchOpensAtZeroAndWakesEveryWaiter(_ backend: Backend) async throws {
        try await backend.with(clients: 2) { clients in
            let latch = CountDownLatch("l-open", on: clients[0])
            #expect(try await latch.trySetCount(3))
            #expect(try await !latch.trySetCount(5), "an armed latch keeps its count")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<3 {
                    group.addTask { try await CountDownLatch("l-open", on: clients[i % 2]).wait(timeout: .seconds(30)) }
                }
                #expect(try await latch.countDown() == 2)
                #expect(try await latch.countDown() == 1)
                #expect(try await latch.count() == 1)
                #expect(try await latch.countDown() == 0)
                try await group.waitForAll()
            }
            #expect(try await latch.count() == 0)
            #expect(try await latch.countDown() == 0, "counting down an open latch does nothing")
            try await latch.wait(timeout: .zero)
        }
    }

    @Test(arguments: Backend.available)
    func waitingOnAnArmedLatchTimesOut(_ backend: Backend) async throws {
        try await backend.with { clients in
            let latch = CountDownLatch("l-timeout", on: clients[0])
            try await latch.trySetCount(1)
            await #expect(throws: CoordinationError.timedOut) { try await latch.wait(timeout: .milliseconds(100)) }
        }
    }

    @Test(arguments: Backend.available)
    func theBarrierReleasesAllPartiesTogetherRoundAfterRound(_ backend: Backend) async throws {
        try await backend.with(clients: 2) { clients in
            for round in 0..<2 {
                let rounds = try await withThrowingTaskGroup(of: Int.self) { group in
                    for i in 0..<4 {
                        group.addTask { try await DistributedBarrier("b-rounds", parties: 4, on: clients[i % 2]).arrive(timeout: .seconds(30)) }
                    }
                    var rounds: [Int] = []
                    for try await r in group { rounds.append(r) }
                    return rounds
                }
                #expect(rounds == Array(repeating: round, count: 4))
            }
            #expect(try await DistributedBarrier("b-rounds", parties: 4, on: clients[0]).currentGeneration() == 2)
        }
    }

    @Test(arguments: Backend.available)
    func aTimedOutPartyWithdrawsItsArrival(_ backend: Backend) async throws {
        try await backend.with { clients in
            let barrier = DistributedBarrier("b-withdraw", parties: 2, on: clients[0])
            await #expect(throws: CoordinationError.timedOut) { try await barrier.arrive(timeout: .milliseconds(100)) }
            // Had the arrival stayed, this one would trip the round alone.
            await #expect(throws: CoordinationError.timedOut) { try await barrier.arrive(timeout: .milliseconds(100)) }
            let generation = try await barrier.currentGeneration()
            #expect(generation == 0)
        }
    }
}

@Suite("RateLimiter on Roost, redis-server and Redis Cluster")
struct RateLimiterTests {
    @Test(arguments: Backend.available)
    func theTokenBucketAllowsTheBurstThenSpacesRequests(_ backend: Backend) async throws {
        try await backend.with { clients in
            // 5 per minute (one per 12 s), bursts of 5: slow enough that a loaded machine still
            // makes the eight calls before a token comes back.
            let limiter = RateLimiter("r-gcra", .tokenBucket(rate: 5, per: .seconds(60), burst: 5), on: clients[0])
            var decisions: [RateLimitDecision] = []
            for _ in 0..<8 { decisions.append(try await limiter.tryAcquire()) }
            #expect(decisions.map(\.allowed) == [true, true, true, true, true, false, false, false])
            #expect(decisions.map(\.remaining) == [4, 3, 2, 1, 0, 0, 0, 0])
            let last = try #require(decisions.last)
            #expect(last.retryAfter > .seconds(1) && last.retryAfter <= .seconds(12))
            // Waiting: 20 per second without burst, so the second request waits about 50 ms.
            let paced = RateLimiter("r-paced", .tokenBucket(rate: 20, per: .seconds(1), burst: 1), on: clients[0])
            try await paced.acquire(timeout: .seconds(5))
            let start = ContinuousClock.now
            try await paced.acquire(timeout: .seconds(5))
            #expect(ContinuousClock.now - start <= .seconds(5))
            await #expect(throws: CoordinationError.invalidArgument("token bucket rate 5, burst 5, cost 6")) {
                _ = try await limiter.tryAcquire(cost: 6)
            }
        }
    }

    @Test(arguments: Backend.available)
    func theSlidingWindowNeverExceedsItsLimitInAnyWindow(_ backend: Backend) async throws {
        try await backend.with(clients: 3) { clients in
            let window = Duration.milliseconds(300)
            // Each grant's server time lies between the instant its request was sent and the
            // instant its reply came back.
            let grants = NIOLockedValueBox<[(sent: ContinuousClock.Instant, answered: ContinuousClock.Instant)]>([])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<6 {
                    let limiter = RateLimiter("r-window", .slidingWindow(limit: 5, window: window), on: clients[worker % 3])
                    group.addTask {
                        var granted = 0
                        while granted < 3 {
                            let sent = ContinuousClock.now
                            let decision = try await limiter.tryAcquire()
                            if decision.allowed {
                                let answered = ContinuousClock.now
                                grants.withLockedValue { $0.append((sent, answered)) }
                                granted += 1
                            } else {
                                try await Task.sleep(for: decision.retryAfter)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            // Any six grants span at least one window on the server, so on this clock the
            // latest reply comes at least one window after the earliest request.
            let sorted = grants.withLockedValue { $0 }.sorted { $0.sent < $1.sent }
            #expect(sorted.count == 18)
            for i in 0..<(sorted.count - 5) {
                let group = sorted[i...(i + 5)]
                #expect(group.map(\.answered).max()! - sorted[i].sent >= window, "six grants inside one window")
            }
        }
    }
}
