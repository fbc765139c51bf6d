import RoostClient
import RoostRESP
import RoostTestSupport
import Testing

/// `RedisScript` (EVALSHA with an EVAL fallback on NOSCRIPT) and FCALL, against redis-server and
/// Roost's own server.
@Suite("RoostClient scripts and functions")
struct RoostClientScriptTests {
    static let counter = RedisScript("""
        local v = redis.call('INCRBY', KEYS[1], ARGV[1])
        return v
        """)

    /// The checks both servers must pass.
    static func exercise(_ client: RedisClient) async throws {
        #expect(counter.sha1.count == 40)
        // The server has not seen the script: NOSCRIPT, then EVAL, transparently.
        #expect(try await client.send("SCRIPT", "EXISTS", counter.sha1) == .array([.integer(0)]))
        #expect(try await client.evaluate(counter, keys: ["n"], arguments: [5], as: Int.self) == 5)
        // Now cached (EVAL caches it): EVALSHA answers directly.
        #expect(try await client.send("SCRIPT", "EXISTS", counter.sha1) == .array([.integer(1)]))
        #expect(try await client.evaluate(counter, keys: ["n"], arguments: [2], as: Int.self) == 7)
        // The client's SHA-1 is the server's.
        #expect(try await client.load(counter) == counter.sha1)
        // A flushed cache is refilled.
        _ = try await client.send("SCRIPT", "FLUSH")
        #expect(try await client.evaluate(counter, keys: ["n"], arguments: [1], as: Int.self) == 8)
        // The script's own errors are not swallowed by the fallback.
        do {
            _ = try await client.evaluate(RedisScript("return redis.call('INCR', KEYS[1])"), keys: ["text"])
            _ = try await client.set("text", "abc")
            _ = try await client.evaluate(RedisScript("return redis.call('INCR', KEYS[1])"), keys: ["text"])
            Issue.record("INCR of a string inside a script should fail")
        } catch let error as RedisServerError {
            #expect(error.message.contains("not an integer"))
        }
        // Read-only scripts may not write.
        await #expect(throws: RedisServerError.self) {
            _ = try await client.evaluate(counter, keys: ["n"], arguments: [1], readOnly: true)
        }
        #expect(try await client.evaluate(RedisScript("return redis.call('GET', KEYS[1])"), keys: ["n"],
                                          readOnly: true, as: String.self) == "8")
        // Functions.
        let library = """
            #!lua name=counters
            redis.register_function('bump', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)
            redis.register_function{function_name='peek', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}
            """
        #expect(try await client.functionLoad(library) == "counters")
        await #expect(throws: RedisServerError.self) { try await client.functionLoad(library) }
        #expect(try await client.functionLoad(library, replace: true) == "counters")
        #expect(try await client.fcall("bump", keys: ["f"], arguments: [3]) == .integer(3))
        #expect(try await client.fcall("peek", keys: ["f"], readOnly: true) == .bulkString(Array("3".utf8)))
        await #expect(throws: RedisServerError.self) { try await client.fcall("bump", keys: ["f"], arguments: [1], readOnly: true) }
    }

    @Test(.enabled(if: ClientTestServers.redisAvailable)) func againstRedis() async throws {
        try await ClientTestServers.withRedis { _, client in try await Self.exercise(client) }
    }

    @Test func againstRoost() async throws {
        try await ClientTestServers.withRoost { client in try await Self.exercise(client) }
    }
}
