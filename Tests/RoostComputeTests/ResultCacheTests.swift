import RoostClient
import RoostCompute
import RoostCoordination
import RoostTestSupport
import Testing

private struct Failure: Error {}

@Suite("The result cache on Roost, redis-server and Redis Cluster")
struct ResultCacheTests {
    @Test(arguments: TestBackend.available)
    func concurrentCallersInTwoProcessesWaitForOneComputation(_ backend: TestBackend) async throws {
        try await withComputeBackend(backend) { server in
            try await server.withExtraClient { other, _ in
                // A lease long enough that a loaded machine's slow renewal is not taken for a death.
                let caches = [ResultCache("single-flight", on: server.client, leaseTime: .seconds(120)),
                              ResultCache("single-flight", on: other, leaseTime: .seconds(120))]
                let callers = 8
                let entered = Counter(), computed = Counter()
                let values = try await withThrowingTaskGroup(of: String.self) { group in
                    for caller in 0..<callers {
                        group.addTask {
                            entered.increment()
                            return try await caches[caller % 2].memoize(key: "report", ttl: .seconds(60)) {
                                computed.increment()
                                // Every caller has asked before the value exists.
                                try await eventually(timeout: .seconds(60), "every caller asked") { entered.count == callers }
                                return "computed by \(caller)"
                            }
                        }
                    }
                    return try await group.reduce(into: [String]()) { $0.append($1) }
                }
                #expect(computed.count == 1)
                #expect(values.count == callers && Set(values).count == 1)
                #expect(try await caches[0].state(of: "report") == CacheEntryState(isFresh: true, isBeingComputed: false))
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func whenTheComputingCallerDiesAWaitingCallerTakesOver(_ backend: TestBackend) async throws {
        try await withComputeBackend(backend) { server in
            let cache = ResultCache("takeover", on: server.client, leaseTime: .milliseconds(600))
            let dyingStarted = Flag()
            try await server.withExtraClient { doomed, cutOff in
                let doomedCache = ResultCache("takeover", on: doomed, leaseTime: .milliseconds(600), logger: ComputeBackend.logger)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        _ = try? await doomedCache.memoize(key: "k", ttl: .seconds(60)) { () async throws -> String in
                            dyingStarted.raise()
                            try await Task.sleep(for: .seconds(3600))  // hangs until its process "dies"
                            return "never"
                        }
                    }
                    defer { group.cancelAll() }
                    try await dyingStarted.wait("the doomed caller computing")
                    #expect(try await cache.state(of: "k") == nil)
                    // Its connection goes: no more renewals, no release. Its lease runs out.
                    cutOff()
                    let value = try await cache.memoize(key: "k", ttl: .seconds(60), timeout: .seconds(60)) { "taken over" }
                    #expect(value == "taken over")
                }
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func aStaleValueIsServedWhileOneCallerRefreshesIt(_ backend: TestBackend) async throws {
        try await withComputeBackend(backend) { server in
            let cache = ResultCache("swr", on: server.client, leaseTime: .seconds(120))
            let computed = Counter()
            let first = try await cache.memoize(key: "k", ttl: .milliseconds(100), staleFor: .seconds(60)) {
                "v\(computed.increment())"
            }
            #expect(first == "v1")
            try await eventually(timeout: .seconds(60), "the value went stale") { try await cache.state(of: "k")?.isFresh == false }
            let refreshing = Flag(), release = Flag()
            try await withThrowingTaskGroup(of: String.self) { group in
                group.addTask {
                    try await cache.memoize(key: "k", ttl: .seconds(60), staleFor: .seconds(60)) {
                        refreshing.raise()
                        try await release.wait("the refresh released")
                        return "v\(computed.increment())"
                    }
                }
                try await refreshing.wait("a caller refreshing")
                #expect(try await cache.state(of: "k") == CacheEntryState(isFresh: false, isBeingComputed: true))
                let served = try await cache.memoize(key: "k", ttl: .seconds(60), staleFor: .seconds(60)) { () async throws -> String in
                    Issue.record("a second refresh ran")
                    return "wrong"
                }
                #expect(served == "v1")
                release.raise()
                #expect(try await group.next() == "v2")
            }
            #expect(try await cache.memoize(key: "k", ttl: .seconds(60)) { "wrong" } == "v2")
            #expect(computed.count == 2)
        }
    }

    @Test(arguments: TestBackend.available)
    func aValueExpiresAfterItsTTLAndIsComputedAgain(_ backend: TestBackend) async throws {
        try await withComputeBackend(backend) { server in
            let cache = ResultCache("ttl", on: server.client)
            let computed = Counter()
            #expect(try await cache.memoize(key: "k", ttl: .seconds(2)) { computed.increment() } == 1)
            try await eventually(timeout: .seconds(60), "the value expired") { try await cache.state(of: "k") == nil }
            #expect(try await cache.memoize(key: "k", ttl: .seconds(2)) { computed.increment() } == 2)
        }
    }

    @Test(arguments: TestBackend.available)
    func aFailedComputationReachesItsCallerAndTheNextCallerComputes(_ backend: TestBackend) async throws {
        try await withComputeBackend(backend) { server in
            let cache = ResultCache("errors", on: server.client)
            do {
                _ = try await cache.memoize(key: "k", ttl: .seconds(60)) { () async throws -> Int in throw Failure() }
                Issue.record("the computation's error did not reach its caller")
            } catch is Failure {}
            #expect(try await cache.state(of: "k") == nil)
            #expect(try await cache.memoize(key: "k", ttl: .seconds(60)) { 5 } == 5)
        }
    }
}

@Suite("The result cache under maxmemory")
struct ResultCacheMemoryTests {
    /// Every cache key has a TTL, so a server whose `volatile-lru` policy may only evict keys
    /// with one keeps the cache within `maxmemory` instead of refusing writes.
    @Test(arguments: TestBackend.available.filter { $0 != .redisCluster })
    func entriesAreEvictedUnderMaxmemoryInsteadOfFillingIt(_ backend: TestBackend) async throws {
        try await withComputeBackend(backend) { server in
            let client = server.client
            let info = try await client.execute(RedisCommand("INFO", ["memory"]), as: String.self)
            let used = try #require(info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("used_memory:") }
                .flatMap { Int($0.dropFirst("used_memory:".count)) })
            let limit = used + 4 * 1024 * 1024
            _ = try await client.execute(RedisCommand("CONFIG", ["SET", "maxmemory-policy", "volatile-lru"]))
            _ = try await client.execute(RedisCommand("CONFIG", ["SET", "maxmemory", RedisArgument(limit)]))
            let cache = ResultCache("bounded", on: client)
            let big = String(repeating: "x", count: 64 * 1024)
            for index in 0..<200 {  // about 13 MB of values
                #expect(try await cache.memoize(key: "k\(index)", ttl: .seconds(3600)) { "\(index) \(big)" }.hasPrefix("\(index) "))
            }
            var kept = 0
            for index in 0..<200 {
                if try await cache.state(of: "k\(index)") != nil { kept += 1 }
            }
            #expect(kept > 0 && kept < 200)
        }
    }
}
