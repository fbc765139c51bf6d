import NIOCore
import RoostClient
import RoostRESP
import Testing

/// Lists, hashes, sets and sorted sets, against real redis-server only (Roost's families are
/// being written in parallel), over RESP3 and RESP2, whose reply shapes differ.
@Suite("RoostClient collections against redis-server", .enabled(if: ClientTestServers.redisAvailable))
struct RoostClientCollectionTests {
    static let protocols: [RedisClientConfiguration.ProtocolPreference] = [.resp3, .resp2]

    @Test(arguments: protocols)
    func lists(_ preference: RedisClientConfiguration.ProtocolPreference) async throws {
        try await ClientTestServers.withRedis(configure: { $0.protocolPreference = preference }) { _, client async throws in
            #expect(try await client.rpush("l", ["a", "b", "c"]) == 3)
            #expect(try await client.lpush("l", ["z"]) == 4)
            #expect(try await client.lrange("l", 0, -1, as: String.self) == ["z", "a", "b", "c"])
            #expect(try await client.llen("l") == 4)
            #expect(try await client.lindex("l", 1) == ByteBuffer(string: "a"))
            #expect(try await client.lpop("l") == ByteBuffer(string: "z"))
            #expect(try await client.rpop("l") == ByteBuffer(string: "c"))
            #expect(try await client.lpop("l", count: 5) == [ByteBuffer(string: "a"), ByteBuffer(string: "b")])
            #expect(try await client.lpop("l", count: 5) == [])
            #expect(try await client.lpop("l") == nil)
            try await client.rpush("m", [1, 2, 1, 3])
            #expect(try await client.lrem("m", count: 0, 1) == 2)
            try await client.ltrim("m", 0, 0)
            #expect(try await client.lrange("m", 0, -1, as: Int.self) == [2])
            #expect(try await client.lmove(from: "m", to: "n", .left, .right) == ByteBuffer(string: "2"))
            // A blocking pop on a leased connection: it gets the element pushed by another caller.
            async let popped = client.blpop(["q1", "q2"], timeout: 5)
            try await Task.sleep(for: .milliseconds(100))
            try await client.rpush("q2", ["job"])
            let result = try await popped
            #expect(result.map { String(buffer: $0.key) } == "q2")
            #expect(result.map { String(buffer: $0.element) } == "job")
            #expect(try await client.brpop(["empty"], timeout: 0.1) == nil)
        }
    }

    @Test(arguments: protocols)
    func hashes(_ preference: RedisClientConfiguration.ProtocolPreference) async throws {
        try await ClientTestServers.withRedis(configure: { $0.protocolPreference = preference }) { _, client async throws in
            #expect(try await client.hset("h", [("name", "roost"), ("n", 1)]) == 2)
            #expect(try await client.hset("h", [("n", 5)]) == 0)
            #expect(try await client.hget("h", "name", as: String.self) == "roost")
            #expect(try await client.hget("h", "missing") == nil)
            #expect(try await client.hmget("h", ["n", "x"]) == [ByteBuffer(string: "5"), nil])
            #expect(try await client.hgetall("h") == ["name": ByteBuffer(string: "roost"), "n": ByteBuffer(string: "5")])
            #expect(try await client.hincrby("h", "n", by: -7) == -2)
            #expect(try await client.hexists("h", "n"))
            #expect(try await client.hexists("h", "nope") == false)
            #expect(try await client.hkeys("h").sorted() == ["n", "name"])
            #expect(try await client.hlen("h") == 2)
            #expect(try await client.hdel("h", ["n", "nope"]) == 1)
            #expect(try await client.hgetall("missing").isEmpty)
        }
    }

    @Test(arguments: protocols)
    func sets(_ preference: RedisClientConfiguration.ProtocolPreference) async throws {
        try await ClientTestServers.withRedis(configure: { $0.protocolPreference = preference }) { _, client async throws in
            #expect(try await client.sadd("s", ["a", "b", "a", 1]) == 3)
            #expect(try await client.smembers("s") == ["a", "b", "1"])
            #expect(try await client.sismember("s", "a"))
            #expect(try await client.sismember("s", "q") == false)
            #expect(try await client.srem("s", ["a", "zz"]) == 1)
            #expect(try await client.scard("s") == 2)
        }
    }

    @Test(arguments: protocols)
    func sortedSets(_ preference: RedisClientConfiguration.ProtocolPreference) async throws {
        try await ClientTestServers.withRedis(configure: { $0.protocolPreference = preference }) { _, client async throws in
            #expect(try await client.zadd("z", [(1, "one"), (2.5, "two"), (-.infinity, "low")]) == 3)
            #expect(try await client.zscore("z", "two") == 2.5)
            #expect(try await client.zscore("z", "low") == -.infinity)
            #expect(try await client.zscore("z", "none") == nil)
            #expect(try await client.zincrby("z", 0.25, "one") == 1.25)
            #expect(try await client.zrange("z", 0, -1) == ["low", "one", "two"])
            let scored = try await client.zrangeWithScores("z", 1, -1)
            #expect(scored.map(\.member) == ["one", "two"])
            #expect(scored.map(\.score) == [1.25, 2.5])
            #expect(try await client.zrank("z", "two") == 2)
            #expect(try await client.zrank("z", "none") == nil)
            #expect(try await client.zrem("z", ["low"]) == 1)
            #expect(try await client.zcard("z") == 2)
        }
    }
}
