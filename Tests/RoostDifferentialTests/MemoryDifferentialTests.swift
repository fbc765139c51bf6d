import NIOCore
import RoostRESP
import RoostTestSupport
import Testing

/// MEMORY against redis-server 7.0.15: every deterministic reply byte for byte (HELP, errors and
/// arity, SAMPLES checks, a missing key, DOCTOR on a near-empty instance, PURGE), MEMORY STATS's
/// field names, order and value types, in RESP2 and RESP3; and MEMORY USAGE as Roost's own
/// accounting: growing with the value and equal to what the key adds to `used_memory`.
/// COMMAND INFO is compared per subcommand: Redis lists a container's subcommands in the order
/// of a hash table with a random seed.
@Suite struct MemoryDifferentialTests {
    @Test(arguments: ["", "?HELLO 3"])
    func repliesAndErrorsMatchRedis(prelude: String) async throws {
        try await Differential.check(prelude + #"""

            MEMORY HELP
            memory help
            MEMORY HELP extra
            MEMORY
            MEMORY NOSUCH
            MEMORY USAGE
            MEMORY USAGE missing
            MEMORY USAGE missing SAMPLES 5
            SET k value
            ?MEMORY USAGE k
            ?MEMORY USAGE k SAMPLES 0
            ?MEMORY USAGE k samples 10
            MEMORY USAGE k SAMPLES
            MEMORY USAGE k SAMPLES x
            MEMORY USAGE k SAMPLES -1
            MEMORY USAGE k SAMPLES 5 extra
            MEMORY USAGE k NOSUCH 1
            MEMORY USAGE missing SAMPLES x
            MEMORY USAGE missing SAMPLES -1
            MEMORY DOCTOR
            MEMORY DOCTOR extra
            MEMORY MALLOC-STATS extra
            MEMORY PURGE
            MEMORY PURGE extra
            MEMORY STATS extra
            ?MEMORY STATS
            COMMAND INFO memory|usage memory|stats memory|doctor memory|help memory|purge memory|malloc-stats
            COMMAND GETKEYS MEMORY USAGE k
            """#)
    }

    /// A reply with its values reduced to their types; map keys (and, in RESP2, the names at
    /// even positions of a flattened map) are kept, so names and order are compared.
    static func shape(_ value: RESPValue, namesAtEvenPositions: Bool) -> String {
        switch value {
        case .integer: return "int"
        case .double: return "double"
        case .bulkString(.some): return "bulk"
        case .map(let pairs):
            return "{" + pairs.map { key, value in
                "\(shape(key, literal: true)): \(shape(value, namesAtEvenPositions: true))"
            }.joined(separator: ", ") + "}"
        case .array(let elements?):
            return "[" + elements.enumerated().map { i, element in
                namesAtEvenPositions && i % 2 == 0 ? shape(element, literal: true)
                    : shape(element, namesAtEvenPositions: true)
            }.joined(separator: ", ") + "]"
        default: return "\(value)"
        }
    }

    static func shape(_ value: RESPValue, literal: Bool) -> String {
        if case .bulkString(let bytes?) = value { return String(decoding: bytes, as: UTF8.self) }
        return "\(value)"
    }

    static func reply(_ connection: RawConnection, _ words: String...) throws -> RESPValue {
        try connection.send(command: words.map { Array($0.utf8) })
        var buffer = ByteBuffer(bytes: try connection.readReply())
        return try RESPValueParser().parse(&buffer) ?? .null
    }

    @Test(arguments: [false, true])
    func statsHaveRedisFieldsAndTypes(resp3: Bool) async throws {
        try await Differential.with { pair in
            let (redis, roost) = try pair.clients(1)
            var shapes: [String] = []
            for connection in [redis, roost] {
                if resp3 { _ = try Self.reply(connection, "HELLO", "3") }
                _ = try Self.reply(connection, "SET", "a", "1")
                _ = try Self.reply(connection, "SELECT", "3")
                _ = try Self.reply(connection, "SET", "b", "2", "EX", "100")
                let stats = try Self.reply(connection, "MEMORY", "STATS")
                shapes.append(Self.shape(stats, namesAtEvenPositions: true))
            }
            #expect(shapes[0] == shapes[1])
            #expect(shapes[1].contains("db.3"))
            // Redis built with jemalloc prints jemalloc's report; Roost answers as a Redis built
            // with libc malloc does.
            let stats = try Self.reply(roost, "MEMORY", "MALLOC-STATS")
            #expect(stats == .bulkString(Array("Stats not supported for the current allocator".utf8)))
        }
    }

    static func integer(_ value: RESPValue) -> Int {
        if case .integer(let n) = value { return Int(n) }
        return -1
    }

    static func usedMemory(_ connection: RawConnection) throws -> Int {
        guard case .bulkString(let bytes?) = try reply(connection, "INFO", "memory") else { return -1 }
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\r\n") where line.hasPrefix("used_memory:") {
            return Int(line.dropFirst("used_memory:".count)) ?? -1
        }
        return -1
    }

    @Test func usageGrowsWithTheValueAndMatchesUsedMemory() async throws {
        let server = try await RoostTestServer.start()
        let connection = try RawConnection(port: server.port)
        for i in 0..<20 { _ = try Self.reply(connection, "SET", "filler\(i)", "x") }
        var last = 0
        for size in [1, 100, 1000, 10_000] {
            _ = try Self.reply(connection, "SET", "s", String(repeating: "v", count: size))
            let usage = Self.integer(try Self.reply(connection, "MEMORY", "USAGE", "s"))
            #expect(usage >= last && usage >= size)
            last = usage
        }
        for count in [10, 100, 1000] {
            let members = (0..<count).map { "member-with-a-long-name-\($0)" }
            try connection.send(command: [Array("SADD".utf8), Array("set".utf8)] + members.map { Array($0.utf8) })
            _ = try connection.readReply()
            let usage = Self.integer(try Self.reply(connection, "MEMORY", "USAGE", "set", "SAMPLES", "0"))
            #expect(usage > count * 24)
        }
        for key in ["s", "set"] {
            let before = try Self.usedMemory(connection)
            let usage = Self.integer(try Self.reply(connection, "MEMORY", "USAGE", key))
            _ = try Self.reply(connection, "DEL", key)
            let after = try Self.usedMemory(connection)
            #expect(before - after == usage, "\(key): used_memory fell by \(before - after), MEMORY USAGE said \(usage)")
            _ = try Self.reply(connection, "SET", key, String(repeating: "w", count: 500))
            let grown = try Self.usedMemory(connection)
            let newUsage = Self.integer(try Self.reply(connection, "MEMORY", "USAGE", key))
            #expect(grown - after == newUsage, "\(key): used_memory grew by \(grown - after), MEMORY USAGE said \(newUsage)")
        }
        try await server.stop()
    }
}
