import RoostTesting
import RoostTestSupport
import Testing

/// Client-side caching (CLIENT TRACKING) against redis-server 7.0.15: client 1 tracks, client 2
/// (or client 1 itself) changes keys, and client 1 reads exactly the invalidations Redis sent;
/// a PING after them proves none is missing or extra.
@Suite struct ClientTrackingDifferentialTests {
    @Test func resp3DefaultModeInvalidatesKeysTheClientRead() async throws {
        try await Differential.check(#"""
            ?HELLO 3
            CLIENT TRACKING ON
            GET a
            MGET b c
            HGET h f
            EXISTS x
            @2 SET a 1
            <
            # Invalidated keys leave the table: a second change sends nothing.
            @2 SET a 2
            PING
            @2 MSET b 1 c 2
            <
            <
            @2 HSET h f v
            <
            @2 DEL x
            @2 SET x 1
            <
            PING
            # The client's own change reaches it after the command's reply.
            GET a
            !replies 2 SET a 3
            GET a
            !replies 2 DEL a
            # A write command's keys are not remembered.
            SET w 1
            @2 SET w 2
            PING
            # EXEC's reads are remembered, and its changes come after its whole reply.
            MULTI
            GET m1
            GET m2
            EXEC
            MULTI
            SET m1 1
            SET m2 2
            !replies 3 EXEC
            CLIENT TRACKINGINFO
            CLIENT GETREDIR
            CLIENT TRACKING OFF
            @2 SET a 4
            GET a
            @2 SET a 5
            PING
            CLIENT TRACKINGINFO
            CLIENT GETREDIR
            """#)
    }

    /// A script's reads remember the keys its EVAL declared; its changes reach the caller
    /// after the script's reply.
    @Test func scriptsRememberTheirDeclaredKeys() async throws {
        try await Differential.check(#"""
            ?HELLO 3
            CLIENT TRACKING ON
            EVAL "return redis.call('get', KEYS[1])" 1 s1
            EVAL "return redis.call('get', 'undeclared')" 0
            EVAL_RO "return redis.call('get', KEYS[1])" 1 s2
            EVAL "redis.call('set', KEYS[1], 'x') return 1" 1 s3
            @2 MSET s1 1 s2 2 s3 3 undeclared 4
            <
            <
            PING
            GET s1
            !replies 2 EVAL "redis.call('set', KEYS[1], 'y') return 1" 1 s1
            """#)
    }

    /// A script that loops `ms` milliseconds by the server's TIME between two changes of
    /// KEYS[1], each followed by a read (which tracks the key again for the caller).
    static func busyScript(_ ms: Int) -> String {
        #""redis.call('set', KEYS[1], 'a') redis.call('get', KEYS[1]) "#
            + #"local t = redis.call('time') local start = t[1] * 1000000 + t[2] "#
            + #"while true do t = redis.call('time') if t[1] * 1000000 + t[2] - start > \#(ms * 1000) then break end end "#
            + #"redis.call('set', KEYS[1], 'b') redis.call('get', KEYS[1]) return 1" 1 k"#
    }

    /// A script past busy-reply-threshold is still its caller's command: the caller's own
    /// changes reach it after the script's reply, or never with NOLOOP, before and after the
    /// script became busy; in BCAST mode NOLOOP does not leave out a script's changes (Redis
    /// 7.0 files them under the script's own client). FCALL as EVAL.
    @Test func busyScriptsKeepTheirCallersInvalidationsUntilTheReply() async throws {
        try await Differential.check(#"""
            CONFIG SET busy-reply-threshold 50
            ?HELLO 3
            CLIENT TRACKING ON NOLOOP
            GET k
            !noreply EVAL \#(Self.busyScript(300))
            <
            PING
            CLIENT TRACKING OFF
            CLIENT TRACKING ON OPTOUT
            GET k
            !noreply EVAL \#(Self.busyScript(300))
            <
            <
            <
            PING
            CLIENT TRACKING OFF
            CLIENT TRACKING ON BCAST NOLOOP
            !noreply EVAL \#(Self.busyScript(300))
            <
            <
            SET k c
            PING
            CLIENT TRACKING OFF
            ?FUNCTION LOAD "#!lua name=lib\n redis.register_function('f', function(keys) redis.call('set', keys[1], 'f') return 1 end)"
            CLIENT TRACKING ON NOLOOP
            GET k
            FCALL f 1 k
            CLIENT TRACKING OFF
            CLIENT TRACKING ON BCAST NOLOOP
            !replies 2 FCALL f 1 k
            PING
            """#)
    }

    /// While a script is busy, Redis serves the other clients from inside it: a client that
    /// cached a key the script changed is told at once, while the script still runs; BCAST's
    /// broadcast waits for the script's end.
    @Test func invalidationsReachOtherClientsWhileAScriptIsBusy() async throws {
        try await Differential.with { pair in
            try pair.run(#"""
                CONFIG SET busy-reply-threshold 50
                @2 ?HELLO 3
                @2 CLIENT TRACKING ON
                @2 GET k
                @3 ?HELLO 3
                @3 CLIENT TRACKING ON BCAST
                !noreply EVAL \#(Self.busyScript(4000))
                """#)
            let (redisCaller, roostCaller) = try pair.clients(1)
            let (redisDefault, roostDefault) = try pair.clients(2)
            let (redisBroadcast, roostBroadcast) = try pair.clients(3)
            for (caller, tracker, broadcast, name) in [(redisCaller, redisDefault, redisBroadcast, "redis"),
                                                       (roostCaller, roostDefault, roostBroadcast, "roost")] {
                #expect(try tracker.hasReply(within: 3), "\(name): no invalidation while the script runs")
                #expect(try !caller.hasReply(within: 0), "\(name): the script ended too soon for the test")
                #expect(try !broadcast.hasReply(within: 0), "\(name): BCAST's broadcast came before the script's end")
            }
            try pair.run(#"""
                @2 <
                <
                @3 <
                @2 PING
                @3 PING
                """#)
        }
    }

    /// The table is one for all databases: a key read in one is invalidated by a change of
    /// the same name in another.
    @Test func keysAreTrackedAcrossDatabases() async throws {
        try await Differential.check(#"""
            ?HELLO 3
            CLIENT TRACKING ON
            GET a
            @2 SELECT 1
            @2 SET a 1
            <
            @2 SWAPDB 0 1
            PING
            """#)
    }

    /// Past `tracking-table-max-keys`, a random key is invalidated before the next command
    /// runs (or by the cron); which one is random, so only the message's shape is compared.
    @Test func tableLimitInvalidatesKeysBeyondIt() async throws {
        try await Differential.with { pair in
            try pair.run(#"""
                ?HELLO 3
                CONFIG SET tracking-table-max-keys 1
                CLIENT TRACKING ON
                GET a
                GET b
                """#)
            let (redis, roost) = try pair.clients(1)
            // The cron may get there before the next command does: the push comes before or
            // after its reply.
            for connection in [redis, roost] {
                try connection.send(command: [Array("PING".utf8)])
                let replies = try [connection.readReply(), connection.readReply()].map { String(decoding: $0, as: UTF8.self) }
                #expect(replies.contains("+PONG\r\n"))
                #expect(replies.contains { $0.hasPrefix(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\n") })
            }
            #expect(try Self.info(redis, "stats", "tracking_total_keys") == "1")
            #expect(try Self.info(roost, "stats", "tracking_total_keys") == "1")
        }
    }

    @Test func resetAndClientListShowTheMode() async throws {
        try await Differential.with { pair in
            try pair.run(#"""
                CLIENT TRACKING ON BCAST
                CLIENT GETREDIR
                RESET
                CLIENT TRACKINGINFO
                CLIENT TRACKING ON BCAST PREFIX p
                ?HELLO 3
                SUBSCRIBE c
                MULTI
                """#)
            let (redis, roost) = try pair.clients(1)
            let fields = try [redis, roost].map { connection in
                #expect(try Self.text(connection, "CLIENT", "INFO") == "+QUEUED\r\n")
                let info = try Self.text(connection, "EXEC")
                return info.split(separator: " ").filter { $0.hasPrefix("flags=") || $0.hasPrefix("redir=") }
            }
            #expect(fields[0] == fields[1])
            #expect(fields[1].contains("redir=0"))
            #expect(fields[1].contains { $0.hasPrefix("flags=P") && $0.hasSuffix("tB") })
        }
    }

    @Test func resp2WithoutRedirectGetsNothing() async throws {
        try await Differential.check(#"""
            CLIENT TRACKING ON
            GET a
            @2 SET a 1
            SET a 2
            FLUSHALL
            PING
            CLIENT TRACKINGINFO
            """#)
    }

    @Test func flushesInvalidateEverythingWithNull() async throws {
        try await Differential.check(#"""
            ?HELLO 3
            CLIENT TRACKING ON
            GET a
            @2 FLUSHALL
            <
            PING
            @2 FLUSHDB
            <
            !replies 2 FLUSHALL
            !replies 2 FLUSHDB
            @2 SET a 1
            PING
            """#)
    }

    /// The active expiry cycle deletes the key: the `<` waits for its invalidation.
    @Test func expiredKeysAreInvalidated() async throws {
        try await Differential.check(#"""
            ?HELLO 3
            CLIENT TRACKING ON
            @2 SET e v PX 1000
            EXISTS e
            <
            @2 EXISTS e
            PING
            """#)
    }

    /// Keys evicted for `maxmemory` are invalidated like changed ones.
    @Test func evictedKeysAreInvalidated() async throws {
        try await Differential.check(#"""
            ?HELLO 3
            CLIENT TRACKING ON
            @2 SET a v
            GET a
            @2 CONFIG SET maxmemory-policy allkeys-lru
            @2 CONFIG SET maxmemory 1
            @2 SET b v
            <
            @2 CONFIG SET maxmemory 0
            PING
            """#)
    }

    @Test func noLoopSkipsTheClientsOwnChanges() async throws {
        try await Differential.check(#"""
            ?HELLO 3
            CLIENT TRACKING ON NOLOOP
            GET a
            SET a 1
            PING
            GET a
            @2 SET a 2
            <
            CLIENT TRACKINGINFO
            """#)
    }

    @Test func optInTracksOnlyAfterCachingYes() async throws {
        try await Differential.check(#"""
            ?HELLO 3
            CLIENT TRACKING ON OPTIN
            GET a
            @2 SET a 1
            PING
            CLIENT CACHING YES
            CLIENT TRACKINGINFO
            GET a
            CLIENT TRACKINGINFO
            GET b
            @2 SET a 2
            <
            @2 SET b 2
            PING
            CLIENT CACHING YES
            MULTI
            GET c
            GET d
            EXEC
            @2 MSET c 1 d 1
            <
            <
            CLIENT CACHING NO
            """#)
    }

    @Test func optOutTracksUnlessCachingNo() async throws {
        try await Differential.check(#"""
            ?HELLO 3
            CLIENT TRACKING ON OPTOUT
            CLIENT CACHING NO
            CLIENT TRACKINGINFO
            GET a
            GET b
            @2 MSET a 1 b 1
            <
            PING
            CLIENT CACHING YES
            """#)
    }

    @Test func broadcastSendsChangedKeysUnderEachPrefix() async throws {
        try await Differential.check(#"""
            ?HELLO 3
            CLIENT TRACKING ON BCAST PREFIX user: PREFIX obj
            CLIENT TRACKINGINFO
            @2 SET user:1 a
            <
            @2 SET other b
            PING
            @2 MSET objb 1 obja 2 user:2 3
            <
            <
            !replies 2 SET user:3 x
            CLIENT TRACKING ON BCAST PREFIX session
            CLIENT TRACKINGINFO
            CLIENT TRACKING OFF
            CLIENT TRACKINGINFO
            CLIENT TRACKING ON BCAST NOLOOP
            !replies 1 SET mine 1
            @2 SET theirs 1
            <
            PING
            @3 CLIENT TRACKING ON BCAST
            """#)
    }

    @Test func optionErrorsMatchRedis() async throws {
        try await Differential.check(#"""
            CLIENT TRACKING
            CLIENT TRACKING MAYBE
            CLIENT TRACKING ON FOO
            CLIENT TRACKING ON REDIRECT
            CLIENT TRACKING ON REDIRECT abc
            CLIENT TRACKING ON REDIRECT 999999
            CLIENT TRACKING ON PREFIX a
            CLIENT TRACKING ON BCAST OPTIN
            CLIENT TRACKING ON BCAST OPTOUT
            CLIENT TRACKING ON OPTIN OPTOUT
            CLIENT TRACKING ON BCAST PREFIX ab PREFIX a
            CLIENT TRACKING OFF FOO
            CLIENT TRACKING OFF BCAST
            CLIENT CACHING YES
            CLIENT CACHING NO
            CLIENT CACHING
            CLIENT TRACKING ON
            CLIENT CACHING YES
            CLIENT CACHING NO
            CLIENT CACHING MAYBE
            CLIENT TRACKING ON BCAST
            CLIENT TRACKING ON OPTIN
            CLIENT CACHING NO
            CLIENT TRACKING ON OPTOUT
            CLIENT TRACKING OFF
            CLIENT TRACKING ON BCAST PREFIX a
            CLIENT TRACKING ON
            CLIENT TRACKING ON BCAST PREFIX ab
            CLIENT TRACKING ON BCAST PREFIX b PREFIX c
            CLIENT TRACKINGINFO
            CLIENT GETREDIR x
            CLIENT TRACKINGINFO x
            """#)
    }

    /// Redis replies to a later overlap among new prefixes with an error and then OK.
    @Test func laterPrefixOverlapAnswersTwice() async throws {
        try await Differential.check(#"""
            !replies 2 CLIENT TRACKING ON BCAST PREFIX a PREFIX b PREFIX bc
            CLIENT TRACKINGINFO
            """#)
    }

    @Test func infoAndConfigReportTracking() async throws {
        try await Differential.with { pair in
            try pair.run(#"""
                CONFIG GET tracking-table-max-keys
                CONFIG SET tracking-table-max-keys 5
                CONFIG GET tracking-table-max-keys
                CONFIG SET tracking-table-max-keys -1
                CLIENT TRACKING ON
                MGET a b c
                @2 CLIENT TRACKING ON BCAST PREFIX x PREFIX y
                @3 CLIENT TRACKING ON BCAST PREFIX x
                """#)
            let (redis, roost) = try pair.clients(1)
            for field in ["tracking_clients", "tracking_total_keys", "tracking_total_items", "tracking_total_prefixes"] {
                let section = field == "tracking_clients" ? "clients" : "stats"
                let expected = try Self.info(redis, section, field)
                #expect(expected != nil)
                #expect(try Self.info(roost, section, field) == expected, "\(field)")
            }
        }
    }

    /// RESP2 with REDIRECT: the invalidations reach the redirect client as messages on
    /// `__redis__:invalidate`; once it is gone, a RESP3 client learns it with
    /// `tracking-redir-broken`.
    @Test func redirectToASubscribedResp2Client() async throws {
        try await Differential.with { pair in
            let ids = try Self.trackWithRedirect(pair, after: "@2 !replies 1 SUBSCRIBE __redis__:invalidate")
            try pair.run(#"""
                GET a
                @3 SET a 1
                @2 <
                SET b 1
                GET b
                DEL b
                @2 <
                @2 PING
                FLUSHALL
                @2 <
                @2 PING
                """#)
            let (redis, roost) = try pair.clients(1)
            for (connection, id) in [(redis, ids.redis), (roost, ids.roost)] {
                #expect(try Self.text(connection, "CLIENT", "GETREDIR") == ":\(id)\r\n")
                let line = try Self.text(connection, "CLIENT", "LIST", "ID", String(try Self.ownID(connection)))
                #expect(line.contains(" flags=t "), "\(line)")
                #expect(line.contains(" redir=\(id) "), "\(line)")
            }
        }
    }

    /// A RESP2 redirect client that is not subscribed gets nothing.
    @Test func redirectToAnUnsubscribedResp2Client() async throws {
        try await Differential.with { pair in
            _ = try Self.trackWithRedirect(pair, after: "@2 PING")
            try pair.run(#"""
                GET a
                @3 SET a 1
                @2 PING
                !replies 1 FLUSHALL
                @2 PING
                """#)
        }
    }

    @Test func brokenRedirectIsReportedInResp3() async throws {
        try await Differential.with { pair in
            let ids = try Self.trackWithRedirect(pair, after: "?HELLO 3")
            try pair.run(#"""
                GET a
                @2 QUIT
                """#)
            try Self.waitUntilGone(pair, ids)
            try pair.run("@3 SET a 1")
            let (redis, roost) = try pair.clients(1)
            for (connection, id) in [(redis, ids.redis), (roost, ids.roost)] {
                let broken = ">2\r\n$21\r\ntracking-redir-broken\r\n:\(id)\r\n"
                #expect(String(decoding: try connection.readReply(), as: UTF8.self) == broken)
                let info = try Self.text(connection, "CLIENT", "TRACKINGINFO")
                #expect(info.contains("$15\r\nbroken_redirect\r\n"), "\(info)")
            }
        }
    }

    /// A RESP3 redirect client gets `invalidate` pushes for another client's keys.
    @Test func redirectToAResp3Client() async throws {
        try await Differential.with { pair in
            _ = try Self.trackWithRedirect(pair, after: "@2 ?HELLO 3")
            try pair.run(#"""
                GET a
                @3 SET a 1
                @2 <
                @2 PING
                """#)
        }
    }

    // MARK: Helpers

    /// Waits until neither server lists the client with `ids` any more.
    static func waitUntilGone(_ pair: DifferentialPair, _ ids: (redis: Int, roost: Int)) throws {
        let (redis, roost) = try pair.clients(3)
        for (connection, id) in [(redis, ids.redis), (roost, ids.roost)] {
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                if try text(connection, "CLIENT", "LIST", "ID", String(id)) == "$0\r\n\r\n" { break }
            }
        }
    }

    /// The CLIENT ID of client `index` on each server.
    static func clientIDs(_ pair: DifferentialPair, _ index: Int) throws -> (redis: Int, roost: Int) {
        let (redis, roost) = try pair.clients(index)
        return (try ownID(redis), try ownID(roost))
    }

    static func ownID(_ connection: RawConnection) throws -> Int {
        Int(try text(connection, "CLIENT", "ID").dropFirst().prefix { $0.isNumber })!
    }

    /// Runs the script line `setup`, then turns tracking on for client 1 with REDIRECT to
    /// client 2 on both servers. Returns client 2's ids.
    static func trackWithRedirect(_ pair: DifferentialPair, after setup: String) throws -> (redis: Int, roost: Int) {
        let ids = try clientIDs(pair, 2)
        try pair.run(setup)
        let (redis, roost) = try pair.clients(1)
        for (connection, id) in [(redis, ids.redis), (roost, ids.roost)] {
            #expect(try text(connection, "CLIENT", "TRACKING", "ON", "REDIRECT", String(id)) == "+OK\r\n")
        }
        return ids
    }

    /// One command's raw reply, as text.
    static func text(_ connection: RawConnection, _ arguments: String...) throws -> String {
        try connection.send(command: arguments.map { Array($0.utf8) })
        return String(decoding: try connection.readReply(), as: UTF8.self)
    }

    /// One INFO field's value.
    static func info(_ connection: RawConnection, _ section: String, _ field: String) throws -> String? {
        let text = try text(connection, "INFO", section)
        let line = text.split(separator: "\r\n").first { $0.hasPrefix("\(field):") }
        return line.map { String($0.dropFirst(field.count + 1)) }
    }
}
