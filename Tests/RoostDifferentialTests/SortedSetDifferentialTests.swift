import RoostTestSupport
import Testing

@Suite struct SortedSetDifferentialTests {
    @Test func zaddOptionsAndErrors() async throws {
        try await Differential.check(#"""
            ZADD z 1 a 2 b 3 c
            ZADD z 1 a
            ZADD z CH 5 a 2 b 9 d
            ZRANGE z 0 -1 WITHSCORES
            ZADD z NX 100 a 4 e
            ZADD z XX 100 a 4 f
            ZADD z XX CH 100 a 4 f
            ZSCORE z a
            ZSCORE z f
            ZADD z GT CH 50 a 200 b
            ZADD z LT CH 50 a 200 c 1 newlt
            ZRANGE z 0 -1 WITHSCORES
            ZADD z GT 1 brandnew
            ZADD z INCR 5 a
            ZADD z INCR -5 a
            ZADD z INCR NX 5 a
            ZADD z INCR XX 5 missing
            ZADD z INCR GT -1 a
            ZADD z INCR LT -1 a
            ZADD z INCR LT 1 a
            ZADD z incr ch 0 a
            ZADD z XX NX 1 a
            ZADD z NX XX 1 a
            ZADD z GT LT 1 a
            ZADD z GT NX 1 a
            ZADD z LT NX 1 a
            ZADD z INCR 1 a 2 b
            ZADD z 1
            ZADD z 1 a 2
            ZADD z NX
            ZADD z
            ZADD z abc a
            ZADD z nan a
            ZADD z 1 a nan b
            ZADD z " 1" a
            ZADD z "1 " a
            ZADD z "" a
            ZADD z 1e400 a
            ZADD z 1e-400 a
            ZADD z "1\x00" a
            ZADD z 0x10 hex
            ZADD z 1e-310 tiny
            ZSCORE z hex
            ZSCORE z tiny
            ZADD z inf pinf -inf ninf +inf pinf2
            ZADD z INCR -inf pinf
            ZADD z INCR +inf ninf
            ZADD z INCR inf pinf2
            ZSCORE z pinf2
            ZADD z Infinity big -INFINITY small
            ZRANGE z 0 -1 WITHSCORES
            ZADD z XX 1 a 2 b
            ZADD nokey XX 1 a
            ZADD nokey XX INCR 1 a
            EXISTS nokey
            ZADD nokey2 NX INCR 3 a
            ZINCRBY z 10 a
            ZINCRBY z 10 newmember
            ZINCRBY z x a
            ZINCRBY z nan a
            ZINCRBY z +inf pinf
            ZINCRBY z -inf pinf
            ZINCRBY z 1 a b
            ZINCRBY z 1
            ZINCRBY nz 2.5 m
            ZINCRBY nz 0.1 m
            ZINCRBY nz 0.2 m
            SET s v
            ZADD s 1 a
            ZINCRBY s 1 a
            ZADD s XX NX 1 a
            ZADD s x a
            GET s
            """#)
    }

    @Test func removalsAndReads() async throws {
        try await Differential.check(#"""
            ZADD z 1 a 2 b 3 c 4 d 5 "a\x00b\r\n\xff" 0 ""
            ZCARD z
            ZCARD missing
            ZSCORE z "a\x00b\r\n\xff"
            ZSCORE z ""
            ZSCORE z zz
            ZSCORE missing a
            ZMSCORE z a zz b ""
            ZMSCORE missing a b
            ZMSCORE z
            ZRANK z a
            ZRANK z "a\x00b\r\n\xff"
            ZRANK z zz
            ZRANK missing a
            ZREVRANK z a
            ZREVRANK z ""
            ZREVRANK z zz
            ZRANK z
            ZREM z a zz a
            ZREM z b c
            ZREM missing a
            ZREM z
            ZCARD z
            ZREM z d "a\x00b\r\n\xff" ""
            EXISTS z
            ZCARD z
            SET s v
            ZCARD s
            ZSCORE s a
            ZMSCORE s a
            ZRANK s a
            ZREVRANK s a
            ZREM s a
            ZCOUNT s 0 1
            ZLEXCOUNT s - +
            """#)
    }

    @Test func countsAndRangeBounds() async throws {
        try await Differential.check(#"""
            ZADD z 1 a 2 b 3 c 4 d 5 e -inf m +inf p
            ZCOUNT z -inf +inf
            ZCOUNT z 2 4
            ZCOUNT z (2 4
            ZCOUNT z 2 (4
            ZCOUNT z (2 (4
            ZCOUNT z (2 (2
            ZCOUNT z 2 2
            ZCOUNT z 4 2
            ZCOUNT z -inf -inf
            ZCOUNT z (-inf +inf
            ZCOUNT z inf inf
            ZCOUNT z "" 3
            ZCOUNT z ( 3
            ZCOUNT z " 2" 3
            ZCOUNT z "2\x00junk" 3
            ZCOUNT z 1e400 inf
            ZCOUNT z 0x2 3
            ZCOUNT z a 3
            ZCOUNT z 1 nan
            ZCOUNT z (nan 1
            ZCOUNT z [1 2
            ZCOUNT z "2 " 3
            ZCOUNT missing 0 1
            ZCOUNT missing x 1
            ZADD l 0 a 0 b 0 c 0 d 0 e 0 "a\x00"
            ZLEXCOUNT l - +
            ZLEXCOUNT l [b [d
            ZLEXCOUNT l (b [d
            ZLEXCOUNT l [b (d
            ZLEXCOUNT l (b (d
            ZLEXCOUNT l [a (b
            ZLEXCOUNT l + -
            ZLEXCOUNT l - -
            ZLEXCOUNT l + +
            ZLEXCOUNT l [d [b
            ZLEXCOUNT l [b [b
            ZLEXCOUNT l (b [b
            ZLEXCOUNT l [ +
            ZLEXCOUNT l ( +
            ZLEXCOUNT l "[a\x00" +
            ZLEXCOUNT l a +
            ZLEXCOUNT l [a b
            ZLEXCOUNT l -x +
            ZLEXCOUNT l - +x
            ZLEXCOUNT l "" +
            ZLEXCOUNT missing - +
            ZLEXCOUNT missing x +
            """#)
    }

    @Test func scoreFormattingResp2AndResp3() async throws {
        let script = #"""
            ZADD f 1 one 1.5 onehalf 0.1 tenth 1e300 big -0 negzero 3.0000000000000004 ulp inf pinf -inf ninf
            ZADD f 123456789012345678 long 0.30000000000000004 sum 1.7976931348623157e308 max 5e-324 denorm -2.5e-5 small
            ZADD f 100 hundred 1e15 e15 1e16 e16 1e17 e17 12345678901234567890 twenty 0.000001 micro 1e-7 tiny
            ZRANGE f 0 -1 WITHSCORES
            ZSCORE f negzero
            ZSCORE f ulp
            ZSCORE f pinf
            ZSCORE f ninf
            ZSCORE f e17
            ZMSCORE f one tenth missing pinf
            ZINCRBY f 0.2 tenth
            ZADD f INCR 1 ulp
            ZRANGEBYSCORE f -inf +inf WITHSCORES LIMIT 0 5
            ZREVRANGE f 0 3 WITHSCORES
            ZPOPMIN f
            ZPOPMAX f 2
            ZRANDMEMBER f 100 WITHSCORES
            ZUNION 1 f WITHSCORES
            ZSCAN f 0
            ZMPOP 1 f MIN COUNT 2
            ZRANGE f 0 1
            ZRANGE missing 0 -1 WITHSCORES
            ZPOPMIN missing
            ZPOPMIN f 0
            ZMPOP 1 missing MIN
            ZRANDMEMBER missing
            ZRANDMEMBER missing 3
            ZRANDMEMBER missing 3 WITHSCORES
            ZSCORE f missing
            ZINCRBY f 1 long
            ZADD nokey XX INCR 1 a
            ZADD f GT INCR -1 one
            ZMSCORE nokey a b
            ZADD w INCR -0 h
            ZSCORE w h
            ZINCRBY w -0 h
            ZADD w 5000000000000000000 g -4611686018427387904 g2 4611686018427387904 g3 -0.0 g4
            ZSCAN w 0
            ZRANGE w 0 -1 WITHSCORES
            CONFIG SET zset-max-listpack-entries 2
            ZADD sk -0 a 1e17 b 2.5 c 5e18 d inf e
            ZSCORE sk a
            ZADD sk INCR -0 f
            ZRANGE sk 0 -1 WITHSCORES
            ZSCAN sk 0 MATCH a COUNT 100
            ZSCAN sk 0 MATCH b COUNT 100
            ZSCAN sk 0 MATCH d COUNT 100
            ZSCAN sk 0 MATCH e COUNT 100
            ZSCAN sk 0 MATCH f COUNT 100
            ZUNIONSTORE back 1 sk
            ZRANGE back 0 -1 WITHSCORES
            """#
        try await Differential.check(script)
        try await Differential.check("?HELLO 3\n" + script)
    }

    @Test func rangesByRankScoreAndLex() async throws {
        try await Differential.check(#"""
            ZADD z 1 a 2 b 3 c 4 d 5 e 6 f
            ZRANGE z 0 -1
            ZRANGE z 0 -1 WITHSCORES
            ZRANGE z 2 3
            ZRANGE z -2 -1
            ZRANGE z -100 100
            ZRANGE z 3 2
            ZRANGE z 6 10
            ZRANGE z -1 -100
            ZRANGE z 0 -1 REV
            ZRANGE z 0 1 REV WITHSCORES
            ZRANGE z 1 -2 rev
            ZRANGE z 2 5 BYSCORE
            ZRANGE z (2 5 BYSCORE WITHSCORES
            ZRANGE z 5 2 BYSCORE REV
            ZRANGE z (5 (2 BYSCORE REV WITHSCORES
            ZRANGE z -inf +inf BYSCORE LIMIT 1 2
            ZRANGE z -inf +inf BYSCORE LIMIT 1 -1
            ZRANGE z -inf +inf BYSCORE LIMIT 1 0
            ZRANGE z -inf +inf BYSCORE LIMIT -1 2
            ZRANGE z -inf +inf BYSCORE LIMIT 6 2
            ZRANGE z -inf +inf BYSCORE LIMIT 5 2
            ZRANGE z +inf -inf BYSCORE REV LIMIT 1 2
            ZRANGE z +inf -inf BYSCORE REV LIMIT 4 10 WITHSCORES
            ZRANGE z 3 +inf BYSCORE LIMIT 2 10
            ZRANGE z [b [e BYLEX
            ZRANGE z [e [b BYLEX REV
            ZRANGE z - + BYLEX LIMIT 2 2
            ZRANGE z + - BYLEX REV LIMIT 1 3
            ZRANGE z - + BYLEX WITHSCORES
            ZRANGE z 0 -1 LIMIT 0 1
            ZRANGE z 0 -1 LIMIT 0 -1
            ZRANGE z 0 -1 BYSCORE BYLEX
            ZRANGE z 0 -1 BYLEX
            ZRANGE z 0 -1 REV REV
            ZRANGE z 0 -1 LIMIT 0
            ZRANGE z 0 -1 LIMIT x 1
            ZRANGE z 0 -1 BYSCORE LIMIT 0 x
            ZRANGE z a -1
            ZRANGE z 0 b
            ZRANGE z x y BYSCORE
            ZRANGE z x y BYLEX
            ZRANGE z 0 -1 foo
            ZRANGE z 0
            ZRANGEBYSCORE z 2 4
            ZRANGEBYSCORE z -inf +inf WITHSCORES
            ZRANGEBYSCORE z (1 (4 LIMIT 1 1
            ZRANGEBYSCORE z 4 2
            ZRANGEBYSCORE z 2 4 REV
            ZRANGEBYSCORE z 2 4 BYSCORE
            ZRANGEBYSCORE z 2 4 BYLEX
            ZRANGEBYSCORE z x 4
            ZRANGEBYSCORE z 2 4 LIMIT 0 1 WITHSCORES
            ZREVRANGEBYSCORE z 4 2
            ZREVRANGEBYSCORE z +inf -inf WITHSCORES LIMIT 1 2
            ZREVRANGEBYSCORE z (4 (2
            ZREVRANGEBYSCORE z 2 4
            ZREVRANGEBYSCORE z 4 2 REV
            ZRANGEBYLEX z [b [d
            ZRANGEBYLEX z - + LIMIT 1 2
            ZRANGEBYLEX z (b +
            ZRANGEBYLEX z b +
            ZRANGEBYLEX z - + WITHSCORES
            ZREVRANGEBYLEX z [d [b
            ZREVRANGEBYLEX z + - LIMIT 0 2
            ZREVRANGEBYLEX z [b [d
            ZREVRANGE z 0 1
            ZREVRANGE z 0 -1 WITHSCORES
            ZREVRANGE z 0 1 BYSCORE
            ZREVRANGE z 0 1 REV
            ZREVRANGE z 0 1 LIMIT 0 1
            ZRANGE missing 0 -1
            ZRANGEBYSCORE missing 0 1
            ZRANGEBYLEX missing - +
            ZRANGE missing x 1
            SET s v
            ZRANGE s 0 -1
            ZRANGEBYSCORE s 0 1
            ZRANGEBYLEX s - +
            ZREVRANGE s 0 1
            ZRANGE s 0 -1 LIMIT 0 1
            """#)
    }

    @Test func mixedScoresLexAndDuplicates() async throws {
        try await Differential.check(#"""
            ZADD m 1 b 2 a 3 c 0 e 5 d
            ZRANGEBYLEX m [a [c
            ZRANGEBYLEX m - +
            ZRANGEBYLEX m (b +
            ZREVRANGEBYLEX m [c [a
            ZLEXCOUNT m [a [c
            ZLEXCOUNT m (a (d
            ZREVRANGEBYLEX m [d [a
            ZREVRANGEBYLEX m + [b
            ZREVRANGEBYLEX m + - LIMIT 1 2
            ZRANGEBYLEX m - + LIMIT 1 2
            ZRANGEBYLEX m [a [d LIMIT 1 10
            ZRANGEBYLEX m [a [d LIMIT 3 10
            ZRANGE m [e [a BYLEX REV LIMIT 0 10
            ZRANGE m [d [a BYLEX REV LIMIT 1 10
            ZLEXCOUNT m [d +
            ZLEXCOUNT m - [a
            ZRANGEBYLEX m [d +
            ZRANGEBYLEX m - [a
            ZRANGEBYLEX m [a +
            ZREMRANGEBYLEX m [d +
            ZADD m2 1 a 2 z 3 b
            ZRANGEBYLEX m2 [b [b
            ZLEXCOUNT m2 [b [b
            ZREVRANGEBYLEX m2 [b [b
            ZREMRANGEBYLEX m2 [b [b
                        ZREMRANGEBYLEX m [b [c
            ZRANGE m 0 -1 WITHSCORES
            ZADD d 1 a 2 a 3 a
            ZSCORE d a
            ZADD d CH 5 b 6 b 6 a
            ZADD d NX CH 1 c 2 c
            ZADD d XX CH 9 c 10 c
            ZRANGE d 0 -1 WITHSCORES
            ZADD d GT CH 1 c 20 c 15 c
            ZADD d LT CH 30 c 5 c 7 c
            ZRANGE d 0 -1 WITHSCORES
            ZRANGE d (-inf (inf BYSCORE
            ZRANGE d (inf +inf BYSCORE
            ZRANGE d -inf (-inf BYSCORE
            ZRANGE d (5 (5 BYSCORE
            ZRANGE d [5 5 BYSCORE
            ZRANGE d 5 5 BYSCORE WITHSCORES
            ZRANGE d 0 -1 BYSCORE LIMIT 0 9223372036854775807
            ZRANGE d 0 +inf BYSCORE LIMIT 9223372036854775807 1
            ZRANGE d -9223372036854775808 9223372036854775807
            ZREMRANGEBYRANK d -9223372036854775808 0
            ZRANGE d 0 -1
            """#)
    }

    @Test func rangeStore() async throws {
        try await Differential.check(#"""
            ZADD src 1 a 2 b 3 c 4 d 5 e
            ZRANGESTORE dst src 0 2
            ZRANGE dst 0 -1 WITHSCORES
            OBJECT ENCODING dst
            ZRANGESTORE dst src 0 -1 REV
            ZRANGE dst 0 -1 WITHSCORES
            ZRANGESTORE dst src (1 4 BYSCORE LIMIT 1 2
            ZRANGE dst 0 -1 WITHSCORES
            ZRANGESTORE dst src [c + BYLEX
            ZRANGE dst 0 -1
            ZRANGESTORE dst src 5 1 BYSCORE REV
            ZRANGE dst 0 -1 WITHSCORES
            ZRANGESTORE dst src 10 20
            EXISTS dst
            ZRANGESTORE dst src 0 -1
            ZRANGESTORE dst missing 0 -1
            EXISTS dst
            ZRANGESTORE dst src 0 -1 WITHSCORES
            ZRANGESTORE dst src 0 -1 LIMIT 0 1
            ZRANGESTORE dst src x 1
            ZRANGESTORE dst src 0
            SET str v
            ZRANGESTORE dst str 0 -1
            ZRANGESTORE str src 0 1
            TYPE str
            ZRANGESTORE src src 1 2
            ZRANGE src 0 -1 WITHSCORES
            SET k v
            EXPIRE k 100
            ZRANGESTORE k src 0 -1
            TTL k
            """#)
    }

    @Test func removeRanges() async throws {
        try await Differential.check(#"""
            ZADD z 1 a 2 b 3 c 4 d 5 e 6 f 7 g
            ZREMRANGEBYRANK z 0 0
            ZREMRANGEBYRANK z -1 -1
            ZRANGE z 0 -1
            ZREMRANGEBYRANK z 3 1
            ZREMRANGEBYRANK z 10 20
            ZREMRANGEBYRANK z 1 2
            ZRANGE z 0 -1
            ZREMRANGEBYRANK z x 1
            ZREMRANGEBYRANK z 0 -100
            ZREMRANGEBYRANK z -100 0
            ZRANGE z 0 -1
            ZREMRANGEBYRANK z 0 -1
            EXISTS z
            ZADD z 1 a 2 b 3 c 4 d 5 e
            ZREMRANGEBYSCORE z (1 (3
            ZREMRANGEBYSCORE z 5 1
            ZREMRANGEBYSCORE z x 1
            ZREMRANGEBYSCORE z 4 +inf
            ZRANGE z 0 -1 WITHSCORES
            ZREMRANGEBYSCORE z -inf +inf
            EXISTS z
            ZADD l 0 a 0 b 0 c 0 d 0 e
            ZREMRANGEBYLEX l [b (d
            ZREMRANGEBYLEX l (d +
            ZREMRANGEBYLEX l x +
            ZREMRANGEBYLEX l + -
            ZRANGE l 0 -1
            ZREMRANGEBYLEX l - +
            EXISTS l
            ZREMRANGEBYLEX missing - +
            ZREMRANGEBYSCORE missing 0 1
            ZREMRANGEBYRANK missing 0 1
            ZREMRANGEBYRANK missing x 1
            SET s v
            ZREMRANGEBYLEX s - +
            ZREMRANGEBYSCORE s 0 1
            ZREMRANGEBYRANK s 0 1
            ZREMRANGEBYRANK z 0
            """#)
    }

    @Test func popsAndRandomMembers() async throws {
        try await Differential.check(#"""
            ZADD z 1 a 2 b 3 c 4 d 5 e
            ZPOPMIN z
            ZPOPMAX z
            ZPOPMIN z 2
            ZPOPMAX z 0
            ZPOPMIN z -1
            ZPOPMIN z x
            ZPOPMIN z 1 2
            ZPOPMAX z 10
            EXISTS z
            ZPOPMIN missing
            ZPOPMIN missing 2
            ZPOPMIN missing -1
            ZADD a 1 x 2 y 3 z
            ZADD b 10 p 20 q
            ZMPOP 2 missing a MIN
            ZMPOP 2 a b MAX COUNT 2
            ZMPOP 2 a b MAX COUNT 10
            ZMPOP 2 a b MIN
            ZMPOP 2 a b MIN COUNT 5
            ZMPOP 2 a b MIN
            ZMPOP 0 a MIN
            ZMPOP -1 a MIN
            ZMPOP x a MIN
            ZMPOP 2 a MIN
            ZMPOP 1 a
            ZMPOP 1 a LEFT
            ZMPOP 1 a MIN COUNT 0
            ZMPOP 1 a MIN COUNT -1
            ZMPOP 1 a MIN COUNT x
            ZMPOP 1 a MIN COUNT 1 COUNT 1
            ZMPOP 1 a MIN COUNT
            ZMPOP 1 a MIN foo
            SET s v
            ZPOPMIN s
            ZPOPMAX s 0
            ZMPOP 2 missing s MIN
            ZMPOP 2 s missing MIN
            ZADD r 1 a 2 b 3 c
            ZRANDMEMBER r 3
            ZRANDMEMBER r 10 WITHSCORES
            ZRANDMEMBER r 0
            ZRANDMEMBER r 0 WITHSCORES
            ?ZRANDMEMBER r
            ?ZRANDMEMBER r -5
            ?ZRANDMEMBER r -5 WITHSCORES
            ?ZRANDMEMBER r 2
            ?ZRANDMEMBER r 1 WITHSCORES
            ZRANDMEMBER r x
            ZRANDMEMBER r 1 foo
            ZRANDMEMBER r 1 WITHSCORES x
            ZRANDMEMBER r -9223372036854775808
            ZRANDMEMBER r 4611686018427387904 WITHSCORES
            ZRANDMEMBER r -4611686018427387904 WITHSCORES
            ZRANDMEMBER s
            ZRANDMEMBER s 1
            ZRANDMEMBER missing
            ZRANDMEMBER missing -3 WITHSCORES
            """#)
    }

    @Test func randomMemberCountsAreConsistent() async throws {
        try await Differential.with { pair in
            try pair.step("ZADD r 1 a 2 b 3 c 4 d 5 e 6 f 7 g 8 h 9 i 10 j")
            for _ in 0..<20 {
                let (redis, roost) = try pair.clients(1)
                for count in [2, 5, 9, -7] {
                    for (client, name) in [(redis, "redis"), (roost, "roost")] {
                        try client.send(command: ["ZRANDMEMBER", "r", String(count)].map { Array($0.utf8) })
                        let reply = try client.readReply()
                        let text = String(decoding: reply, as: UTF8.self)
                        let elements = text.split(separator: "\r\n").filter { !$0.hasPrefix("$") && !$0.hasPrefix("*") }
                        #expect(elements.count == abs(count), "\(name) ZRANDMEMBER \(count): \(text)")
                        if count > 0 { #expect(Set(elements).count == count, "\(name) repeated members: \(text)") }
                        #expect(elements.allSatisfy { $0.count == 1 && "abcdefghij".contains($0) })
                    }
                }
            }
        }
    }
}

@Suite struct SortedSetAlgebraDifferentialTests {
    @Test func unionInterDiff() async throws {
        try await Differential.check(#"""
            ZADD a 1 x 2 y 3 z
            ZADD b 10 y 20 z 30 w
            ZADD c 100 z 200 v
            ZUNION 2 a b
            ZUNION 2 a b WITHSCORES
            ZUNION 3 a b c WITHSCORES
            ZUNION 2 a b WEIGHTS 2 0.5 WITHSCORES
            ZUNION 2 a b AGGREGATE MIN WITHSCORES
            ZUNION 2 a b AGGREGATE MAX WITHSCORES
            ZUNION 2 a b aggregate sum weights 1 -1 withscores
            ZUNION 2 a missing WITHSCORES
            ZUNION 1 missing
            ZINTER 2 a b
            ZINTER 2 a b WITHSCORES
            ZINTER 3 a b c WITHSCORES
            ZINTER 2 a b WEIGHTS 0 3 AGGREGATE MAX WITHSCORES
            ZINTER 2 a b AGGREGATE MIN WITHSCORES
            ZINTER 2 a missing
            ZINTER 2 a a WITHSCORES
            ZDIFF 2 a b
            ZDIFF 2 a b WITHSCORES
            ZDIFF 3 b a c WITHSCORES
            ZDIFF 2 a a
            ZDIFF 1 a WITHSCORES
            ZDIFF 2 missing a
            ZDIFF 2 a missing WITHSCORES
            ZADD inf1 inf m -inf n
            ZADD inf2 -inf m inf n
            ZUNION 2 inf1 inf2 WITHSCORES
            ZINTER 2 inf1 inf2 WITHSCORES
            ZUNION 2 inf1 inf2 WEIGHTS 0 1 WITHSCORES
            ZINTER 2 inf1 inf2 WEIGHTS 0 0 AGGREGATE MIN WITHSCORES
            ZINTER 2 inf1 inf2 AGGREGATE MAX WITHSCORES
            ZADD big1 1e16 m
            ZADD one3 1 m 2 x 3 y
            ZADD neg2 -1e16 m 5 p
            ZUNION 3 big1 one3 neg2 WITHSCORES
            ZUNION 3 one3 neg2 big1 WITHSCORES
            ZINTER 3 big1 one3 neg2 WITHSCORES
            ZINTER 3 one3 big1 neg2 WITHSCORES
                        ZUNIONSTORE d 2 a b
            ZRANGE d 0 -1 WITHSCORES
            ZINTERSTORE d 2 a b WEIGHTS 2 3
            ZRANGE d 0 -1 WITHSCORES
            ZDIFFSTORE d 2 b a
            ZRANGE d 0 -1 WITHSCORES
            ZINTERSTORE d 2 a c
            ZRANGE d 0 -1 WITHSCORES
            ZINTERSTORE d 2 a missing
            EXISTS d
            ZDIFFSTORE d 2 a a
            ZUNIONSTORE d 1 missing
            ZUNIONSTORE a 2 a b
            ZRANGE a 0 -1 WITHSCORES
            ZUNIONSTORE d 2 a b WITHSCORES
            ZUNION 0 a
            ZUNION -1 a
            ZUNION x a
            ZUNION 3 a b
            ZUNIONSTORE d 0 a
            ZINTERSTORE d 3 a b
            ZDIFFSTORE d x a
            ZUNION 2 a b WEIGHTS 1
            ZUNION 2 a b WEIGHTS 1 x
            ZUNION 2 a b WEIGHTS 1 nan
            ZUNION 2 a b AGGREGATE
            ZUNION 2 a b AGGREGATE avg
            ZUNION 2 a b foo
            ZDIFF 2 a b WEIGHTS 1 1
            ZDIFF 2 a b AGGREGATE SUM
            ZINTERCARD 2 a b
            ZINTERCARD 2 a b LIMIT 1
            ZINTERCARD 2 a b LIMIT 0
            ZINTERCARD 3 a b c LIMIT 100
            ZINTERCARD 2 a missing
            ZINTERCARD 0 a
            ZINTERCARD 3 a b
            ZINTERCARD x a
            ZINTERCARD 1 a LIMIT -1
            ZINTERCARD 1 a LIMIT x
            ZINTERCARD 1 a LIMIT
            ZINTERCARD 1 a WITHSCORES
            ZINTERCARD 1 a WEIGHTS 1
            SET str v
            ZUNION 2 a str
            ZINTER 2 str a
            ZDIFF 2 a str
            ZUNIONSTORE d 2 a str
            ZINTERCARD 2 a str
            ZUNION 2 str a WEIGHTS x
            """#)
    }

    @Test func scan() async throws {
        try await Differential.check(#"""
            ZADD z 1 a 2 b 3 c 1.5 ab 0 "a\x00b"
            ZSCAN z 0
            ZSCAN z 0 COUNT 1
            ZSCAN z 0 MATCH a*
            ZSCAN z 0 MATCH nomatch
            ZSCAN z 12345 MATCH *b
            ZSCAN z 0 COUNT 0
            ZSCAN z 0 COUNT x
            ZSCAN z 0 MATCH
            ZSCAN z 0 TYPE zset
            ZSCAN z 0 foo bar
            ZSCAN z x
            ZSCAN z -1
            ZSCAN missing 0
            ZSCAN missing 0 COUNT 0
            ZSCAN missing x
            SET s v
            ZSCAN s 0
            ZSCAN s x
            ZSCAN z
            """#)
    }

    @Test func scanOfSkiplistVisitsEveryMember() async throws {
        try await Differential.with { pair in
            let members = (0..<300).map { "m\($0)" }
            try pair.step("ZADD z " + members.enumerated().map { "\($0.offset) \($0.element)" }.joined(separator: " "))
            try pair.step("OBJECT ENCODING z")
            let (_, roost) = try pair.clients(1)
            var cursor = "0"
            var seen: Set<String> = []
            repeat {
                try roost.send(command: [Array("ZSCAN".utf8), Array("z".utf8), Array(cursor.utf8), Array("COUNT".utf8), Array("7".utf8)])
                let parts = String(decoding: try roost.readReply(), as: UTF8.self).split(separator: "\r\n")
                cursor = String(parts[2])
                var i = 5
                while i < parts.count {
                    seen.insert(String(parts[i]))
                    i += 4
                }
            } while cursor != "0"
            #expect(seen == Set(members))
        }
    }
}

@Suite struct SortedSetEncodingDifferentialTests {
    @Test func encodingTransitions() async throws {
        let long = String(repeating: "x", count: 65)
        let limit = String(repeating: "y", count: 64)
        try await Differential.check(#"""
            ZADD z 1 a 2 b 3 c
            OBJECT ENCODING z
            CONFIG SET zset-max-listpack-entries 4
            ZADD z 4 d
            OBJECT ENCODING z
            ZADD z 5 e
            OBJECT ENCODING z
            ZREM z a b c d
            OBJECT ENCODING z
            ZRANGE z 0 -1 WITHSCORES
            ZADD y 1 a 1 a 1 a 1 a 1 a
            OBJECT ENCODING y
            ZADD y 1 \#(limit)
            OBJECT ENCODING y
            ZADD y 1 \#(long)
            OBJECT ENCODING y
            ZRANK y \#(long)
            ZREM y \#(long)
            OBJECT ENCODING y
            ZADD w 1 \#(long)
            OBJECT ENCODING w
            ZADD v 1 a 2 \#(long)
            OBJECT ENCODING v
            ZADD x 1 a 2 b 3 c 4 d 5 e 6 f
            OBJECT ENCODING x
            ZRANGESTORE d1 x 0 1
            OBJECT ENCODING d1
            ZRANGESTORE d2 x 0 -1
            OBJECT ENCODING d2
            ZRANGESTORE d3 x 1 5 BYSCORE
            OBJECT ENCODING d3
            ZRANGESTORE d4 x 1 2 BYSCORE
            OBJECT ENCODING d4
            ZRANGESTORE d5 w 0 -1
            OBJECT ENCODING d5
            ZUNIONSTORE u1 1 x
            OBJECT ENCODING u1
            ZINTERSTORE u2 2 x x
            OBJECT ENCODING u2
            ZRANGEBYSCORE x 2 4 LIMIT 1 1
            ZDIFFSTORE u3 2 x z
            OBJECT ENCODING u3
            ZUNIONSTORE u4 2 w y
            OBJECT ENCODING u4
            ZDIFFSTORE u5 2 v w
            OBJECT ENCODING u5
            ZADD s0 1 \#(long) 2 a 3 b 4 c 5 d
            ZADD s1 1 \#(long)
            ZDIFFSTORE d6 3 s0 s1 nokey
            OBJECT ENCODING d6
            ZDIFFSTORE d7 2 s0 s1
            OBJECT ENCODING d7
            ZDIFFSTORE d8 2 s1 s0
            EXISTS d8
            ZRANGE u5 0 -1
            ZPOPMIN x 3
            OBJECT ENCODING x
            ZREMRANGEBYRANK x 0 1
            OBJECT ENCODING x
            ZRANGE x 0 -1 WITHSCORES
            COPY x xc
            OBJECT ENCODING xc
            ZADD xc 9 q
            ZRANGE xc 0 -1 WITHSCORES
            ZRANGE x 0 -1 WITHSCORES
            CONFIG SET zset-max-listpack-entries 0
            ZADD e 1 a
            OBJECT ENCODING e
            ZUNIONSTORE e2 1 e
            OBJECT ENCODING e2
            CONFIG SET zset-max-listpack-entries 128
            CONFIG SET zset-max-listpack-value 2
            ZADD f 1 abc
            OBJECT ENCODING f
            ZADD g 1 ab 2 abc
            OBJECT ENCODING g
            ZINTERSTORE g2 1 g
            OBJECT ENCODING g2
            ZRANGESTORE g3 g 0 0
            OBJECT ENCODING g3
            """#)
    }

    @Test func skiplistCommandsMatch() async throws {
        try await Differential.check(#"""
            CONFIG SET zset-max-listpack-entries 3
            ZADD z 1 a 2 b 3 c 4 d 5 e 6 f 7 g 0 "a\x00b\r\n\xff"
            OBJECT ENCODING z
            ZRANGE z 0 -1 WITHSCORES
            ZRANGE z 2 4 REV
            ZRANGEBYSCORE z (2 6 LIMIT 1 3 WITHSCORES
            ZREVRANGEBYSCORE z 6 (2 LIMIT 1 3
            ZRANK z e
            ZREVRANK z e
            ZRANK z "a\x00b\r\n\xff"
            ZCOUNT z 2 5
            ZADD z 10 a
            ZRANK z a
            ZINCRBY z -20 a
            ZRANK z a
            ZADD z GT 5 b
            ZADD z LT 5 b
            ZSCORE z b
            ZREM z c
            ZMSCORE z a b c
            ZREMRANGEBYSCORE z 6 7
            ZREMRANGEBYRANK z 0 0
            ZRANGE z 0 -1 WITHSCORES
            ZPOPMAX z
            ZMPOP 1 z MIN COUNT 2
            ZCARD z
            ZADD lex 0 a 0 b 0 c 0 d 0 e 0 f
            ZRANGEBYLEX lex [b (e
            ZREVRANGEBYLEX lex (e [b LIMIT 1 5
            ZLEXCOUNT lex (a +
            ZREMRANGEBYLEX lex [c [d
            ZRANGE lex 0 -1
            ZRANDMEMBER lex 10
            ZRANDMEMBER lex 10 WITHSCORES
            ZRANDMEMBER lex 0
            ZINTER 2 lex lex WITHSCORES
            """#)
    }
}

@Suite struct SortedSetLargeDifferentialTests {
    @Test func hundredThousandMembers() async throws {
        try await Differential.with { pair in
            let pairs = (0..<100_000).map { "\(($0 * 7919) % 100_000 / 10) m\($0)" }.joined(separator: " ")
            // Debug builds on a shared machine can take a few seconds over the bulk steps.
            let (redis, roost) = try pair.clients(1)
            redis.setTimeout(120)
            roost.setTimeout(120)
            try pair.step("ZADD big " + pairs)
            for step in [
                "ZCARD big", "OBJECT ENCODING big",
                "ZRANK big m0", "ZRANK big m99999", "ZRANK big m50000", "ZREVRANK big m12345", "ZRANK big nope",
                "ZSCORE big m777", "ZRANGE big 0 9 WITHSCORES", "ZRANGE big 50000 50009", "ZRANGE big -5 -1 WITHSCORES",
                "ZRANGE big 0 4 REV WITHSCORES", "ZRANGE big 99990 100005",
                "ZRANGEBYSCORE big 5000 5000 WITHSCORES", "ZRANGEBYSCORE big (9990 +inf LIMIT 3 5",
                "ZREVRANGEBYSCORE big 2000 (1999 LIMIT 0 4", "ZRANGE big 4000 4001 BYSCORE REV LIMIT 10 5 WITHSCORES",
                "ZCOUNT big 100 200", "ZCOUNT big (100 (200", "ZCOUNT big -inf +inf", "ZLEXCOUNT big - +",
                "ZREMRANGEBYRANK big 0 999", "ZCARD big", "ZRANK big m50000", "ZRANGE big 0 2 WITHSCORES",
                "ZREMRANGEBYRANK big -1000 -1", "ZREMRANGEBYSCORE big 3000 3999", "ZCARD big",
                "ZRANGE big 25000 25004 WITHSCORES", "ZPOPMIN big 3", "ZPOPMAX big 3", "ZCOUNT big 0 5000",
                "ZINTERCARD 2 big big LIMIT 1000", "ZRANGESTORE part big 100 299", "OBJECT ENCODING part",
                "ZRANGESTORE part2 big 100 199", "OBJECT ENCODING part2", "ZUNIONSTORE u 2 part part2 WEIGHTS 1 2",
                "ZRANGE u 0 4 WITHSCORES", "OBJECT ENCODING u", "ZREMRANGEBYRANK big 0 -1", "EXISTS big",
            ] {
                try pair.step(step)
            }
        }
    }
}

@Suite struct SortedSetCommandInfoDifferentialTests {
    static let names = [
        "zadd", "zincrby", "zrem", "zscore", "zmscore", "zcard", "zcount", "zlexcount", "zrank", "zrevrank",
        "zrange", "zrangebyscore", "zrevrangebyscore", "zrangebylex", "zrevrangebylex", "zrevrange", "zrangestore",
        "zpopmin", "zpopmax", "zmpop", "zrandmember", "zremrangebyscore", "zremrangebyrank", "zremrangebylex",
        "zunion", "zinter", "zdiff", "zunionstore", "zinterstore", "zdiffstore", "zintercard", "zscan",
    ]

    @Test func commandInfoArityAndKeys() async throws {
        var script = Self.names.map { "COMMAND INFO \($0)" }
        script += Self.names.map { $0.uppercased() }
        script += [
            "ZADD", "ZRANGE z", "ZRANGE z 0", "ZPOPMIN", "ZMPOP 1", "ZUNION 1", "ZUNIONSTORE d 1", "ZSCAN z",
            "COMMAND GETKEYS ZUNIONSTORE dst 2 a b WEIGHTS 1 2",
            "COMMAND GETKEYS ZINTER 3 a b c",
            "COMMAND GETKEYS ZMPOP 2 a b MIN",
            "COMMAND GETKEYS ZRANGESTORE dst src 0 -1",
            "COMMAND GETKEYS ZADD k 1 a",
            "COMMAND GETKEYS ZINTERCARD 2 a b LIMIT 1",
        ]
        try await Differential.check(script.joined(separator: "\n"))
    }

    @Test func transactionsExpiryAndWatch() async throws {
        try await Differential.check(#"""
            ZADD z 1 a 2 b
            EXPIRE z 100
            ZADD z 3 c
            TTL z
            ZINCRBY z 1 a
            TTL z
            ZREM z a
            TTL z
            ZUNIONSTORE z 1 z
            TTL z
            PEXPIRE z 50
            !sleep 120
            ZCARD z
            EXISTS z
            ZADD w 1 a
            WATCH w
            @2 ZADD w 1 a
            MULTI
            ZCARD w
            EXEC
            WATCH w
            @2 ZADD w 2 a
            MULTI
            ZCARD w
            EXEC
            WATCH w
            @2 ZPOPMIN w
            MULTI
            ZCARD w
            EXEC
            MULTI
            ZADD m 1 a 2 b
            ZADD m XX NX 1 a
            ZRANGE m 0 -1 WITHSCORES
            ZPOPMAX m
            EXEC
            MULTI
            ZADD m
            EXEC
            """#)
    }
}

/// Seeded random command sequences over a few small keys, compared reply by reply, in both
/// encodings.
@Suite struct SortedSetRandomDifferentialTests {
    static func script(seed: UInt64, steps: Int) -> String {
        var g = SplitMix64(seed: seed)
        let keys = ["k1", "k2", "k3"]
        // Lexicographic ranges assume equal scores (Redis leaves them undefined otherwise), so
        // they run on keys whose members all score 0.
        let lexKeys = ["l1", "l2"]
        let members = ["a", "b", "c", "d", "e", "f", "g", "h", "\"x\\x00y\"", "\"\""]
        let scores = ["0", "1", "-1", "2.5", "1e3", "-inf", "+inf", "0.1", "3", "-2"]
        let bounds = ["-inf", "+inf", "0", "(0", "1", "(2.5", "3", "(-1", "1e3"]
        let lex = ["-", "+", "[a", "(b", "[d", "(g", "[h", "[\"\""]
        func pick(_ a: [String]) -> String { a[Int.random(in: 0..<a.count, using: &g)] }
        func int() -> String { String(Int.random(in: -6...6, using: &g)) }
        var lines: [String] = []
        for _ in 0..<steps {
            let k = pick(keys)
            let line: String
            switch Int.random(in: 0..<22, using: &g) {
            case 0, 1, 2: line = "ZADD \(k) \(pick(["", "CH", "NX", "XX", "GT", "LT", "GT CH", "XX LT"])) \(pick(scores)) \(pick(members)) \(pick(scores)) \(pick(members))"
            case 3: line = "ZINCRBY \(k) \(pick(scores)) \(pick(members))"
            case 4: line = "ZREM \(k) \(pick(members)) \(pick(members))"
            case 5: line = "ZRANGE \(k) \(int()) \(int()) \(pick(["", "REV", "WITHSCORES", "REV WITHSCORES"]))"
            case 6: line = "ZRANGE \(k) \(pick(bounds)) \(pick(bounds)) BYSCORE \(pick(["", "REV", "LIMIT 1 2", "REV LIMIT 0 1 WITHSCORES"]))"
            case 7:
                let l = pick(lexKeys)
                switch Int.random(in: 0..<4, using: &g) {
                case 0: line = "ZADD \(l) 0 \(pick(members)) 0 \(pick(members)) 0 \(pick(members))"
                case 1: line = "ZREMRANGEBYLEX \(l) \(pick(lex)) \(pick(lex))"
                case 2: line = "ZLEXCOUNT \(l) \(pick(lex)) \(pick(lex))"
                default: line = "ZRANGE \(l) \(pick(lex)) \(pick(lex)) BYLEX \(pick(["", "REV", "LIMIT 1 3", "REV LIMIT 0 2"]))"
                }
            case 8: line = "ZCOUNT \(k) \(pick(bounds)) \(pick(bounds))"
            case 9: line = "ZADD \(pick(lexKeys)) 0 \(pick(members)) 0 \(pick(members))"
            case 10: line = "ZRANK \(k) \(pick(members))"
            case 11: line = "ZREVRANK \(k) \(pick(members))"
            case 12: line = "ZMSCORE \(k) \(pick(members)) \(pick(members))"
            case 13: line = "ZPOPMIN \(k) \(pick(["", "1", "2"]))"
            case 14: line = "ZPOPMAX \(k) \(pick(["", "1", "3"]))"
            case 15: line = "ZMPOP 2 \(k) \(pick(keys)) \(pick(["MIN", "MAX"])) COUNT \(Int.random(in: 1...3, using: &g))"
            case 16: line = "ZREMRANGEBYRANK \(k) \(int()) \(int())"
            case 17: line = "ZREMRANGEBYSCORE \(k) \(pick(bounds)) \(pick(bounds))"
            case 18: line = "ZRANGE \(pick(lexKeys)) \(pick(lex)) \(pick(lex)) BYLEX \(pick(["", "REV", "LIMIT 1 3", "REV LIMIT 1 1"]))"
            case 19: line = "\(pick(["ZUNION", "ZINTER", "ZDIFF"])) 2 \(k) \(pick(keys)) WITHSCORES"
            case 20: line = "\(pick(["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"])) \(pick(keys)) 2 \(k) \(pick(keys))"
            default: line = "ZRANGESTORE \(pick(keys)) \(k) \(int()) \(int())"
            }
            lines.append(line)
            if Int.random(in: 0..<6, using: &g) == 0 { lines.append("ZCARD \(k)") }
        }
        for k in keys + lexKeys { lines += ["ZRANGE \(k) 0 -1 WITHSCORES", "OBJECT ENCODING \(k)"] }
        return lines.joined(separator: "\n")
    }

    @Test(arguments: [(UInt64(1), "128"), (UInt64(2), "3"), (UInt64(3), "5"), (UInt64(4), "0"), (UInt64(5), "2"), (UInt64(6), "128")])
    func randomSequences(seed: UInt64, maxEntries: String) async throws {
        try await Differential.check("CONFIG SET zset-max-listpack-entries \(maxEntries)\n" + Self.script(seed: seed, steps: 400))
    }

    @Test(arguments: [(UInt64(7), "4"), (UInt64(8), "128")])
    func randomSequencesInResp3(seed: UInt64, maxEntries: String) async throws {
        try await Differential.check(
            "?HELLO 3\nCONFIG SET zset-max-listpack-entries \(maxEntries)\n" + Self.script(seed: seed, steps: 300))
    }
}
