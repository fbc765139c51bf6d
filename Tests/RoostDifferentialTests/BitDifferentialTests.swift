import RoostTestSupport
import Testing

/// SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and BITFIELD_RO compared with redis-server.
@Suite struct BitDifferentialTests {
    @Test func setbitAndGetbit() async throws {
        try await Differential.check(#"""
            SETBIT b 7 1
            GETBIT b 7
            GETBIT b 6
            GET b
            SETBIT b 7 1
            SETBIT b 7 0
            GET b
            SETBIT b 100 1
            GET b
            GETBIT b 100
            GETBIT b 101
            GETBIT b 1000000
            GETBIT missing 0
            GETBIT missing 4294967295
            GETBIT b 4294967295
            GETBIT b 4294967296
            GETBIT b -1
            GETBIT b abc
            GETBIT b 1.5
            GETBIT b +1
            GETBIT b " 1"
            GETBIT b 99999999999999999999
            SETBIT b 4294967296 1
            SETBIT b -1 1
            SETBIT b x 1
            SETBIT b 0 2
            SETBIT b 0 -1
            SETBIT b 0 x
            SETBIT b 0 ""
            SETBIT b x x
            SETBIT b 0 01
            SETBIT b
            SETBIT b 0
            SETBIT b 0 1 extra
            GETBIT b
            GETBIT b 0 extra
            # integer-encoded strings are read through their digits
            SET n 12345
            GETBIT n 2
            GETBIT n 3
            GETBIT n 39
            GETBIT n 40
            SETBIT n 0 0
            GET n
            SETBIT n 2 0
            GET n
            SET n -9
            SETBIT n 7 1
            GET n
            # binary data
            SET bin "a\x00b\r\n\xff"
            GETBIT bin 8
            GETBIT bin 40
            GETBIT bin 47
            SETBIT bin 15 1
            GET bin
            SETBIT bin 47 0
            GET bin
            SET empty ""
            GETBIT empty 0
            SETBIT empty 3 1
            GET empty
            """#)
    }

    @Test func bitcount() async throws {
        try await Differential.check(#"""
            SET k foobar
            BITCOUNT k
            BITCOUNT k 0 0
            BITCOUNT k 1 1
            BITCOUNT k 0 -1
            BITCOUNT k -2 -1
            BITCOUNT k -1 -2
            BITCOUNT k -100 100
            BITCOUNT k 3 1
            BITCOUNT k 6 10
            BITCOUNT k 5 30
            BITCOUNT k 0 0 BYTE
            BITCOUNT k 1 1 byte
            BITCOUNT k 5 30 BIT
            BITCOUNT k 0 7 BIT
            BITCOUNT k 1 6 bit
            BITCOUNT k 3 3 BIT
            BITCOUNT k 2 2 BIT
            BITCOUNT k 7 17 BIT
            BITCOUNT k -1 -1 BIT
            BITCOUNT k -5 -1 BIT
            BITCOUNT k -9 -2 BIT
            BITCOUNT k 0 -1 BIT
            BITCOUNT k 47 47 BIT
            BITCOUNT k 47 100 BIT
            BITCOUNT k 48 100 BIT
            BITCOUNT k 9 8 BIT
            BITCOUNT k -100 -50 BIT
            BITCOUNT k -1 -2 foo
            BITCOUNT k 0 -1 foo
            BITCOUNT k 0
            BITCOUNT k 0 1 BIT extra
            BITCOUNT k a b
            BITCOUNT k 0 b
            BITCOUNT k 0 9223372036854775807
            BITCOUNT k -9223372036854775808 -1
            BITCOUNT k 0 99999999999999999999
            BITCOUNT missing
            BITCOUNT missing 0
            BITCOUNT missing a b
            BITCOUNT missing 0 1 foo
            BITCOUNT
            SET n 255
            BITCOUNT n
            BITCOUNT n 1 1
            BITCOUNT n 0 3 BIT
            SET bin "a\x00b\r\n\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"
            BITCOUNT bin
            BITCOUNT bin 1 13
            BITCOUNT bin 5 -1 BIT
            BITCOUNT bin 41 110 BIT
            SET empty ""
            BITCOUNT empty
            BITCOUNT empty 0 -1
            BITCOUNT empty 0 -1 BIT
            """#)
    }

    @Test func bitpos() async throws {
        try await Differential.check(#"""
            SET ff "\xff\xf0\x00"
            BITPOS ff 0
            BITPOS ff 1
            BITPOS ff 1 1
            BITPOS ff 0 1
            BITPOS ff 1 2
            BITPOS ff 0 2
            BITPOS ff 1 -1
            BITPOS ff 0 -3
            BITPOS ff 0 0 0
            BITPOS ff 0 0 1
            BITPOS ff 1 2 2
            BITPOS ff 1 5 2
            BITPOS ff 1 0 -1 BYTE
            BITPOS ff 0 0 -1 BIT
            BITPOS ff 0 3 11 BIT
            BITPOS ff 0 3 12 BIT
            BITPOS ff 1 9 11 BIT
            BITPOS ff 1 12 23 BIT
            BITPOS ff 1 -12 -1 BIT
            BITPOS ff 0 -24 -13 bit
            BITPOS ff 1 7 7 BIT
            BITPOS ff 0 7 7 BIT
            BITPOS ff 1 100 200 BIT
            BITPOS ff 1 5 3 BIT
            SET all "\xff\xff\xff"
            BITPOS all 0
            BITPOS all 0 1
            BITPOS all 0 -1
            BITPOS all 0 0 -1
            BITPOS all 0 0 1
            BITPOS all 0 2 23 BIT
            BITPOS all 0 100
            BITPOS all 1 100
            SET zero "\x00\x00\x00"
            BITPOS zero 1
            BITPOS zero 0
            BITPOS zero 1 1
            BITPOS zero 1 0 -1 BIT
            BITPOS zero 0 5 5 BIT
            BITPOS missing 0
            BITPOS missing 1
            BITPOS missing 1 abc
            BITPOS missing 0 0 -1 BIT
            BITPOS missing 2
            SET empty ""
            BITPOS empty 0
            BITPOS empty 1
            BITPOS empty 0 0
            BITPOS empty 0 0 -1 BIT
            SET n 1024
            BITPOS n 1
            BITPOS n 0 1
            BITPOS n 1 10 30 BIT
            SET k foobar
            BITPOS k 2
            BITPOS k -1
            BITPOS k x
            BITPOS k 1 x
            BITPOS k 1 0 x
            BITPOS k 1 0 x foo
            BITPOS k 1 x 0 bit
            BITPOS k 1 0 1 foo
            BITPOS k 1 0 1 BIT extra
            BITPOS k
            BITPOS k 1 -9223372036854775808 9223372036854775807
            BITPOS k 1 -9223372036854775808 9223372036854775807 BIT
            SET bin "\x00\x00\r\n"
            BITPOS bin 1
            BITPOS bin 1 3
            BITPOS bin 0 2
            """#)
    }

    @Test func bitop() async throws {
        try await Differential.check(#"""
            SET a "\xff\x0f\xf0"
            SET b "\x0f\xff"
            SET c "a\x00b\r\n\xff"
            BITOP AND d a b
            GET d
            BITOP OR d a b
            GET d
            BITOP XOR d a b
            GET d
            BITOP NOT d a
            GET d
            BITOP and d a b c
            GET d
            BITOP or d a b c
            GET d
            BITOP xor d a b c
            GET d
            BITOP AND d a missing
            GET d
            BITOP OR d missing a
            GET d
            BITOP XOR d a a
            GET d
            BITOP AND d a
            GET d
            BITOP NOT d a b
            BITOP NOT d missing
            EXISTS d
            SET d x
            BITOP AND d missing missing2
            EXISTS d
            BITOP OR d missing
            BITOP FOO d a
            BITOP AND d
            BITOP AND
            BITOP "" d a
            SET n 12345
            BITOP NOT d n
            GET d
            BITOP OR d n a
            GET d
            BITOP AND a a b
            GET a
            SET e ""
            BITOP OR d e e
            EXISTS d
            BITOP NOT d e
            BITOP XOR d e c
            GET d
            BITCOUNT d
            """#)
    }

    @Test func bitfieldGetAndSet() async throws {
        try await Differential.check(#"""
            BITFIELD k
            BITFIELD k GET u8 0
            EXISTS k
            BITFIELD k SET u8 0 255
            GET k
            BITFIELD k GET u8 0 GET i8 0 GET u4 0 GET i4 4 GET u1 7 GET i1 7
            BITFIELD k SET i8 8 -1 GET u16 0 GET i16 0
            BITFIELD k SET u8 #2 65 GET u8 #2 GET u8 16
            GET k
            BITFIELD k SET i64 0 -9223372036854775808 GET i64 0 GET u63 0 GET u63 1
            BITFIELD k SET u63 64 9223372036854775807 GET u63 64 GET i64 64
            BITFIELD k SET i5 3 100 GET i5 3 SET u5 3 100 GET u5 3
            BITFIELD k GET u8 1000 GET i64 4294967231 GET u8 4294967288
            BITFIELD k GET u8 4294967296
            BITFIELD k GET u8 #536870911 GET u8 #536870912
            BITFIELD k GET i8 #9223372036854775807
            BITFIELD k GET i8 #1152921504606846976
            BITFIELD k GET i8 #
            BITFIELD k GET i8 #-0
            BITFIELD k GET i8 #-1
            BITFIELD k GET i8 -1
            BITFIELD k GET i8 +3
            BITFIELD k GET i0 0
            BITFIELD k GET I8 0
            BITFIELD k GET i08 0
            BITFIELD k GET u+8 0
            BITFIELD k GET u64 0
            BITFIELD k GET i65 0
            BITFIELD k GET x8 0
            BITFIELD k GET "" 0
            BITFIELD k GET u-1 0
            BITFIELD k GET
            BITFIELD k GET u8
            BITFIELD k SET u8 0
            BITFIELD k INCRBY u8 0
            BITFIELD k SET u8 0 x
            BITFIELD k SET u8 0 1.5
            BITFIELD k FOO
            BITFIELD k OVERFLOW
            BITFIELD k OVERFLOW foo
            BITFIELD k OVERFLOW wrap
            BITFIELD k GET u8 0 FOO
            BITFIELD k SET u8 0 1 GET u64 0
            BITFIELD
            GET k
            SET n 12345
            BITFIELD n GET u8 0 GET u16 8
            BITFIELD n SET u8 0 65
            GET n
            SET bin "a\x00b\r\n\xff"
            BITFIELD bin GET u48 0 GET i48 0 GET i12 36
            BITFIELD bin SET u8 8 13 INCRBY u4 44 1
            GET bin
            """#)
    }

    @Test func bitfieldIncrbyAndOverflow() async throws {
        try await Differential.check(#"""
            BITFIELD w INCRBY u8 0 250 INCRBY u8 0 10 INCRBY u8 0 -20
            BITFIELD w OVERFLOW SAT INCRBY u8 0 300 INCRBY u8 0 -1000 INCRBY u8 0 5
            BITFIELD w OVERFLOW FAIL INCRBY u8 0 300 INCRBY u8 0 -10 INCRBY u8 0 7 GET u8 0
            BITFIELD w OVERFLOW WRAP INCRBY i8 8 127 INCRBY i8 8 1 INCRBY i8 8 -1
            BITFIELD w OVERFLOW sat INCRBY i8 8 1000 INCRBY i8 8 -1000 INCRBY i8 8 -1
            BITFIELD w OVERFLOW fail INCRBY i8 8 -1 INCRBY i8 8 -1 GET i8 8
            BITFIELD w OVERFLOW SAT SET u8 16 -1 SET u8 24 300 GET u8 16 GET u8 24
            BITFIELD w OVERFLOW WRAP SET u8 16 -1 SET u8 24 300 GET u8 16 GET u8 24
            BITFIELD w OVERFLOW FAIL SET u8 16 -1 SET u8 24 300 SET u8 24 7 GET u8 16 GET u8 24
            BITFIELD w OVERFLOW SAT SET i4 32 100 SET i4 36 -100 GET i4 32 GET i4 36
            BITFIELD w OVERFLOW WRAP SET i4 32 100 SET i4 36 -100 GET i4 32 GET i4 36
            BITFIELD w OVERFLOW FAIL SET i4 32 8 SET i4 36 -9 SET i4 36 -8 GET i4 36
            BITFIELD w SET i64 64 9223372036854775807 INCRBY i64 64 1 INCRBY i64 64 -1
            BITFIELD w OVERFLOW SAT INCRBY i64 64 9223372036854775807 INCRBY i64 64 -9223372036854775808
            BITFIELD w OVERFLOW SAT INCRBY i64 64 -9223372036854775808 INCRBY i64 64 -1
            BITFIELD w OVERFLOW FAIL INCRBY i64 64 -1 INCRBY i64 64 9223372036854775807 GET i64 64
            BITFIELD w SET u63 128 9223372036854775807 INCRBY u63 128 1 INCRBY u63 128 -1
            BITFIELD w OVERFLOW SAT INCRBY u63 128 9223372036854775807 INCRBY u63 128 1
            BITFIELD w OVERFLOW FAIL INCRBY u63 128 1 INCRBY u63 128 -9223372036854775808
            BITFIELD w OVERFLOW SAT INCRBY u63 128 -9223372036854775808 GET u63 128
            BITFIELD w OVERFLOW FAIL SET u1 200 2 SET i1 201 -1 SET i1 202 1 GET u1 200 GET i1 201
            BITFIELD w OVERFLOW WRAP INCRBY u1 203 3 INCRBY i1 204 1 INCRBY i1 204 1
            BITFIELD w INCRBY u2 #120 5 OVERFLOW SAT INCRBY u2 #121 5 OVERFLOW FAIL INCRBY u2 #122 5
            BITFIELD w INCRBY i3 #100 -5 INCRBY i3 #100 -5 INCRBY i3 #100 -5
            GET w
            BITFIELD newkey OVERFLOW FAIL INCRBY u8 80 300
            GET newkey
            BITFIELD w INCRBY i16 7 -32768 INCRBY i16 7 -1 OVERFLOW SAT INCRBY i16 7 -40000
            GET w
            """#)
    }

    @Test func bitfieldReadOnly() async throws {
        try await Differential.check(#"""
            SET k foobar
            BITFIELD_RO k GET u8 0 GET i16 #1
            BITFIELD_RO k OVERFLOW SAT GET u8 0
            BITFIELD_RO k
            BITFIELD_RO missing GET i64 0 GET u63 #3
            EXISTS missing
            BITFIELD_RO k SET u8 0 1
            BITFIELD_RO k INCRBY u8 0 1
            BITFIELD_RO k GET u8 0 INCRBY u8 0 1
            BITFIELD_RO k GET u64 0 SET u8 0 1
            BITFIELD_RO k SET u8 x 1
            BITFIELD_RO k GET u8
            BITFIELD_RO k OVERFLOW bad GET u8 0
            BITFIELD_RO k FOO
            BITFIELD_RO
            GET k
            SET n 42
            BITFIELD_RO n GET u16 0 GET u8 16
            """#)
    }

    @Test func offsetsAtTheSizeLimit() async throws {
        try await Differential.check(#"""
            SETBIT big 4294967295 1
            GETBIT big 4294967295
            GETBIT big 4294967294
            BITCOUNT big -1 -1
            BITCOUNT big -8 -1 BIT
            BITPOS big 1 -2
            BITPOS big 1 -16 -1 BIT
            BITFIELD_RO big GET u8 4294967288 GET i4 4294967292 GET u8 4294967295
            SETBIT big 4294967295 0
            BITCOUNT big -3 -1
            DEL big
            BITFIELD big2 SET u8 #536870911 255
            BITFIELD_RO big2 GET u8 4294967288 GET u4 4294967292
            DEL big2
            """#)
    }

    @Test func longStrings() async throws {
        try await Differential.check(#"""
            SET z "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"
            BITPOS z 1
            BITPOS z 1 3
            BITPOS z 1 37
            BITPOS z 1 38
            BITPOS z 1 38 -1
            BITPOS z 1 38 -2
            BITPOS z 1 300 600 BIT
            BITPOS z 1 300 10 BIT
            BITPOS z 0 0 -1 BIT
            BITCOUNT z
            BITCOUNT z 10 -1
            BITCOUNT z 299 604 BIT
            SET f "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xef\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f"
            BITPOS f 0
            BITPOS f 0 38
            BITPOS f 0 38 -2
            BITPOS f 0 300 610 BIT
            BITPOS f 0 304 610 BIT
            BITPOS f 1 0 -1 BIT
            BITCOUNT f
            BITCOUNT f 1 -2
            BITCOUNT f 3 611 BIT
            BITOP AND d z f
            GET d
            BITOP OR d z f
            GET d
            BITOP XOR d z f
            BITCOUNT d
            BITOP NOT d z
            BITPOS d 0
            SETBIT z 1000 1
            BITPOS z 1 76
            BITCOUNT z
            BITFIELD z GET u63 900 INCRBY u63 900 1 GET i64 937
            """#)
    }
}
