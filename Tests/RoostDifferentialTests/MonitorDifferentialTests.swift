import Foundation
import RoostTestSupport
import Testing

/// MONITOR against redis-server 7.0.15: the lines a monitoring client receives, compared byte
/// for byte with the timestamp and the client's port masked. After each command client 2 sends
/// `ECHO <n>`, whose monitor line marks where that command's lines end.
@Suite struct MonitorDifferentialTests {
    static let commands = [
        #"SET k v"#,
        #"SET n 123"#,
        #"SET "a b\"c" "x\x00y\n\xff\t\r\x07\x08\\""#,
        #"GET nosuch"#,
        #"GET"#,
        #"NOSUCHCOMMAND x"#,
        #"?CLIENT LIST"#,
        #"CONFIG GET maxmemory"#,
        #"EVAL "redis.call('set', 'k', '2'); return redis.pcall('incr', 'k')" 0"#,
        #"EVAL_RO "return 1" 0"#,
        #"AUTH secret"#,
        #"?HELLO 2 AUTH default secret"#,
        #"?HELLO 2"#,
        #"SELECT 3"#,
        #"SET in3 v"#,
        #"SELECT 0"#,
        #"PUBLISH ch m"#,
        #"PING"#,
    ]

    /// A monitor line with its timestamp and peer port replaced.
    static func masked(_ reply: [UInt8]) -> String {
        let text = String(decoding: reply, as: UTF8.self)
        return text.replacingOccurrences(of: #"^\+[0-9]+\.[0-9]{6} \[([0-9]+) 127\.0\.0\.1:[0-9]+\]"#,
                                         with: "+T [$1 peer]", options: .regularExpression)
            .replacingOccurrences(of: #"^\+[0-9]+\.[0-9]{6} "#, with: "+T ", options: .regularExpression)
    }

    @Test func linesMatchRedisWithTimeMasked() async throws {
        let pair = try await DifferentialPair()
        do {
            try pair.step("MONITOR")
            // A second MONITOR gets no reply, as in Redis; the next reply is the first line.
            try pair.step("!noreply MONITOR")
            try pair.step("@2 MULTI")
            try pair.step("@2 SET k 1")
            try pair.step("@2 GET k")
            try pair.step("@2 EXEC")
            for (n, command) in Self.commands.enumerated() {
                try pair.step("@2 \(command)")
                try pair.step("@2 ECHO \(n)")
            }
            try pair.step("@2 ECHO end")
            let (redis, roost) = try pair.clients(1)
            var lines: [[String]] = [[], []]
            for (i, connection) in [redis, roost].enumerated() {
                while true {
                    let line = Self.masked(try connection.readReply())
                    lines[i].append(line)
                    if line.hasSuffix("\"ECHO\" \"end\"\r\n") { break }
                }
            }
            #expect(lines[0] == lines[1])
            #expect(lines[1].contains("+T [0 lua] \"set\" \"k\" \"2\"\r\n"))
        } catch {
            await pair.stop()
            throw error
        }
        #expect(pair.mismatches.isEmpty, "\(pair.mismatches)")
        await pair.stop()
    }
}
