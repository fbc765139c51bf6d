import RoostTestSupport
import Testing

/// SRANDMEMBER and SPOP with counts at the edges of their ranges and in each branch of Redis's
/// algorithms, compared with redis-server: errors byte for byte, random replies by their shape
/// (`?`), whole-set replies sorted (`~`), and what is left afterwards.
@Suite struct SetRandomDifferentialTests {
    @Test func countLimitsAndBranches() async throws {
        try await Differential.check(#"""
            SADD s 1 2 3 4 5 6 7 8 9 10
            SADD h a b c d e f g h i j
            SRANDMEMBER s -9223372036854775808
            SRANDMEMBER h -9223372036854775808
            SRANDMEMBER s 9223372036854775808
            SRANDMEMBER s -9223372036854775809
            SRANDMEMBER s abc
            SRANDMEMBER s 1.5
            ~SRANDMEMBER s 9223372036854775807
            ~SRANDMEMBER h 9223372036854775807
            ~SRANDMEMBER h 10
            ?SRANDMEMBER h -3
            ?SRANDMEMBER h 1
            ?SRANDMEMBER h 2
            ?SRANDMEMBER h 8
            ?SRANDMEMBER s -1
            SRANDMEMBER nokey -5
            SRANDMEMBER nokey 0
            SRANDMEMBER h 0
            SPOP s abc
            SPOP s -1
            SPOP s -9223372036854775808
            SPOP s 9223372036854775808
            SPOP nokey 5
            SPOP h 0
            ?SPOP h 1
            ?SPOP h 2
            SCARD h
            ?SPOP h 6
            SCARD h
            OBJECT ENCODING h
            ?SPOP s 9
            SCARD s
            OBJECT ENCODING s
            ?SPOP s 9223372036854775807
            EXISTS s
            SADD big 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 x
            SREM big x
            OBJECT ENCODING big
            ?SPOP big 19
            OBJECT ENCODING big
            SCARD big
            """#)
    }
}
