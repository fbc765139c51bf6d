import NIOCore
import RoostRESP
import RoostTestSupport
import Testing

/// SLOWLOG and ROLE against redis-server: replies and errors byte for byte, and with every
/// command logged, the same entries (ids, arguments as cut by Redis, client names, script
/// commands from the unknown peer, commands Redis keeps out), timings aside.
@Suite struct SlowLogDifferentialTests {
    @Test func repliesAndErrorsMatchRedis() async throws {
        try await Differential.check(#"""
            SLOWLOG HELP
            slowlog help
            SLOWLOG LEN
            SLOWLOG GET
            SLOWLOG GET x
            SLOWLOG GET -2
            SLOWLOG GET 1 2
            SLOWLOG NOSUCH
            SLOWLOG
            SLOWLOG LEN extra
            SLOWLOG RESET
            CONFIG SET slowlog-log-slower-than -2
            CONFIG SET slowlog-max-len -1
            CONFIG SET slowlog-max-len abc
            ~CONFIG GET slowlog-*
            CONFIG SET slowlog-log-slower-than 0
            CONFIG SET slowlog-log-slower-than -1
            SET a b
            SLOWLOG LEN
            ROLE
            ROLE extra
            """#)
    }

    /// The entries of `SLOWLOG GET -1`, without the timestamp, the duration and the peer's port.
    static func entries(_ connection: RawConnection) throws -> [String] {
        try connection.send(command: [Array("SLOWLOG".utf8), Array("GET".utf8), Array("-1".utf8)])
        var buffer = ByteBuffer(bytes: try connection.readReply())
        guard case .array(let list?)? = try RESPValueParser().parse(&buffer) else { return ["not an array"] }
        return list.map { entry in
            guard case .array(let fields?) = entry, fields.count == 6,
                  case .integer(let id) = fields[0], case .integer = fields[1], case .integer(let micros) = fields[2],
                  case .array(let arguments?) = fields[3], case .bulkString(let peer?) = fields[4],
                  case .bulkString(let name?) = fields[5], micros >= 0 else { return "malformed \(entry)" }
            let words = arguments.map { argument -> String in
                if case .bulkString(let bytes?) = argument { return String(decoding: bytes, as: UTF8.self) }
                return "?"
            }
            let peerText = String(decoding: peer, as: UTF8.self)
            let host = peerText.hasPrefix("127.0.0.1:") ? "127.0.0.1" : peerText
            return "\(id) \(words) \(host) \(String(decoding: name, as: UTF8.self))"
        }
    }

    @Test func loggedEntriesMatchRedis() async throws {
        try await Differential.with { pair in
            try pair.run(#"""
                SLOWLOG RESET
                CONFIG SET slowlog-log-slower-than 0
                SET key value
                CLIENT SETNAME worker-1
                GET key
                MULTI
                INCR n
                EXEC
                EVAL "redis.call('set', 'from-script', '1'); return redis.call('get', 'from-script')" 0
                """#)
            let long = String(repeating: "x", count: 300)
            try pair.step("SET long \(long)")
            let many = (0..<40).map { "m\($0)" }.joined(separator: " ")
            try pair.step("SADD many \(many)")
            try pair.step("@2 PING")
            let (redis, roost) = try pair.clients(1)
            let theirs = try Self.entries(redis), mine = try Self.entries(roost)
            #expect(theirs == mine)
            #expect(mine.contains { $0.contains("... (172 more bytes)") })
            #expect(mine.contains { $0.contains("... (11 more arguments)") })
            #expect(mine.contains { $0.contains("?:0") })
            // Trimming to slowlog-max-len.
            try pair.run(#"""
                CONFIG SET slowlog-max-len 3
                PING
                PING
                PING
                PING
                SLOWLOG LEN
                CONFIG SET slowlog-max-len 0
                SLOWLOG LEN
                """#)
        }
    }
}
