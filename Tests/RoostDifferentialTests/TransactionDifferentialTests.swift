import RoostEngine
import RoostTestSupport
import Testing

/// Whether the command table has every named command (some tests need other families' commands).
private func has(_ names: String...) -> Bool {
    names.allSatisfy { CommandTable.standard.lookup(name: $0) != nil }
}

@Suite struct TransactionDifferentialTests {
    @Test func multiExecMatchesRedis() async throws {
        try await Differential.check(#"""
            MULTI
            SET k v
            GET k
            GET missing
            PING
            ECHO "a\x00b\r\n\xff"
            EXEC
            GET k
            MULTI
            EXEC
            EXEC
            DISCARD
            MULTI
            MULTI
            SET k v2
            DISCARD
            GET k
            DISCARD
            MULTI x
            EXEC x
            DISCARD x
            MULTI
            SET k v3
            EXEC x
            EXEC
            GET k
            MULTI
            DISCARD x
            EXEC
            UNWATCH x
            WATCH
            """#)
    }

    @Test func errorsWhileQueueingAbortExec() async throws {
        try await Differential.check(#"""
            MULTI
            SET k v
            NOSUCHCOMMAND a
            SET k v2
            EXEC
            GET k
            MULTI
            GET
            EXEC
            MULTI
            SET a
            GET a
            MULTI
            WATCH a
            EXEC
            GET a
            MULTI
            PUBSUB FOO
            EXEC
            MULTI
            SET k v
            DISCARD
            EXEC
            """#)
    }

    @Test func errorsAtExecTimeStayInsideTheReply() async throws {
        try await Differential.check(#"""
            MULTI
            SET k v
            SELECT 99
            SELECT x
            GET k
            PING a b
            SET k2 "a\x00b"
            GET k2
            EXEC
            MULTI
            PUBSUB HELP
            PUBSUB NUMSUB a
            PUBLISH ch msg
            EXEC
            """#)
    }

    @Test func watchMatchesRedis() async throws {
        try await Differential.check(#"""
            SET x 1
            WATCH x y
            WATCH x
            MULTI
            GET x
            EXEC
            WATCH x
            SET x 2
            MULTI
            GET x
            EXEC
            GET x
            WATCH x
            @2 SET x 3
            MULTI
            SET x 4
            EXEC
            GET x
            WATCH missing
            @2 SET missing v
            MULTI
            PING
            EXEC
            WATCH missing2
            @2 DEL missing2
            MULTI
            PING
            EXEC
            WATCH x
            @2 GET x
            MULTI
            PING
            EXEC
            WATCH x
            UNWATCH
            @2 SET x 5
            MULTI
            PING
            EXEC
            WATCH x
            @2 SET x 6
            UNWATCH
            MULTI
            PING
            EXEC
            WATCH x
            @2 SET x 7
            WATCH y
            MULTI
            PING
            EXEC
            WATCH x
            @2 SET x 8
            MULTI
            DISCARD
            MULTI
            PING
            EXEC
            WATCH x
            MULTI
            UNWATCH
            @2 SET x 9
            SET x 10
            EXEC
            GET x
            """#)
    }

    @Test func watchIsPerDatabase() async throws {
        try await Differential.check(#"""
            SELECT 1
            WATCH k
            @2 SET k v
            MULTI
            PING
            EXEC
            WATCH k
            @2 SELECT 1
            @2 SET k v
            MULTI
            PING
            EXEC
            WATCH "a\x00b\r\n\xff" ""
            @2 SET "" x
            MULTI
            PING
            EXEC
            """#)
    }

    @Test func ownWritesInsideExecDoNotBreakLaterTransactions() async throws {
        try await Differential.check(#"""
            WATCH x
            MULTI
            SET x 1
            EXEC
            MULTI
            GET x
            EXEC
            WATCH x
            @2 MULTI
            @2 SET x 2
            @2 EXEC
            MULTI
            GET x
            EXEC
            """#)
    }

    @Test func disconnectedWatcherIsForgotten() async throws {
        try await Differential.check(#"""
            @2 WATCH x
            @2 MULTI
            @2 SET x 1
            @2 QUIT
            !sleep 100
            SET x 2
            GET x
            """#)
    }

    @Test func subscribeInsideMultiMatchesRedis() async throws {
        try await Differential.check(#"""
            MULTI
            SUBSCRIBE a
            PSUBSCRIBE b*
            SSUBSCRIBE s
            PING
            GET k
            EXEC
            PING
            GET k
            MULTI
            """#)
    }

    @Test(.enabled(if: has("pexpire")))
    func expiryBreaksWatch() async throws {
        try await Differential.check(#"""
            SET x 1
            PEXPIRE x 100
            WATCH x
            !sleep 200
            MULTI
            PING
            EXEC
            SET y 1
            PEXPIRE y 50
            !sleep 100
            WATCH y
            MULTI
            PING
            EXEC
            SET z 1
            PEXPIRE z 50
            !sleep 100
            WATCH z
            GET z
            MULTI
            PING
            EXEC
            SET w 1
            PEXPIRE w 50
            !sleep 100
            WATCH w
            SET w 2
            MULTI
            PING
            EXEC
            """#)
    }

    @Test(.enabled(if: has("flushdb", "swapdb")))
    func flushAndSwapBreakWatch() async throws {
        try await Differential.check(#"""
            SET x 1
            WATCH x
            @2 FLUSHDB
            MULTI
            PING
            EXEC
            WATCH x
            @2 FLUSHALL
            MULTI
            PING
            EXEC
            SET x 1
            WATCH x
            @2 FLUSHALL
            MULTI
            PING
            EXEC
            WATCH nothere
            @2 FLUSHDB
            MULTI
            PING
            EXEC
            WATCH nothere
            @2 SELECT 1
            @2 SET nothere v
            @2 SWAPDB 0 1
            MULTI
            PING
            EXEC
            WATCH alsonothere
            @2 SWAPDB 0 1
            MULTI
            PING
            EXEC
            SET q 1
            SELECT 1
            WATCH q
            @2 SWAPDB 0 1
            MULTI
            PING
            EXEC
            """#)
    }
}
