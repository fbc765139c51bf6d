import Foundation
import RoostTestSupport
import Testing

/// Scripts that run past busy-reply-threshold: BUSY for the other clients, SCRIPT KILL and
/// FUNCTION KILL, FUNCTION STATS, and SHUTDOWN NOSAVE, compared byte for byte with redis-server.
///
/// Client 1 starts the script without waiting for its reply; the other clients talk to the
/// servers while it runs; `@1 <` then reads the script's reply. Threshold 100 ms, and the other
/// clients start 400 ms in, so both servers are busy by then.
@Suite(.serialized) struct ScriptTimeoutDifferentialTests {
    static let setup = """
        CONFIG SET busy-reply-threshold 100
        """

    /// A script that loops until `ms` milliseconds have passed (by the server's TIME), then
    /// returns `done`: it ends on its own, without a kill.
    static func timedLoop(_ ms: Int, write: Bool = false) -> String {
        let writePart = write ? "redis.call('set', KEYS[1], 'written') " : ""
        return #""\#(writePart)local t = redis.call('time') local start = t[1] * 1000000 + t[2] "#
            + #"while true do t = redis.call('time') if t[1] * 1000000 + t[2] - start > \#(ms * 1000) then break end end "#
            + #"return 'done'""#
    }

    @Test func otherClientsGetBusyAndScriptKillStopsTheScript() async throws {
        try await Differential.check(Self.setup + """

            CONFIG GET busy-reply-threshold
            CONFIG GET lua-time-limit
            SET x before
            !noreply EVAL "while true do end" 0
            !sleep 400
            @2 PING
            @2 GET x
            @2 SET x during
            @2 EVAL "return 1" 0
            @2 EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0
            @2 SCRIPT FLUSH
            @2 SCRIPT LOAD "return 1"
            @2 CLIENT ID
            @2 CONFIG SET busy-reply-threshold 0
            @2 COMMAND COUNT
            @2 SHUTDOWN
            @2 SHUTDOWN SAVE
            @2 SHUTDOWN ABORT
            @2 FUNCTION KILL
            @2 FUNCTION STATS
            @2 NOSUCHCOMMAND
            @2 GET
            @2 WATCH x
            @2 UNWATCH
            @2 MULTI
            @2 PING
            @2 GET x
            @2 EXEC
            @2 MULTI
            @2 DISCARD
            @3 AUTH nopass
            @3 QUIT
            @2 SCRIPT KILL
            <
            @2 SCRIPT KILL
            @2 FUNCTION KILL
            @2 PING
            @2 GET x
            PING
            """)
    }

    @Test func killedScriptsCanBeCaughtByPcallOnlyUntilTheirNextLine() async throws {
        try await Differential.check(Self.setup + """

            !noreply EVAL "pcall(function() while true do end end) return 'survived'" 0
            !sleep 400
            @2 PING
            @2 SCRIPT KILL
            <
            !noreply EVAL "local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end" 0
            !sleep 400
            @2 SCRIPT KILL
            <
            !noreply EVAL "local ok, err = pcall(function() while true do end end)\\nreturn err" 0
            !sleep 400
            @2 SCRIPT KILL
            <
            !noreply EVAL "local co = coroutine.create(function() while true do end end) return {coroutine.resume(co)}" 0
            !sleep 400
            @2 SCRIPT KILL
            <
            !noreply EVAL "local t = {} setmetatable(t, {__index = function() while true do end end}) return t.x" 0
            !sleep 400
            @2 SCRIPT KILL
            <
            !noreply EVAL "local t = {3, 1, 2} table.sort(t, function(a, b) while true do end end)" 0
            !sleep 400
            @2 SCRIPT KILL
            <
            PING
            """)
    }

    @Test func aScriptThatWroteCannotBeKilledAndFinishes() async throws {
        try await Differential.check(Self.setup + """

            !noreply EVAL \(Self.timedLoop(700, write: true)) 1 k
            !sleep 300
            @2 SCRIPT KILL
            @2 FUNCTION KILL
            @2 GET k
            <
            @2 GET k
            !noreply EVAL \(Self.timedLoop(500)) 0
            !sleep 300
            @2 PING
            <
            @2 PING
            """)
    }

    @Test func pipelinedCommandsWaitForTheBusyScript() async throws {
        try await Differential.check(Self.setup + """

            !noreply EVAL "while true do end" 0
            !noreply SET after-script 1
            !noreply GET after-script
            !sleep 400
            @2 EXISTS after-script
            @2 SCRIPT KILL
            <
            <
            <
            @2 GET after-script
            """)
    }

    @Test func aBusyScriptInsideExec() async throws {
        try await Differential.check(Self.setup + """

            MULTI
            SET a 1
            EVAL "while true do end" 0
            SET b 2
            !noreply EXEC
            !sleep 400
            @2 GET a
            @2 SCRIPT KILL
            <
            @2 MGET a b
            """)
    }

    @Test func busyFunctionsAndFunctionKill() async throws {
        try await Differential.check(Self.setup + """

            FUNCTION LOAD "#!lua name=spinners\\nredis.register_function('spin', function(keys, args) while true do end end)\\nredis.register_function{function_name='spin_ro', callback=function(keys, args) while true do end end, flags={'no-writes'}}\\nredis.register_function('spin_write', function(keys, args) redis.call('set', keys[1], 'w') while true do end end)"
            FUNCTION STATS
            !noreply FCALL spin 1 key1 arg1
            !sleep 400
            @2 PING
            @2 FCALL spin_ro 0
            @2 SCRIPT KILL
            @2 SHUTDOWN
            @2 ?FUNCTION STATS
            @2 FUNCTION KILL
            <
            @2 FUNCTION KILL
            @2 FUNCTION STATS
            !noreply FCALL_RO spin_ro 0
            !sleep 400
            @2 SCRIPT KILL
            @2 FUNCTION KILL
            <
            !noreply FCALL spin_write 1 fk
            !sleep 400
            @2 FUNCTION KILL
            @2 SCRIPT KILL
            @2 ?FUNCTION STATS
            @2 ?HELLO 3
            @2 ?FUNCTION STATS
            @2 ?HELLO 2
            """)
        // spin_write cannot be killed: the last step of the script above leaves both servers
        // busy, and the pair is stopped with it still running.
    }

    @Test func functionStatsNamesTheRunningFunction() async throws {
        try await Differential.with { pair in
            try pair.run(Self.setup + """

                FUNCTION LOAD "#!lua name=spinners\\nredis.register_function('spin', function(keys, args) while true do end end)"
                !noreply FCALL spin 2 key1 key2 arg1
                !sleep 400
                """)
            for protocolVersion in [2, 3] {
                let (redis, roost) = try pair.clients(2)
                for connection in [redis, roost] {
                    try connection.send(command: [Array("HELLO".utf8), Array("\(protocolVersion)".utf8)])
                    _ = try connection.readReply()
                    try connection.send(command: [Array("FUNCTION".utf8), Array("STATS".utf8)])
                }
                // Everything but the running time is the same; the time is within the script's life.
                let redisReply = try redis.readReply()
                let roostReply = try roost.readReply()
                #expect(Self.withoutDuration(redisReply) == Self.withoutDuration(roostReply))
                let duration = Self.duration(roostReply)
                #expect(duration != nil && duration! >= 300 && duration! < 60_000, "duration_ms \(String(describing: duration))")
            }
            try pair.run("""
                @2 FUNCTION KILL
                <
                """)
        }
    }

    @Test func functionLoadStopsLibraryCodeAfterHalfASecond() async throws {
        try await Differential.check("""
            FUNCTION LOAD "#!lua name=slow\\nwhile true do end"
            FUNCTION LOAD "#!lua name=slowpcall\\npcall(function() while true do end end) redis.register_function('f', function() return 1 end)"
            FUNCTION LIST
            FUNCTION LOAD "#!lua name=quick\\nlocal n = 0 for i = 1, 100000 do n = n + i end redis.register_function('sum', function() return n end)"
            FCALL sum 0
            CONFIG SET busy-reply-threshold -1
            CONFIG SET busy-reply-threshold abc
            CONFIG SET lua-time-limit 0
            CONFIG GET busy-reply-threshold
            CONFIG SET busy-reply-threshold 5000
            CONFIG GET lua-time-limit
            """)
    }

    @Test func noThresholdMeansNoBusyState() async throws {
        try await Differential.check("""
            CONFIG SET busy-reply-threshold 0
            !noreply EVAL \(Self.timedLoop(400)) 0
            !sleep 100
            @2 PING
            <
            @2 SCRIPT KILL
            """)
    }

    @Test func shutdownNosaveStopsABusyServer() async throws {
        try await Differential.with { pair in
            try pair.run(Self.setup + """

                SET k v
                !noreply EVAL \(Self.timedLoop(60_000, write: true)) 1 k
                !sleep 400
                @2 SCRIPT KILL
                @2 SHUTDOWN
                @2 !rawclose *2\\r\\n$8\\r\\nSHUTDOWN\\r\\n$6\\r\\nNOSAVE\\r\\n
                """)
            // The script's own client gets no reply either: its connection just closes.
            let (redis, roost) = try pair.clients(1)
            #expect(try redis.readUntilClosed() == roost.readUntilClosed())
            let port = pair.roost.port
            var refused = false
            for _ in 0..<50 where !refused {
                refused = (try? RawConnection(port: port, timeout: 1)) == nil
                if !refused { usleep(100_000) }
            }
            #expect(refused, "Roost still accepts connections after SHUTDOWN NOSAVE")
        }
    }

    /// The reply with the `duration_ms` integer blanked out.
    static func withoutDuration(_ reply: [UInt8]) -> [UInt8] {
        let text = String(decoding: reply, as: UTF8.self)
        guard let range = text.range(of: "duration_ms\r\n:") else { return reply }
        guard let end = text[range.upperBound...].range(of: "\r\n") else { return reply }
        return Array((text[..<range.upperBound] + "N" + text[end.lowerBound...]).utf8)
    }

    static func duration(_ reply: [UInt8]) -> Int? {
        let text = String(decoding: reply, as: UTF8.self)
        guard let range = text.range(of: "duration_ms\r\n:"),
              let end = text[range.upperBound...].range(of: "\r\n") else { return nil }
        return Int(text[range.upperBound..<end.lowerBound])
    }
}
