import NIOCore
import RoostRESP
import RoostTestSupport
import Testing

@Suite struct KeyDifferentialTests {
    @Test func delUnlinkExistsTypeTouch() async throws {
        try await Differential.check(#"""
            SET a 1
            SET b 2
            SET "a\x00b\r\n\xff" bin
            EXISTS a
            EXISTS a a a missing
            EXISTS missing
            EXISTS "a\x00b\r\n\xff"
            EXISTS ""
            SET "" empty
            EXISTS ""
            TYPE a
            TYPE missing
            TYPE "a\x00b\r\n\xff"
            TOUCH a b missing
            TOUCH missing
            DEL a a missing
            DEL a
            UNLINK b "a\x00b\r\n\xff" missing
            UNLINK b
            EXISTS a b
            DEL ""
            DEL
            UNLINK
            EXISTS
            TYPE
            TYPE a b
            TOUCH
            """#)
    }

    @Test func renameAndRenamenx() async throws {
        try await Differential.check(#"""
            SET src hello
            PEXPIRE src 100000
            RENAME src dst
            EXISTS src
            GET dst
            TTL dst
            RENAME missing x
            RENAMENX missing x
            RENAME dst dst
            RENAMENX dst dst
            RENAME missing missing
            SET other o
            RENAMENX dst other
            GET other
            RENAME dst other
            GET other
            TTL other
            SET plain p
            RENAME plain other
            TTL other
            RENAMENX other "n\x00\r\n\xff"
            GET "n\x00\r\n\xff"
            RENAME a
            RENAME a b c
            RENAMENX a
            """#)
    }

    @Test func copyCommand() async throws {
        try await Differential.check(#"""
            SET s 123
            EXPIRE s 1000
            COPY s d
            GET d
            TTL d
            COPY s d
            COPY s d REPLACE
            COPY s d replace
            COPY s s
            COPY missing missing
            COPY s s DB 0
            COPY s s DB 1
            SELECT 1
            GET s
            TTL s
            SELECT 0
            COPY missing x
            COPY s x DB
            COPY s x DB x
            COPY s x DB 16
            COPY s x DB -1
            COPY s x DB 99999999999
            COPY s x FOO
            COPY s x REPLACE DB 2 REPLACE
            SELECT 2
            GET x
            SELECT 0
            COPY s
            OBJECT ENCODING d
            """#)
    }

    @Test func moveCommand() async throws {
        try await Differential.check(#"""
            SET m v
            PEXPIRE m 50000
            MOVE m 0
            MOVE missing 0
            MOVE m 16
            MOVE m -1
            MOVE m x
            MOVE m 99999999999
            MOVE missing 1
            MOVE m 1
            EXISTS m
            SELECT 1
            GET m
            TTL m
            SET m2 here
            SELECT 0
            SET m2 there
            MOVE m2 1
            GET m2
            MOVE m
            """#)
    }

    @Test func expireOptionsAndErrors() async throws {
        try await Differential.check(#"""
            SET k v
            EXPIRE k 100 NX XX
            EXPIRE k 100 nx gt
            EXPIRE k 100 NX LT
            EXPIRE k 100 GT LT
            EXPIRE k 100 FOO
            EXPIRE k 100 "F\x00OO"
            EXPIRE k abc NX XX
            EXPIRE k abc FOO
            EXPIRE k abc
            EXPIRE k 1.5
            EXPIRE k ""
            EXPIRE k 100 XX
            EXPIRE k 100 GT
            EXPIRE k 100 LT
            TTL k
            EXPIRE k 50 GT
            EXPIRE k 200 GT
            TTL k
            EXPIRE k 300 LT
            EXPIRE k 150 LT
            TTL k
            EXPIRE k 10 NX
            EXPIRE k 10 XX
            TTL k
            PERSIST k
            PERSIST k
            TTL k
            EXPIRE k 100 NX
            EXPIRE k 100 nx
            EXPIRE missing 100
            EXPIRE missing 100 NX XX
            PERSIST missing
            EXPIRE k
            PERSIST
            """#)
    }

    @Test func expireOverflowAndHugeValues() async throws {
        try await Differential.check(#"""
            SET k v
            EXPIRE k 9223372036854775807
            EXPIRE k -9223372036854775808
            EXPIRE k 9223372036854775
            EXPIRE k 9223372036854776
            EXPIREAT k 9223372036854776
            PEXPIRE k 9223372036854775807
            PEXPIRE k 9223372036854775000
            EXPIRE missing 9223372036854775807
            EXPIRE k 9223372036854775808
            PEXPIREAT k 9223372036854775807
            # Time left depends on the millisecond each server reads its clock: compared by type.
            ?PTTL k
            EXPIRETIME k
            PEXPIRETIME k
            ?TTL k
            EXPIREAT k 4102444800
            EXPIRETIME k
            PEXPIRETIME k
            PEXPIREAT k 4102444800123
            EXPIRETIME k
            PEXPIRETIME k
            PEXPIREAT k 4102444800499
            EXPIRETIME k
            PEXPIREAT k 4102444800500
            EXPIRETIME k
            EXPIRETIME missing
            PEXPIRETIME missing
            SET p v
            EXPIRETIME p
            PEXPIRETIME p
            TTL p
            PTTL p
            TTL missing
            PTTL missing
            EXPIRETIME
            """#)
    }

    @Test func expireInThePastDeletes() async throws {
        try await Differential.check(#"""
            SET a v
            EXPIRE a -1
            EXISTS a
            SET a v
            EXPIRE a 0
            EXISTS a
            SET a v
            PEXPIRE a -9223372036854775808
            EXISTS a
            SET a v
            EXPIREAT a 1
            GET a
            SET a v
            PEXPIREAT a -5
            TTL a
            SET a v
            EXPIRE a -1 GT
            EXISTS a
            EXPIRE a -1 XX
            EXISTS a
            EXPIRE a -1 LT
            EXISTS a
            SET a v
            EXPIRE a -1 NX
            EXISTS a
            EXPIRE a -1
            """#)
    }

    @Test func expiryAfterTimePasses() async throws {
        try await Differential.check(#"""
            SET short v
            PEXPIRE short 100
            SET medium v
            PEXPIRE medium 1600
            SET "b\x00\r\n\xff" v
            PEXPIRE "b\x00\r\n\xff" 100
            !sleep 400
            TTL short
            PTTL short
            EXISTS short
            GET short
            TTL medium
            EXISTS "b\x00\r\n\xff"
            TYPE short
            DBSIZE
            KEYS *
            RENAME short x
            PERSIST short
            EXPIRE short 100
            !sleep 1400
            TTL medium
            EXISTS medium
            RANDOMKEY
            DBSIZE
            """#)
    }

    @Test func keysPatterns() async throws {
        try await Differential.check(#"""
            SET hello 1
            SET hallo 1
            SET hxllo 1
            SET hllo 1
            SET heeeello 1
            SET "a*b" 1
            SET "a?b" 1
            SET "[x]" 1
            SET "bin\x00\r\n\xff" 1
            SET "" 1
            SET aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1
            ~KEYS *
            ~KEYS h?llo
            ~KEYS h*llo
            ~KEYS h[ae]llo
            ~KEYS h[^e]llo
            ~KEYS h[a-e]llo
            ~KEYS h[e-a]llo
            ~KEYS a\*b
            ~KEYS a\?b
            ~KEYS a?b
            ~KEYS \[x]
            ~KEYS [\[]x*
            ~KEYS "bin\x00*"
            ~KEYS "*\xff"
            ~KEYS "*[\x80-\xff]"
            ~KEYS "[\xff-a]*"
            ~KEYS **
            ~KEYS ""
            ~KEYS nomatch*
            ~KEYS h[ab
            ~KEYS x\
            ~KEYS [^
            ~KEYS *a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b
            ~KEYS *a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a
            ~KEYS *a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a[^a]
            KEYS
            KEYS a b
            """#)
    }

    @Test func randomkeyDeterministicCases() async throws {
        try await Differential.check(#"""
            RANDOMKEY
            SET "only\x00one" v
            RANDOMKEY
            PEXPIRE "only\x00one" 50
            !sleep 200
            RANDOMKEY
            SET a v
            SET b v
            ?RANDOMKEY
            RANDOMKEY x
            """#)
    }

    @Test func scanArgumentsAndErrors() async throws {
        try await Differential.check(#"""
            SCAN x
            SCAN -
            SCAN " 1"
            SCAN 18446744073709551616
            SCAN 0x
            SCAN 0 COUNT 0
            SCAN 0 COUNT -1
            SCAN 0 COUNT x
            SCAN 0 COUNT
            SCAN 0 MATCH
            SCAN 0 TYPE
            SCAN 0 FOO bar
            SCAN 0
            SCAN ""
            SCAN +0
            SCAN 0 MATCH * COUNT 5 TYPE string
            SET k v
            SCAN 0
            SCAN 0 TYPE string
            SCAN 0 TYPE STRING
            SCAN 0 TYPE list
            SCAN 0 TYPE nosuch
            SCAN 0 MATCH k*
            SCAN 0 MATCH x*
            SCAN 0 COUNT 1000
            PEXPIRE k 50
            !sleep 200
            SCAN 0
            SCAN
            """#)
    }

    @Test func objectSubcommands() async throws {
        try await Differential.check(#"""
            SET int 123
            SET big 12345
            SET neg -1
            SET short hello
            SET long "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
            SET "b\x00\r\n\xff" x
            OBJECT ENCODING int
            OBJECT ENCODING big
            OBJECT ENCODING neg
            OBJECT ENCODING short
            OBJECT ENCODING long
            OBJECT ENCODING "b\x00\r\n\xff"
            OBJECT ENCODING missing
            OBJECT REFCOUNT int
            OBJECT REFCOUNT big
            OBJECT REFCOUNT neg
            OBJECT REFCOUNT short
            OBJECT REFCOUNT missing
            ?OBJECT IDLETIME short
            OBJECT IDLETIME missing
            OBJECT FREQ short
            OBJECT FREQ missing
            OBJECT HELP
            OBJECT help
            OBJECT
            OBJECT FOO
            OBJECT FOO bar
            OBJECT ENCODING
            OBJECT ENCODING a b
            OBJECT HELP extra
            OBJECT REFCOUNT
            """#)
    }

    @Test func objectIdletimeGrows() async throws {
        // Idle time counts whole-second clock ticks, and the two servers see each command a
        // few milliseconds apart, so either may have crossed a tick: replies are compared by
        // type, and each server's figure is checked against the time that really passed.
        try await Differential.with { pair in
            func expectIdle(_ range: ClosedRange<Int>, _ when: String) throws {
                let (redis, roost) = try pair.clients(2)
                for (name, connection) in [("redis", redis), ("roost", roost)] {
                    try connection.send(command: [Array("OBJECT".utf8), Array("IDLETIME".utf8), Array("k".utf8)])
                    let reply = String(decoding: try connection.readReply(), as: UTF8.self)
                    let seconds = Int(reply.dropFirst().dropLast()) ?? -1  // "\r\n" is one Character
                    #expect(range.contains(seconds), "\(name): OBJECT IDLETIME \(when) answered \(reply)")
                }
            }
            try pair.run(#"""
                SET k hello
                ?OBJECT IDLETIME k
                """#)
            try expectIdle(0...1, "right after SET")
            try pair.step("!sleep 2100")
            try pair.step("?OBJECT IDLETIME k")
            try expectIdle(2...10, "after 2.1 s")
            // TYPE, TTL and EXISTS leave the access time alone; GET resets it.
            try pair.run(#"""
                TYPE k
                TTL k
                EXISTS k
                """#)
            try expectIdle(2...10, "after TYPE, TTL and EXISTS")
            try pair.step("GET k")
            try expectIdle(0...1, "after GET")
        }
    }

    @Test func objectUnderAnLFUPolicy() async throws {
        try await Differential.check(#"""
            SET k hello
            OBJECT FREQ k
            OBJECT FREQ missing
            ?OBJECT IDLETIME k
            OBJECT IDLETIME missing
            OBJECT ENCODING k
            SET i 5
            OBJECT REFCOUNT i
            """#, redisArguments: ["--maxmemory-policy", "allkeys-lfu"], configure: { $0.maxMemoryPolicy = "allkeys-lfu" })
    }

    @Test func activeExpiryReclaimsUntouchedKeys() async throws {
        try await Differential.check(#"""
            SET k1 v
            SET k2 v
            SET k3 v
            SET k4 v
            SET k5 v
            SET k6 v
            SET k7 v
            SET k8 v
            SET keep v
            PEXPIRE k1 50
            PEXPIRE k2 50
            PEXPIRE k3 50
            PEXPIRE k4 50
            PEXPIRE k5 50
            PEXPIRE k6 50
            PEXPIRE k7 50
            PEXPIRE k8 50
            PEXPIRE keep 100000
            DBSIZE
            !sleep 1500
            DBSIZE
            ~KEYS *
            """#)
    }

    /// Iterates SCAN to completion on both servers and compares the sets of keys returned.
    @Test func scanIteratesEveryKey() async throws {
        try await Differential.with { pair in
            let (redis, roost) = try pair.clients(1)
            func both(_ args: [String]) throws {
                let bytes = args.map { Array($0.utf8) }
                try redis.send(command: bytes)
                try roost.send(command: bytes)
                _ = try redis.readReply()
                _ = try roost.readReply()
            }
            for i in 0..<300 { try both(["SET", "key:\(i)", "\(i)"]) }
            for i in 0..<50 { try both(["SET", "other:\(i)", "x"]) }
            try both(["SET", "", "empty"])
            for i in 0..<20 { try both(["PEXPIRE", "key:\(i)", "1"]) }
            try await Task.sleep(nanoseconds: 50_000_000)
            for options in [[], ["COUNT", "7"], ["MATCH", "key:1*"], ["MATCH", "other:*", "COUNT", "3"],
                             ["TYPE", "string"], ["TYPE", "hash"], ["MATCH", "**"], ["MATCH", "*"], ["MATCH", "nomatch*", "COUNT", "1000"]] {
                let a = try scanAll(redis, options)
                let b = try scanAll(roost, options)
                #expect(a == b, "SCAN \(options): redis \(a.count) keys, roost \(b.count)")
                #expect(!a.contains("key:1"))
            }
        }
    }

    func scanAll(_ connection: RawConnection, _ options: [String]) throws -> Set<String> {
        var keys = Set<String>()
        var cursor = "0"
        var rounds = 0
        repeat {
            try connection.send(command: (["SCAN", cursor] + options).map { Array($0.utf8) })
            var buffer = ByteBuffer(bytes: try connection.readReply())
            guard case .array(let parts?)? = try RESPValueParser().parse(&buffer), parts.count == 2,
                  case .bulkString(let next?) = parts[0], case .array(let items?) = parts[1]
            else {
                Issue.record("malformed SCAN reply")
                return keys
            }
            for case .bulkString(let key?) in items { keys.insert(String(decoding: key, as: UTF8.self)) }
            cursor = String(decoding: next, as: UTF8.self)
            rounds += 1
        } while cursor != "0" && rounds < 10_000
        return keys
    }
}
