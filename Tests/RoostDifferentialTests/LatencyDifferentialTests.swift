import NIOCore
import RoostRESP
import RoostTestSupport
import Testing

/// LATENCY, `latency-monitor-threshold`, `latency-tracking` and INFO latencystats against
/// redis-server: errors, empty results, HELP, DOCTOR without samples, CONFIG values and RESET
/// counts byte for byte; replies that carry timings by their shape (types, keys, order), in
/// RESP2 and RESP3.
@Suite struct LatencyDifferentialTests {
    @Test(arguments: ["", "?HELLO 3"])
    func repliesAndErrorsMatchRedis(protocol hello: String) async throws {
        try await Differential.check("""
            \(hello)
            LATENCY HELP
            latency help
            COMMAND INFO latency|histogram latency|help latency|reset latency|doctor
            LATENCY
            LATENCY NOSUCH
            LATENCY HELP extra
            LATENCY LATEST
            LATENCY LATEST extra
            LATENCY HISTORY
            LATENCY HISTORY command
            LATENCY HISTORY a b
            LATENCY GRAPH
            LATENCY GRAPH command
            LATENCY GRAPH "no such"
            LATENCY DOCTOR
            LATENCY DOCTOR extra
            LATENCY RESET
            LATENCY RESET command fast-command
            LATENCY HISTOGRAM nosuch
            LATENCY HISTOGRAM nosuch config|nosuch a|b|c
            ~CONFIG GET latency-*
            CONFIG GET latency-monitor-threshold
            CONFIG SET latency-monitor-threshold -1
            CONFIG SET latency-monitor-threshold abc
            CONFIG GET latency-monitor-threshold
            CONFIG GET latency-tracking
            CONFIG SET latency-tracking maybe
            CONFIG GET latency-tracking-info-percentiles
            CONFIG SET latency-tracking-info-percentiles "50 abc"
            CONFIG SET latency-tracking-info-percentiles 101
            CONFIG SET latency-tracking-info-percentiles -1
            CONFIG GET latency-tracking-info-percentiles
            CONFIG SET latency-tracking-info-percentiles "99.99 0 100 12.5"
            CONFIG GET latency-tracking-info-percentiles
            CONFIG SET latency-tracking-info-percentiles ""
            CONFIG GET latency-tracking-info-percentiles
            CONFIG SET latency-monitor-threshold 1000000
            CONFIG GET latency-monitor-threshold
            LATENCY DOCTOR
            LATENCY LATEST
            CONFIG SET latency-tracking no
            CONFIG RESETSTAT
            SET a b
            INFO latencystats
            LATENCY HISTOGRAM
            LATENCY HISTOGRAM set
            """)
    }

    /// A reply reduced to its shape: integers become `i`, an aggregate holding only integers
    /// becomes `ints` (bucket lists differ with timings), strings stay.
    static func shape(_ value: RESPValue) -> String {
        switch value {
        case .integer: return "i"
        case .bulkString(let bytes?): return "\"\(String(decoding: bytes, as: UTF8.self))\""
        case .simpleString(let bytes): return "+" + String(decoding: bytes, as: UTF8.self)
        case .error(let bytes): return "-" + String(decoding: bytes, as: UTF8.self)
        case .verbatim(let format, _): return "verbatim(\(String(decoding: format, as: UTF8.self)))"
        case .array(let items?):
            if !items.isEmpty && items.allSatisfy({ if case .integer = $0 { true } else { false } }) { return "ints" }
            return "[" + items.map(shape).joined(separator: ",") + "]"
        case .map(let pairs):
            if !pairs.isEmpty && pairs.allSatisfy({ if case (.integer, .integer) = $0 { true } else { false } }) {
                return "ints"
            }
            return "{" + pairs.map { shape($0.0) + ":" + shape($0.1) }.joined(separator: ",") + "}"
        default: return "\(value)"
        }
    }

    static func reply(_ connection: RawConnection, _ command: String) throws -> RESPValue {
        try connection.send(command: command.split(separator: " ").map { Array($0.utf8) })
        var buffer = ByteBuffer(bytes: try connection.readReply())
        guard let value = try RESPValueParser().parse(&buffer) else { return .null }
        return value
    }

    /// The text of a bulk or verbatim reply.
    static func text(_ value: RESPValue) -> String {
        switch value {
        case .bulkString(let bytes?), .verbatim(_, let bytes): return String(decoding: bytes, as: UTF8.self)
        default: return ""
        }
    }

    /// A slow script (a few hundred milliseconds on either server) makes a `command` event past a
    /// 50 ms threshold; LATEST, HISTORY, GRAPH, DOCTOR and HISTOGRAM then have Redis's shapes.
    @Test(arguments: [2, 3])
    func eventsAndHistogramsHaveRedisShape(protocolVersion: Int) async throws {
        try await Differential.with { pair in
            if protocolVersion == 3 { try pair.step("?HELLO 3") }
            try pair.run("""
                CONFIG SET latency-monitor-threshold 50
                CONFIG RESETSTAT
                SET a b
                SET a c
                GET a
                EVAL "local i = 0 while i < 10000000 do i = i + 1 end return i" 0
                """)
            let (redis, roost) = try pair.clients(1)
            // GRAPH and DOCTOR carry their timings in their text: the reply's type only.
            try pair.run("""
                ?LATENCY GRAPH command
                ?LATENCY DOCTOR
                """)
            // Only the `command` event: a loaded machine may add others on either side.
            let latest = { (connection: RawConnection) throws -> [String] in
                guard case .array(let events?) = try Self.reply(connection, "LATENCY LATEST") else { return ["not an array"] }
                return events.map(Self.shape).filter { $0.hasPrefix("[\"command\"") }
            }
            #expect(try latest(redis) == latest(roost))
            #expect(try latest(roost) == ["[\"command\",i,i,i]"])
            for command in ["LATENCY HISTORY command", "LATENCY HISTOGRAM set get",
                            "LATENCY HISTOGRAM eval", "LATENCY HISTOGRAM config"] {
                let theirs = try Self.reply(redis, command), mine = try Self.reply(roost, command)
                #expect(Self.shape(theirs) == Self.shape(mine), "\(command)")
            }
            let graph = Self.text(try Self.reply(roost, "LATENCY GRAPH command"))
            #expect(graph.hasPrefix("command - high "))
            let doctor = Self.text(try Self.reply(roost, "LATENCY DOCTOR"))
            #expect(doctor.contains("1. command: 1 latency spikes (average "))
            #expect(doctor.contains("- Check your Slow Log"))
            // The set histogram: two calls, cumulative counts rising to the number of calls.
            let histogram = try Self.reply(roost, "LATENCY HISTOGRAM set")
            #expect(Self.cumulativeCounts(histogram) == [2] || Self.cumulativeCounts(histogram) == [1, 2])
            // INFO latencystats lists the same commands with the same percentiles.
            let masked = { (connection: RawConnection) throws -> [String] in
                Self.text(try Self.reply(connection, "INFO latencystats"))
                    .split(separator: "\r\n").map { String($0).replacing(/[0-9]+\.[0-9]{3}/, with: "N") }.sorted()
            }
            #expect(try masked(redis) == masked(roost))
            try pair.run("""
                LATENCY RESET nosuch
                LATENCY RESET COMMAND
                LATENCY HISTORY command
                LATENCY GRAPH command
                """)
            #expect(try latest(redis).isEmpty && latest(roost).isEmpty)
        }
    }

    /// A blocked command enters its histogram when it is served, not when it blocks.
    @Test func blockedCommandCountsWhenServed() async throws {
        try await Differential.with { pair in
            try pair.run("""
                @2 !noreply BLPOP q 0
                """)
            let (redis, roost) = try pair.clients(1)
            for connection in [redis, roost] {
                try await eventually("BLPOP blocked") {
                    Self.text(try Self.reply(connection, "INFO clients")).contains("\r\nblocked_clients:1\r\n")
                }
            }
            try pair.run("""
                LATENCY HISTOGRAM blpop
                RPUSH q a
                @2 <
                """)
            let theirs = try Self.reply(redis, "LATENCY HISTOGRAM blpop"), mine = try Self.reply(roost, "LATENCY HISTOGRAM blpop")
            #expect(Self.shape(theirs) == Self.shape(mine))
            #expect(Self.cumulativeCounts(mine).last == 1)
        }
    }

    /// The cumulative counts of the only histogram in a LATENCY HISTOGRAM reply.
    static func cumulativeCounts(_ value: RESPValue) -> [Int64] {
        func pairs(_ v: RESPValue) -> [(RESPValue, RESPValue)] {
            switch v {
            case .map(let p): return p
            case .array(let items?): return stride(from: 0, to: items.count - 1, by: 2).map { (items[$0], items[$0 + 1]) }
            default: return []
            }
        }
        guard let (_, perCommand) = pairs(value).first,
              let (_, buckets) = pairs(perCommand).first(where: { Self.text($0.0) == "histogram_usec" }) else { return [] }
        return pairs(buckets).compactMap { if case .integer(let n) = $0.1 { n } else { nil } }
    }
}
