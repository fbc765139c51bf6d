import NIOCore
import RoostClient
import RoostRESP
import RoostTestSupport
import RoostTesting
import Testing

@Suite("RoostClient against Roost's server")
struct RoostClientRoostServerTests {
    @Test func handshakeAndServerCommands() async throws {
        try await ClientTestServers.withRoost(configure: { $0.clientName = "via-hello"; $0.database = 1 }) { client in
            let version = try await client.withConnection { $0.protocolVersion }
            #expect(version == 3)
            #expect(try await client.send("CLIENT", "GETNAME", as: String.self) == "via-hello")
            #expect(try await client.ping() == "PONG")
            #expect(try await client.echo("x") == ByteBuffer(string: "x"))
            try await client.set("a", 1)
            #expect(try await client.dbsize() == 1)
            try await client.flushdb()
            #expect(try await client.dbsize() == 0)
            #expect(try await client.info().contains("# Server"))
        }
    }

    @Test func strings() async throws {
        try await ClientTestServers.withRoost { client in
            #expect(try await client.set("s", "v1"))
            #expect(try await client.set("s", "v2", condition: .ifNotExists) == false)
            #expect(try await client.setAndGet("s", "v3", expiration: .seconds(60)) == ByteBuffer(string: "v1"))
            #expect(try await client.get("s", as: String.self) == "v3")
            #expect(try await client.incr("n", by: 5) == 5)
            #expect(try await client.decr("n") == 4)
            #expect(try await client.incr("f", byFloat: 0.5) == 0.5)
            try await client.mset([("m1", "x"), ("m2", "y")])
            #expect(try await client.mget(["m1", "nope", "m2"], as: String.self) == ["x", nil, "y"])
            #expect(try await client.msetnx([("m1", "z"), ("m3", "z")]) == false)
            #expect(try await client.append("m1", "yz") == 3)
            #expect(try await client.setrange("m1", offset: 1, "Q") == 3)
            #expect(try await client.get("m1", as: String.self) == "xQz")
            #expect(try await client.getex("m1", expiration: .seconds(100)) == ByteBuffer(string: "xQz"))
            let binary: [UInt8] = [0, 13, 10, 0xff]
            try await client.set("bin", binary)
            #expect(try await client.get("bin", as: [UInt8].self) == binary)
            await #expect {
                try await client.incr("m1")
            } throws: { error in
                (error as? RedisServerError)?.message == "ERR value is not an integer or out of range"
            }
        }
    }

    @Test func keysExpiryAndScan() async throws {
        try await ClientTestServers.withRoost { client in
            try await client.mset((0..<120).map { (RedisKey("k\($0)"), "v") })
            #expect(try await client.exists("k1", "k2", "none") == 2)
            #expect(try await client.expire("k1", seconds: 100))
            guard case .expires(let left) = try await client.ttl("k1") else {
                Issue.record("expected an expiry")
                return
            }
            #expect(left <= .seconds(100) && left > .seconds(90))
            #expect(try await client.persist("k1"))
            #expect(try await client.ttl("k1") == .noExpiry)
            #expect(try await client.pexpire("k2", milliseconds: 30))
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await client.exists("k2") == 0)
            var keys = Set<String>()
            for try await key in client.scan(count: 7) { keys.insert(String(buffer: key)) }
            #expect(keys.count == 119 && keys.contains("k119") && !keys.contains("k2"))
            #expect(try await client.del(["k3", "k4", "zz"]) == 2)
            #expect(try await client.type("k5") == "string")
            #expect(try await client.type("k4") == "none")
        }
    }

    @Test func transactionsAndWatch() async throws {
        try await ClientTestServers.withRoost { client in
            let results = try await client.transaction { tx in
                tx.enqueue(.set("t", "1"))
                tx.enqueue(.incr("t"))
                tx.enqueue(.get("t"))
            }
            #expect(try results.map { try $0.get() } == [.simpleString(Array("OK".utf8)), .integer(2), .bulkString(Array("2".utf8))])
            var attempts = 0
            _ = try await client.watch(["t"]) { connection in
                attempts += 1
                let current = try await connection.get("t", as: Int.self) ?? 0
                if attempts == 1 { try await client.withConnection { try await $0.set("t", 10) } }
                var tx = RedisTransaction()
                tx.enqueue(.set("t", current * 2))
                return tx
            }
            #expect(attempts == 2)
            #expect(try await client.get("t", as: Int.self) == 20)
        }
    }

    @Test func cancellationAndPipelining() async throws {
        try await ClientTestServers.withRoost { client in
            let replies = try await client.pipeline((1...500).map { RedisCommand.incr("c", by: $0) })
            #expect(try replies.last?.get() == .integer(Int64((1...500).reduce(0, +))))
            try await client.withConnection { connection async throws in
                // A request cancelled before it is sent never reaches the server.
                let task = Task {
                    withUnsafeCurrentTask { $0?.cancel() }
                    return try await connection.incr("c")
                }
                await #expect(throws: CancellationError.self) { try await task.value }
                #expect(try await connection.get("c", as: Int.self) == (1...500).reduce(0, +))
            }
        }
    }

    @Test func unixSocket() async throws {
        let path = "/tmp/roost-client-\(UInt32.random(in: 0...UInt32.max)).sock"
        let server = try await RoostTestServer.start { $0.unixSocket = path }
        do {
            try await ClientTestServers.withClient(try RedisClientConfiguration(url: "unix://\(path)")) { client in
                try await client.set("via", "unix")
                #expect(try await client.get("via", as: String.self) == "unix")
            }
            try await server.stop()
        } catch {
            try? await server.stop()
            throw error
        }
    }

    @Test func hugeValuesAndCancellationWhileRepliesStream() async throws {
        try await ClientTestServers.withRoost { client in
            let big = ByteBuffer(repeating: UInt8(ascii: "r"), count: 20 * 1024 * 1024)
            try await client.set("big", big)
            #expect(try await client.get("big") == big)
            try await client.withConnection { connection in
                // Cancel a 20 MB GET while its reply streams in; the requests queued behind it
                // still get their own replies, whether or not the cancel beat the reply.
                let large = Task { try await connection.get("big") }
                let after = (0..<3).map { i in Task { try await connection.echo("after-\(i)") } }
                try await Task.sleep(for: .milliseconds(2))
                large.cancel()
                switch await large.result {
                case .success(let value): #expect(value == big)
                case .failure(let error): #expect((error as? RedisClientError)?.code == .cancelled)
                }
                for (i, task) in after.enumerated() {
                    #expect(try await task.value == ByteBuffer(string: "after-\(i)"))
                }
                #expect(try await connection.strlen("big") == 20 * 1024 * 1024)
            }
        }
    }

    @Test func passwordThroughHello() async throws {
        let server = try await RoostTestServer.start { $0.requirePass = "s3cret" }
        do {
            var configuration = ClientTestServers.configuration(port: server.port)
            configuration.password = "s3cret"
            try await ClientTestServers.withClient(configuration) { client async throws in
                #expect(try await client.ping() == "PONG")
                #expect(try await client.withConnection { $0.protocolVersion } == 3)
            }
            configuration.password = "wrong"
            configuration.reconnect.maximumAttempts = 1
            try await ClientTestServers.withClient(configuration) { client async throws in
                await #expect {
                    try await client.ping()
                } throws: { error in
                    (error as? RedisServerError)?.prefix == "WRONGPASS"
                }
            }
            try await server.stop()
        } catch {
            try? await server.stop()
            throw error
        }
    }

    /// The idle timeout is on only while the test waits for the close (CONFIG SET `timeout` 2,
    /// then 0), so that a loaded machine cannot close the connection between the steps that
    /// expect it open.
    @Test func pooledConnectionsClosedByTheServersIdleTimeoutAreReplaced() async throws {
        let server = try await RoostTestServer.start()
        /// Sends one command on a connection of its own, which the idle timeout cannot close
        /// before it is answered.
        func admin(_ words: String...) throws -> String {
            let connection = try RawConnection(port: server.port)
            try connection.send(command: words.map { Array($0.utf8) })
            return String(decoding: try connection.readReply(), as: UTF8.self)
        }
        do {
            try await ClientTestServers.withClient(ClientTestServers.configuration(port: server.port)) { client async throws in
                try await client.set("k", "v")
                let firstID = try await client.send("CLIENT", "ID", as: Int.self)
                #expect(try await client.send("CLIENT", "ID", as: Int.self) == firstID)
                #expect(await client.openConnectionCount == 1)
                // The server drops the idle pooled connection: wait until it is gone from CLIENT
                // LIST and the pool saw the close (the server forgets the client before its
                // socket closes, so the first alone could let a command race the close); the
                // next command then gets a new one.
                #expect(try admin("CONFIG", "SET", "timeout", "2") == "+OK\r\n")
                try await eventually("the server closes the idle pooled connection") {
                    !(try admin("CLIENT", "LIST").contains("id=\(firstID) "))
                }
                try await eventually("the pool sees the connection closed") { await client.openConnectionCount == 0 }
                #expect(try admin("CONFIG", "SET", "timeout", "0") == "+OK\r\n")
                #expect(try await client.get("k", as: String.self) == "v")
                #expect(try await client.send("CLIENT", "ID", as: Int.self) != firstID)
                #expect(await client.openConnectionCount == 1)
            }
            try await server.stop()
        } catch {
            try? await server.stop()
            throw error
        }
    }

    /// Cancellations scattered over a thousand requests in flight on one connection: every
    /// request that was not cancelled gets its own reply.
    @Test func randomCancellationsAmongManyRequestsInFlight() async throws {
        try await ClientTestServers.withRoost { client in
            try await client.withConnection { connection async throws in
                let tasks = (0..<1000).map { i in
                    Task { try await connection.echo("value-\(i)-" + String(repeating: "x", count: i % 97)) }
                }
                var generator = SystemRandomNumberGenerator()
                let cancelled = Set((0..<1000).filter { _ in Bool.random(using: &generator) })
                for i in cancelled { tasks[i].cancel() }
                var completed = 0
                for (i, task) in tasks.enumerated() {
                    switch await task.result {
                    case .success(let reply):
                        #expect(reply == ByteBuffer(string: "value-\(i)-" + String(repeating: "x", count: i % 97)))
                        completed += 1
                    case .failure(let error):
                        #expect(cancelled.contains(i), "request \(i) failed without being cancelled: \(error)")
                        #expect((error as? RedisClientError)?.code == .cancelled || error is CancellationError)
                    }
                }
                #expect(completed >= 1000 - cancelled.count)
                #expect(try await connection.ping() == "PONG")
            }
        }
    }
}
