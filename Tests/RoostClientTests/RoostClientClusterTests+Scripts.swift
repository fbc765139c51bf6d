import NIOCore
import RoostClient
import RoostRESP
import RoostTestSupport
import Testing

extension RoostClientClusterTests {
    /// The `COMMAND`, `COMMAND INFO` and `COMMAND GETKEYS` calls every node has served.
    static func introspectionCalls(_ cluster: RedisClusterProcess) throws -> Int {
        try cluster.livePorts.reduce(0) { total, port in
            try ["command", "command|info", "command|getkeys", "command|getkeysandflags"].reduce(total) {
                $0 + (try ClusterTestSupport.calls(cluster, port: port, command: $1))
            }
        }
    }

    /// EVAL, EVALSHA, FCALL and their `_RO` forms go to the master of their keys' slot, the keys
    /// found from `numkeys` by the client itself: no node is asked `COMMAND INFO` or
    /// `COMMAND GETKEYS`.
    @Test func scriptsRouteByTheirKeysWithoutAskingTheCluster() async throws {
        try await ClusterTestSupport.withCluster { cluster, client in
            _ = try await client.topology
            let masters = try cluster.nodes().filter(\.isHealthyMaster).map(\.port)
            let library = """
                #!lua name=routing
                redis.register_function('put', function(keys, args) return redis.call('SET', keys[1], args[1]) end)
                redis.register_function{function_name = 'fetch', flags = {'no-writes'},
                    callback = function(keys) return redis.call('GET', keys[1]) end}
                """
            let fetch = "return redis.call('GET', KEYS[1])"
            var sha = ""
            for port in masters {
                #expect(try cluster.command(port: port, ["FUNCTION", "LOAD", library]) == "routing")
                sha = try cluster.command(port: port, ["SCRIPT", "LOAD", fetch])
            }
            let before = try Self.introspectionCalls(cluster)

            for (port, key) in try ClusterTestSupport.keysOnEachMaster(cluster, prefix: "script") {
                let (a, b) = (RedisKey("{\(key)}:a"), RedisKey("{\(key)}:b"))
                let both = "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('SET', KEYS[2], ARGV[2])"
                _ = try await client.send("EVAL", both, 2, a, b, "1", "2")
                // The keys landed on the master owning their slot.
                #expect(try cluster.command(port: port, ["MGET", "{\(key)}:a", "{\(key)}:b"]) == "*2\r\n$1\r\n1\r\n$1\r\n2\r\n")
                #expect(try await client.send("EVALSHA", sha, 1, b, as: String.self) == "2")
                #expect(try await client.send("EVAL_RO", fetch, 1, a, as: String.self) == "1")
                #expect(try await client.send("EVALSHA_RO", sha, 1, a, as: String.self) == "1")
                _ = try await client.send("FCALL", "put", 1, a, "f")
                #expect(try await client.send("FCALL_RO", "fetch", 1, a, as: String.self) == "f")
                #expect(try cluster.command(port: port, ["GET", "{\(key)}:a"]) == "f")
            }
            // No key: any master runs it.
            #expect(try await client.send("EVAL", "return 7", 0, as: Int.self) == 7)
            // Keys in different slots fail before anything is sent.
            #expect(RedisHashSlot(key: "a") != RedisHashSlot(key: "b"))
            await #expect {
                _ = try await client.send("EVAL", "return 1", 2, "a", "b")
            } throws: { ($0 as? RedisClientError)?.code == .crossSlot }
            await #expect {
                _ = try await client.send("FCALL", "put", 2, "a", "b", "v")
            } throws: { ($0 as? RedisClientError)?.code == .crossSlot }

            #expect(try Self.introspectionCalls(cluster) == before)
            // The count does see such calls.
            _ = try await client.send("COMMAND", "INFO", "get")
            #expect(try Self.introspectionCalls(cluster) == before + 1)
        }
    }
}
