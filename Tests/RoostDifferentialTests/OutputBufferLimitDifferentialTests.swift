import Foundation
import RoostEngine
import RoostServer
import RoostTestSupport
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `client-output-buffer-limit` and the caps on clients that have yet to authenticate, against
/// redis-server: the parameter's CONFIG forms, slow subscribers and huge replies dropped without
/// a reply, and a server whose memory stays bounded while a subscriber never reads.
@Suite struct OutputBufferLimitDifferentialTests {
    @Test func configGetAndSetMatchRedis() async throws {
        try await Differential.check("""
            CONFIG GET client-output-buffer-limit
            CONFIG SET client-output-buffer-limit "pubsub 1mb 512kb 10"
            CONFIG GET client-output-buffer-limit
            CONFIG SET client-output-buffer-limit "normal 1 2 3 replica 4k 5KB 6 PUBSUB 1g 2GB 0"
            CONFIG GET client-output*
            CONFIG SET client-output-buffer-limit "slave 7 8 9 normal 0 0 0 normal 10 11 12"
            CONFIG GET client-output-buffer-limit
            # Refused values change nothing, whichever group is wrong.
            CONFIG SET client-output-buffer-limit "pubsub 1mb"
            CONFIG SET client-output-buffer-limit "normal 5 5 5 pubsub 1 2 3 normal"
            CONFIG SET client-output-buffer-limit "master 1 2 3"
            CONFIG SET client-output-buffer-limit "normal 5 5 5 foo 1 2 3"
            CONFIG SET client-output-buffer-limit "pubsub x 1 2"
            CONFIG SET client-output-buffer-limit "pubsub -1 2 3"
            CONFIG SET client-output-buffer-limit "pubsub 1 -2 3"
            CONFIG SET client-output-buffer-limit "pubsub 1 2 -3"
            CONFIG SET client-output-buffer-limit "pubsub 1.5mb 2 3"
            CONFIG SET client-output-buffer-limit "pubsub 1 2 3x"
            CONFIG SET client-output-buffer-limit "pubsub 1 2 0x10"
            CONFIG SET client-output-buffer-limit "pubsub 1 2 2147483648"
            CONFIG SET client-output-buffer-limit "pubsub 1 2 9223372036854775807"
            CONFIG SET client-output-buffer-limit "pubsub  1 2 3"
            CONFIG SET client-output-buffer-limit " pubsub 1 2 3"
            CONFIG SET client-output-buffer-limit "pubsub 1 2 3 "
            CONFIG GET client-output-buffer-limit
            # Redis's number readers: no digits are 0, overflow saturates or wraps, seconds are a C int.
            CONFIG SET client-output-buffer-limit ""
            CONFIG SET client-output-buffer-limit "pubsub kb b +5"
            CONFIG GET client-output-buffer-limit
            CONFIG SET client-output-buffer-limit "pubsub 99999999999999999999kb 10000000000000000000 4294967297"
            CONFIG GET client-output-buffer-limit
            CONFIG SET client-output-buffer-limit "pubsub 99999999999999999999 0012 -0"
            CONFIG GET client-output-buffer-limit
            CONFIG SET client-output-buffer-limit "pubsub 1 2 -99999999999999999999"
            CONFIG GET client-output-buffer-limit
            CONFIG SET client-output-buffer-limit "normal 1 1 1" maxclients 0
            CONFIG GET client-output-buffer-limit
            CONFIG SET client-output-buffer-limit "pubsub 1 1 1" client-output-buffer-limit "pubsub 2 2 2"
            CONFIG SET client-output-buffer-limit a b
            """)
    }

    @Test func commandLineValueMatchesRedis() async throws {
        let value = "pubsub 1mb 512kb 10 normal 2k 1k 5"
        try await Differential.with(
            redisArguments: ["--client-output-buffer-limit", value],
            configure: { try? $0.set("client-output-buffer-limit", [value]) }
        ) { pair in
            try pair.step("CONFIG GET client-output-buffer-limit")
        }
    }

    @Test func configurationFileAndWordsAreReadAsRedisReadsThem() throws {
        var configuration = EngineConfiguration()
        try configuration.apply(configurationFile: """
            client-output-buffer-limit normal 1mb 2mb 3
            client-output-buffer-limit pubsub 4 5 6 replica 7 8 9
            """)
        #expect(configuration.value(of: "client-output-buffer-limit") == "normal 1048576 2097152 3 slave 7 8 9 pubsub 4 5 6")
        try configuration.set("client-output-buffer-limit", ["pubsub  1kb\t2kb 10 "])
        #expect(configuration.clientOutputBufferLimits.pubsub == .init(hard: 1024, soft: 2048, softSeconds: 10))
        #expect(throws: ConfigurationError.self) { try configuration.set("client-output-buffer-limit", ["master 1 2 3"]) }
        #expect(throws: ConfigurationError.self) { try configuration.set("client-output-buffer-limit", [""]) }
    }

    @Test(.enabled(if: PackagePaths.roostExecutable != nil, Comment(rawValue: ServerLimitsTests.binaryMissing)))
    func commandLineOptionOfTheExecutable() throws {
        let binary = try #require(PackagePaths.roostExecutable)
        let port = try FreePort.find()
        let pid = try ChildProcess.spawn(binary, [
            "server", "--port", "\(port)", "--bind", "127.0.0.1", "--client-output-buffer-limit", "pubsub 1mb 512kb 10",
        ])
        defer { ChildProcess.kill(pid, signal: SIGKILL) }
        try PortProbe.waitUntilAccepting(port: port, timeout: 20)
        let client = try RawConnection(port: port)
        try client.send(command: DifferentialPair.arguments("CONFIG GET client-output-buffer-limit"))
        let expected = "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 524288 10"
        #expect(try client.readReply() == Array("*2\r\n$26\r\nclient-output-buffer-limit\r\n$\(expected.utf8.count)\r\n\(expected)\r\n".utf8))
    }

    /// A subscriber that never reads is dropped by both servers while the publisher keeps
    /// publishing; its subscription goes with it, and Roost counts the drop in INFO.
    @Test func slowSubscriberIsDisconnected() async throws {
        let limit = "pubsub 256kb 128kb 1"
        try await Differential.with(
            redisArguments: ["--client-output-buffer-limit", limit],
            configure: { try? $0.set("client-output-buffer-limit", [limit]) }
        ) { pair in
            try pair.step("CONFIG GET client-output-buffer-limit")
            let before = try Self.infoField("client_output_buffer_limit_disconnections", pair.clients(1).roost)
            #expect(before == "0")
            for port in [pair.redis.port, pair.roost.port] {
                let subscriber = try RawConnection(port: port, receiveBufferSize: 4096)
                try subscriber.send(command: DifferentialPair.arguments("SUBSCRIBE news"))
                #expect(try subscriber.readReply() == Array("*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n".utf8))
                let publisher = try RawConnection(port: port)
                let published = try Self.publishUntilNobodyListens(publisher, channel: "news", messageSize: 4096, deadline: 30)
                #expect(published * 4096 >= 256 * 1024, "dropped after \(published) messages")
                // Whatever reached the socket before the drop is readable, then the connection ends.
                _ = try subscriber.readUntilClosed()
                #expect(subscriber.isClosedByPeer)
            }
            try pair.step("PUBSUB NUMSUB news")
            try pair.step("CLIENT LIST TYPE pubsub")
            #expect(try Self.infoField("client_output_buffer_limit_disconnections", pair.clients(1).roost) == "1")
            // redis-server 7.0.15 has no such field (Redis 7.4 added it).
            #expect(try Self.infoField("client_output_buffer_limit_disconnections", pair.clients(1).redis) == nil)
        }
    }

    /// A subscriber left past its soft limit, below the hard one, is dropped once the soft
    /// seconds have passed, though nothing more is published to it.
    @Test func subscriberPastTheSoftLimitIsDroppedWhenTheSecondsPass() async throws {
        try await Differential.with { pair in
            try pair.step("CONFIG SET client-output-buffer-limit \"pubsub 100mb 128kb 1\"")
            for port in [pair.redis.port, pair.roost.port] {
                let subscriber = try RawConnection(port: port, receiveBufferSize: 4096)
                try subscriber.send(command: DifferentialPair.arguments("SUBSCRIBE news"))
                _ = try subscriber.readReply()
                let publisher = try RawConnection(port: port)
                // 12 MB, past what the kernel's socket buffers take, far below the hard limit.
                let message = try DifferentialPair.arguments("PUBLISH news \(String(repeating: "s", count: 4096))")
                let batch = Array([[UInt8]](repeating: RawConnection.encode(message), count: 64).joined())
                var reached = true
                for _ in 0..<48 where reached {
                    try publisher.send(raw: batch)
                    for _ in 0..<64 {
                        if try publisher.readReply() != Array(":1\r\n".utf8) { reached = false }
                    }
                }
                let deadline = Date().addingTimeInterval(15)
                var subscribers: [UInt8] = []
                repeat {
                    usleep(50_000)
                    try publisher.send(command: DifferentialPair.arguments("PUBSUB NUMSUB news"))
                    subscribers = try publisher.readReply()
                } while subscribers != Array("*2\r\n$4\r\nnews\r\n:0\r\n".utf8) && Date() < deadline
                #expect(subscribers == Array("*2\r\n$4\r\nnews\r\n:0\r\n".utf8), "port \(port)")
                _ = try subscriber.readUntilClosed()
            }
        }
    }

    /// CLIENT LIST shows a subscriber's unsent output as Redis splits it: a full fixed buffer
    /// (`obl`), the rest in `omem`, held in blocks (`oll`).
    @Test func clientListShowsTheUnsentOutput() async throws {
        try await Differential.with { pair in
            try pair.step("CONFIG SET client-output-buffer-limit \"pubsub 1gb 1gb 60\"")
            for port in [pair.redis.port, pair.roost.port] {
                let subscriber = try RawConnection(port: port, receiveBufferSize: 4096)
                try subscriber.send(command: DifferentialPair.arguments("SUBSCRIBE news"))
                _ = try subscriber.readReply()
                let publisher = try RawConnection(port: port)
                let message = try DifferentialPair.arguments("PUBLISH news \(String(repeating: "c", count: 4096))")
                let batch = Array([[UInt8]](repeating: RawConnection.encode(message), count: 64).joined())
                for _ in 0..<48 {
                    try publisher.send(raw: batch)
                    for _ in 0..<64 { _ = try publisher.readReply() }
                }
                try publisher.send(command: DifferentialPair.arguments("CLIENT LIST TYPE pubsub"))
                let line = String(decoding: try publisher.readReply(), as: UTF8.self)
                var fields: [String: Int] = [:]
                for field in line.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\r" }) {
                    let parts = field.split(separator: "=", maxSplits: 1)
                    if parts.count == 2, let value = Int(parts[1]) { fields[String(parts[0])] = value }
                }
                // Redis shrinks its buffer to 1 KB after a quiet while; Roost's is always 16 KB.
                let obl = try #require(fields["obl"])
                #expect(obl == 16384 || (port == pair.redis.port && obl == 1024), "port \(port): \(line)")
                let omem = try #require(fields["omem"]), oll = try #require(fields["oll"])
                #expect(omem > 1024 * 1024, "port \(port): \(line)")
                #expect(oll > 0 && oll <= (omem + 16383) / 16384, "port \(port): \(line)")
                #expect(try #require(fields["tot-mem"]) > omem, "port \(port): \(line)")
            }
        }
    }

    /// A reply past the normal class's hard limit drops the client that asked for it, with
    /// nothing of that read's replies sent; smaller replies are fine.
    @Test func hugeReplyPastTheNormalHardLimitDisconnects() async throws {
        try await Differential.with { pair in
            let element = String(repeating: "e", count: 100)
            for _ in 0..<20 {
                try pair.step("RPUSH big " + Array(repeating: element, count: 100).joined(separator: " "))
            }
            try pair.step("MSET " + (0..<5000).map { "key:\($0):abcdefghijklmnop v" }.joined(separator: " "))
            try pair.step("CONFIG SET client-output-buffer-limit \"normal 64kb 0 0\"")
            try pair.step("LRANGE big 0 99")
            try pair.step("@2 PING")
            try pair.step("@2 !rawclose *4\\r\\n$6\\r\\nLRANGE\\r\\n$3\\r\\nbig\\r\\n$1\\r\\n0\\r\\n$2\\r\\n-1\\r\\n")
            // Earlier replies of the same read are not sent either.
            try pair.step("@3 !rawclose *1\\r\\n$4\\r\\nPING\\r\\n*2\\r\\n$4\\r\\nKEYS\\r\\n$1\\r\\n*\\r\\n")
            try pair.step("~KEYS key:1*")
            try pair.step("CONFIG SET client-output-buffer-limit \"normal 0 0 0\"")
            try pair.step("?LRANGE big 0 -1")
            let roost = try pair.clients(1).roost
            #expect(try Self.infoField("client_output_buffer_limit_disconnections", roost) == "2")
        }
    }

    /// With requirepass set, Redis's caps on a client that has not authenticated: at most 10
    /// arguments of at most 16384 bytes, and at most 16 KB of unread output.
    @Test func unauthenticatedClientLimitsMatchRedis() async throws {
        try await Differential.with(redisArguments: ["--requirepass", "secret"], configure: { $0.requirePass = "secret" }) { pair in
            try pair.step("!rawclose *11\\r\\n")
            try pair.step("@2 !rawclose *2\\r\\n$4\\r\\nAUTH\\r\\n$16385\\r\\n")
            try pair.step("@3 !raw *10\\r\\n$3\\r\\nGET\\r\\n$1\\r\\na\\r\\n$1\\r\\na\\r\\n$1\\r\\na\\r\\n$1\\r\\na\\r\\n$1\\r\\na\\r\\n$1\\r\\na\\r\\n$1\\r\\na\\r\\n$1\\r\\na\\r\\n$1\\r\\na\\r\\n")
            try pair.step("@3 AUTH \(String(repeating: "p", count: 16384))")
            // Pipelined failing AUTHs: replies up to 16 KB are sent...
            let auth = RawConnection.encode([Array("AUTH".utf8), Array("wrong".utf8)])
            let (redis4, roost4) = try pair.clients(4)
            let few = Array([[UInt8]](repeating: auth, count: 200).joined())
            try redis4.send(raw: few)
            try roost4.send(raw: few)
            for _ in 0..<200 { try pair.step("@4 <") }
            try pair.step("@4 PING")
            // ...one read whose replies pass 16 KB drops the client with nothing sent.
            for (client, count) in [(5, 300), (6, 100_000)] {
                let (redis, roost) = try pair.clients(client)
                let flood = Array([[UInt8]](repeating: auth, count: count).joined())
                try? redis.send(raw: flood)
                try? roost.send(raw: flood)
                let a = try redis.readUntilClosed(), b = try roost.readUntilClosed()
                #expect(a == b, "\(count) AUTHs: \(RawConnection.escape(Array(a.prefix(200)))) vs \(RawConnection.escape(Array(b.prefix(200))))")
                #expect(a.isEmpty)
            }
            // Authenticated, the same flood is answered in full.
            try pair.step("@7 AUTH secret")
            let (redis7, roost7) = try pair.clients(7)
            let flood = Array([[UInt8]](repeating: auth, count: 1000).joined())
            try redis7.send(raw: flood)
            try roost7.send(raw: flood)
            for _ in 0..<1000 { try pair.step("@7 <") }
        }
    }

    /// 100 MB published to a subscriber that never reads: Roost's peak resident memory stays far
    /// below it, because the subscriber is dropped at its limit.
    @Test(.enabled(if: PackagePaths.roostExecutable != nil, Comment(rawValue: ServerLimitsTests.binaryMissing)))
    func memoryStaysBoundedWithASubscriberThatNeverReads() throws {
        let binary = try #require(PackagePaths.roostExecutable)
        let port = try FreePort.find()
        let pid = try ChildProcess.spawn(binary, [
            "server", "--port", "\(port)", "--bind", "127.0.0.1", "--client-output-buffer-limit", "pubsub 8mb 4mb 60",
        ])
        defer { ChildProcess.kill(pid, signal: SIGKILL) }
        try PortProbe.waitUntilAccepting(port: port, timeout: 20)
        let subscriber = try RawConnection(port: port, receiveBufferSize: 4096)
        try subscriber.send(command: DifferentialPair.arguments("SUBSCRIBE news"))
        _ = try subscriber.readReply()
        let publisher = try RawConnection(port: port)
        let message = [UInt8](repeating: UInt8(ascii: "m"), count: 64 * 1024)
        let command = RawConnection.encode([Array("PUBLISH".utf8), Array("news".utf8), message])
        var receivers: [[UInt8]] = []
        for _ in 0..<100 {
            try publisher.send(raw: Array([[UInt8]](repeating: command, count: 16).joined()))
            for _ in 0..<16 { receivers.append(try publisher.readReply()) }
        }
        #expect(receivers.first == Array(":1\r\n".utf8))
        #expect(receivers.last == Array(":0\r\n".utf8), "the subscriber was dropped")
        let peak = try #require(Self.peakResidentMegabytes(pid))
        #expect(peak < 60, "peak RSS \(peak) MB after publishing 100 MB")
    }

    // MARK: Helpers

    /// Publishes `messageSize`-byte messages to `channel`, 32 per round trip, until one reaches no
    /// subscriber. Returns how many reached one.
    static func publishUntilNobodyListens(_ publisher: RawConnection, channel: String, messageSize: Int,
                                          deadline seconds: Double) throws -> Int {
        let command = RawConnection.encode([Array("PUBLISH".utf8), Array(channel.utf8),
                                            [UInt8](repeating: UInt8(ascii: "p"), count: messageSize)])
        let batch = Array([[UInt8]](repeating: command, count: 32).joined())
        let deadline = Date().addingTimeInterval(seconds)
        var delivered = 0
        while Date() < deadline {
            try publisher.send(raw: batch)
            var nobody = false
            for _ in 0..<32 {
                let reply = try publisher.readReply()
                if reply == Array(":0\r\n".utf8) { nobody = true } else { delivered += 1 }
            }
            if nobody { return delivered }
        }
        throw StillSubscribed(description: "the subscriber was still connected after \(seconds) s (\(delivered) messages)")
    }

    struct StillSubscribed: Error, CustomStringConvertible {
        let description: String
    }

    /// One field of INFO stats, or nil when the server does not report it.
    static func infoField(_ name: String, _ connection: RawConnection) throws -> String? {
        try connection.send(command: DifferentialPair.arguments("INFO stats"))
        let text = String(decoding: try connection.readReply(), as: UTF8.self)
        for line in text.split(separator: "\r\n") where line.hasPrefix(name + ":") {
            return String(line.dropFirst(name.count + 1))
        }
        return nil
    }

    /// VmHWM of a process, in MB.
    static func peakResidentMegabytes(_ pid: pid_t) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first
            return kilobytes.map { $0 / 1024 }
        }
        return nil
    }
}
