import RoostTestSupport
import Testing

/// The string family compared byte for byte with redis-server 7.0.
@Suite struct StringDifferentialTests {
    @Test func getAndSetOptions() async throws {
        let n = try await Differential.check(#"""
            SET k v
            GET k
            GET missing
            SET "bin\x00key" "a\x00b\r\n\xff"
            GET "bin\x00key"
            SET empty ""
            GET empty
            SET k v2 NX
            SET k v2 XX
            GET k
            SET nk v XX
            GET nk
            SET nk v nx
            SET k v3 GET
            SET newkey v GET
            SET k v4 NX GET
            SET k v4 GET NX
            SET fresh v GET NX
            SET fresh2 v XX GET
            GET fresh2
            SET k v nx xx
            SET k v xx nx
            SET k v ex 10 px 10
            SET k v ex 10 ex 20
            SET k v keepttl ex 10
            SET k v ex 10 keepttl
            SET k v exat 10 pxat 20
            SET k v ex
            SET k v px
            SET k v bogus
            SET k v persist
            SET k v ex 0
            SET k v ex -1
            SET k v px 0
            SET k v px -100
            SET k v exat 0
            SET k v pxat -1
            SET k v ex abc
            SET k v ex 1.5
            SET k v ex 9223372036854775807
            SET k v ex 9223372036854775
            SET k v ex 9223372036854775808
            SET k v px 9223372036854775807
            SET k v px 9223372036854000000
            SET k v exat 9223372036854775
            SET k v pxat 9223372036854775807
            SET k v ex 0 get
            SET k v get get xx xx
            SET k v Ex 100 Nx
            SET k
            GET
            GET a b
            SET k v EX 100 KEEPTTL
            SET k v KEEPTTL
            GET k
            """#)
        #expect(n >= 50)
    }

    @Test func expiryAfterSleep() async throws {
        try await Differential.check(#"""
            SET a 1 PX 150
            SET b 1 EX 100
            SET c v PX 150
            SET c v2 KEEPTTL
            SET d 10 PX 150
            INCR d
            SET e hello PX 150
            APPEND e world
            SET f v PX 150
            SET f w
            SETEX g 100 v
            PSETEX h 150 v
            SET i 5 PX 150
            GETSET i 6
            SET j x PX 150
            GETEX j PERSIST
            SET l x
            GETEX l PX 150
            SET m 1.5 PX 150
            INCRBYFLOAT m 1
            SET p x EXAT 1
            GET p
            SET q x PXAT 1000
            GET q
            SET r x
            GETEX r EXAT 1
            GET r
            SET s x PX 150
            SET s y GET KEEPTTL
            !sleep 300
            GET a
            GET b
            GET c
            GET d
            GET e
            GET f
            GET g
            GET h
            GET i
            GET j
            GET l
            GET m
            GET s
            SET a again GET
            INCR d
            """#)
    }

    @Test func setVariants() async throws {
        try await Differential.check(#"""
            SETNX k v
            SETNX k w
            GET k
            SETNX "" ""
            GET ""
            SETNX k
            SETEX k 10 v
            SETEX k 0 v
            SETEX k -5 v
            SETEX k x v
            SETEX k 9223372036854775 v
            SETEX k 10
            PSETEX k 1000 v
            PSETEX k 0 v
            PSETEX k -1 v
            PSETEX k 9223372036854775807 v
            PSETEX k 1.5 v
            GETSET k new
            GETSET missing new
            GET missing
            GETSET k
            GETDEL k
            GETDEL k
            GET k
            GETDEL
            SET gx "a\x00b"
            GETEX gx
            GETEX gx EX 100
            GETEX gx PX 100000
            GETEX gx EXAT 99999999999
            GETEX gx PXAT 99999999999999
            GETEX gx PERSIST
            GETEX gx PERSIST PERSIST
            GETEX gx EX 1 EX 2
            GETEX gx EX 0
            GETEX gx PX -1
            GETEX gx EX 9223372036854775
            GETEX gx EX notanumber
            GETEX gx EX
            GETEX gx PERSIST EX 10
            GETEX gx EX 10 PERSIST
            GETEX gx EX 10 PX 10
            GETEX gx KEEPTTL
            GETEX gx NX
            GETEX gx GET
            GETEX nokey EX -1
            GETEX nokey
            GETEX nokey EX
            GETEX
            GETEX gx PXAT 1
            GET gx
            """#)
    }

    @Test func multipleKeys() async throws {
        try await Differential.check(#"""
            MSET a 1 b 2 c "x\r\ny"
            MGET a b c missing
            MGET missing
            MSET a
            MSET a 1 b
            MSET
            MSETNX a 1 z 2
            GET z
            MSETNX y 1 z 2
            MGET y z
            MSETNX y
            MSETNX q 1 q 2
            GET q
            MSET dup 1 dup 2
            GET dup
            MGET
            """#)
    }

    @Test func counters() async throws {
        try await Differential.check(#"""
            INCR n
            INCR n
            DECR n
            INCRBY n 100
            DECRBY n 50
            INCRBY n -1000
            DECRBY n -1000
            INCRBY n abc
            INCRBY n 1.5
            INCRBY n 9223372036854775808
            SET big 9223372036854775806
            INCR big
            INCR big
            INCRBY big 1
            SET small -9223372036854775807
            DECR small
            DECR small
            DECRBY small 1
            DECRBY x -9223372036854775808
            DECRBY x 9223372036854775807
            DECRBY x 2
            INCRBY y -9223372036854775808
            INCRBY y -1
            SET s hello
            INCR s
            DECR s
            SET sp " 1"
            INCR sp
            SET lead 01
            INCR lead
            SET plus +1
            INCR plus
            SET e ""
            INCR e
            SET ws "1 "
            INCR ws
            SET bin "1\x00"
            INCR bin
            APPEND r 1
            APPEND r 2
            INCR r
            GET r
            INCR
            INCRBY n
            DECRBY n 1 2
            """#)
    }

    @Test func incrByFloat() async throws {
        try await Differential.check(#"""
            INCRBYFLOAT f 10.5
            INCRBYFLOAT f 0.1
            INCRBYFLOAT f -5.0e3
            INCRBYFLOAT f 5.0e3
            INCRBYFLOAT f -10.6
            INCRBYFLOAT g 3
            INCRBYFLOAT g 1.0
            INCRBYFLOAT h 3.0e3
            INCRBYFLOAT h 1e-20
            INCRBYFLOAT i 0.1
            INCRBYFLOAT i 0.2
            INCRBYFLOAT j 1e300
            INCRBYFLOAT j 1e300
            INCRBYFLOAT k 0x10
            INCRBYFLOAT k inf
            INCRBYFLOAT k -inf
            INCRBYFLOAT k nan
            INCRBYFLOAT k abc
            INCRBYFLOAT k ""
            INCRBYFLOAT k " 1"
            INCRBYFLOAT k "1 "
            INCRBYFLOAT k "1\x00"
            INCRBYFLOAT k 1e5000
            INCRBYFLOAT k 1e-5000
            SET s hello
            INCRBYFLOAT s 1
            SET n 5
            INCRBYFLOAT n 1.5
            SET neg -0.0
            INCRBYFLOAT neg 0
            INCRBYFLOAT m -0.0
            SET w 1.5e3
            INCRBYFLOAT w 0
            SET huge 1.18e4932
            INCRBYFLOAT huge 1e4932
            SET i64 9223372036854775807
            INCRBYFLOAT i64 1
            INCRBYFLOAT p 1.23456789012345678901234567890
            INCRBYFLOAT q 12345678901234567890
            INCRBYFLOAT r -0.000000000000000001
            INCRBYFLOAT
            INCRBYFLOAT f
            """#)
    }

    @Test func appendAndLengths() async throws {
        try await Differential.check(#"""
            APPEND a hello
            APPEND a " world"
            GET a
            STRLEN a
            APPEND b ""
            GET b
            EXISTS b
            STRLEN b
            APPEND c "\x00\xff\r\n"
            STRLEN c
            GET c
            SET n 12345
            STRLEN n
            APPEND n 6
            GET n
            STRLEN missing
            APPEND
            STRLEN
            STRLEN a b
            """#)
    }

    @Test func ranges() async throws {
        try await Differential.check(#"""
            SET s "This is a string"
            GETRANGE s 0 3
            GETRANGE s -3 -1
            GETRANGE s 0 -1
            GETRANGE s 10 100
            GETRANGE s 5 3
            GETRANGE s -1 -5
            GETRANGE s -100 -50
            GETRANGE s -100 2
            GETRANGE s 100 200
            GETRANGE s 0 9223372036854775807
            GETRANGE s -9223372036854775808 9223372036854775807
            GETRANGE s a 1
            GETRANGE s 1 b
            GETRANGE missing 0 -1
            GETRANGE missing a 1
            SET n 123456
            GETRANGE n 1 3
            SET e ""
            GETRANGE e 0 -1
            GETRANGE e 0 0
            SUBSTR s 0 3
            SUBSTR s -1 -1
            SUBSTR s 0
            GETRANGE s 0
            SETRANGE r 5 "\x00hi"
            GET r
            SETRANGE r 0 "ab"
            GET r
            SETRANGE r 7 longer
            GET r
            SETRANGE r 0 ""
            SETRANGE missing 10 ""
            EXISTS missing
            SETRANGE r -1 x
            SETRANGE r x x
            SETRANGE r 536870911 ab
            SETRANGE r 536870912 a
            SETRANGE r 9223372036854775807 a
            SETRANGE nk 536870912 x
            SETRANGE nk -1 ""
            SETRANGE n 2 X
            GET n
            SETRANGE s 1 x y
            SETRANGE s 1
            """#)
    }

    @Test func longestCommonSubsequence() async throws {
        try await Differential.check(#"""
            MSET a ohmytext b mynewtext
            LCS a b
            LCS a b LEN
            LCS a b IDX
            LCS a b IDX MINMATCHLEN 4
            LCS a b IDX MINMATCHLEN 4 WITHMATCHLEN
            LCS a b IDX WITHMATCHLEN
            LCS a b idx minmatchlen -5
            LCS a b IDX LEN
            LCS a b LEN IDX
            LCS a b MINMATCHLEN
            LCS a b MINMATCHLEN x
            LCS a b BOGUS
            LCS a missing
            LCS missing missing2 IDX
            LCS missing missing2 LEN
            LCS a a
            LCS a a IDX WITHMATCHLEN
            MSET x "a\x00b\r\nc\xff" y "\x00\r\n\xffzz"
            LCS x y
            LCS x y IDX WITHMATCHLEN
            SET n1 12345
            SET n2 2468
            LCS n1 n2 IDX
            LCS a
            MSET p ABCBDAB q BDCABA
            LCS p q IDX WITHMATCHLEN
            LCS p q LEN
            SETRANGE la 11599 a
            SETRANGE lb 11599 b
            LCS la lb LEN
            LCS la lb
            SETRANGE la 11000 ""
            LCS la missing LEN
            """#)
    }

    @Test func databasesAreSeparate() async throws {
        try await Differential.check(#"""
            SET k db0
            SELECT 1
            GET k
            SETNX k db1
            INCRBYFLOAT f 2.5
            SELECT 0
            GET k
            MGET k f
            GETDEL k
            SELECT 1
            GET k
            GET f
            """#)
    }
}
