import Foundation
import NIOConcurrencyHelpers
import RoostEngine
import RoostTestSupport
import Testing

/// DEBUG's subcommands besides RELOAD (RDBDifferentialTests) with `enable-debug-command yes`,
/// byte for byte against redis-server in RESP2 and RESP3: HELP, ERROR (what client test suites
/// use to fake LOADING, READONLY or OOM), SLEEP, SET-ACTIVE-EXPIRE, PROTOCOL, LOG,
/// CHANGE-REPL-ID, QUICKLIST-PACKED-THRESHOLD, STRINGMATCH-TEST, LISTPACK's replies, DIGEST and
/// DIGEST-VALUE of a dataset with every type and encoding, POPULATE, and DEBUG OBJECT's fields.
@Suite struct DebugDifferentialTests {
    static let redisArguments = ["--enable-debug-command", "yes"]
    static func configure(_ configuration: inout EngineConfiguration) { configuration.enableDebugCommand = "yes" }

    @Test(arguments: ["HELLO 2", "HELLO 3"])
    func subcommandsMatchRedis(prelude: String) async throws {
        try await Differential.with(redisArguments: Self.redisArguments, configure: Self.configure) { pair in
            try pair.step("CONFIG RESETSTAT")
            try pair.run(#"""
                ?\#(prelude)
                DEBUG HELP
                DEBUG help
                DEBUG HELP x
                DEBUG ERROR "LOADING Redis is loading the dataset in memory"
                DEBUG ERROR "READONLY You can't write against a read only replica."
                DEBUG ERROR "two\r\nlines"
                DEBUG ERROR ""
                DEBUG ERROR
                DEBUG ERROR a b
                DEBUG error x
                DEBUG SLEEP 0
                DEBUG SLEEP 0.001
                DEBUG SLEEP abc
                DEBUG SLEEP
                DEBUG SET-ACTIVE-EXPIRE 1
                DEBUG SET-ACTIVE-EXPIRE x
                DEBUG NOSUCH
                DEBUG NOSUCH a b c
                DEBUG LOG "a message"
                DEBUG LOG
                DEBUG LOG a b
                DEBUG CHANGE-REPL-ID
                DEBUG CHANGE-REPL-ID x
                DEBUG QUICKLIST-PACKED-THRESHOLD 0
                DEBUG QUICKLIST-PACKED-THRESHOLD 1
                DEBUG QUICKLIST-PACKED-THRESHOLD 1gb
                DEBUG QUICKLIST-PACKED-THRESHOLD 4095mb
                DEBUG QUICKLIST-PACKED-THRESHOLD 4096mb
                DEBUG QUICKLIST-PACKED-THRESHOLD 5gb
                DEBUG QUICKLIST-PACKED-THRESHOLD abc
                DEBUG QUICKLIST-PACKED-THRESHOLD -1
                DEBUG QUICKLIST-PACKED-THRESHOLD 0
                DEBUG QUICKLIST-PACKED-THRESHOLD
                DEBUG STRINGMATCH-TEST x
                DEBUG STRINGMATCH-LEN
                DEBUG PROTOCOL string
                DEBUG PROTOCOL integer
                DEBUG PROTOCOL double
                DEBUG PROTOCOL bignum
                DEBUG PROTOCOL null
                DEBUG PROTOCOL array
                DEBUG PROTOCOL set
                DEBUG PROTOCOL map
                DEBUG PROTOCOL attrib
                DEBUG PROTOCOL verbatim
                DEBUG PROTOCOL true
                DEBUG PROTOCOL false
                DEBUG PROTOCOL TRUE
                DEBUG PROTOCOL nosuch
                DEBUG PROTOCOL
                DEBUG DIGEST
                DEBUG DIGEST x
                DEBUG DIGEST-VALUE
                DEBUG DIGEST-VALUE nokey other
                DEBUG OBJECT nokey
                DEBUG OBJECT
                DEBUG OBJECT a b
                DEBUG LISTPACK nokey
                DEBUG LISTPACK
                SET s v
                RPUSH l a
                HSET h f v n 5 m 300 neg -5 big 100000
                ZADD z 1 a 2.5 b
                DEBUG LISTPACK s
                DEBUG LISTPACK l
                DEBUG LISTPACK h
                DEBUG LISTPACK z
                """#)
            // DEBUG ERROR's replies are not error replies Redis counts.
            try InfoStatsDifferentialTests.expectSameCounts(pair)
        }
    }

    /// STRINGMATCH-TEST runs a fuzz test of the glob matcher (seconds on a loaded machine).
    @Test func stringMatchTestMatchesRedis() async throws {
        try await Differential.with(redisArguments: Self.redisArguments, configure: Self.configure) { pair in
            let (redis, roost) = try pair.clients(1)
            redis.setTimeout(120)
            roost.setTimeout(120)
            try pair.step("DEBUG STRINGMATCH-TEST")
        }
    }

    /// PROTOCOL push: a push message and then a real reply in RESP3, an error in RESP2.
    @Test func protocolPushMatchesRedis() async throws {
        try await Differential.check(#"""
            DEBUG PROTOCOL push
            ?HELLO 3
            !replies 2 DEBUG PROTOCOL push
            """#, redisArguments: Self.redisArguments, configure: Self.configure)
    }

    /// With active expiry off a key past its time stays until something reads it.
    @Test func activeExpiryCanBeTurnedOff() async throws {
        try await Differential.check(#"""
            DEBUG SET-ACTIVE-EXPIRE 0
            SET k v PX 1
            DEBUG SLEEP 0.2
            DBSIZE
            GET k
            DBSIZE
            DEBUG SET-ACTIVE-EXPIRE 1
            """#, redisArguments: Self.redisArguments, configure: Self.configure)
    }

    /// One key of every type in every encoding, binary names and values, TTLs and a second
    /// database. Scripts build the big collections the same way on both servers.
    static let dataset = #"""
        SET s hello
        SET i 12345
        SET small 7
        SET neg -42
        SET big aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
        SET "bin\x00key" "a\x00\xffb"
        SET appended x
        APPEND appended yz
        RPUSH l a b c 1 2 -3 1000000 "\xff"
        EVAL "for i = 1, 300 do redis.call('RPUSH', KEYS[1], string.rep('x', 50) .. i) end" 1 biglist
        HSET h f v n 5 m 300 neg -5 big 100000
        EVAL "for i = 1, 200 do redis.call('HSET', KEYS[1], 'field' .. i, i * 7) end" 1 hbig
        SADD si 1 2 3 -5 100000
        SADD ss a b c "\x00"
        ZADD z 1 a 2.5 b -inf c 1e100 d 0.1 e 3 "\xff"
        EVAL "for i = 1, 200 do redis.call('ZADD', KEYS[1], i / 3, 'member' .. i) end" 1 zbig
        ZADD zbig inf top -0.5 bottom
        XADD x 1-1 f v
        XADD x 2-5 a 1 b 2
        XADD x 3-0 a 3 b 4
        XADD x 4-0 other field
        XDEL x 2-5
        XGROUP CREATE x g 0
        SET e v EX 1000
        HSET he f v
        PEXPIRE he 100000
        SELECT 3
        SET other 1
        RPUSH otherlist z
        SELECT 0
        """#

    static let keys = ["s", "i", "small", "neg", "big", "bin\\x00key", "appended", "l", "biglist", "h", "hbig",
                       "si", "ss", "z", "zbig", "x", "e", "he"]

    @Test(arguments: ["HELLO 2", "HELLO 3"])
    func digestsMatchRedis(prelude: String) async throws {
        try await Differential.with(redisArguments: Self.redisArguments, configure: Self.configure) { pair in
            try pair.step("?" + prelude)
            try pair.step("DEBUG DIGEST")
            try pair.run(Self.dataset)
            try pair.step("DEBUG DIGEST")
            try pair.step("DEBUG DIGEST-VALUE " + Self.keys.map { "\"\($0)\"" }.joined(separator: " ") + " nokey")
            for key in Self.keys { try pair.step("DEBUG DIGEST-VALUE \"\(key)\"") }
            // Order matters for lists and streams, not for sets, hashes and sorted sets.
            try pair.run(#"""
                DEL l2 l3 s2 s3
                RPUSH l2 a b
                RPUSH l3 b a
                DEBUG DIGEST-VALUE l2 l3
                SADD s2 a b
                SADD s3 b a
                DEBUG DIGEST-VALUE s2 s3
                PERSIST e
                DEBUG DIGEST-VALUE e
                DEBUG DIGEST
                FLUSHALL
                DEBUG DIGEST
                DEBUG POPULATE 10
                DEBUG POPULATE 12 pre 20
                DEBUG POPULATE 3 tiny 2
                DEBUG POPULATE 3 "" 0
                DEBUG POPULATE -1
                DEBUG POPULATE x
                DEBUG POPULATE 1 a 2 3
                DEBUG POPULATE 1 a -2
                DBSIZE
                GET key:3
                GET pre:11
                GET tiny:1
                GET :2
                OBJECT ENCODING key:1
                OBJECT ENCODING pre:1
                DEBUG DIGEST
                """#)
        }
    }

    /// `Value at:… refcount:… encoding:… serializedlength:… lru:… lru_seconds_idle:…[ ql_…]`
    /// as name/value pairs, in order.
    static func objectFields(_ reply: [UInt8]) -> [(String, String)] {
        let text = String(decoding: reply, as: UTF8.self)
        guard text.hasPrefix("+Value at:") && text.hasSuffix("\r\n") else { return [("reply", text)] }
        // "\r\n" is one Character.
        return text.dropFirst(7).dropLast().split(separator: " ").map { field in
            let parts = field.split(separator: ":", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
    }

    /// DEBUG OBJECT: the same fields in the same order; the same encoding, serialized length,
    /// refcount and quicklist figures; an address and LRU fields of the right shape. A list's
    /// figures follow the list settings in force when it was made (Redis keeps them per list,
    /// Roost reads the current ones), so the settings change only before new keys.
    @Test func objectFieldsMatchRedis() async throws {
        try await Differential.with(redisArguments: Self.redisArguments, configure: Self.configure) { pair in
            try pair.run(Self.dataset)
            try Self.compareObjects(pair, Self.keys)
            try pair.run(#"""
                FLUSHALL
                CONFIG SET list-max-listpack-size 5
                CONFIG SET rdbcompression no
                RPUSH l5 a b c d e f g h i j k
                SET longtext bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
                """#)
            try Self.compareObjects(pair, ["l5", "longtext"])
        }
    }

    static func compareObjects(_ pair: DifferentialPair, _ keys: [String]) throws {
        let (redis, roost) = try pair.clients(1)
        for key in keys {
            let command = try DifferentialPair.arguments("DEBUG OBJECT \"\(key)\"")
            try redis.send(command: command)
            try roost.send(command: command)
            let theirs = Self.objectFields(try redis.readReply()), mine = Self.objectFields(try roost.readReply())
            #expect(theirs.map(\.0) == mine.map(\.0), "\(key)")
            for ((name, expected), (_, actual)) in zip(theirs, mine) {
                switch name {
                case "at": #expect(actual.hasPrefix("0x") && UInt(actual.dropFirst(2), radix: 16) != nil, "\(key) \(name)")
                case "lru", "lru_seconds_idle": #expect(UInt32(actual) != nil, "\(key) \(name)")
                default: #expect(expected == actual, "\(key) \(name)")
                }
            }
        }
    }

    /// CHANGE-REPL-ID gives INFO replication a new `master_replid`.
    @Test func changeReplicationIDChangesInfo() async throws {
        try await Differential.with(redisArguments: Self.redisArguments, configure: Self.configure) { pair in
            let (_, roost) = try pair.clients(1)
            func replicationID() throws -> String? {
                try roost.send(command: [Array("INFO".utf8), Array("replication".utf8)])
                let text = String(decoding: try roost.readReply(), as: UTF8.self)
                return text.split(separator: "\r\n").first { $0.hasPrefix("master_replid:") }.map { String($0.dropFirst(14)) }
            }
            let before = try #require(try replicationID())
            try roost.send(command: [Array("DEBUG".utf8), Array("CHANGE-REPL-ID".utf8)])
            #expect(try roost.readReply() == Array("+OK\r\n".utf8))
            let after = try #require(try replicationID())
            #expect(before != after && after.count == 40 && after.allSatisfy(\.isHexDigit))
        }
    }

    /// DEBUG LOG and CHANGE-REPL-ID write to the server's log as warnings; Lua's `redis.log`
    /// writes at its own level, its string arguments joined by blanks as Redis joins them.
    @Test func logWritesToTheServerLog() async throws {
        let server = try await RoostTestServer.start(Self.configure)
        let lines = LockedLines()
        server.engine.withLock { server.engine.log = { level, line in lines.append("\(level) \(line)") } }
        let client = try RawConnection(port: server.port)
        try client.send(command: [Array("DEBUG".utf8), Array("LOG".utf8), Array("hello log".utf8)])
        #expect(try client.readReply() == Array("+OK\r\n".utf8))
        try client.send(command: [Array("DEBUG".utf8), Array("CHANGE-REPL-ID".utf8)])
        #expect(try client.readReply() == Array("+OK\r\n".utf8))
        let script = "redis.log(redis.LOG_NOTICE, 'from', 'lua', 42, {}, 'end') return 1"
        try client.send(command: [Array("EVAL".utf8), Array(script.utf8), Array("0".utf8)])
        #expect(try client.readReply() == Array(":1\r\n".utf8))
        #expect(lines.all == ["warning DEBUG LOG: hello log", "warning Changing replication IDs after receiving DEBUG change-repl-id",
                              "notice from lua 42 end"])
        try await server.stop()
    }

    static let binaryMissing = "the roost executable is not built (run `swift build` first; expected .build/debug/roost)"

    /// `roost server --enable-debug-command`: `yes` and `local` allow DEBUG from a loopback
    /// client, `no` (and no flag) refuse it; DEBUG LOG reaches the process's log.
    @Test(.enabled(if: PackagePaths.roostExecutable != nil, Comment(rawValue: binaryMissing)),
          arguments: ["yes", "local", "no", nil] as [String?])
    func commandLineFlag(setting: String?) async throws {
        let binary = try #require(PackagePaths.roostExecutable)
        let port = try FreePort.find()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("roost-debug-\(UUID().uuidString).log").path
        var command = "exec '\(binary)' server --port \(port) --bind 127.0.0.1"
        if let setting { command += " --enable-debug-command \(setting)" }
        let pid = try ChildProcess.spawn("/bin/sh", ["-c", command + " 2>'\(log)'"])
        defer {
            ChildProcess.kill(pid, signal: SIGKILL)
            try? FileManager.default.removeItem(atPath: log)
        }
        try PortProbe.waitUntilAccepting(port: port, timeout: 20)
        let client = try RawConnection(port: port)
        try client.send(command: [Array("DEBUG".utf8), Array("LOG".utf8), Array("from the command line".utf8)])
        let reply = String(decoding: try client.readReply(), as: UTF8.self)
        if setting == "yes" || setting == "local" {
            #expect(reply == "+OK\r\n")
            try await eventually("the DEBUG LOG line in the log") {
                (try? String(contentsOfFile: log, encoding: .utf8))?.contains("DEBUG LOG: from the command line") == true
            }
        } else {
            #expect(reply.hasPrefix("-ERR DEBUG command not allowed."))
        }
    }
}

/// Lines collected from another thread.
final class LockedLines: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])
    func append(_ line: String) { lines.withLockedValue { $0.append(line) } }
    var all: [String] { lines.withLockedValue { $0 } }
}
