import Foundation
import RoostTestSupport
import Testing

/// CLIENT PAUSE / UNPAUSE, CLIENT REPLY and CLIENT NO-EVICT against redis-server 7.0.15. A
/// paused command is shown to wait, not to be refused, by what other clients read meanwhile;
/// its reply is read once the pause ends.
@Suite struct ClientPauseDifferentialTests {
    @Test func argumentErrorsMatchRedis() async throws {
        try await Differential.check(#"""
            CLIENT PAUSE
            CLIENT PAUSE abc
            CLIENT PAUSE abc none
            CLIENT PAUSE 10 none
            CLIENT PAUSE -1
            CLIENT PAUSE 10 write extra
            CLIENT UNPAUSE x
            CLIENT UNPAUSE
            CLIENT NO-EVICT on
            CLIENT NO-EVICT OFF
            CLIENT NO-EVICT maybe
            CLIENT NO-TOUCH on
            CLIENT REPLY foo
            CLIENT REPLY
            COMMAND DOCS client|pause client|unpause client|reply client|no-evict monitor
            COMMAND INFO client|pause client|unpause client|reply client|no-evict monitor
            """#)
    }

    @Test func replyOffAndSkipDropRepliesAsRedis() async throws {
        try await Differential.check(#"""
            !noreply CLIENT REPLY OFF
            !noreply SET a 1
            !noreply NOSUCHCMD
            !noreply GET
            !noreply CLIENT REPLY SKIP
            !noreply GET a
            CLIENT REPLY ON
            GET a
            !noreply CLIENT REPLY SKIP
            !noreply GET a
            PING
            !noreply CLIENT REPLY SKIP
            CLIENT REPLY ON
            !noreply CLIENT REPLY SKIP
            !noreply CLIENT REPLY SKIP
            !noreply PING
            PING x
            !noreply CLIENT REPLY SKIP
            !noreply CLIENT REPLY OFF
            !noreply PING
            CLIENT REPLY ON
            """#)
    }

    @Test func writePauseHoldsBackWritesUntilUnpause() async throws {
        try await Differential.check(#"""
            CLIENT PAUSE 100000 WRITE
            @2 !noreply SET k v
            # Reads run; the SET has not.
            @3 GET k
            @3 EVAL_RO "return redis.call('get', KEYS[1])" 1 k
            @3 EVAL "#!lua flags=no-writes\nreturn redis.call('get', 'k')" 0
            @4 !noreply EVAL "return redis.call('incr', 'n')" 0
            @5 MULTI
            @5 !noreply SET k2 v2
            @6 !noreply PUBLISH ch m
            @3 GET n
            @3 EXISTS k2
            @3 GET k
            CLIENT UNPAUSE
            @2 <
            @4 <
            @5 <
            @6 <
            @5 EXEC
            @3 GET k
            @3 GET n
            @3 GET k2
            """#)
    }

    @Test func allPauseHoldsBackEveryCommandUntilItEnds() async throws {
        try await Differential.check(#"""
            SET k v
            CLIENT PAUSE 300 ALL
            @2 !noreply GET k
            @3 !noreply CLIENT UNPAUSE
            @2 <
            @3 <
            """#)
    }

    /// CLIENT LIST shows a postponed client as blocked in its command, and NO-EVICT as `e`.
    @Test func clientListFlagsMatchRedis() async throws {
        let pair = try await DifferentialPair()
        do {
            for step in ["CLIENT PAUSE 100000 WRITE", "@2 !noreply SET k v", "@3 CLIENT NO-EVICT on"] { try pair.step(step) }
            let (redis, roost) = try pair.clients(3)
            var lists: [[String]] = []
            for connection in [redis, roost] {
                try connection.send(command: [Array("CLIENT".utf8), Array("LIST".utf8)])
                let text = String(decoding: try connection.readReply(), as: UTF8.self)
                lists.append(text.split(separator: "\n").compactMap { line in
                    let fields = line.split(separator: " ")
                    let flags = fields.first { $0.hasPrefix("flags=") }
                    let cmd = fields.first { $0.hasPrefix("cmd=") }
                    return flags.map { "\($0) \(cmd ?? "")" }
                }.sorted())
            }
            #expect(lists[0] == lists[1])
            #expect(lists[1].contains("flags=b cmd=set"))
            #expect(lists[1].contains("flags=e cmd=client|list"))
            try pair.step("CLIENT UNPAUSE")
            try pair.step("@2 <")
        } catch {
            await pair.stop()
            throw error
        }
        #expect(pair.mismatches.isEmpty, "\(pair.mismatches)")
        await pair.stop()
    }
}

extension ClientPauseDifferentialTests {
    /// A postponed command that writes no reply (CLIENT REPLY OFF) still lets its connection
    /// go on once it ran.
    @Test func postponedCommandUnderReplyOffLetsTheConnectionGoOn() async throws {
        try await Differential.check(#"""
            @2 !noreply CLIENT REPLY OFF
            CLIENT PAUSE 100000 WRITE
            @2 !noreply SET k v
            @3 GET k
            CLIENT UNPAUSE
            @2 CLIENT REPLY ON
            @3 GET k
            """#)
    }
}

extension ClientPauseDifferentialTests {
    /// While a pause is in force a key past its time reads as missing but is not deleted.
    /// (The key's second of life only has to outlast the step from SET to CLIENT PAUSE.)
    @Test func expiredKeysStayWhilePaused() async throws {
        try await Differential.check(#"""
            SET e v PX 1000
            CLIENT PAUSE 100000 WRITE
            !sleep 1100
            GET e
            EXISTS e
            TTL e
            DBSIZE
            CLIENT UNPAUSE
            GET e
            """#)
    }
}
