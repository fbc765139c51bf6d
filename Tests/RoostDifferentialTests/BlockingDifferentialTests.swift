import Foundation
import RoostTestSupport
import Testing

/// Blocking list commands and CLIENT UNBLOCK against real redis-server. Clients are ordered by
/// waiting for the servers to report them blocked (CLIENT LIST, `flags=b`) and by the replies
/// they wait for, never by sleeping a guessed time.
@Suite struct BlockingDifferentialTests {
    /// Waits until both servers report exactly `count` blocked clients.
    static func waitBlocked(_ pair: DifferentialPair, _ count: Int) throws {
        let (r, o) = try pair.clients(99)
        for connection in [r, o] {
            var seen = -1
            for _ in 0..<2500 {
                try connection.send(command: [Array("CLIENT".utf8), Array("LIST".utf8)])
                let text = String(decoding: try connection.readReply(), as: UTF8.self)
                seen = text.components(separatedBy: "flags=b ").count - 1
                if seen == count { break }
                usleep(2000)
            }
            #expect(seen == count, "expected \(count) blocked clients, saw \(seen)")
        }
    }

    /// Checks that INFO clients reports `blocked_clients:n` on both servers.
    static func expectInfoBlocked(_ pair: DifferentialPair, _ n: Int) throws {
        let (r, o) = try pair.clients(99)
        for connection in [r, o] {
            try connection.send(command: [Array("INFO".utf8), Array("clients".utf8)])
            let text = String(decoding: try connection.readReply(), as: UTF8.self)
            #expect(text.contains("\r\nblocked_clients:\(n)\r\n"), "INFO clients: \(text)")
        }
    }

    /// Runs script lines; `=N` waits until N clients are blocked on both servers.
    static func run(_ pair: DifferentialPair, _ script: String) throws {
        for raw in script.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("=info "), let n = Int(line.dropFirst(6)) {
                try expectInfoBlocked(pair, n)
            } else if line.hasPrefix("="), let n = Int(line.dropFirst()) {
                try waitBlocked(pair, n)
            } else {
                try pair.step(line)
            }
        }
    }

    static func check(_ script: String) async throws {
        try await Differential.with { pair in try run(pair, script) }
    }

    @Test func nonBlockingPathsAndErrors() async throws {
        try await Differential.check(#"""
            RPUSH a 1 2 3
            BLPOP a 0
            BRPOP a 0
            BLPOP missing a 0
            BRPOP missing a 1
            BLPOP a 0.5
            EXISTS a
            RPUSH src x y
            BLMOVE src dst LEFT RIGHT 0
            BRPOPLPUSH src dst 0
            LRANGE dst 0 -1
            EXISTS src
            RPUSH m 1 2 3 4
            BLMPOP 0 2 missing m LEFT COUNT 3
            BLMPOP 0 1 m RIGHT
            BLMPOP 0 1 m RIGHT COUNT 0
            BLPOP a -1
            BLPOP a abc
            BLPOP a inf
            BLPOP a nan
            BLPOP a 1e30
            BLPOP a " 1"
            BLPOP a ""
            BLPOP a 9223372036854775807
            BLPOP a -0.5
            BRPOP a -1
            BLMOVE a b LEFT RIGHT -1
            BLMOVE a b LEFT RIGHT x
            BLMOVE a b UP RIGHT x
            BLMOVE a b LEFT DOWN 0
            BRPOPLPUSH a b -1
            BRPOPLPUSH a b x
            BLMPOP -1 1 a LEFT
            BLMPOP x 1 a LEFT
            BLMPOP 0 0 a LEFT
            BLMPOP 0 x a LEFT
            BLMPOP 0 2 a LEFT
            BLMPOP 0 1 a MIDDLE
            BLMPOP 0 1 a LEFT COUNT 0
            BLMPOP 0 1 a LEFT COUNT 1 COUNT 1
            BLPOP
            BLPOP a
            BRPOP a
            BLMOVE a b LEFT RIGHT
            BRPOPLPUSH a b
            BLMPOP 0 1 a
            SET s str
            BLPOP s 0
            BRPOP missing s 0
            BLMOVE s d LEFT LEFT 0
            RPUSH l v
            BLMOVE l s LEFT LEFT 0
            BRPOPLPUSH s d 0
            BLMPOP 0 2 missing s LEFT
            LRANGE l 0 -1
            """#)
    }

    @Test func insideMultiAnswersAtOnce() async throws {
        try await Differential.check(#"""
            MULTI
            BLPOP q 0
            BRPOP q 0
            BLMOVE q d LEFT LEFT 0
            BRPOPLPUSH q d 0
            BLMPOP 0 1 q LEFT
            RPUSH q a b
            BLPOP q 0
            BLMOVE q d LEFT LEFT 0
            BLPOP q 0
            EXEC
            LRANGE d 0 -1
            """#)
    }

    @Test func fifoBetweenWaiters() async throws {
        try await Self.check(#"""
            =info 0
            @2 !noreply BLPOP q 0
            =1
            @3 !noreply BLPOP q 0
            =2
            =info 2
            RPUSH q a
            @2 <
            =1
            =info 1
            RPUSH q b
            @3 <
            =0
            EXISTS q
            @2 !noreply BRPOP q 0
            =1
            @3 !noreply BLPOP q 0
            =2
            LPUSH q a b c
            @2 <
            @3 <
            LRANGE q 0 -1
            """#)
    }

    @Test func multiKeyFirstReady() async throws {
        try await Self.check(#"""
            @2 !noreply BLPOP k1 k2 k3 0
            =1
            RPUSH k3 x
            @2 <
            @2 !noreply BRPOP k1 k2 0
            =1
            MULTI
            RPUSH k2 a b
            RPUSH k1 c
            EXEC
            @2 <
            LRANGE k1 0 -1
            LRANGE k2 0 -1
            @2 !noreply BLMPOP 0 2 m1 m2 LEFT COUNT 2
            =1
            RPUSH m2 1 2 3
            @2 <
            LRANGE m2 0 -1
            """#)
    }

    @Test func servedAfterExec() async throws {
        try await Self.check(#"""
            @2 !noreply BLPOP q 0
            =1
            MULTI
            RPUSH q a
            RPUSH q b
            LPOP q
            EXEC
            @2 <
            EXISTS q
            @2 !noreply BLPOP q 0
            =1
            MULTI
            RPUSH q a
            DEL q
            EXEC
            LPUSH q z
            @2 <
            """#)
    }

    @Test func moveChains() async throws {
        try await Self.check(#"""
            @2 !noreply BLMOVE a b LEFT RIGHT 0
            =1
            @3 !noreply BLPOP b 0
            =2
            RPUSH a x
            @2 <
            @3 <
            EXISTS a b
            @2 !noreply BRPOPLPUSH c d 0
            =1
            @3 !noreply BRPOPLPUSH d e 0
            =2
            @4 !noreply BLMPOP 0 1 e RIGHT COUNT 5
            =3
            LPUSH c 1 2
            @2 <
            @3 <
            @4 <
            LRANGE c 0 -1
            EXISTS d e
            # BLMOVE onto the list it waits on.
            @2 !noreply BLMOVE r r RIGHT LEFT 0
            =1
            RPUSH r 1
            @2 <
            LRANGE r 0 -1
            # The destination turned into a string while waiting: served with WRONGTYPE.
            @2 !noreply BLMOVE f s LEFT RIGHT 0
            =1
            SET s str
            RPUSH f v
            @2 <
            LRANGE f 0 -1
            """#)
    }

    @Test func timeouts() async throws {
        try await Self.check(#"""
            BLPOP q 0.05
            BLPOP q 0.0001
            BRPOP q 1e-300
            BRPOP q1 q2 0.02
            BLMOVE q d LEFT LEFT 0.01
            BRPOPLPUSH q d 0.01
            BLMPOP 0.03 1 q LEFT
            @2 ?HELLO 3
            @2 BLPOP q 0.01
            @2 BLMPOP 0.01 1 q RIGHT COUNT 2
            # A timed-out waiter leaves the queue: the next push goes to the other waiter.
            @3 !noreply BLPOP q 0
            =1
            @2 BLPOP q 0.02
            RPUSH q x
            @3 <
            """#)
    }

    @Test func keyspaceCommandsWakeWaiters() async throws {
        try await Self.check(#"""
            @2 !noreply BLPOP q 0
            =1
            RPUSH tmp a b
            RENAME tmp q
            @2 <
            LRANGE q 0 -1
            DEL q
            @2 !noreply BRPOP q 0
            =1
            RPUSH tmp c d
            COPY tmp q
            @2 <
            LRANGE q 0 -1
            DEL q
            @2 !noreply BLPOP q 0
            =1
            SELECT 1
            RPUSH q moved
            MOVE q 0
            @2 <
            SELECT 0
            EXISTS q
            @2 !noreply BLPOP q 0
            =1
            SELECT 1
            RPUSH q fromdb1 x
            SWAPDB 0 1
            @2 <
            SELECT 0
            LRANGE q 0 -1
            DEL q
            @2 !noreply BLPOP q 0
            =1
            SET q str
            RENAME q other
            RPUSH q ok
            @2 <
            """#)
    }

    @Test func otherDatabase() async throws {
        try await Self.check(#"""
            @2 SELECT 1
            @2 !noreply BLPOP q 0
            =1
            RPUSH q in0
            SELECT 1
            RPUSH q in1
            @2 <
            SELECT 0
            LRANGE q 0 -1
            """#)
    }

    @Test func pipelinedCommandsWaitForTheBlockedOne() async throws {
        try await Self.check(#"""
            @2 !noreply BLPOP q 0
            =1
            @2 !noreply RPUSH q mine
            @2 !noreply PING
            LLEN q
            RPUSH q a
            @2 <
            @2 <
            @2 <
            LRANGE q 0 -1
            """#)
    }

    @Test func disconnectedWaiterLeavesTheQueue() async throws {
        try await Differential.with { pair in
            var r: RawConnection? = try RawConnection(port: pair.redis.port)
            var o: RawConnection? = try RawConnection(port: pair.roost.port)
            let blpop = try DifferentialPair.arguments("BLPOP q 0")
            try r?.send(command: blpop)
            try o?.send(command: blpop)
            try Self.waitBlocked(pair, 1)
            try Self.run(pair, """
                @3 !noreply BLPOP q 0
                =2
                """)
            r = nil
            o = nil
            try Self.waitBlocked(pair, 1)
            try Self.run(pair, """
                RPUSH q a
                @3 <
                EXISTS q
                """)
        }
    }

    /// Sends `command` on both client `index` connections and returns the two replies.
    static func both(_ pair: DifferentialPair, _ index: Int, _ redis: String, _ roost: String) throws -> ([UInt8], [UInt8]) {
        let (r, o) = try pair.clients(index)
        try r.send(command: try DifferentialPair.arguments(redis))
        try o.send(command: try DifferentialPair.arguments(roost))
        return (try r.readReply(), try o.readReply())
    }

    static func integer(_ reply: [UInt8]) -> Int {
        Int(String(decoding: reply.dropFirst().prefix { $0 != 13 }, as: UTF8.self)) ?? -1
    }

    @Test func clientUnblock() async throws {
        try await Differential.with { pair in
            let (rid, oid) = try Self.both(pair, 2, "CLIENT ID", "CLIENT ID")
            let redisID = Self.integer(rid), roostID = Self.integer(oid)
            for reason in ["", " TIMEOUT", " ERROR", " timeout", " error"] {
                try Self.run(pair, """
                    @2 !noreply BRPOP q1 q2 0
                    =1
                    """)
                let (r, o) = try Self.both(pair, 1, "CLIENT UNBLOCK \(redisID)\(reason)", "CLIENT UNBLOCK \(roostID)\(reason)")
                #expect(r == o)
                #expect(r == Array(":1\r\n".utf8))
                try Self.run(pair, """
                    @2 <
                    =0
                    """)
            }
            // Not blocked any more, and a blocked BLMOVE / BLMPOP.
            let (r, o) = try Self.both(pair, 1, "CLIENT UNBLOCK \(redisID)", "CLIENT UNBLOCK \(roostID)")
            #expect(r == o)
            #expect(r == Array(":0\r\n".utf8))
            for command in ["BLMOVE a b LEFT LEFT 0", "BLMPOP 0 1 a LEFT"] {
                try Self.run(pair, """
                    @2 !noreply \(command)
                    =1
                    """)
                let (r, o) = try Self.both(pair, 1, "CLIENT UNBLOCK \(redisID) ERROR", "CLIENT UNBLOCK \(roostID) ERROR")
                #expect(r == o)
                try Self.run(pair, """
                    @2 <
                    @2 RPUSH a z
                    @2 LPOP a
                    """)
            }
            try Self.run(pair, """
                CLIENT UNBLOCK 999999
                CLIENT UNBLOCK 999999 TIMEOUT
                CLIENT UNBLOCK x
                CLIENT UNBLOCK x foo
                CLIENT UNBLOCK 1 foo
                CLIENT UNBLOCK 1 timeout x
                CLIENT unBLOCK 1 timeout x
                CLIENT UNBLOCK
                """)
        }
    }
}

/// Timeouts fire from the server's own timer, not only at the background cycle.
@Suite struct BlockingTimerTests {
    @Test func timeoutFiresOnTimeWithSlowBackgroundCycle() async throws {
        let server = try await RoostTestServer.start { $0.hz = 1 }
        let connection = try RawConnection(port: server.port)
        for _ in 0..<3 {
            let start = Date()
            try connection.send(command: try DifferentialPair.arguments("BLPOP q 0.05"))
            #expect(try connection.readReply() == Array("*-1\r\n".utf8))
            let elapsed = Date().timeIntervalSince(start)
            #expect(elapsed >= 0.05 && elapsed < 0.6, "timed out after \(elapsed)s")
        }
        try await server.stop()
    }
}
