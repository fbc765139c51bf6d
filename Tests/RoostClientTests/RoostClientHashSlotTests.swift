import NIOCore
@testable import RoostClient
import RoostRESP
import Testing

@Suite("RoostClient hash slots and key positions")
struct RoostClientHashSlotTests {
    @Test func slotsMatchRedisCluster() {
        // CRC16/XMODEM's check value: "123456789" → 0x31C3.
        #expect(RedisHashSlot.crc16(Array("123456789".utf8)[...]) == 0x31C3)
        // Values from the Redis Cluster specification and `CLUSTER KEYSLOT`.
        #expect(RedisHashSlot(key: "foo").rawValue == 12182)
        #expect(RedisHashSlot(key: "bar").rawValue == 5061)
        #expect(RedisHashSlot(key: "").rawValue == 0)
        // Hash tags: only the first {…} counts, and an empty one is ignored.
        #expect(RedisHashSlot(key: "{user1000}.following") == RedisHashSlot(key: "{user1000}.followers"))
        #expect(RedisHashSlot(key: "{user1000}.following") == RedisHashSlot(key: "user1000"))
        #expect(RedisHashSlot(key: "foo{}{bar}") == RedisHashSlot(key: "foo{}{bar}"))
        #expect(RedisHashSlot(key: "foo{}{bar}") != RedisHashSlot(key: "bar"))
        #expect(RedisHashSlot(key: "foo{{bar}}zap") == RedisHashSlot(key: "{bar"))
    }

    @Test func commandKeys() throws {
        #expect(RedisCommand.get("k").keys == ["k"])
        #expect(RedisCommand("MSET", "a", "1", "b", "2").keys == ["a", "b"])
        #expect(RedisCommand("BLPOP", "q1", "q2", 0).keys == ["q1", "q2"])
        #expect(RedisCommand("PING").keys == [])
        #expect(RedisCommand("SOMETHINGNEW", "x").keys == nil)
        #expect(try RedisCommand("PING").hashSlot() == nil)
        #expect(try RedisCommand.del(["{t}a", "{t}b"]).hashSlot() == RedisHashSlot(key: "t"))
        #expect {
            try RedisCommand.del(["a", "b"]).hashSlot()
        } throws: { error in
            (error as? RedisClientError)?.code == .crossSlot
        }
    }

    /// The client's key-position table agrees with the server's `COMMAND INFO`.
    @Test(.enabled(if: ClientTestServers.redisAvailable))
    func keyPositionsMatchCommandInfo() async throws {
        try await ClientTestServers.withRedis { _, client in
            for (name, positions) in RedisCommand.keyPositions where !["SUBSCRIBE", "PSUBSCRIBE"].contains(name) {
                let reply = try await client.send("COMMAND", "INFO", name)
                guard case .array(.some(let entries)) = reply, case .array(.some(let info)) = entries.first else {
                    Issue.record("no COMMAND INFO for \(name)")
                    continue
                }
                let first = try Int(fromRESP: info[3]), last = try Int(fromRESP: info[4]), step = try Int(fromRESP: info[5])
                if let positions {
                    #expect([positions.first, positions.last, positions.step] == [first, last, step], "\(name)")
                } else {
                    #expect(first == 0, "\(name) has keys")
                }
            }
        }
    }
}
