import RoostTestSupport
import Testing

/// SORT and SORT_RO against redis-server: every option, the three source types, BY and GET
/// through string keys and hash fields, STORE, and the errors.
@Suite struct SortDifferentialTests {
    @Test func sortedSetsAndSetsMatchRedis() async throws {
        try await Differential.check(#"""
            ZADD z 3 c 1 a 2 b 10 j
            OBJECT ENCODING z
            SORT z
            OBJECT ENCODING z
            SORT z ALPHA
            SORT z DESC ALPHA
            SORT z BY nosort
            SORT z BY nosort DESC
            SORT z BY nosort LIMIT 1 2
            SORT z BY nosort DESC LIMIT 1 2
            SORT z BY nosort DESC LIMIT 0 0
            SORT z BY nosort LIMIT 3 10
            SORT z BY nosort LIMIT 4 10
            SORT_RO z BY nosort DESC LIMIT 1 -1
            ZADD nums 1 10 2 9 3 8 4 -1.5 5 1e3
            SORT nums
            SORT nums DESC
            SORT nums ALPHA
            SORT nums LIMIT 1 2
            SORT nums LIMIT -5 2
            SORT nums LIMIT 2 -1
            SORT nums LIMIT 10 2
            SADD ints 5 3 100 -2 7
            SORT ints
            SORT ints DESC LIMIT 0 3
            SORT ints BY nosort
            SADD words banana apple cherry "" "a b"
            SORT words ALPHA
            SORT words ALPHA DESC
            SORT words
            SORT words BY nosort STORE out
            TYPE out
            SORT missing
            SORT missing STORE out
            EXISTS out
            SORT_RO missing
            """#)
    }

    @Test func byAndGetMatchRedis() async throws {
        try await Differential.check(#"""
            RPUSH ids 3 1 2 4
            MSET w_1 30 w_2 10 w_3 20 name_1 one name_2 two name_3 three
            HSET h_1 f 3 n uno
            HSET h_2 f 1 n dos
            HSET h_3 f 2
            SORT ids BY w_*
            SORT ids BY w_* DESC
            SORT ids BY w_* GET name_*
            SORT ids BY w_* GET # GET name_* GET missing_*
            SORT ids BY h_*->f
            SORT ids BY h_*->f GET h_*->n GET #
            SORT ids BY h_*->f GET h_*->
            SORT ids BY name_* ALPHA
            SORT ids BY name_* ALPHA DESC GET #
            SORT ids BY nosort GET name_*
            SORT ids BY nosort DESC GET name_* LIMIT 1 2
            SORT ids BY fixed GET #
            SORT ids GET fixed
            SORT ids GET # GET w_*
            SORT ids BY w_* LIMIT 1 2 GET name_*
            SORT ids BY name_*
            SORT ids BY w_* STORE dst
            LRANGE dst 0 -1
            SORT ids BY w_* GET name_* GET missing_* STORE dst
            LRANGE dst 0 -1
            EXPIRE dst 100
            SORT ids STORE dst
            TTL dst
            SET dst string
            SORT ids DESC STORE dst
            TYPE dst
            LRANGE dst 0 -1
            SORT_RO ids BY w_* GET name_*
            """#)
    }

    @Test func listsMatchRedis() async throws {
        try await Differential.check(#"""
            RPUSH l 3 1 2 10 -7 2.5 1e2 0x10
            SORT l
            SORT l DESC
            SORT l ALPHA
            SORT l BY nosort
            SORT l BY nosort DESC
            SORT l BY nosort LIMIT 2 3
            SORT l BY nosort DESC LIMIT 2 3
            SORT l LIMIT 0 3 STORE s
            LRANGE s 0 -1
            RPUSH dup 2 1 2 1 "1.0"
            SORT dup
            SORT dup DESC
            RPUSH bad 1 x 2
            SORT bad
            SORT bad ALPHA
            RPUSH nan 1 nan
            SORT nan
            RPUSH big 1 1e400
            SORT big
            RPUSH spaces " 5" "6 " 7
            SORT spaces
            RPUSH bin "a\x00b" "a" "a\x00a" "b"
            SORT bin ALPHA STORE binsorted
            LRANGE binsorted 0 -1
            """#)
    }

    @Test func errorsMatchRedis() async throws {
        try await Differential.check(#"""
            SORT
            SORT_RO
            RPUSH l 1 2
            SORT l LIMIT 0
            SORT l LIMIT a b
            SORT l LIMIT 0 b
            SORT l BY
            SORT l GET
            SORT l STORE
            SORT l foo
            SORT l ASC DESC
            SORT_RO l STORE x
            SET s x
            SORT s
            SORT s foo
            SORT_RO s
            SORT s LIMIT 0 1 ALPHA
            """#)
    }

    @Test func watchSeesSortStore() async throws {
        try await Differential.check(#"""
            RPUSH l 2 1
            SET dst x
            WATCH dst
            SORT l STORE dst
            MULTI
            PING
            EXEC
            """#)
    }
}
