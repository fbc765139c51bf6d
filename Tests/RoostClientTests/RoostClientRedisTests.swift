import NIOCore
import RoostClient
import RoostRESP
import RoostTestSupport
import Testing

@Suite("RoostClient against redis-server", .enabled(if: ClientTestServers.redisAvailable))
struct RoostClientRedisTests {
    @Test func handshakeNegotiatesRESP3() async throws {
        try await ClientTestServers.withRedis { _, client in
            let version = try await client.withConnection { $0.protocolVersion }
            #expect(version == 3)
        }
    }

    @Test func resp2WhenAsked() async throws {
        try await ClientTestServers.withRedis(configure: { $0.protocolPreference = .resp2 }) { _, client in
            try await client.withConnection { connection in
                #expect(connection.protocolVersion == 2)
                _ = try await connection.send("HSET", "h", "f", "v", "g", "w")
                let all = try await connection.send("HGETALL", "h", as: [String: String].self)
                #expect(all == ["f": "v", "g": "w"])
            }
        }
    }

    @Test func authSetnameAndSelect() async throws {
        try await ClientTestServers.withRedis(["--requirepass", "pw"], configure: {
            $0.password = "pw"
            $0.database = 2
            $0.clientName = "roost-test"
        }) { server, client in
            try await client.set("k", "in-db-2")
            #expect(try await client.send("CLIENT", "GETNAME", as: String.self) == "roost-test")
            // The key went to db 2: a client on db 0 does not see it.
            var other = ClientTestServers.configuration(port: server.port)
            other.password = "pw"
            try await ClientTestServers.withClient(other) { db0 async throws in
                #expect(try await db0.get("k") == nil)
                #expect(try await db0.send("SELECT", 2, as: String.self) == "OK")
            }
        }
    }

    @Test func wrongPasswordIsAServerError() async throws {
        try await ClientTestServers.withRedis(["--requirepass", "pw"], configure: {
            $0.password = "nope"
            $0.reconnect.maximumAttempts = 1
        }) { _, client in
            await #expect {
                try await client.ping()
            } throws: { error in
                (error as? RedisServerError)?.prefix == "WRONGPASS"
            }
        }
    }

    @Test func strings() async throws {
        try await ClientTestServers.withRedis { _, client in
            #expect(try await client.set("s", "v1"))
            #expect(try await client.get("s", as: String.self) == "v1")
            #expect(try await client.set("s", "v2", condition: .ifNotExists) == false)
            #expect(try await client.set("new", "x", condition: .ifExists) == false)
            #expect(try await client.setAndGet("s", "v3") == ByteBuffer(string: "v1"))
            try await client.set("ex", "1", expiration: .seconds(100))
            guard case .expires(let left) = try await client.ttl("ex") else {
                Issue.record("expected an expiry")
                return
            }
            #expect(left > .seconds(90) && left <= .seconds(100))
            #expect(try await client.incr("n") == 1)
            #expect(try await client.incr("n", by: 10) == 11)
            #expect(try await client.decr("n", by: 2) == 9)
            #expect(try await client.incr("f", byFloat: 1.5) == 1.5)
            try await client.mset([("a", "1"), ("b", 2)])
            #expect(try await client.mget(["a", "b", "missing"], as: Int.self) == [1, 2, nil])
            #expect(try await client.append("a", "23") == 3)
            #expect(try await client.strlen("a") == 3)
            #expect(try await client.getrange("a", from: 1, to: -1) == ByteBuffer(string: "23"))
            #expect(try await client.getdel("a") == ByteBuffer(string: "123"))
            #expect(try await client.exists("a") == 0)
            let binary: [UInt8] = [0, 13, 10, 0xff, 0]
            try await client.set("bin", binary)
            #expect(try await client.get("bin", as: [UInt8].self) == binary)
        }
    }

    @Test func typeErrorsAreThrownNotNil() async throws {
        try await ClientTestServers.withRedis { _, client in
            try await client.set("s", "abc")
            await #expect {
                try await client.incr("s")
            } throws: { error in
                (error as? RedisServerError)?.message == "ERR value is not an integer or out of range"
            }
            _ = try await client.send("LPUSH", "list", "x")
            await #expect {
                try await client.get("list")
            } throws: { error in
                (error as? RedisServerError)?.prefix == "WRONGTYPE"
            }
            // A reply of the wrong shape names both types.
            await #expect {
                try await client.get("s", as: Int.self)
            } throws: { error in
                "\(error)".contains("expected Int") && "\(error)".contains("string")
            }
            await #expect {
                try await client.send("LRANGE", "list", 0, -1, as: Int.self)
            } throws: { error in
                guard let e = error as? RESPDecodingError else { return false }
                return e.expected == "Int" && e.actual == "array"
            }
        }
    }

    @Test func keysAndExpiry() async throws {
        try await ClientTestServers.withRedis { _, client in
            try await client.mset([("k1", "a"), ("k2", "b"), ("other", "c")])
            #expect(try await client.exists("k1", "k2", "nope") == 2)
            #expect(try await client.type("k1") == "string")
            #expect(try await client.expire("k1", seconds: 50))
            #expect(try await client.expire("k1", seconds: 10, condition: .ifGreater) == false)
            #expect(try await client.ttl("k2") == .noExpiry)
            #expect(try await client.ttl("nope") == .keyDoesNotExist)
            #expect(try await client.persist("k1"))
            #expect(try await client.pexpire("k2", milliseconds: 50))
            try await Task.sleep(for: .milliseconds(120))
            #expect(try await client.get("k2") == nil)
            try await client.rename("other", to: "k3")
            #expect(try await client.keys(matching: "k*").sorted() == ["k1", "k3"])
            #expect(try await client.del("k1", "k3", "zzz") == 2)
            #expect(try await client.dbsize() == 0)
        }
    }

    @Test func scanIsAnAsyncSequence() async throws {
        try await ClientTestServers.withRedis { _, client in
            try await client.mset((0..<250).map { (RedisKey("key:\($0)"), "v") })
            try await client.set("skip", "v")
            var seen = Set<String>()
            for try await key in client.scan(matching: "key:*", count: 20) {
                seen.insert(String(buffer: key))
            }
            #expect(seen == Set((0..<250).map { "key:\($0)" }))
        }
    }

    @Test func serverCommands() async throws {
        try await ClientTestServers.withRedis { _, client in
            #expect(try await client.ping() == "PONG")
            #expect(try await client.ping("hi") == "hi")
            #expect(try await client.echo("e") == ByteBuffer(string: "e"))
            let info = try await client.infoFields("server")
            #expect(info["redis_version"]?.hasPrefix("7.") == true)
            try await client.set("x", 1)
            #expect(try await client.dbsize() == 1)
            try await client.flushdb()
            #expect(try await client.dbsize() == 0)
        }
    }

    @Test func transactions() async throws {
        try await ClientTestServers.withRedis { _, client in
            let results = try await client.transaction { tx in
                tx.enqueue(.set("t", "5"))
                tx.enqueue(.incr("t", by: 2))
                tx.enqueue("LPUSH", "t", "x")  // fails at run time: WRONGTYPE
                tx.enqueue(.get("t"))
            }
            #expect(results.count == 4)
            #expect(try results[1].get() == .integer(7))
            #expect(throws: RedisServerError.self) { try results[2].get() }
            #expect(try results[3].get() == .bulkString(Array("7".utf8)))
            // A command rejected while queueing aborts the whole block.
            await #expect {
                try await client.transaction { tx in
                    tx.enqueue(.incr("t"))
                    tx.enqueue("NOSUCHCOMMAND")
                }
            } throws: { error in
                (error as? RedisServerError)?.prefix == "EXECABORT"
            }
            #expect(try await client.get("t", as: Int.self) == 7)
        }
    }

    @Test func watchRetriesOptimisticTransactions() async throws {
        try await ClientTestServers.withRedis { _, client in
            try await client.set("counter", 0)
            var attempts = 0
            let results = try await client.watch(["counter"]) { connection in
                attempts += 1
                let current = try await connection.get("counter", as: Int.self) ?? 0
                if attempts == 1 {
                    // Another client changes the key between WATCH and EXEC: the first EXEC aborts.
                    try await client.withConnection { try await $0.set("counter", 100) }
                }
                var tx = RedisTransaction()
                tx.enqueue(.set("counter", current + 1))
                return tx
            }
            #expect(attempts == 2)
            #expect(results.count == 1)
            #expect(try await client.get("counter", as: Int.self) == 101)
            await #expect {
                try await client.watch(["counter"], maximumAttempts: 3) { connection in
                    try await client.withConnection { try await $0.incr("counter") }
                    var tx = RedisTransaction()
                    tx.enqueue(.incr("counter"))
                    return tx
                }
            } throws: { error in
                (error as? RedisClientError)?.code == .transactionConflict
            }
        }
    }

    @Test func pipelining() async throws {
        try await ClientTestServers.withRedis { _, client in
            let commands = (0..<1000).map { RedisCommand.incr("p", by: $0) }
            let replies = try await client.pipeline(commands + [RedisCommand("NOSUCH")])
            #expect(try replies[999].get() == .integer(Int64((0..<1000).reduce(0, +))))
            #expect(throws: RedisServerError.self) { try replies[1000].get() }
            // Concurrent requests on one connection are matched to their own replies.
            try await client.withConnection { connection in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for i in 0..<200 {
                        group.addTask {
                            let echoed = try await connection.echo("m\(i)")
                            #expect(echoed == ByteBuffer(string: "m\(i)"))
                        }
                    }
                    try await group.waitForAll()
                }
            }
        }
    }

    @Test func unixSocket() async throws {
        let path = "/tmp/roost-client-\(UInt32.random(in: 0...UInt32.max)).sock"
        try await ClientTestServers.withRedis(["--unixsocket", path, "--unixsocketperm", "700"]) { _, _ in
            let configuration = try RedisClientConfiguration(url: "unix://\(path)?db=1")
            try await ClientTestServers.withClient(configuration) { client in
                try await client.set("u", "sock")
                #expect(try await client.get("u", as: String.self) == "sock")
                #expect(try await client.send("CLIENT", "INFO", as: String.self).contains("db=1"))
            }
        }
    }

    @Test func hugeValueLargerThanSocketBuffers() async throws {
        try await ClientTestServers.withRedis { _, client in
            var big = ByteBuffer()
            big.writeRepeatingByte(UInt8(ascii: "z"), count: 20 * 1024 * 1024)
            big.setInteger(UInt8(ascii: "A"), at: 12_345_678)
            try await client.set("big", big)
            let back = try await client.get("big")
            #expect(back == big)
            #expect(try await client.strlen("big") == 20 * 1024 * 1024)
        }
    }
}

@Suite("RoostClient large replies", .enabled(if: ClientTestServers.redisAvailable))
struct RoostClientLargeReplyTests {
    @Test(arguments: [RedisClientConfiguration.ProtocolPreference.resp3, .resp2])
    func aLargeArrayArrivingInManyReadsIsParsedInLinearTime(_ preference: RedisClientConfiguration.ProtocolPreference) async throws {
        try await ClientTestServers.withRedis(configure: { $0.protocolPreference = preference }) { _, client in
            let count = 200_000
            for start in stride(from: 0, to: count, by: 10_000) {
                try await client.rpush("big-list", (start..<start + 10_000).map { "element-\($0)" as any RedisArgumentConvertible })
            }
            let started = ContinuousClock.now
            let all = try await client.lrange("big-list", 0, -1, as: String.self)
            let elapsed = ContinuousClock.now - started
            #expect(all.count == count)
            #expect(all.first == "element-0" && all.last == "element-\(count - 1)")
            // About 3 s in a debug build; re-parsing from the start on every read (about 50 reads
            // of 64 KB) takes over a minute.
            #expect(elapsed < .seconds(30))
        }
    }
}
