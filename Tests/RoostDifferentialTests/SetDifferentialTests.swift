import Foundation
import RoostTestSupport
import Testing

/// The set family against real Redis 7.0. Sets in the `hashtable` encoding iterate in an order
/// of their own, so their replies compare sorted (`~`); `intset` replies compare exactly.
@Suite struct SetDifferentialTests {
    @Test func saddSremScardSismember() async throws {
        try await Differential.check(#"""
            SADD s 3 1 2
            SADD s 2 4 4 4
            SMEMBERS s
            OBJECT ENCODING s
            SCARD s
            SCARD missing
            SISMEMBER s 1
            SISMEMBER s 5
            SISMEMBER s x
            SISMEMBER missing 1
            SMISMEMBER s 1 5 2 x
            SMISMEMBER missing a b
            SREM s 1 9 x
            SREM s 1
            SMEMBERS s
            SREM missing a
            SREM s 2 3 4 5
            EXISTS s
            TYPE s
            SADD h a b c a
            OBJECT ENCODING h
            ~SMEMBERS h
            SREM h a zz
            ~SMEMBERS h
            SCARD h
            SADD h "" "a\x00b\r\n\xff"
            SISMEMBER h ""
            SISMEMBER h "a\x00b\r\n\xff"
            SISMEMBER h "a\x00b"
            ~SMEMBERS h
            SREM h "" "a\x00b\r\n\xff" b c
            EXISTS h
            SADD e ""
            OBJECT ENCODING e
            SMEMBERS e
            SADD neg -5 -1 0 -32768 32767 -9223372036854775808 9223372036854775807 65536 -2147483649
            SMEMBERS neg
            OBJECT ENCODING neg
            SISMEMBER neg -9223372036854775808
            SISMEMBER neg 9223372036854775808
            SISMEMBER neg 65536
            SREM neg 65536 -32768
            SMEMBERS neg
            """#)
    }

    @Test func arityAndWrongType() async throws {
        try await Differential.check(#"""
            SET str x
            SADD
            SADD s
            SREM s
            SMEMBERS
            SMEMBERS a b
            SISMEMBER s
            SISMEMBER s a b
            SMISMEMBER s
            SCARD
            SCARD a b
            SPOP
            SRANDMEMBER
            SMOVE a b
            SMOVE a b c d
            SINTER
            SINTERCARD 1
            SUNION
            SDIFF
            SINTERSTORE d
            SUNIONSTORE d
            SDIFFSTORE d
            SSCAN s
            SADD str a
            SREM str a
            SMEMBERS str
            SISMEMBER str a
            SMISMEMBER str a
            SCARD str
            SPOP str
            SPOP str 2
            SRANDMEMBER str
            SRANDMEMBER str 2
            SRANDMEMBER str -2
            SINTER str
            SUNION str
            SDIFF str
            SINTERCARD 1 str
            SSCAN str 0
            GET str
            """#)
    }

    @Test func encodingTransitions() async throws {
        try await Differential.check(#"""
            SADD s 1 2 3
            OBJECT ENCODING s
            SADD s a
            OBJECT ENCODING s
            SREM s a
            OBJECT ENCODING s
            ~SMEMBERS s
            SADD n01 01
            OBJECT ENCODING n01
            SADD nm0 -0
            OBJECT ENCODING nm0
            SMEMBERS nm0
            SADD nsp " 1"
            OBJECT ENCODING nsp
            SADD nplus +1
            OBJECT ENCODING nplus
            SADD big 9223372036854775808
            OBJECT ENCODING big
            SADD small -9223372036854775809
            OBJECT ENCODING small
            SADD ok 1 9223372036854775807 -9223372036854775808
            OBJECT ENCODING ok
            SMEMBERS ok
            SADD mix 5 3 01
            OBJECT ENCODING mix
            ~SMEMBERS mix
            SISMEMBER mix 1
            SISMEMBER mix 01
            CONFIG SET set-max-intset-entries 4
            SADD c 1 2 3 4
            OBJECT ENCODING c
            SADD c 4
            OBJECT ENCODING c
            SADD c 5
            OBJECT ENCODING c
            SREM c 5 4
            OBJECT ENCODING c
            ~SMEMBERS c
            SADD d 1 2 3 4 5
            OBJECT ENCODING d
            SINTERSTORE i1 c d
            OBJECT ENCODING i1
            SMEMBERS i1
            SUNIONSTORE u1 c d
            OBJECT ENCODING u1
            ~SMEMBERS u1
            SDIFFSTORE df d c
            OBJECT ENCODING df
            SMEMBERS df
            SADD x 1 2 3 4
            SADD y a 1 2 3 4
            SINTERSTORE i2 x y
            OBJECT ENCODING i2
            SMEMBERS i2
            CONFIG SET set-max-intset-entries 0
            SADD z 1
            OBJECT ENCODING z
            SUNIONSTORE u2 z
            OBJECT ENCODING u2
            CONFIG SET set-max-intset-entries 512
            SADD w 10 20
            SMOVE w newdst 10
            OBJECT ENCODING newdst
            SMOVE y newdst2 a
            OBJECT ENCODING newdst2
            """#)
    }

    @Test func smove() async throws {
        try await Differential.check(#"""
            SET str x
            SADD a 1 2 3
            SADD b 3 4
            SMOVE a b 1
            SMEMBERS a
            SMEMBERS b
            SMOVE a b 3
            SMEMBERS a
            SMEMBERS b
            SMOVE a b 9
            SMOVE missing b 1
            SMOVE missing str 1
            SMOVE a str 2
            SMOVE str a 2
            SMOVE a a 2
            SMOVE a a 9
            SMOVE str str 2
            SMOVE a c 2
            EXISTS a
            SMEMBERS c
            OBJECT ENCODING c
            SMOVE b c x
            SADD b x
            SMOVE b c x
            OBJECT ENCODING c
            ~SMEMBERS c
            ~SMEMBERS b
            EXPIRE b 100
            SMOVE b c 4
            TTL b
            SADD h "a\x00" ""
            SMOVE h h2 "a\x00"
            SMOVE h h2 ""
            ~SMEMBERS h2
            EXISTS h
            """#)
    }

    @Test func intersections() async throws {
        try await Differential.check(#"""
            SET str x
            SADD a 1 2 3 4 5
            SADD b 2 3 4 9
            SADD c 3 4 10 11 12 13
            SADD h 3 4 x y
            SINTER a b
            SINTER a b c
            SINTER c b a
            SINTER a
            SINTER a a
            SINTER a missing
            SINTER missing a
            SINTER missing str
            SINTER str missing
            SINTER a str
            ~SINTER a h
            ~SINTER h a
            ~SINTER h
            SINTER h missing
            SINTERSTORE d a b
            SMEMBERS d
            OBJECT ENCODING d
            SINTERSTORE d a h
            SMEMBERS d
            OBJECT ENCODING d
            SADD k1 x y z
            SINTERSTORE d h k1
            ~SMEMBERS d
            OBJECT ENCODING d
            SINTERSTORE d a missing
            EXISTS d
            SET d v
            SINTERSTORE d a b
            TYPE d
            SET d v
            SINTERSTORE d a missing
            EXISTS d
            SINTERSTORE d a str
            SINTERSTORE str a b
            TYPE str
            SET str x
            SADD d 1
            EXPIRE d 100
            SINTERSTORE d a c
            TTL d
            SINTERSTORE a a b
            SMEMBERS a
            SINTERSTORE a a k1
            EXISTS a
            SINTERCARD 1 b
            SINTERCARD 2 b c
            SINTERCARD 2 b c LIMIT 0
            SINTERCARD 2 b c LIMIT 1
            SINTERCARD 2 b c LIMIT 2
            SINTERCARD 2 b c LIMIT 3
            SINTERCARD 2 b c limit 1 LIMIT 0
            SINTERCARD 2 b missing
            SINTERCARD 2 missing str
            SINTERCARD 2 b h
            SINTERCARD 0 b
            SINTERCARD -1 b
            SINTERCARD x b
            SINTERCARD 9223372036854775808 b
            SINTERCARD 3 b c
            SINTERCARD 2 b c LIMIT
            SINTERCARD 2 b c LIMIT -1
            SINTERCARD 2 b c LIMIT x
            SINTERCARD 2 b c FOO
            SINTERCARD 1 b c
            SINTERCARD 1 str LIMIT -1
            """#)
    }

    @Test func unionsAndDifferences() async throws {
        try await Differential.check(#"""
            SET str x
            SADD a 1 2 3 4 5
            SADD b 2 3 4 9
            SADD h 3 4 x y
            SUNION a b
            SUNION b a missing
            SUNION missing
            SUNION missing str
            SUNION a str
            ~SUNION a h
            ~SUNION h
            SDIFF a b
            SDIFF b a
            SDIFF a missing
            SDIFF missing a
            SDIFF missing str
            SDIFF a a
            SDIFF a b h
            ~SDIFF h a
            SDIFF h h
            SDIFF a str
            SUNIONSTORE d a b
            SMEMBERS d
            OBJECT ENCODING d
            SUNIONSTORE d a h
            ~SMEMBERS d
            OBJECT ENCODING d
            SUNIONSTORE d missing
            EXISTS d
            SUNIONSTORE d a str
            SDIFFSTORE d a b
            SMEMBERS d
            OBJECT ENCODING d
            SDIFFSTORE d h a
            ~SMEMBERS d
            OBJECT ENCODING d
            SDIFFSTORE d h x
            OBJECT ENCODING d
            SDIFFSTORE d a a
            EXISTS d
            SET d v
            SDIFFSTORE d missing a
            EXISTS d
            SET d v
            EXPIRE d 100
            SUNIONSTORE d a
            TTL d
            TYPE d
            SDIFFSTORE d str
            SDIFFSTORE str a
            TYPE str
            SUNIONSTORE a a b
            SMEMBERS a
            SDIFFSTORE a a b
            SMEMBERS a
            SADD bin "a\x00b\r\n\xff" "" 7
            ~SUNION bin a
            ~SDIFF bin a
            SINTER bin a
            SADD a 7
            SINTER bin a
            """#)
    }

    @Test func spopAndSrandmember() async throws {
        try await Differential.check(#"""
            SET str x
            SADD s 1 2 3
            ?SPOP s
            SCARD s
            SPOP missing
            SPOP missing 3
            SPOP s 0
            SPOP s -1
            SPOP s x
            SPOP s 1 2
            SPOP str 0
            SPOP str -1
            SPOP missing -1
            SADD t 5 6 7
            SPOP t 3
            EXISTS t
            SADD t 5 6 7
            SPOP t 100
            EXISTS t
            SADD t a b
            ~SPOP t 2
            EXISTS t
            SADD u 1
            SPOP u
            EXISTS u
            SADD r 1 2 3
            SRANDMEMBER r 0
            SRANDMEMBER r 3
            SRANDMEMBER r 4
            SRANDMEMBER r 9223372036854775807
            SRANDMEMBER r -9223372036854775808
            SRANDMEMBER r -9223372036854775809
            SRANDMEMBER r x
            SRANDMEMBER r 1 2
            ?SRANDMEMBER r
            ?SRANDMEMBER r 2
            ?SRANDMEMBER r -5
            SRANDMEMBER missing
            SRANDMEMBER missing 3
            SRANDMEMBER missing -3
            SRANDMEMBER missing 0
            SRANDMEMBER missing x
            SRANDMEMBER str x
            SRANDMEMBER str 0
            SADD one "a\x00"
            SRANDMEMBER one
            SRANDMEMBER one -3
            SRANDMEMBER one 1
            SPOP one 1
            EXISTS one
            SADD hh a b c
            ~SRANDMEMBER hh 3
            ~SRANDMEMBER hh 10
            SCARD hh
            SADD i1 5
            SRANDMEMBER i1 -2
            """#)
    }

    @Test func resp3Replies() async throws {
        try await Differential.check(#"""
            ?HELLO 3
            SADD s 1 2 3
            SMEMBERS s
            SMEMBERS missing
            SINTER s
            SINTER s missing
            SUNION s
            SDIFF s missing
            SPOP s 0
            SPOP missing 2
            SPOP missing
            SRANDMEMBER missing
            SRANDMEMBER s 0
            SRANDMEMBER s 5
            SRANDMEMBER missing 2
            SMISMEMBER s 1 9
            SINTERCARD 1 s
            SSCAN s 0
            SSCAN missing 0
            SADD one z
            SRANDMEMBER one -2
            SPOP one 1
            SADD two x y
            ~SPOP two 5
            """#)
    }

    @Test func sscan() async throws {
        try await Differential.check(#"""
            SET str x
            SADD s 5 10 15 20 100
            SSCAN s 0
            SSCAN s 123
            SSCAN s 0 COUNT 1
            SSCAN s 0 MATCH 1*
            SSCAN s 0 match *0 count 1000
            SSCAN s 0 MATCH *
            SSCAN s 0 MATCH nomatch
            SSCAN s abc
            SSCAN s -1
            SSCAN s 18446744073709551616
            SSCAN s 0 COUNT 0
            SSCAN s 0 COUNT -1
            SSCAN s 0 COUNT x
            SSCAN s 0 TYPE set
            SSCAN s 0 MATCH
            SSCAN s 0 FOO bar
            SSCAN missing 0
            SSCAN missing 0 COUNT 0
            SSCAN missing 0 TYPE set
            SSCAN missing x
            SSCAN str 0
            SSCAN str x
            SADD h a b c "a\x00b"
            SSCAN h 0 MATCH a COUNT 100
            SSCAN h 0 MATCH "a\x00*" COUNT 100
            SSCAN h 0 MATCH zz* COUNT 100
            SSCAN h 0 COUNT 0
            SSCAN h 0 TYPE set
            """#)
    }

    @Test func expiryAndKeyspace() async throws {
        try await Differential.check(#"""
            SADD s 1 2
            PEXPIRE s 50
            SCARD s
            !sleep 120
            SCARD s
            SMEMBERS s
            SADD s 3
            TTL s
            SADD t a
            EXPIRE t 100
            SADD t b
            TTL t
            SREM t a
            TTL t
            COPY t t2
            OBJECT ENCODING t2
            ~SMEMBERS t2
            SADD i 1 2
            COPY i i2
            SADD i2 x
            SMEMBERS i
            OBJECT ENCODING i
            RENAME i i3
            SMEMBERS i3
            TYPE i3
            MULTI
            SADD m 1
            SCARD m
            SPOP m 5
            EXEC
            """#)
    }

    @Test func watchAndTTLAcrossWrites() async throws {
        try await Differential.check(#"""
            SADD s 1 2 3
            WATCH s
            SADD s 1 2
            SREM s 9
            SMOVE s s 1
            SMOVE s other 9
            MULTI
            SCARD s
            EXEC
            WATCH s
            @2 SADD s 4
            MULTI
            SCARD s
            EXEC
            WATCH d
            SINTERSTORE d s missing
            MULTI
            EXISTS d
            EXEC
            WATCH s
            @2 SPOP s 0
            @2 SREM s x
            MULTI
            SCARD s
            EXEC
            WATCH s
            @2 SMOVE s t 4
            MULTI
            SCARD s
            EXEC
            SADD e 1 2 3 4 5 6 7 8 9 10
            EXPIRE e 100
            ?SPOP e 9
            TTL e
            SCARD e
            OBJECT ENCODING e
            SADD f 1 2 3 4 5 6 7 8 9 10
            EXPIRE f 100
            ?SPOP f 2
            TTL f
            SCARD f
            ?SPOP f 9223372036854775807
            EXISTS f
            SADD g a b c d e f g h i j
            EXPIRE g 100
            ?SPOP g 9
            TTL g
            OBJECT ENCODING g
            SCARD g
            SADD x 1
            PEXPIRE x 20
            SADD y 2
            !sleep 60
            SMOVE y x 2
            TTL x
            SMEMBERS x
            SUNIONSTORE x y
            SINTERSTORE z x
            EXISTS z
            """#)
    }

    @Test func largeSets() async throws {
        try await Differential.with { pair in
            let (redis, roost) = try pair.clients(1)
            func load(_ args: [String]) throws {
                let bytes = args.map { Array($0.utf8) }
                try redis.send(command: bytes)
                try roost.send(command: bytes)
                _ = try redis.readReply()
                _ = try roost.readReply()
            }
            // 100,000 integers in batches, another set of strings and one of mixed members.
            for batch in 0..<100 {
                try load(["SADD", "big"] + (0..<1000).map { String(batch * 1000 + $0) })
                try load(["SADD", "strs"] + (0..<500).map { "m:\(batch * 500 + $0)" })
            }
            try load(["SADD", "odd"] + stride(from: 1, to: 200_000, by: 2).map(String.init))
            try load(["SADD", "small"] + (0..<400).map { String($0 * 3) })
            try pair.run(#"""
                SCARD big
                SCARD strs
                SCARD odd
                OBJECT ENCODING big
                OBJECT ENCODING small
                SISMEMBER big 99999
                SISMEMBER big 100000
                SISMEMBER big 0
                SISMEMBER strs m:49999
                SISMEMBER strs m:50000
                SMISMEMBER odd 1 2 199999 200001
                SINTERCARD 2 big odd
                SINTERCARD 2 big odd LIMIT 100
                SINTERCARD 3 big odd small
                SINTERCARD 2 big strs
                SINTERSTORE i big odd
                SCARD i
                OBJECT ENCODING i
                SINTERSTORE i2 small big
                OBJECT ENCODING i2
                SINTER small odd
                SUNIONSTORE u big odd strs
                SCARD u
                SDIFFSTORE d big odd
                SCARD d
                SISMEMBER d 2
                SISMEMBER d 3
                SDIFFSTORE d2 odd big
                SCARD d2
                SDIFFSTORE d3 small big
                EXISTS d3
                SDIFF small big
                SINTERCARD 2 u d
                SREM big 0 1 2 3
                SCARD big
                SPOP big 0
                SRANDMEMBER big 0
                """#)
            // SSCAN over 100,000 members returns each one at least once.
            func scanAll(_ connection: RawConnection, _ key: String, _ options: [String]) throws -> Set<String> {
                var seen = Set<String>()
                var cursor = "0"
                repeat {
                    try connection.send(command: (["SSCAN", key, cursor] + options).map { Array($0.utf8) })
                    let reply = try connection.readReply()
                    let parsed = Self.scanReply(reply)
                    cursor = parsed.cursor
                    seen.formUnion(parsed.members)
                } while cursor != "0"
                return seen
            }
            for (key, options) in [("big", ["COUNT", "1000"]), ("strs", []), ("strs", ["MATCH", "m:1*", "COUNT", "50"]),
                                   ("small", ["MATCH", "*5"])] {
                let a = try scanAll(redis, key, options)
                let b = try scanAll(roost, key, options)
                #expect(a == b, "SSCAN \(key) \(options): redis \(a.count) members, roost \(b.count)")
                #expect(!a.isEmpty)
            }
        }
    }

    /// The cursor and members of one SSCAN reply.
    static func scanReply(_ reply: [UInt8]) -> (cursor: String, members: [String]) {
        let text = String(decoding: reply, as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        // *2, $n, cursor, *m, then $len/member pairs.
        guard lines.count >= 4, lines[0] == "*2" else {
            Issue.record("bad SSCAN reply \(text)")
            return ("0", [])
        }
        var members: [String] = []
        var i = 4
        while i + 1 < lines.count, lines[i].hasPrefix("$") {
            members.append(lines[i + 1])
            i += 2
        }
        return (lines[2], members)
    }

    @Test func randomCommandProperties() async throws {
        try await Differential.with { pair in
            let (redis, roost) = try pair.clients(1)
            for (name, connection) in [("redis", redis), ("roost", roost)] {
                func call(_ args: [String]) throws -> [String] {
                    try connection.send(command: args.map { Array($0.utf8) })
                    let text = String(decoding: try connection.readReply(), as: UTF8.self)
                    return text.components(separatedBy: "\r\n").filter { !$0.isEmpty && !$0.hasPrefix("$") && !$0.hasPrefix("*") }
                }
                let all = (1...20).map { "m\($0)" }
                _ = try call(["SADD", "r"] + all)
                let ints = (1...50).map(String.init)
                _ = try call(["SADD", "ri"] + ints)
                for key in ["r", "ri"] {
                    let members = Set(key == "r" ? all : ints)
                    for count in [1, 5, 7, 15, 19] {
                        let got = try call(["SRANDMEMBER", key, String(count)])
                        #expect(got.count == count, "\(name): SRANDMEMBER \(key) \(count) gave \(got.count)")
                        #expect(Set(got).count == got.count, "\(name): SRANDMEMBER \(key) \(count) repeated a member")
                        #expect(Set(got).isSubset(of: members), "\(name): SRANDMEMBER \(key) \(count) invented a member")
                    }
                    let negative = try call(["SRANDMEMBER", key, "-100"])
                    #expect(negative.count == 100 && Set(negative).isSubset(of: members), "\(name): SRANDMEMBER -100")
                }
                // SPOP with small and large counts (both of Redis's strategies), then the rest.
                var left = Set(all)
                for count in [2, 3, 13] {
                    let popped = try call(["SPOP", "r", String(count)])
                    #expect(popped.count == count && Set(popped).count == count, "\(name): SPOP r \(count)")
                    #expect(Set(popped).isSubset(of: left), "\(name): SPOP r \(count) popped a missing member")
                    left.subtract(popped)
                    let rest = try call(["SMEMBERS", "r"])
                    #expect(Set(rest) == left, "\(name): SMEMBERS after SPOP")
                }
                let last = try call(["SPOP", "r"])
                #expect(last.count == 1 && left.contains(last[0]), "\(name): SPOP r")
                left.subtract(last)
                #expect(try call(["SPOP", "r", "10"]).sorted() == left.sorted(), "\(name): SPOP of the whole rest")
                #expect(try call(["EXISTS", "r"]) == [":0"], "\(name): emptied set deleted")
                // An intset that grew past the limit comes back as an intset when SPOP rebuilds it.
                _ = try call(["CONFIG", "SET", "set-max-intset-entries", "10"])
                _ = try call(["SADD", "grow"] + (1...30).map(String.init))
                #expect(try call(["OBJECT", "ENCODING", "grow"]) == ["hashtable"], "\(name)")
                let many = try call(["SPOP", "grow", "27"])
                #expect(many.count == 27 && Set(many).count == 27, "\(name): SPOP grow 27")
                #expect(try call(["OBJECT", "ENCODING", "grow"]) == ["intset"], "\(name): SPOP rebuild encoding")
                #expect(try call(["SCARD", "grow"]) == [":3"], "\(name)")
                let rest = try call(["SMEMBERS", "grow"])
                #expect(rest.compactMap(Int.init) == rest.compactMap(Int.init).sorted() && rest.count == 3, "\(name): intset order")
                #expect(Set(rest).isDisjoint(with: many), "\(name): popped members stayed")
                _ = try call(["CONFIG", "SET", "set-max-intset-entries", "512"])
            }
        }
    }
}

@Suite struct SetCommandTableDifferentialTests {
    @Test func commandInfoAndKeys() async throws {
        try await Differential.check(#"""
            COMMAND INFO sadd srem smembers sismember smismember scard
            COMMAND INFO spop srandmember smove sscan
            COMMAND INFO sinter sintercard sunion sdiff
            COMMAND INFO sinterstore sunionstore sdiffstore
            COMMAND GETKEYS SINTERCARD 2 a b LIMIT 1
            COMMAND GETKEYS SINTERSTORE d a b
            COMMAND GETKEYS SMOVE a b m
            COMMAND GETKEYS SSCAN k 0
            """#)
    }
}
