import Logging
import NIOCore
import RoostClient
import RoostRESP
import RoostTestSupport
import Testing

@Suite("RoostClientSharded routing")
struct RoostClientShardedRoutingTests {
    /// A client over unreachable ports: routing decisions are made before anything connects.
    static func offlineClient(keylessRouting: ShardedClient.KeylessRouting = .refuse) throws -> ShardedClient {
        try ShardedClient(shards: (1...3).map { ("s\($0)", ClientTestServers.configuration(port: $0)) },
                          keylessRouting: keylessRouting)
    }

    /// Two keys that the client places on different shards.
    static func keysOnDifferentShards(_ client: ShardedClient) -> (RedisKey, RedisKey) {
        let first = client.shardName(forKey: "k0")
        for i in 1..<1000 where client.shardName(forKey: RedisKey("k\(i)")) != first {
            return ("k0", RedisKey("k\(i)"))
        }
        return ("k0", "k0")
    }

    @Test func singleKeyCommandsFollowTheRing() throws {
        let client = try Self.offlineClient()
        #expect(client.ring.servers == ["s1", "s2", "s3"])
        for i in 0..<200 {
            let key = "user:\(i)"
            #expect(try client.shardName(for: .get(RedisKey(key))) == client.ring.server(for: key))
            #expect(client.shardName(forKey: RedisKey(key)) == client.ring.server(for: key))
        }
    }

    @Test func crossShardCommandsAreRefused() async throws {
        let client = try Self.offlineClient()
        let (a, b) = Self.keysOnDifferentShards(client)
        #expect(client.shardName(forKey: a) != client.shardName(forKey: b))
        #expect {
            try client.shardName(for: RedisCommand("MGET", [a, b]))
        } throws: { ($0 as? RedisClientError)?.code == .crossShard }
        // Refused before anything is sent: the servers do not exist.
        await #expect {
            try await client.mset([(a, "1"), (b, "2")])
        } throws: { ($0 as? RedisClientError)?.code == .crossShard }
        // The same hash tag keeps keys together.
        let tagged = try client.shardName(for: RedisCommand("MSET", "{t}a", "1", "{t}b", "2", "{t}c", "3"))
        #expect(tagged == client.shardName(forKey: "t"))
    }

    @Test func keylessAndUnknownCommands() async throws {
        let refusing = try Self.offlineClient()
        await #expect {
            try await refusing.ping()
        } throws: { ($0 as? RedisClientError)?.code == .keyless }
        #expect {
            try refusing.shardName(for: RedisCommand("SOMETHINGNEW", "x"))
        } throws: { ($0 as? RedisClientError)?.code == .unknownKeys }

        let routing = try Self.offlineClient(keylessRouting: .shard("s2"))
        #expect(try routing.shardName(for: RedisCommand("PING")) == "s2")
        #expect(try routing.shardName(for: RedisCommand("DBSIZE")) == "s2")
        #expect {
            try routing.shardName(for: RedisCommand("SOMETHINGNEW", "x"))
        } throws: { ($0 as? RedisClientError)?.code == .unknownKeys }
    }

    @Test func invalidShardLists() throws {
        #expect {
            try ShardedClient(shards: [])
        } throws: { ($0 as? RedisClientError)?.code == .invalidShards }
        #expect {
            try ShardedClient(shards: [("a", ClientTestServers.configuration(port: 1)),
                                       ("a", ClientTestServers.configuration(port: 2))])
        } throws: { ($0 as? RedisClientError)?.code == .invalidShards }
        #expect {
            try ShardedClient(shards: [("a", ClientTestServers.configuration(port: 1))], keylessRouting: .shard("b"))
        } throws: { ($0 as? RedisClientError)?.code == .unknownShard }
        let client = try ShardedClient(urls: ["redis://127.0.0.1:7001", "redis://127.0.0.1:7002/3"])
        #expect(client.ring.servers == ["127.0.0.1:7001", "127.0.0.1:7002/3"])
        #expect(throws: RedisClientError.self) { try client.client(named: "127.0.0.1:7003") }
    }
}

@Suite("RoostClientSharded against 3 redis-servers and Roost", .enabled(if: ClientTestServers.redisAvailable))
struct RoostClientShardedIntegrationTests {
    /// Runs `body` with a ShardedClient over three fresh redis-servers and an in-process Roost
    /// server, and a direct client to each shard by name.
    static func withShards(_ body: (ShardedClient, [String: RedisClient]) async throws -> Void) async throws {
        var redises: [RedisServerProcess] = []
        for _ in 0..<3 { redises.append(try await ClientTestServers.startRedis()) }
        defer { for server in redises { server.stop() } }
        let roost = try await RoostTestServer.start()
        do {
            var shards: [(name: String, configuration: RedisClientConfiguration)] = redises.enumerated().map {
                ("redis-\($0.offset)", ClientTestServers.configuration(port: $0.element.port))
            }
            shards.append(("roost", ClientTestServers.configuration(port: roost.port)))
            var logger = Logger(label: "roost.client.sharded.test")
            logger.logLevel = .warning
            let client = try ShardedClient(shards: shards, logger: logger)
            let direct = Dictionary(uniqueKeysWithValues: shards.map {
                ($0.name, RedisClient(configuration: $0.configuration, logger: logger))
            })
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await client.run() }
                for shard in direct.values { group.addTask { try await shard.run() } }
                do {
                    try await body(client, direct)
                    group.cancelAll()
                } catch {
                    group.cancelAll()
                    throw error
                }
            }
            try await roost.stop()
        } catch {
            try? await roost.stop()
            throw error
        }
    }

    @Test func everyKeyIsOnExactlyTheShardTheRingSays() async throws {
        try await Self.withShards { client, direct in
            let keys = (0..<2000).map { "key:\($0)" }
            // Half one command at a time, half in a sharded pipeline.
            for key in keys.prefix(1000) {
                #expect(try await client.set(RedisKey(key), "v-\(key)"))
            }
            let results = try await client.pipeline(keys.dropFirst(1000).map { .set(RedisKey($0), "v-\($0)") })
            for result in results { _ = try result.get() }

            for key in keys.prefix(300) {
                #expect(try await client.get(RedisKey(key), as: String.self) == "v-\(key)")
            }
            var expected: [String: [String]] = [:]
            for key in keys { expected[client.ring.server(for: key) ?? "", default: []].append(key) }
            #expect(expected.count == 4)
            for (name, shard) in direct {
                let owned = expected[name] ?? []
                // Each shard holds exactly its keys, with the values written through the client…
                #expect(try await shard.dbsize() == owned.count, "shard \(name)")
                let values = try await shard.mget(owned.map { RedisKey($0) }, as: String.self)
                #expect(values == owned.map { "v-\($0)" }, "shard \(name)")
                // …and none of the others'.
                let others = keys.filter { client.ring.server(for: $0) != name }.prefix(200).map { RedisKey($0) }
                #expect(try await shard.execute(RedisCommand("EXISTS", others), as: Int.self) == 0)
            }
            // forEachShard reaches every shard.
            let sizes = try await client.forEachShard { _, shard in try await shard.dbsize() }
            #expect(sizes == expected.mapValues(\.count))
            try await client.forEachShard { _, shard in try await shard.flushdb() }
            for shard in direct.values { #expect(try await shard.dbsize() == 0) }
        }
    }

    @Test func hashTagsAndMultiKeyCommandsOnRealShards() async throws {
        try await Self.withShards { client, direct in
            // Multi-key commands work when a hash tag keeps the keys on one shard.
            for user in 0..<40 {
                try await client.mset([(RedisKey("{user:\(user)}:name"), "n\(user)"), (RedisKey("{user:\(user)}:mail"), "m\(user)")])
                let values = try await client.mget([RedisKey("{user:\(user)}:name"), RedisKey("{user:\(user)}:mail")], as: String.self)
                #expect(values == ["n\(user)", "m\(user)"])
                let home = client.shardName(forKey: RedisKey("user:\(user)"))
                let stored = try await direct[home]?.mget([RedisKey("{user:\(user)}:name"), RedisKey("{user:\(user)}:mail")],
                                                          as: String.self)
                #expect(stored == ["n\(user)", "m\(user)"])
            }
            let usedShards = Set((0..<40).map { client.shardName(forKey: RedisKey("user:\($0)")) })
            #expect(usedShards.count == 4)
            // Cross-shard keys are refused and nothing is written.
            let (a, b) = RoostClientShardedRoutingTests.keysOnDifferentShards(client)
            await #expect {
                try await client.mset([(a, "1"), (b, "2")])
            } throws: { ($0 as? RedisClientError)?.code == .crossShard }
            let existing = try await client.forEachShard { _, shard in
                try await shard.send("EXISTS", a, b, as: Int.self)
            }
            #expect(existing.values.reduce(0, +) == 0)
            // Server errors come back from the shard that owns the key.
            for i in 0..<20 {
                let key = RedisKey("hash:\(i)")
                _ = try await client.send("HSET", key, "f", "v")
                await #expect {
                    try await client.incr(key)
                } throws: { ($0 as? RedisServerError)?.prefix == "WRONGTYPE" }
                // A command the client has no key positions for, sent explicitly to a key's shard.
                let reply = try await client.execute(RedisCommand("OBJECT", "ENCODING", key), onShardFor: key)
                #expect(reply == .bulkString(Array("listpack".utf8)))
                #expect(try await direct[client.shardName(forKey: key)]?.send("TYPE", key, as: String.self) == "hash")
            }
        }
    }
}
