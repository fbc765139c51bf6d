import Foundation
import RoostTestSupport
import Testing

/// Malformed and unusual requests, compared byte for byte with redis-server. Each `!rawclose`
/// runs on its own client (`@N`), since the server closes that connection.
@Suite struct ProtocolDifferentialTests {
    static let big70k = String(repeating: "a", count: 70_000)
    static let big100k = String(repeating: "b", count: 100_000)

    @Test func malformedMultibulkMatchesRedis() async throws {
        let compared = try await Differential.check(#"""
            @2 !rawclose *a\r\n
            @3 !rawclose *3000000000\r\n
            @4 !rawclose *9223372036854775808\r\n
            @5 !rawclose *+1\r\n
            @6 !rawclose *01\r\n
            @7 !rawclose *-0\r\n
            @8 !rawclose * 1\r\n
            @9 !rawclose *1 \r\n
            @10 !rawclose *\r\n
            @11 !rawclose *2147483647\r\n:1\r\n
            @12 !rawclose *1\r\n$-1\r\n
            @13 !rawclose *1\r\n$abc\r\n
            @14 !rawclose *1\r\n$\r\n
            @15 !rawclose *1\r\n$600000000\r\n
            @16 !rawclose *1\r\n$+4\r\nPING\r\n
            @17 !rawclose *2\r\n$4\r\nECHO\r\n:1\r\n
            @18 !rawclose *1\r\n\r\n
            @19 !rawclose *1\r\n\xff\r\n
            @20 !rawclose *1\r\nPING\r\n
            @21 !rawclose *2\r\n$4\r\nECHO\r\n*1\r\n
            @22 !rawclose *1\r\n$04\r\nPING\r\n
            @23 !rawclose *1\r\n$4 \r\nPING\r\n
            @24 !rawclose *1\r\n$1\r\nx\r\n*x\r\n
            @25 !rawclose *1\r\n$9223372036854775808\r\n
            """#)
        #expect(compared == 24)
    }

    @Test func validEdgeRequestsMatchRedis() async throws {
        let compared = try await Differential.check(#"""
            !raw *-1\r\nPING\r\n
            !raw *0\r\n*-5\r\nPING\r\n
            !raw *1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n
            <
            !raw *2\r\n$4\r\nECHO\r\n$1\r\nabcd\r\n
            <
            !raw *2\r\n$4\r\nECHO\r\n$3\r\na\x00b\r\n
            !raw *2\r\n$4\r\nECHO\r\n$0\r\n\r\n
            !raw *1\r\n$0\r\n\r\n
            !raw *3\r\n$3\r\nSET\r\n$2\r\n\r\n\r\n$4\r\n\xff\x00\r\n\r\n
            !raw *2\r\n$3\r\nGET\r\n$2\r\n\r\n\r\n
            !raw *2\r\n$4\r\necho\r\n$2\r\nhi\r\nPING\r\nECHO x\r\n
            <
            <
            !raw *2\r\n$4\r\nECHO\r\n$5\r\nabcde\r\n
            """#)
        #expect(compared == 15)
    }

    @Test func inlineRequestsMatchRedis() async throws {
        let compared = try await Differential.check(#"""
            !raw PING\r\n
            !raw PING\n
            !raw \r\n\r\nPING\r\n
            !raw \n\n   \r\n\t\r\nPING\n
            !raw ECHO "a b"\r\n
            !raw ECHO 'a b'\r\n
            !raw ECHO 'a\\'b'\r\n
            !raw ECHO "\\x41\\x4a\\x7e"\r\n
            !raw ECHO "\\xZZ"\r\n
            !raw ECHO "\\x4"\r\n
            !raw ECHO "a\\nb\\r\\t\\a\\bc\\\\d\\"e"\r\n
            !raw ECHO ""\r\n
            !raw ECHO ''\r\n
            !raw ECHO '' ""\r\n
            !raw ECHO\ta\r\n
            !raw ECHO a\rb\r\n
            !raw ECHO \xff\xfe\r\n
            !raw ECHO "\\x00"\r\n
            !raw   ECHO    spaced    \r\n
            !raw ECHO "a"  \r\n
            !raw ECHO 'single "double" inside'\r\n
            !raw ECHO "double 'single' inside"\r\n
            !raw SET "" empty\r\n
            !raw GET ""\r\n
            !raw ping\r\n
            !raw NOSUCH "a b" c\r\n
            !raw ECHO a\r\r\n
            !raw $4\r\n
            !raw :1\r\n
            !raw +OK\r\n
            !raw ECHO "a\\x"\r\n
            !raw ECHO "tab\there"\r\n
            !raw *1\r\n$4\r\nping\r\n*1\r\n$4\r\nPING\r\n
            <
            !raw *0\r\n*0\r\n*-1\r\n\r\n*1\r\n$4\r\nPING\r\n
            @8 !rawclose ECHO "a""b"\r\n
            @9 !rawclose ECHO 'a''b'\r\n
            @2 !rawclose ECHO "abc\r\n
            @3 !rawclose ECHO 'abc\r\n
            @4 !rawclose ECHO "abc"def\r\n
            @5 !rawclose ECHO 'a'b\r\n
            @6 !rawclose PING\r\nPING\r\nECHO "x\r\nPING\r\n
            @7 !rawclose ECHO "\\"\r\n
            """#)
        #expect(compared == 43)
    }

    @Test func oversizedRequestsMatchRedis() async throws {
        let compared = try await Differential.check("""
            @2 !rawclose \(Self.big70k)
            @3 !rawclose ECHO \(Self.big100k)\\r\\n
            @4 !rawclose *\(String(repeating: "1", count: 70_000))
            @5 !rawclose *1\\r\\n$\(String(repeating: "1", count: 70_000))
            @6 !raw ECHO \(String(repeating: "c", count: 60_000))\\r\\n
            @7 !raw *2\\r\\n$4\\r\\nECHO\\r\\n$70000\\r\\n\(Self.big70k)\\r\\n
            @8 !rawclose PING\\r\\nPING\\r\\n\(Self.big70k)
            """)
        #expect(compared == 7)
    }

    @Test func protoMaxBulkLenChangesApplyToOpenConnections() async throws {
        let payload = String(repeating: "p", count: 1_500_000)
        let compared = try await Differential.check("""
            @2 PING
            @3 PING
            CONFIG SET proto-max-bulk-len 1mb
            CONFIG GET proto-max-bulk-len
            @2 !rawclose *2\\r\\n$4\\r\\nECHO\\r\\n$1048577\\r\\n
            CONFIG SET proto-max-bulk-len 2mb
            @3 !raw *3\\r\\n$3\\r\\nSET\\r\\n$3\\r\\nbig\\r\\n$1500000\\r\\n\(payload)\\r\\n
            STRLEN big
            """)
        #expect(compared == 8)
    }

    @Test func pipelinesAndCloseAfterErrorsMatchRedis() async throws {
        let compared = try await Differential.check(#"""
            @2 !rawclose PING\r\nPING\r\n*1\r\n$x\r\nPING\r\n
            @3 !rawclose *1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$1\r\nz\r\n*a\r\n
            @4 !rawclose PING\r\nQUIT\r\nPING\r\n
            @5 !rawclose ECHO a\r\nSET k v\r\nGET k\r\nQUIT\r\n
            @6 !rawclose QUIT\r\n
            @7 !rawclose ECHO 1\r\nECHO 2\r\n*1\r\n\r\n
            """#)
        #expect(compared == 6)
    }

    @Test func unauthenticatedLimitsMatchRedis() async throws {
        let bulk16k = String(repeating: "d", count: 16_384)
        let tenArgs = "*10\\r\\n$3\\r\\nDEL\\r\\n" + String(repeating: "$1\\r\\nx\\r\\n", count: 9)
        let compared = try await Differential.check("""
            @2 !rawclose *11\\r\\n
            @3 !rawclose *1\\r\\n$16385\\r\\n
            @4 !rawclose *2\\r\\n$4\\r\\nECHO\\r\\n$20000\\r\\n
            !raw \(tenArgs)
            !raw *2\\r\\n$4\\r\\nECHO\\r\\n$16384\\r\\n\(bulk16k)\\r\\n
            !raw ECHO \(String(repeating: "e", count: 30_000))\\r\\n
            !raw PING\\r\\n
            !raw DEL a b c d e f g h i j k l\\r\\n
            @5 !rawclose *2000000000\\r\\n
            """, redisArguments: ["--requirepass", "secret"], configure: { $0.requirePass = "secret" })
        #expect(compared == 9)
    }

    /// Needs AUTH (implemented by the connection-commands family).
    @Test func authenticatedClientsHaveNoSmallLimits() async throws {
        let tenKeys = "*11\\r\\n$3\\r\\nDEL\\r\\n" + String(repeating: "$1\\r\\nx\\r\\n", count: 10)
        try await Differential.check("""
            AUTH secret
            !raw \(tenKeys)
            !raw *2\\r\\n$4\\r\\nECHO\\r\\n$20000\\r\\n\(String(repeating: "f", count: 20_000))\\r\\n
            """, redisArguments: ["--requirepass", "secret"], configure: { $0.requirePass = "secret" })
    }

    @Test func commandSplitAcrossReadsMatchesRedis() async throws {
        try await Differential.with { pair in
            let input = Array("*3\r\n$3\r\nSET\r\n$5\r\nsplit\r\n$11\r\nhello world\r\n*2\r\n$3\r\nGET\r\n$5\r\nsplit\r\nECHO \"inl\\x41ne\"\r\n".utf8)
            var (redis, roost) = try pair.clients(1)
            // Every byte on its own write, with pauses that make separate reads likely.
            for (i, byte) in input.enumerated() {
                try redis.send(raw: [byte])
                try roost.send(raw: [byte])
                if i % 7 == 0 { usleep(2_000) }
            }
            for _ in 0..<3 {
                let a = try redis.readReply(), b = try roost.readReply()
                #expect(a == b, "\(RawConnection.escape(a)) vs \(RawConnection.escape(b))")
            }
            // Split at every position of a two-command pipeline, on fresh clients.
            let pipeline = Array("*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\nPING x\r\n".utf8)
            for cut in 1..<pipeline.count {
                (redis, roost) = try pair.clients(100 + cut)
                for c in [redis, roost] { try c.send(raw: Array(pipeline[..<cut])) }
                usleep(1_000)
                for c in [redis, roost] { try c.send(raw: Array(pipeline[cut...])) }
                for _ in 0..<2 {
                    let a = try redis.readReply(), b = try roost.readReply()
                    #expect(a == b, "cut \(cut): \(RawConnection.escape(a)) vs \(RawConnection.escape(b))")
                }
            }
        }
    }

    @Test func manyPipelinedCommandsInOneWriteMatchRedis() async throws {
        try await Differential.with { pair in
            let (redis, roost) = try pair.clients(1)
            var batch: [UInt8] = []
            for i in 0..<2000 {
                batch += RawConnection.encode([Array("SET".utf8), Array("k\(i % 50)".utf8), Array("v\(i)".utf8)])
                batch += RawConnection.encode([Array("GET".utf8), Array("k\(i % 50)".utf8)])
                batch += Array("ECHO \(i)\r\n".utf8)
            }
            try redis.send(raw: batch)
            try roost.send(raw: batch)
            for i in 0..<6000 {
                let a = try redis.readReply(), b = try roost.readReply()
                if a != b {
                    Issue.record("reply \(i): \(RawConnection.escape(a)) vs \(RawConnection.escape(b))")
                    break
                }
            }
        }
    }

    @Test func inlineWithNulWaitsThenFailsLikeRedis() async throws {
        try await Differential.with { pair in
            let (redis, roost) = try pair.clients(1)
            // strchr stops at NUL: the newline is never seen, so nothing happens yet.
            let first = Array("ECHO a\u{0}b\r\n".utf8)
            try redis.send(raw: first)
            try roost.send(raw: first)
            #expect(try !redis.hasReply(within: 0.3))
            #expect(try !roost.hasReply(within: 0.3))
            // ...until the unterminated line passes 64 KB. The request ends one byte past the
            // limit, so each server has read all of it when it fails and closes: a close with
            // unread input would be a reset, which can discard the reply before it is read.
            let filler = [UInt8](repeating: UInt8(ascii: "z"), count: 65_537 - first.count)
            try redis.send(raw: filler)
            try roost.send(raw: filler)
            redis.setTimeout(30)
            roost.setTimeout(30)
            let a: [UInt8], b: [UInt8]
            do { a = try redis.readUntilClosed() } catch { Issue.record("redis did not close: \(error)"); return }
            do { b = try roost.readUntilClosed() } catch { Issue.record("roost did not close: \(error)"); return }
            #expect(a == b, "\(RawConnection.escape(a)) vs \(RawConnection.escape(b))")
            #expect(a == Array("-ERR Protocol error: too big inline request\r\n".utf8))
        }
    }

    @Test func nulInLengthLineWaitsThenFailsLikeRedis() async throws {
        try await Differential.with { pair in
            // Each request ends one byte past the 64 KB line limit, counted from where the
            // unterminated line starts, so neither server closes with unread input (a reset).
            let cases = [("*1\r\n$4\u{0}\r\nPING\r\n", 4), ("*1\u{0}\r\n$4\r\nPING\r\n", 0)]
            for (index, (start, lineStart)) in cases.enumerated() {
                let (redis, roost) = try pair.clients(index + 1)
                try redis.send(raw: Array(start.utf8))
                try roost.send(raw: Array(start.utf8))
                #expect(try !redis.hasReply(within: 0.3))
                #expect(try !roost.hasReply(within: 0.3))
                let filler = [UInt8](repeating: UInt8(ascii: "7"), count: 65_537 - (start.utf8.count - lineStart))
                try redis.send(raw: filler)
                try roost.send(raw: filler)
                // Read each side on its own so that a side that fails to close is named. The
                // whole suite runs in parallel on two cores: allow a loaded machine 30 s.
                redis.setTimeout(30)
                roost.setTimeout(30)
                let a: [UInt8], b: [UInt8]
                do { a = try redis.readUntilClosed() } catch { Issue.record("redis did not close: \(error)"); continue }
                do { b = try roost.readUntilClosed() } catch { Issue.record("roost did not close: \(error)"); continue }
                #expect(a == b, "\(RawConnection.escape(a)) vs \(RawConnection.escape(b))")
                #expect(a.starts(with: Array("-ERR Protocol error: too big".utf8)))
            }
        }
    }

    @Test func hugeDeclaredBulkIsNotAllocated() async throws {
        try await Differential.with { pair in
            // 512 MB declared on four clients: neither server may reserve it up front.
            for i in 1...4 {
                let (redis, roost) = try pair.clients(i)
                let header = Array("*2\r\n$4\r\nECHO\r\n$536870912\r\nabc".utf8)
                try redis.send(raw: header)
                try roost.send(raw: header)
            }
            #expect(try !pair.clients(1).roost.hasReply(within: 0.3))
            try pair.step("@20 PING")
            try pair.step("@20 ECHO still-alive")
            let resident = Self.residentMegabytes()
            #expect(resident < 1500, "resident memory \(resident) MB after declaring 4 x 512 MB bulks")
        }
    }

    /// Resident set size of this process (the in-process Roost lives here), in MB.
    static func residentMegabytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * 4096 / 1_048_576
    }
}
