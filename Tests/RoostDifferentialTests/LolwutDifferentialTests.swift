import RoostTestSupport
import Testing

/// LOLWUT against redis-server 7.0.15: the default version line and every error byte for byte,
/// version 5's Schotter byte for byte where it has no randomness (at most two rows of
/// squares), and otherwise the drawing's shape: its lines, their widths, the colours used and
/// the caption.
@Suite struct LolwutDifferentialTests {
    @Test(arguments: ["", "?HELLO 3"])
    func repliesMatchRedis(prelude: String) async throws {
        try await Differential.check(prelude + #"""

            LOLWUT
            lolwut
            LOLWUT VERSION
            LOLWUT 5
            LOLWUT 5 1 2
            LOLWUT VERSION 7
            LOLWUT VERSION 4
            LOLWUT VERSION 59
            LOLWUT VERSION 0
            LOLWUT VERSION -1
            LOLWUT VERSION -4294967291 20 3 2
            LOLWUT VERSION x
            LOLWUT VERSION 99999999999999999999
            LOLWUT VERSION 5 x
            LOLWUT VERSION 5 10 x
            LOLWUT VERSION 5 10 2 x
            LOLWUT VERSION 6 x
            LOLWUT VERSION 6 10 x
            LOLWUT VERSION 5 66 8 2
            LOLWUT VERSION 5 66 8 1
            LOLWUT VERSION 5 1 1 1
            LOLWUT VERSION 5 2 1 1
            LOLWUT VERSION 5 3 2 2
            LOLWUT VERSION 5 0 0 0
            LOLWUT VERSION 5 -5 -5 -5
            LOLWUT VERSION 5 2000 300 2
            LOLWUT VERSION 5 40 7 2 extra
            LOLWUT VERSION 4294967301 30 4 2
            LOLWUT VERSION 5 17 3 2
            LOLWUT VERSION 5 100 13 1
            """#)
    }

    /// The drawing's text without the RESP framing.
    static func text(_ reply: [UInt8]) -> [UInt8] {
        let body = reply.drop(while: { $0 != 10 }).dropFirst()
        let content = Array(body.dropLast(2))
        return reply.first == UInt8(ascii: "=") ? Array(content.dropFirst(4)) : content
    }

    /// Line count, each line's width in characters (version 6: in cells), and the caption.
    static func shape(_ text: [UInt8]) -> [String] {
        let string = String(decoding: text, as: UTF8.self)
        return string.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            if line.contains("\u{1b}") {
                let cells = line.split(separator: "\u{1b}", omittingEmptySubsequences: true)
                    .filter { $0 != "[0m" }
                    .map { String($0) }
                let allowed: Set<String> = ["[0;30;40m ", "[0;90;100m ", "[0;37;47m ", "[0;97;107m "]
                let unknown = cells.filter { !allowed.contains($0) }
                return "cells \(cells.count) unknown \(unknown.count)"
            }
            if line.unicodeScalars.allSatisfy({ (0x2800...0x28FF).contains($0.value) }) {
                return "braille \(line.unicodeScalars.count)"
            }
            return String(line)
        }
    }

    @Test(arguments: ["", "?HELLO 3"])
    func randomDrawingsHaveRedisShape(prelude: String) async throws {
        try await Differential.with { pair in
            if !prelude.isEmpty { try pair.step(prelude) }
            let (redis, roost) = try pair.clients(1)
            for command in ["LOLWUT VERSION 5", "LOLWUT VERSION 5 30 4 6", "LOLWUT VERSION 6", "LOLWUT VERSION 6 1 1",
                            "LOLWUT VERSION 6 7 3", "LOLWUT VERSION 6 150 40", "LOLWUT VERSION 6 0 -1"] {
                let arguments = try DifferentialPair.arguments(command)
                try redis.send(command: arguments)
                try roost.send(command: arguments)
                let a = try redis.readReply(), b = try roost.readReply()
                #expect(a.first == b.first, "\(command)")
                #expect(Self.shape(Self.text(a)) == Self.shape(Self.text(b)), "\(command)")
            }
        }
    }
}
