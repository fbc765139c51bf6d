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
        #expect(RedisCommand("OBJECT", "ENCODING", "k").keys == ["k"])
        #expect(RedisCommand("OBJECT", "NOSUCH", "k").keys == nil)
        #expect(RedisCommand("EVAL", "return 1", 2, "a", "b", "x").keys == ["a", "b"])
        #expect(RedisCommand("EVAL", "return 1", 0).keys == [])
        #expect(RedisCommand("FCALL_RO", "f", 1, "a", "x").keys == ["a"])
        #expect(RedisCommand("ZUNIONSTORE", "d", 2, "a", "b").keys == ["d", "a", "b"])
        // A sharded channel is not a key, but routes like one.
        #expect(RedisCommand("SPUBLISH", "ch", "m").keys == [])
        #expect(try RedisCommand("SPUBLISH", "ch", "m").hashSlot() == RedisHashSlot(key: "ch"))
        #expect(try RedisCommand("EVALSHA", "0123", 2, "{t}a", "{t}b").hashSlot() == RedisHashSlot(key: "t"))
        #expect(try RedisCommand("PING").hashSlot() == nil)
        #expect(try RedisCommand.del(["{t}a", "{t}b"]).hashSlot() == RedisHashSlot(key: "t"))
        #expect {
            try RedisCommand.del(["a", "b"]).hashSlot()
        } throws: { error in
            (error as? RedisClientError)?.code == .crossSlot
        }
        #expect {
            try RedisCommand("EVAL", "return 1", 2, "a", "b").hashSlot()
        } throws: { error in
            (error as? RedisClientError)?.code == .crossSlot
        }
    }
}
