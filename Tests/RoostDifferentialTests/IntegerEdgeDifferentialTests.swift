import Testing
import RoostTestSupport

/// Extreme integers in arguments get Redis's replies and never stop the server.
@Suite struct IntegerEdgeDifferentialTests {
    @Test func countersAtTheExtremes() async throws {
        try await Differential.with { pair in
            try pair.run("""
            SET x 5
            INCRBY x -9223372036854775808
            DECRBY x -9223372036854775808
            INCRBY missing1 -9223372036854775808
            DECRBY missing2 -9223372036854775808
            SET mn -9223372036854775808
            DECR mn
            INCRBY mn 9223372036854775807
            """)
        }
    }

    @Test func bitfieldAtTheExtremes() async throws {
        try await Differential.with { pair in
            try pair.run("""
            SETRANGE bf 0 x
            BITFIELD bf SET i64 0 -9223372036854775808
            BITFIELD bf GET i64 0
            BITFIELD bf OVERFLOW WRAP INCRBY i64 0 -1
            BITFIELD bf OVERFLOW SAT INCRBY i64 0 -9223372036854775808
            BITFIELD bf OVERFLOW FAIL INCRBY i64 0 9223372036854775807
            BITFIELD bf OVERFLOW SAT INCRBY u63 0 9223372036854775807
            BITFIELD bf GET i64 #1152921504606846976
            BITFIELD bf GET i64 #9223372036854775807
            """)
        }
    }

    @Test func multiKeyCountsNearInt64Max() async throws {
        try await Differential.with { pair in
            try pair.run("""
            ZADD z 1 a
            ZMPOP 9223372036854775807 z MIN
            ZMPOP 9223372036854775806 z MIN
            BZMPOP 0 9223372036854775807 z MIN
            LMPOP 9223372036854775807 l LEFT
            ZUNIONSTORE d 9223372036854775807 z
            ZINTERCARD 9223372036854775807 z
            EVAL "return 1" 9223372036854775807
            """)
        }
    }
}

extension IntegerEdgeDifferentialTests {
    @Test func sortLimitCountNearInt64Max() async throws {
        try await Differential.with { pair in
            try pair.run("""
            RPUSH sl 3 1 2
            SORT sl LIMIT 2 9223372036854775807
            SORT sl LIMIT 1 9223372036854775807
            SORT sl LIMIT 9223372036854775807 9223372036854775807
            SORT sl LIMIT -9223372036854775808 9223372036854775807
            SORT sl LIMIT 1 -9223372036854775808
            """)
        }
    }
}

extension IntegerEdgeDifferentialTests {
    /// 9223372036854775.807 s is exactly Int64.max ms: a valid timeout, so the client blocks.
    @Test func blockingTimeoutOfExactlyInt64MaxMilliseconds() async throws {
        try await Differential.with { pair in
            try pair.run("""
            BLPOP nol -9223372036854775.808
            BLPOP nol 9223372036854775.808
            BLPOP nol nan
            BLPOP nol -inf
            !noreply BLPOP nol 9223372036854775.807
            @2 RPUSH nol a
            <
            """)
        }
    }
}
