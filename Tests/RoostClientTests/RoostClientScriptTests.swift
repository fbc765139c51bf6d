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

    static let tally = RedisScript("return {KEYS[1], ARGV[1], redis.call('INCRBY', KEYS[1], ARGV[1])}")

    static func tallyReply(_ key: String, _ argument: Int, _ total: Int) -> RESPValue {
        .array([.bulkString(Array(key.utf8)), .bulkString(Array(String(argument).utf8)), .integer(Int64(total))])
    }

    /// Runs `batch` and checks each call's reply against `total(index)`, in input order.
    static func expectTallies(_ executor: some RedisCommandExecutor, _ batch: [RedisScriptCall],
                              total: (Int) -> Int) async throws {
        let results = try await executor.evaluate(tally, batch: batch)
        #expect(results.count == batch.count)
        for (index, result) in results.enumerated() {
            #expect(try result.get() == tallyReply("t:\(index)", index, total(index)))
        }
    }

    @Test(arguments: TestServerKind.available) func pipelinedBatchOfOneThousandCalls(kind: TestServerKind) async throws {
        try await ClientTestServers.with(kind) { client in
            let batch = (0..<1000).map { RedisScriptCall(keys: [RedisKey("t:\($0)")], arguments: [RedisArgument($0)]) }
            // Not cached yet: the whole batch gets NOSCRIPT, one load, one retry.
            try await Self.expectTallies(client, batch) { $0 }
            // Cached.
            try await Self.expectTallies(client, batch) { 2 * $0 }
            // Flushed between two batches.
            _ = try await client.send("SCRIPT", "FLUSH")
            try await Self.expectTallies(client, batch) { 3 * $0 }
            // On one connection, flushed again.
            _ = try await client.send("SCRIPT", "FLUSH")
            try await client.withConnection { connection in
                try await Self.expectTallies(connection, batch) { 4 * $0 }
            }
            if kind == .redis {
                // The body never travelled: SCRIPT LOAD, then EVALSHA only.
                let info = try await client.send("INFO", "commandstats", as: String.self)
                #expect(!info.contains("cmdstat_eval:"))
                #expect(info.contains("cmdstat_evalsha:"))
            }
            // Typed results; a script error fails its own call only.
            try await client.set("t:3", "text")
            let typed = try await client.evaluate(Self.tally, batch: Array(batch[0..<5]), as: [RESPValue].self)
            #expect(typed.count == 5)
            #expect(throws: RedisServerError.self) { try typed[3].get() }
            #expect(try typed[4].get() == [.bulkString(Array("t:4".utf8)), .bulkString(Array("4".utf8)), .integer(20)])
            // An empty batch sends nothing.
            #expect(try await client.evaluate(Self.tally, batch: []).isEmpty)
            // A script that does not compile reports its own error to every call.
            let broken = try await client.evaluate(RedisScript("return +"), batch: Array(batch[0..<2]))
            for result in broken {
                #expect(throws: RedisServerError.self) { try result.get() }
            }
        }
    }

    /// An executor with only `execute`: it gets the protocol's default `pipeline` and `load`.
    struct ExecuteOnly: RedisCommandExecutor {
        let client: RedisClient
        func execute(_ command: RedisCommand, timeout: Duration?) async throws -> RESPValue {
            try await client.execute(command, timeout: timeout)
        }
    }

    @Test(arguments: TestServerKind.available) func batchesOnAnExecutorWithoutAPipelineOfItsOwn(kind: TestServerKind) async throws {
        try await ClientTestServers.with(kind) { client in
            let executor = ExecuteOnly(client: client)
            let batch = (0..<50).map { RedisScriptCall(keys: [RedisKey("t:\($0)")], arguments: [RedisArgument($0)]) }
            try await Self.expectTallies(executor, batch) { $0 }
            _ = try await client.send("SCRIPT", "FLUSH")
            try await Self.expectTallies(executor, batch) { 2 * $0 }
            #expect(try await executor.load(Self.tally) == Self.tally.sha1)
            #expect(try await executor.evaluate(Self.tally, keys: ["t:1"], arguments: [1]) == Self.tallyReply("t:1", 1, 3))
        }
    }

    @Test(.enabled(if: ClientTestServers.redisAvailable)) func againstRedis() async throws {
        try await ClientTestServers.withRedis { _, client in try await Self.exercise(client) }
    }

    @Test func againstRoost() async throws {
        try await ClientTestServers.withRoost { client in try await Self.exercise(client) }
    }
}
