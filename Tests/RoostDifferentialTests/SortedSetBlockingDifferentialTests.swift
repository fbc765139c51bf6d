import RoostTestSupport
import Testing

/// BZPOPMIN, BZPOPMAX and BZMPOP against redis-server, ordered by waiting for the servers to
/// report clients blocked (`=N` lines, see BlockingDifferentialTests), never by sleeping.
@Suite struct SortedSetBlockingDifferentialTests {
    static func check(_ script: String) async throws {
        try await BlockingDifferentialTests.check(script)
    }

    @Test func nonBlockingPathsAndErrors() async throws {
        try await Differential.check(#"""
            ZADD z 1 a 2 b 3 c 4 d 5 e 6 f
            BZPOPMIN z 0
            BZPOPMAX z 0
            BZPOPMIN missing z 1
            BZMPOP 0 2 missing z MIN
            BZMPOP 0 1 z MAX COUNT 10
            EXISTS z
            BZPOPMIN
            ZADD z 1 a
            BZPOPMIN z
            BZPOPMIN z -1
            BZPOPMIN z abc
            BZPOPMIN z 0.x
            BZMPOP 0 0 z MIN
            BZMPOP 0 1 z
            BZMPOP 0 1 z LEFT
            BZMPOP 0 1 z MIN COUNT 0
            BZMPOP 0 1 z MIN COUNT
            BZMPOP x 1 z MIN
            BZMPOP 0 2 z MIN
            SET s x
            BZPOPMIN s 0
            BZPOPMIN missing s 0
            BZMPOP 0 2 missing s MAX
            ZADD fresh 5 five
            BZPOPMAX s fresh 0
            ?HELLO 3
            ZADD r 1.5 x 2 y
            BZPOPMIN r 0
            BZMPOP 0 1 r MAX COUNT 5
            """#)
    }

    @Test func insideMultiAnswersAtOnce() async throws {
        try await Differential.check(#"""
            MULTI
            BZPOPMIN empty 0
            BZMPOP 0 1 empty MIN
            ZADD q 1 a
            BZPOPMAX q 0
            EXEC
            """#)
    }

    @Test func waitersAreServedInOrder() async throws {
        try await Self.check(#"""
            @2 !noreply BZPOPMIN z1 z2 0
            =1
            @3 !noreply BZPOPMAX z2 0
            =2
            @4 !noreply BZMPOP 0 2 z3 z2 MAX COUNT 2
            =3
            ZADD z2 1 a 2 b 3 c 4 d 5 e
            @2 <
            @3 <
            @4 <
            =0
            ZRANGE z2 0 -1 WITHSCORES
            ZADD z3 7 x
            ZCARD z3
            """#)
    }

    @Test func servedAfterExecAndFromStores() async throws {
        try await Self.check(#"""
            @2 !noreply BZPOPMIN dst 0
            =1
            MULTI
            ZADD dst 3 c
            ZADD dst 1 a
            ZREM dst c
            EXEC
            @2 <
            ZCARD dst
            @2 !noreply BZPOPMAX u 0
            =1
            ZADD a1 1 one 2 two
            ZADD a2 5 five
            ZUNIONSTORE u 2 a1 a2
            @2 <
            ZRANGE u 0 -1 WITHSCORES
            @2 !noreply BZMPOP 0 1 r MIN COUNT 3
            =1
            ZRANGESTORE r a1 0 -1
            @2 <
            EXISTS r
            """#)
    }

    @Test func timeoutsAndOtherTypes() async throws {
        try await Self.check(#"""
            @2 BZPOPMIN nothing 0.05
            @2 BZMPOP 0.05 1 nothing MIN
            @2 !noreply BZPOPMIN w 0
            =1
            RPUSH w x
            DEL w
            ZADD w 9 nine
            @2 <
            =0
            """#)
    }
}
