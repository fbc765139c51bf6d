import RoostTestSupport
import Testing

/// The list family against real redis-server, byte for byte.
@Suite struct ListDifferentialTests {
    @Test func pushPopAndLength() async throws {
        try await Differential.check(#"""
            LPUSH l a b c
            RPUSH l d e
            LRANGE l 0 -1
            LLEN l
            LLEN missing
            LPUSHX missing a
            RPUSHX missing a
            EXISTS missing
            LPUSHX l x y
            RPUSHX l z
            LRANGE l 0 -1
            LPOP l
            RPOP l
            LPOP l 2
            RPOP l 2
            LPOP l 0
            RPOP l 0
            LPOP l 100
            EXISTS l
            LPOP l
            RPOP l
            LPOP l 0
            LPOP l 3
            RPOP l 3
            RPUSH l "a\x00b\r\n\xff" "" "x"
            LRANGE l 0 -1
            LPOP l
            LPOP l
            LPOP l
            TYPE l
            RPUSH n 1 2 3
            OBJECT ENCODING n
            LPOP n -1
            LPOP n x
            RPOP n 1 2
            LPOP n 9223372036854775807
            LPUSH
            LPUSH k
            RPUSH k
            LPUSHX k
            RPUSHX k
            LPOP
            RPOP
            LLEN
            LLEN a b
            SET s str
            LPUSH s a
            RPUSH s a
            LPUSHX s a
            RPUSHX s a
            LPOP s
            RPOP s
            LPOP s 2
            LLEN s
            LRANGE s 0 -1
            """#)
    }

    @Test func rangesAndIndexes() async throws {
        try await Differential.check(#"""
            RPUSH l a b c d e f g
            LRANGE l 0 0
            LRANGE l 0 2
            LRANGE l -3 -1
            LRANGE l -100 100
            LRANGE l 5 2
            LRANGE l 7 10
            LRANGE l -1 -2
            LRANGE l 2 -3
            LRANGE l -9223372036854775808 9223372036854775807
            LRANGE l a 1
            LRANGE l 1 b
            LRANGE missing 0 -1
            LRANGE missing a b
            LRANGE l 0
            LINDEX l 0
            LINDEX l -1
            LINDEX l 6
            LINDEX l 7
            LINDEX l -7
            LINDEX l -8
            LINDEX l x
            LINDEX missing 0
            LINDEX missing x
            LINDEX l
            LSET l 0 A
            LSET l -1 G
            LSET l 3 "\x00\xff"
            LSET l 7 x
            LSET l -8 x
            LSET l x y
            LSET missing 0 x
            LSET l 0
            LRANGE l 0 -1
            SET s str
            LRANGE s 0 -1
            LINDEX s 0
            LSET s 0 x
            LSET s x y
            """#)
    }

    @Test func insertRemoveTrim() async throws {
        try await Differential.check(#"""
            RPUSH l a b c b a
            LINSERT l BEFORE b X
            LINSERT l after b Y
            LINSERT l before a first
            LINSERT l AFTER a second
            LRANGE l 0 -1
            LINSERT l BEFORE nope x
            LINSERT l MIDDLE a x
            LINSERT missing BEFORE a x
            LINSERT missing MIDDLE a x
            LINSERT l BEFORE a
            LREM l 1 b
            LRANGE l 0 -1
            RPUSH r a x a x a x a
            LREM r -2 a
            LRANGE r 0 -1
            LREM r 0 x
            LRANGE r 0 -1
            LREM r 0 nope
            LREM r 5 a
            EXISTS r
            LREM r 1 a
            LREM r x a
            LREM missing 1 a
            LREM missing x a
            RPUSH r "\x00" "\x00" b
            LREM r -9223372036854775808 "\x00"
            LRANGE r 0 -1
            RPUSH t 0 1 2 3 4 5 6 7 8 9
            LTRIM t 1 -2
            LRANGE t 0 -1
            LTRIM t -3 100
            LRANGE t 0 -1
            LTRIM t 0 0
            LRANGE t 0 -1
            LTRIM t 5 1
            EXISTS t
            LTRIM missing 0 1
            LTRIM missing a 1
            RPUSH t a b c
            LTRIM t a 1
            LTRIM t 0 b
            LTRIM t -100 -50
            EXISTS t
            LTRIM t 0
            SET s str
            LINSERT s BEFORE a b
            LREM s 0 a
            LTRIM s 0 1
            LINSERT s MIDDLE a b
            """#)
    }

    @Test func lpos() async throws {
        try await Differential.check(#"""
            RPUSH l a b c 1 2 3 c c
            LPOS l c
            LPOS l c RANK 2
            LPOS l c RANK -1
            LPOS l c RANK -2
            LPOS l c RANK 4
            LPOS l c RANK -4
            LPOS l c COUNT 0
            LPOS l c COUNT 2
            LPOS l c COUNT 2 RANK 2
            LPOS l c COUNT 0 RANK -1
            LPOS l c MAXLEN 3
            LPOS l c MAXLEN 2
            LPOS l c COUNT 0 MAXLEN 7
            LPOS l c RANK -1 MAXLEN 1
            LPOS l c RANK -1 MAXLEN 2 COUNT 0
            LPOS l nope
            LPOS l nope COUNT 1
            LPOS l c RANK 0
            LPOS l c RANK -9223372036854775808
            LPOS l c RANK x
            LPOS l c COUNT -1
            LPOS l c COUNT x
            LPOS l c MAXLEN -1
            LPOS l c MAXLEN x
            LPOS l c RANK
            LPOS l c COUNT
            LPOS l c FOO 1
            LPOS l c RANK 1 COUNT
            LPOS missing a
            LPOS missing a COUNT 0
            LPOS missing a RANK 0
            LPOS l
            SET s str
            LPOS s a
            LPOS s a COUNT 0
            LPOS s a RANK 0
            """#)
    }

    @Test func moves() async throws {
        try await Differential.check(#"""
            RPUSH src a b c
            LMOVE src dst LEFT RIGHT
            LMOVE src dst right left
            LRANGE src 0 -1
            LRANGE dst 0 -1
            RPOPLPUSH src dst
            EXISTS src
            LRANGE dst 0 -1
            LMOVE dst dst LEFT RIGHT
            LRANGE dst 0 -1
            RPOPLPUSH dst dst
            LRANGE dst 0 -1
            LMOVE missing dst LEFT LEFT
            RPOPLPUSH missing dst
            LMOVE dst x UP LEFT
            LMOVE dst x LEFT DOWN
            LMOVE dst x LEFT
            RPOPLPUSH dst
            SET s str
            LMOVE s dst LEFT LEFT
            LMOVE dst s LEFT LEFT
            RPOPLPUSH dst s
            RPOPLPUSH s dst
            LRANGE dst 0 -1
            LMOVE missing s LEFT LEFT
            RPUSH one x
            LMOVE one one LEFT LEFT
            LRANGE one 0 -1
            """#)
    }

    @Test func lmpop() async throws {
        try await Differential.check(#"""
            RPUSH a 1 2 3
            RPUSH b 4 5 6
            LMPOP 1 a LEFT
            LMPOP 2 missing b RIGHT
            LMPOP 2 a b LEFT COUNT 10
            LMPOP 1 b right count 2
            LMPOP 2 a b LEFT
            LMPOP 1 missing LEFT COUNT 3
            LMPOP 0 a LEFT
            LMPOP -1 a LEFT
            LMPOP x a LEFT
            LMPOP 2 a LEFT
            LMPOP 3 a b LEFT
            LMPOP 1 a MIDDLE
            LMPOP 1 a LEFT COUNT 0
            LMPOP 1 a LEFT COUNT -1
            LMPOP 1 a LEFT COUNT x
            LMPOP 1 a LEFT COUNT
            LMPOP 1 a LEFT COUNT 1 COUNT 2
            LMPOP 1 a LEFT FOO
            LMPOP 1 a
            LMPOP 1
            SET s str
            RPUSH c x
            LMPOP 2 s c LEFT
            LMPOP 2 c s LEFT
            LMPOP 2 missing s LEFT
            RPUSH bin "a\x00b\r\n\xff" ""
            LMPOP 1 bin LEFT COUNT 5
            """#)
    }

    @Test func resp3Replies() async throws {
        try await Differential.check(#"""
            ?HELLO 3
            LPOP missing
            LPOP missing 2
            RPOP missing 0
            LINDEX missing 0
            LPOS missing a
            LPOS missing a COUNT 0
            LMOVE missing d LEFT LEFT
            LMPOP 1 missing LEFT
            RPUSH l a b c
            LPOP l 2
            LPOS l c
            LPOS l x
            LMPOP 1 l RIGHT COUNT 3
            BLPOP missing 0.01
            BLMOVE missing d LEFT LEFT 0.01
            BLMPOP 0.01 1 missing LEFT
            MULTI
            BLPOP missing 0
            BLMOVE missing d LEFT LEFT 0
            BLMPOP 0 1 missing LEFT
            EXEC
            """#)
    }

    @Test func watchSeesListChanges() async throws {
        try await Differential.check(#"""
            RPUSH l a b
            WATCH l
            LSET l 0 x
            MULTI
            PING
            EXEC
            WATCH l
            LINSERT l BEFORE nope y
            MULTI
            PING
            EXEC
            WATCH l
            LREM l 0 nope
            MULTI
            PING
            EXEC
            WATCH l
            RPOPLPUSH l l
            MULTI
            PING
            EXEC
            WATCH gone
            RPUSH gone v
            LPOP gone
            MULTI
            PING
            EXEC
            LRANGE l 0 -1
            OBJECT ENCODING l
            TYPE l
            """#)
    }

    /// COMMAND INFO and GETKEYS for every list command, key specs included.
    @Test func commandInfo() async throws {
        try await Differential.check(#"""
            COMMAND INFO lpush
            COMMAND INFO rpush
            COMMAND INFO lpushx
            COMMAND INFO rpushx
            COMMAND INFO lpop
            COMMAND INFO rpop
            COMMAND INFO llen
            COMMAND INFO lrange
            COMMAND INFO lindex
            COMMAND INFO lset
            COMMAND INFO linsert
            COMMAND INFO lrem
            COMMAND INFO ltrim
            COMMAND INFO lpos
            COMMAND INFO lmove
            COMMAND INFO rpoplpush
            COMMAND INFO lmpop
            COMMAND INFO blpop
            COMMAND INFO brpop
            COMMAND INFO blmove
            COMMAND INFO brpoplpush
            COMMAND INFO blmpop
            COMMAND INFO client|unblock
            COMMAND GETKEYS lmpop 2 a b left
            COMMAND GETKEYS blmpop 0 2 a b left
            COMMAND GETKEYS blpop a b c 0
            COMMAND GETKEYS lmove a b left left
            """#)
    }

    /// A list of 100,000 elements built with several commands, read and cut in slices.
    @Test func largeList() async throws {
        var script = ""
        var batch: [String] = []
        for i in 0..<50_000 {
            batch.append("e\(i % 997)")
            if batch.count == 1000 {
                script += "RPUSH big \(batch.joined(separator: " "))\n"
                batch.removeAll()
            }
        }
        for i in 0..<50_000 {
            batch.append("f\(i % 13)")
            if batch.count == 1000 {
                script += (i / 1000 % 2 == 0 ? "LPUSH" : "RPUSH") + " big \(batch.joined(separator: " "))\n"
                batch.removeAll()
            }
        }
        script += #"""
            LLEN big
            LRANGE big 0 9
            LRANGE big 49990 50010
            LRANGE big -10 -1
            LRANGE big 99990 100010
            LINDEX big 0
            LINDEX big 50000
            LINDEX big 77777
            LINDEX big -1
            LINDEX big -100000
            LINDEX big 100000
            LPOS big e5 RANK 3
            LPOS big f7 RANK -2 COUNT 3
            LREM big 0 f3
            LLEN big
            LREM big 100 e1
            LREM big -100 e2
            LLEN big
            LINSERT big BEFORE e500 inserted
            LINDEX big 25000
            LTRIM big 1000 -1000
            LLEN big
            LRANGE big 0 4
            LRANGE big -5 -1
            LSET big 40000 changed
            LRANGE big 39998 40002
            LPOP big 5
            RPOP big 5
            LMOVE big big LEFT RIGHT
            LRANGE big -2 -1
            LTRIM big 10 20
            LRANGE big 0 -1
            LTRIM big 100 200
            EXISTS big
            """#
        let compared = try await Differential.check(script)
        #expect(compared > 100)
    }
}
