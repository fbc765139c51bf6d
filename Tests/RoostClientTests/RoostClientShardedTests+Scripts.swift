import NIOCore
import RoostClient
import RoostRESP
import RoostTestSupport
import Testing

extension RoostClientShardedRoutingTests {
    @Test func scriptsRouteByTheirKeys() throws {
        let client = try Self.offlineClient()
        for name in ["EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO"] {
            for i in 0..<50 {
                let key = RedisKey("job:\(i)")
                #expect(try client.shardName(for: RedisCommand(name, "body", 1, key, "arg")) == client.shardName(forKey: key))
                let tagged = RedisCommand(name, "body", 2, RedisKey("{job:\(i)}:a"), RedisKey("{job:\(i)}:b"))
                #expect(try client.shardName(for: tagged) == client.shardName(forKey: RedisKey("job:\(i)")))
            }
            let (a, b) = Self.keysOnDifferentShards(client)
            #expect {
                try client.shardName(for: RedisCommand(name, "body", 2, a, b))
            } throws: { ($0 as? RedisClientError)?.code == .crossShard }
            #expect {
                try client.shardName(for: RedisCommand(name, "body", 0, "arg"))
            } throws: { ($0 as? RedisClientError)?.code == .keyless }
        }
    }

    @Test func publishRoutesByItsChannel() throws {
        let client = try Self.offlineClient()
        for i in 0..<50 {
            let channel = RedisKey("news:\(i)")
            #expect(try client.shardName(for: RedisCommand("PUBLISH", channel, "m")) == client.shardName(forKey: channel))
            #expect(try client.shardName(for: RedisCommand("SPUBLISH", channel, "m")) == client.shardName(forKey: channel))
        }
    }
}

extension RoostClientShardedIntegrationTests {
    /// EVAL, EVALSHA and FCALL write on the shard owning their keys; PUBLISH reaches the
    /// subscribers of the shard owning its channel.
    @Test func scriptsAndPublishLandOnTheOwningShard() async throws {
        try await Self.withShards { client, direct in
            let set = "return redis.call('SET', KEYS[1], ARGV[1])"
            for i in 0..<24 {
                let key = RedisKey("script:\(i)")
                let home = try #require(direct[client.shardName(forKey: key)])
                _ = try await client.send("EVAL", set, 1, key, "eval-\(i)")
                #expect(try await home.get(key, as: String.self) == "eval-\(i)")
                let sha = try await home.send("SCRIPT", "LOAD", set, as: String.self)
                _ = try await client.send("EVALSHA", sha, 1, key, "sha-\(i)")
                #expect(try await home.get(key, as: String.self) == "sha-\(i)")
                #expect(try await client.send("EVAL_RO", "return redis.call('GET', KEYS[1])", 1, key, as: String.self)
                        == "sha-\(i)")
            }
            let library = "#!lua name=sharded\nredis.register_function('put', function(keys, args) return redis.call('SET', keys[1], args[1]) end)"
            for shard in direct.values {
                _ = try await shard.send("FUNCTION", "LOAD", "REPLACE", library)
            }
            for i in 0..<24 {
                let key = RedisKey("function:\(i)")
                let home = try #require(direct[client.shardName(forKey: key)])
                _ = try await client.send("FCALL", "put", 1, key, "f-\(i)")
                #expect(try await home.get(key, as: String.self) == "f-\(i)")
            }
            // A subscriber on the channel's shard receives what is published through the client.
            for i in 0..<8 {
                let channel = "events:\(i)"
                let home = try #require(direct[client.shardName(forKey: RedisKey(channel))])
                let received = try await home.subscribe(channels: [channel]) { subscription in
                    #expect(try await client.publish("hello-\(i)", to: channel) == 1)
                    var iterator = subscription.messages.makeAsyncIterator()
                    return try await iterator.next()
                }
                #expect(received.map { String(buffer: $0.payload) } == "hello-\(i)")
            }
        }
    }
}
