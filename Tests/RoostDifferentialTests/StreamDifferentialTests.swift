import RoostTestSupport
import Testing

/// Stream commands against real redis-server, raw bytes compared, errors included. Ids are given
/// explicitly where the reply shows them; generated ids and times are compared by reply type.
@Suite struct StreamDifferentialTests {
    @Test func addRangeAndErrors() async throws {
        for hello in ["HELLO 2", "HELLO 3"] {
            try await Differential.check(#"""
                ?\#(hello)
                XADD s 1-1 a 1 b 2
                XADD s 1-2 a 3 b 4
                XADD s 1-* a 5
                XADD s 2 c 6 d 7 e 8
                XADD s 2-* a 9 b 10
                XADD s 5-0 a 1
                XADD s 5-0 a 1
                XADD s 4-9 a 1
                XADD s 0-0 a 1
                XADD s 0 a 1
                XADD s
                XADD s *
                XADD s * f
                XADD s * f v g
                XADD s foo f v
                XADD s 1-x f v
                XADD s -1 f v
                XADD s 99999999999999999999-1 f v
                XADD s MAXLEN -1 * f v
                XADD s MAXLEN abc * f v
                XADD s MAXLEN 1 MINID 1 * f v
                XADD s MAXLEN ~ 1 MAXLEN 2 * f v
                XADD s LIMIT 10 * f v
                XADD s MAXLEN 1 LIMIT 10 * f v
                XADD s MAXLEN ~ 1 LIMIT -1 * f v
                XADD s MINID abc * f v
                XADD s MINID = - * f v
                XADD s NOMKSTREAM
                XADD nokey NOMKSTREAM * f v
                EXISTS nokey
                XLEN s
                XLEN nokey
                XLEN s x
                TYPE s
                OBJECT ENCODING s
                XRANGE s - +
                XRANGE s - + COUNT 2
                XRANGE s - + COUNT 0
                XRANGE s - + COUNT -1
                XRANGE nokey - + COUNT 0
                XRANGE s (1-1 +
                XRANGE s 1 1
                XRANGE s 1-2 (5
                XRANGE s (1 +
                XRANGE s ( +
                XRANGE s (- +
                XRANGE s - (+
                XRANGE s (18446744073709551615-18446744073709551615 +
                XRANGE s - (0-0
                XRANGE s abc +
                XRANGE s - + COUNT
                XRANGE s - + FOO 1
                XRANGE s 5 1
                XREVRANGE s + -
                XREVRANGE s + - COUNT 3
                XREVRANGE s (5 (1-1
                XREVRANGE s 2 2
                XREVRANGE nokey + -
                SET str x
                XADD str * f v
                XRANGE str - +
                XLEN str
                XADD big 18446744073709551615-18446744073709551615 f v
                XADD big * f v
                XADD big 18446744073709551615-* f v
                ?XADD auto * f v
                ?XADD auto 7-* f v
                XLEN auto
                """#)
        }
    }

    @Test func deleteTrimAndSetID() async throws {
        try await Differential.check(#"""
            XADD s 1-1 a 1
            XADD s 1-2 a 2
            XADD s 1-3 a 3
            XADD s 2-1 a 4
            XADD s 3-1 a 5
            XDEL s 1-2 9-9
            XDEL s 1-2
            XDEL s abc
            XDEL nokey abc
            XDEL s 1-1
            XINFO STREAM s
            XRANGE s - +
            XTRIM s
            XTRIM s LIMIT 1
            XTRIM s MAXLEN 1 foo
            XTRIM s NOMKSTREAM MAXLEN 1
            XTRIM s MAXLEN 1 * f
            XTRIM s MINID 1 LIMIT 0
            XTRIM s MAXLEN ~ 1 LIMIT 2000000
            XTRIM nokey MAXLEN 0
            XTRIM s MAXLEN 2
            XRANGE s - +
            XTRIM s MINID 3
            XRANGE s - +
            XINFO STREAM s
            XTRIM s MAXLEN 0
            XINFO STREAM s
            XADD s 2-0 a 1
            XSETID s 1
            XSETID s 5-5 ENTRIESADDED -1
            XSETID s 5-5 MAXDELETEDID 6
            XSETID nokey 1-1
            XSETID s 99999999999999999999-1
            XSETID s 5-5 ENTRIESADDED 0
            XSETID s 5-5 FOO
            XSETID s 5-5 ENTRIESADDED 100 MAXDELETEDID 4-0
            XINFO STREAM s
            XSETID s 3
            XADD s 5-5 a 1
            XADD s 5-6 a 1
            XSETID str 1
            """#)
    }

    @Test func nodesSplitAndApproximateTrim() async throws {
        var lines: [String] = ["CONFIG SET stream-node-max-entries 10"]
        for i in 1...95 { lines.append("XADD s \(i)-1 f \(i) g v\(i)") }
        for i in 1...30 { lines.append("XADD t \(i * 1000)-\(i) field\(i % 3) \(String(repeating: "x", count: i * 20))") }
        lines += [
            "XINFO STREAM s", "XTRIM s MAXLEN ~ 50", "XINFO STREAM s", "XTRIM s MAXLEN ~ 50 LIMIT 10",
            "XTRIM s MINID ~ 80", "XINFO STREAM s", "XADD s MAXLEN ~ 5 100-1 f v", "XINFO STREAM s",
            "XADD s MINID 99 101-1 f v", "XRANGE s - +", "XINFO STREAM t", "XRANGE t - + COUNT 5",
            "XREVRANGE t + - COUNT 5", "XDEL t 1000-1 2000-2 3000-3", "XINFO STREAM t FULL COUNT 3",
        ]
        try await Differential.check(lines.joined(separator: "\n"))
    }

    @Test func consumerGroups() async throws {
        for hello in ["HELLO 2", "HELLO 3"] {
            try await Differential.check(#"""
                ?\#(hello)
                XGROUP CREATE s g 0
                XGROUP CREATE s g 0 MKSTREAM
                XGROUP CREATE s g 0
                XGROUP CREATE s g2 $ ENTRIESREAD -5
                XGROUP CREATE s g2 $ ENTRIESREAD abc
                XGROUP CREATE s g3 $ FOO
                XGROUP CREATE s g3 abc
                XGROUP CREATE s
                XGROUP SETID s nog 0
                XGROUP DESTROY s nog
                XGROUP DESTROY nokey g
                XGROUP CREATECONSUMER s nog c
                XGROUP CREATECONSUMER s g c
                XGROUP CREATECONSUMER s g c
                XGROUP DELCONSUMER s g c
                XGROUP DELCONSUMER s g zz
                XGROUP FOO
                XGROUP HELP
                XGROUP SETID s g 0 FOO 1
                XGROUP SETID s g 0 ENTRIESREAD
                XGROUP CREATE s g4 0 ENTRIESREAD 5 MKSTREAM
                XGROUP CREATE s g5 0 ENTRIESREAD -1
                XINFO GROUPS s
                XADD s 1-1 a 1
                XADD s 2-1 b 2
                XADD s 3-1 c 3
                XREADGROUP GROUP g alice COUNT 1 STREAMS s >
                XREADGROUP GROUP g alice STREAMS s >
                XREADGROUP GROUP g alice STREAMS s >
                XREADGROUP GROUP g bob STREAMS s 0
                XREADGROUP GROUP g alice STREAMS s 0
                XREADGROUP GROUP g alice STREAMS s 2
                XREADGROUP GROUP g alice COUNT 1 STREAMS s 0
                XREADGROUP GROUP g2 carol NOACK STREAMS s >
                XREADGROUP GROUP g2 carol STREAMS s 0
                XINFO GROUPS s
                XPENDING s g
                XPENDING s g2
                XPENDING s nog
                XPENDING nokey g
                XPENDING s g - +
                XPENDING s g - + 10 c1 x y
                XPENDING s g IDLE 0 - +
                XPENDING s g IDLE abc - + 10
                XPENDING s g - + abc
                XPENDING s g x + 10
                XPENDING s g (18446744073709551615-18446744073709551615 + 10
                XPENDING s g - + 10 nobody
                ?XPENDING s g - + 10
                ?XPENDING s g IDLE 0 - + 10 alice
                XACK s g 1-1 9-9
                XACK s g 1-1
                XACK s g abc
                XACK s nog 1-1
                XACK nokey g 1-1
                XPENDING s g
                XDEL s 2-1
                XREADGROUP GROUP g alice STREAMS s 0
                XINFO GROUPS s
                XGROUP SETID s g $ ENTRIESREAD 3
                XGROUP SETID s g - ENTRIESREAD -1
                XINFO GROUPS s
                XGROUP DESTROY s g2
                XINFO GROUPS s
                XREADGROUP GROUP nog c STREAMS s >
                XREADGROUP GROUP g c STREAMS nokey >
                XREADGROUP GROUP g c STREAMS s $
                XREADGROUP STREAMS s >
                XREADGROUP GROUP g c STREAMS s > 1
                XREAD GROUP g c STREAMS s 0
                XREAD NOACK STREAMS s 0
                XREAD STREAMS s >
                XINFO CONSUMERS s nog
                XINFO STREAM nokey
                XINFO STREAM s FOO
                XINFO STREAM s FULL COUNT
                XINFO HELP
                XINFO FOO
                SET str x
                XGROUP CREATE str g 0
                XREADGROUP GROUP g c STREAMS str >
                XINFO STREAM str
                """#)
        }
    }

    @Test func claimAndAutoclaim() async throws {
        try await Differential.check(#"""
            XGROUP CREATE s g 0 MKSTREAM
            MULTI
            XADD s 1-1 a 1
            XADD s 2-1 b 2
            XADD s 3-1 c 3
            XADD s 4-1 d 4
            EXEC
            XREADGROUP GROUP g alice STREAMS s >
            XCLAIM s g bob 0 1-1 2-1
            XCLAIM s g bob 0 3-1 JUSTID
            XCLAIM s g bob 0 4-1 RETRYCOUNT 7 IDLE 0
            XCLAIM s g bob 0 9-9
            XCLAIM s g bob 0 1-1 FOO
            XCLAIM s g bob abc 1-1
            XCLAIM s g bob 0 1-1 IDLE abc
            XCLAIM s g bob 0 1-1 TIME abc
            XCLAIM s g bob 0 1-1 RETRYCOUNT abc
            XCLAIM s g bob 0 1-1 LASTID abc
            XCLAIM s nog bob 0 1-1
            XCLAIM nokey g bob 0 1-1
            XCLAIM s g bob 3600000 1-1
            XPENDING s g
            XADD s 5-1 e 5
            XCLAIM s g carol 0 5-1 FORCE JUSTID
            XCLAIM s g carol 0 5-1 FORCE LASTID 9-9
            XINFO GROUPS s
            XDEL s 2-1
            XCLAIM s g dave 0 2-1
            XPENDING s g
            XAUTOCLAIM s g erin 0 0 COUNT 2
            XAUTOCLAIM s g erin 0 0 COUNT 2 JUSTID
            XAUTOCLAIM s g erin 0 (3-1
            XAUTOCLAIM s g erin 3600000 0
            XAUTOCLAIM s g erin 0 0 COUNT 0
            XAUTOCLAIM s g erin 0 0 COUNT abc
            XAUTOCLAIM s g erin 0 0 FOO
            XAUTOCLAIM s g erin abc 0
            XAUTOCLAIM s g erin 0 abc
            XAUTOCLAIM s nog erin 0 0
            XDEL s 4-1 5-1
            XAUTOCLAIM s g frank 0 0
            XPENDING s g
            ?XINFO CONSUMERS s g
            """#)
    }

    @Test func xreadWithoutBlocking() async throws {
        for hello in ["HELLO 2", "HELLO 3"] {
            try await Differential.check(#"""
                ?\#(hello)
                XADD a 1-1 f 1
                XADD a 2-1 f 2
                XADD b 1-1 g 1
                XREAD STREAMS a 0
                XREAD COUNT 1 STREAMS a b 0 0
                XREAD STREAMS a b 1-1 1-1
                XREAD STREAMS a b $ $
                XREAD STREAMS nokey 0
                XREAD COUNT -5 STREAMS a 0
                XREAD COUNT
                XREAD STREAMS a
                XREAD STREAMS a 0 1
                XREAD FOO STREAMS a 0
                XREAD STREAMS a abc
                XREAD BLOCK -1 STREAMS a 0
                XREAD BLOCK abc STREAMS a 0
                XREAD BLOCK 1.5 STREAMS a 0
                XREAD BLOCK 0 STREAMS a 0
                XREAD BLOCK 9223372036854775807 STREAMS a 0
                XREAD BLOCK 10 STREAMS a $
                MULTI
                XREAD BLOCK 0 STREAMS a $
                XREADGROUP GROUP g c BLOCK 0 STREAMS a >
                EXEC
                XGROUP CREATE a g $
                MULTI
                XREADGROUP GROUP g c BLOCK 0 STREAMS a >
                EXEC
                EVAL "return redis.call('xread','block','0','streams','a','$')" 0
                EVAL "return redis.call('xreadgroup','group','g','c','block','0','streams','a','>')" 0
                EVAL "return redis.call('xread','streams','a','0')" 0
                """#)
        }
    }
}

/// Streams as keys: COPY, RENAME, DEL, EXPIRE, SCAN TYPE, TYPE and OBJECT ENCODING.
@Suite struct StreamKeyspaceDifferentialTests {
    @Test func streamsAsKeys() async throws {
        try await Differential.check(#"""
            XADD s 1-1 a 1
            XADD s 2-1 b 2
            XGROUP CREATE s g 0
            XREADGROUP GROUP g c STREAMS s >
            COPY s t
            XRANGE t - +
            XPENDING t g
            XADD t 3-1 c 3
            XLEN s
            XLEN t
            RENAME t u
            TYPE u
            OBJECT ENCODING u
            DEL s
            SCAN 0 TYPE stream COUNT 100
            ~KEYS *
            EXPIRE u 100
            TTL u
            PERSIST u
            DEL u
            EXISTS u
            SET plain x
            SCAN 0 TYPE stream COUNT 100
            XGROUP CREATE empty g $ MKSTREAM
            XLEN empty
            TYPE empty
            COPY empty empty2
            XINFO GROUPS empty2
            FLUSHALL
            SCAN 0 TYPE stream
            """#)
    }
}
