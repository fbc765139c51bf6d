import Foundation
import RoostEngine
import RoostServer
import RoostTestSupport
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Connection limits, protected mode, idle timeout, unix sockets, signals and the `--config`
/// option, checked against redis-server where Redis defines the bytes.
@Suite struct ServerLimitsTests {
    @Test func maxClientsRejectsLikeRedis() async throws {
        try await Differential.with(redisArguments: ["--maxclients", "2"], configure: { $0.maxClients = 2 }) { pair in
            try pair.step("PING")
            try pair.step("@2 PING")
            let (redis, roost) = try pair.clients(3)
            let a = try redis.readUntilClosed(), b = try roost.readUntilClosed()
            #expect(a == b, "\(RawConnection.escape(a)) vs \(RawConnection.escape(b))")
            #expect(a == Array("-ERR max number of clients reached\r\n".utf8))
            // A slot frees up once a client leaves: both servers free the client before closing
            // its socket, so once the close is seen the slot is free.
            try pair.step("!rawclose QUIT\\r\\n")
            try pair.step("@4 PING")
            try pair.step("@4 ECHO back")
        }
    }

    @Test func queryBufferLimitClosesWithoutReply() async throws {
        try await Differential.with(
            redisArguments: ["--client-query-buffer-limit", "1mb"],
            configure: { $0.clientQueryBufferLimit = 1024 * 1024 }
        ) { pair in
            let (redis, roost) = try pair.clients(1)
            let header = Array("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$3000000\r\n".utf8)
            let payload = header + [UInt8](repeating: UInt8(ascii: "q"), count: 1_300_000)
            try? redis.send(raw: payload)
            try? roost.send(raw: payload)
            let a = try redis.readUntilClosed(), b = try roost.readUntilClosed()
            #expect(a == b, "\(RawConnection.escape(a)) vs \(RawConnection.escape(b))")
            #expect(a.isEmpty)
            try pair.step("@2 GET big")
            try pair.step("@2 PING")
            // Under the limit, a large value is fine.
            try pair.step("@2 SET medium \(String(repeating: "m", count: 900_000))")
            try pair.step("@2 ?GET medium")
        }
    }

    @Test func idleClientsAreClosedAfterTimeout() async throws {
        try await Differential.with(redisArguments: ["--timeout", "1"], configure: { $0.idleTimeout = 1 }) { pair in
            try pair.step("PING")
            try pair.step("@2 PING")
            // Client 2 stays busy; client 1 idles past the timeout.
            for _ in 0..<6 {
                usleep(500_000)
                try pair.step("@2 PING")
            }
            let (redis, roost) = try pair.clients(1)
            let a = try redis.readUntilClosed(), b = try roost.readUntilClosed()
            #expect(a.isEmpty && b.isEmpty)
            #expect(redis.isClosedByPeer && roost.isClosedByPeer)
        }
    }

    /// Needs SUBSCRIBE (implemented by the pub/sub family).
    @Test func subscribersAreNotClosedForIdleness() async throws {
        try await Differential.with(redisArguments: ["--timeout", "1"], configure: { $0.idleTimeout = 1 }) { pair in
            try pair.step("SUBSCRIBE news")
            usleep(3_000_000)
            try pair.step("@2 PUBLISH news hello")
            try pair.step("<")
            try pair.step("PING")
        }
    }

    @Test func protectedModeDeniesNonLoopbackPeersLikeRedis() async throws {
        try await Differential.with { pair in
            // Nothing is sent: both servers close at once, and a close with unread input would
            // be a reset that can discard the reply before the test reads it.
            let a = try RawSocket.exchange(port: pair.redis.port, from: "127.0.0.2", sending: [])
            let b = try RawSocket.exchange(port: pair.roost.port, from: "127.0.0.2", sending: [])
            #expect(a == b, "\(RawConnection.escape(a)) vs \(RawConnection.escape(b))")
            #expect(a.starts(with: Array("-DENIED Redis is running in protected mode".utf8)))
            // 127.0.0.1 itself is allowed.
            try pair.step("PING")
        }
        // With a password set, protected mode does not apply.
        try await Differential.with(redisArguments: ["--requirepass", "pw"], configure: { $0.requirePass = "pw" }) { pair in
            let a = try RawSocket.exchange(port: pair.redis.port, from: "127.0.0.2", sending: Array("PING\r\nQUIT\r\n".utf8))
            let b = try RawSocket.exchange(port: pair.roost.port, from: "127.0.0.2", sending: Array("PING\r\nQUIT\r\n".utf8))
            #expect(a == b, "\(RawConnection.escape(a)) vs \(RawConnection.escape(b))")
        }
        // And with protected mode off, any peer may connect.
        try await Differential.with(redisArguments: ["--protected-mode", "no"], configure: { $0.protectedMode = false }) { pair in
            let a = try RawSocket.exchange(port: pair.redis.port, from: "127.0.0.2", sending: Array("PING\r\nQUIT\r\n".utf8))
            let b = try RawSocket.exchange(port: pair.roost.port, from: "127.0.0.2", sending: Array("PING\r\nQUIT\r\n".utf8))
            #expect(a == b, "\(RawConnection.escape(a)) vs \(RawConnection.escape(b))")
            #expect(a == Array("+PONG\r\n+OK\r\n".utf8))
        }
    }

    @Test(.enabled(if: PackagePaths.tool("redis-cli") != nil, "redis-cli is not installed"))
    func unixSocketServesRedisCli() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("roost-\(UUID().uuidString.prefix(8)).sock").path
        let server = try await RoostTestServer.start { $0.unixSocket = path }
        let cli = try #require(PackagePaths.tool("redis-cli"))
        let ping = try ChildProcess.run(cli, ["-s", path, "PING"], timeout: 20)
        #expect(ping.status == 0)
        #expect(ping.text == "PONG\n")
        let set = try ChildProcess.run(cli, ["-s", path, "SET", "sockkey", "via unix"], timeout: 20)
        #expect(set.text == "OK\n")
        let get = try ChildProcess.run(cli, ["-s", path, "GET", "sockkey"], timeout: 20)
        #expect(get.text == "via unix\n")
        // TCP sees the same keyspace.
        let tcp = try RawConnection(port: server.port)
        try tcp.send(command: [Array("GET".utf8), Array("sockkey".utf8)])
        #expect(try tcp.readReply() == Array("$8\r\nvia unix\r\n".utf8))
        try await server.stop()
        #expect(!FileManager.default.fileExists(atPath: path), "the socket file is removed on stop")
    }

    static let binaryMissing = "the roost executable is not built (run `swift build` first; expected .build/debug/roost)"

    @Test(.enabled(if: PackagePaths.roostExecutable != nil, Comment(rawValue: binaryMissing)), arguments: [SIGTERM, SIGINT])
    func signalShutsDownCleanly(signal: Int32) throws {
        let binary = try #require(PackagePaths.roostExecutable)
        let port = try FreePort.find()
        let pid = try ChildProcess.spawn(binary, ["server", "--port", "\(port)", "--bind", "127.0.0.1"])
        do {
            try PortProbe.waitUntilAccepting(port: port, timeout: 20)
        } catch {
            ChildProcess.kill(pid, signal: SIGKILL)
            throw error
        }
        // An open, busy connection must not hold the shutdown up.
        let client = try RawConnection(port: port)
        try client.send(command: [Array("SET".utf8), Array("a".utf8), Array("1".utf8)])
        #expect(try client.readReply() == Array("+OK\r\n".utf8))
        Glibc.kill(pid, signal)
        let status = ChildProcess.wait(pid, timeout: 10)
        if status == nil { ChildProcess.kill(pid, signal: SIGKILL) }
        #expect(status == 0, "exit status after signal \(signal)")
        #expect(try client.readUntilClosed().isEmpty)
        #expect(!PortProbe.isAccepting(port: port), "nothing listens after shutdown")
    }

    @Test(.enabled(if: PackagePaths.roostExecutable != nil, Comment(rawValue: binaryMissing)))
    func configFileOptionIsRead() throws {
        let binary = try #require(PackagePaths.roostExecutable)
        let port = try FreePort.find()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("roost-\(UUID().uuidString).conf").path
        try """
            # a redis.conf-style file
            port \(port)
            bind 127.0.0.1
            requirepass fromfile
            maxclients 5
            """.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let pid = try ChildProcess.spawn(binary, ["server", "--config", file])
        defer { ChildProcess.kill(pid, signal: SIGKILL) }
        try PortProbe.waitUntilAccepting(port: port, timeout: 20)
        let client = try RawConnection(port: port)
        try client.send(command: [Array("PING".utf8)])
        #expect(try client.readReply() == Array("-NOAUTH Authentication required.\r\n".utf8))
        // A bad file is refused with a non-zero exit.
        let bad = file + ".bad"
        try "nosuchdirective 1\n".write(toFile: bad, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let result = try ChildProcess.run(binary, ["server", "--config", bad], timeout: 20)
        #expect(result.status != 0)
    }

    /// Random bytes on many connections must leave the server answering PING on a fresh one.
    @Test func randomBytesDoNotBreakTheServer() async throws {
        let server = try await RoostTestServer.start()
        var random = SplitMix64(seed: 0x5eed_0001)
        let fragments: [[UInt8]] = ["*", "$", "\r\n", "\r", "\n", "*2\r\n", "$3\r\n", "$-1\r\n", "*-1\r\n", "PING", "ECHO",
                                    "GET", "SET", "\"", "'", "\\x", "\0", " ", "9999999999", "*1\r\n$4\r\nPING\r\n"].map { Array($0.utf8) }
        for round in 0..<300 {
            var bytes: [UInt8] = []
            let length = Int(random.next() % 2048)
            while bytes.count < length {
                if random.next() % 2 == 0 {
                    bytes.append(UInt8(truncatingIfNeeded: random.next()))
                } else {
                    bytes += fragments[Int(random.next() % UInt64(fragments.count))]
                }
            }
            try RawSocket.blast(port: server.port, bytes)
            if round % 50 == 49 {
                let probe = try RawConnection(port: server.port)
                try probe.send(command: [Array("PING".utf8)])
                #expect(try probe.readReply() == Array("+PONG\r\n".utf8), "after round \(round) (seed 0x5eed0001)")
            }
        }
        let probe = try RawConnection(port: server.port)
        try probe.send(raw: Array("PING\r\n".utf8))
        #expect(try probe.readReply() == Array("+PONG\r\n".utf8))
        try await server.stop()
    }
}
