import NIOCore
import RoostFuzzing
import RoostRESP
import Testing

/// Properties of `RESPRequestParser` over seeded random input: any split of a stream gives the
/// same commands and the same error, parsing always terminates, and valid requests round-trip.
@Suite struct RESPParserPropertyTests {
    /// What parsing a whole stream produced.
    struct Outcome: Equatable, CustomStringConvertible {
        var commands: [[[UInt8]]] = []
        var error: [UInt8]?
        /// Whether the stream ended in the middle of a request (more bytes were needed).
        var incomplete = false

        var description: String {
            "\(commands.count) commands, error \(error.map { String(decoding: $0, as: UTF8.self) } ?? "none"), incomplete \(incomplete)"
        }
    }

    /// Feeds `input` to a fresh parser in pieces ending at `cuts` (sorted offsets).
    static func parse(_ input: [UInt8], cuts: [Int], limits: RESPRequestParser.Limits, unauthenticated: Bool) -> Outcome {
        var parser = RESPRequestParser(limits: limits)
        parser.unauthenticated = unauthenticated
        var buffer = ByteBuffer()
        var arguments: [ByteBuffer] = []
        var outcome = Outcome()
        var start = 0
        for end in cuts + [input.count] where end > start {
            buffer.writeBytes(input[start..<end])
            start = end
            do {
                var steps = 0
                while true {
                    let before = buffer.readableBytes
                    guard try parser.parse(&buffer, into: &arguments) else { break }
                    if !arguments.isEmpty { outcome.commands.append(arguments.map { Array($0.readableBytesView) }) }
                    arguments.removeAll()
                    steps += 1
                    // A finished request always consumes input, so this loop ends.
                    if buffer.readableBytes >= before || steps > input.count + 1 {
                        Issue.record("parser made no progress at offset \(input.count - buffer.readableBytes)")
                        return outcome
                    }
                }
            } catch {
                outcome.error = error.bytes
                return outcome
            }
        }
        outcome.incomplete = buffer.readableBytes > 0 || parser.isInsideRequest
        return outcome
    }

    static func randomCuts(_ count: Int, _ random: inout SplitMix64) -> [Int] {
        guard count > 1 else { return [] }
        let pieces = Int(random.next() % 12)
        return (0..<pieces).map { _ in Int(random.next() % UInt64(count)) }.sorted()
    }

    static let fragments: [[UInt8]] = [
        "*", "$", "\r\n", "\r", "\n", "*1\r\n", "*2\r\n", "*3\r\n", "$0\r\n", "$3\r\n", "$-1\r\n", "*-1\r\n", "*0\r\n",
        "PING", "ECHO", "GET", " ", "\t", "\"", "'", "\\", "\\x4", "\\x41", "\0", "\u{ff}", "abc", "99999999999999999999",
        "2147483648", "*1\r\n$4\r\nPING\r\n", "SET \"a b\" 'c'\r\n", "PING\r\n",
    ].map { Array($0.utf8) }

    /// A stream mixing valid requests, RESP-looking fragments and random bytes.
    static func randomStream(_ random: inout SplitMix64) -> [UInt8] {
        var bytes: [UInt8] = []
        let parts = Int(random.next() % 24)
        for _ in 0..<parts {
            switch random.next() % 4 {
            case 0:
                let args = (0..<Int(1 + random.next() % 4)).map { _ in
                    (0..<Int(random.next() % 12)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                }
                bytes += encode(args)
            case 1:
                bytes.append(UInt8(truncatingIfNeeded: random.next()))
            default:
                bytes += fragments[Int(random.next() % UInt64(fragments.count))]
            }
        }
        return bytes
    }

    static func encode(_ arguments: [[UInt8]]) -> [UInt8] {
        var out = Array("*\(arguments.count)\r\n".utf8)
        for a in arguments { out += Array("$\(a.count)\r\n".utf8) + a + [13, 10] }
        return out
    }

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func anySplitGivesTheSameOutcome(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let small = RESPRequestParser.Limits(maxBulkLength: 100, inlineMaxSize: 64)
        for round in 0..<500 {
            let input = Self.randomStream(&random)
            let limits = random.next() % 2 == 0 ? small : RESPRequestParser.Limits()
            let unauthenticated = random.next() % 4 == 0
            let whole = Self.parse(input, cuts: [], limits: limits, unauthenticated: unauthenticated)
            let bytewise = Self.parse(input, cuts: Array(0..<input.count), limits: limits, unauthenticated: unauthenticated)
            #expect(whole == bytewise, "seed \(seed) round \(round): byte by byte")
            for _ in 0..<4 {
                let cuts = Self.randomCuts(input.count, &random)
                let split = Self.parse(input, cuts: cuts, limits: limits, unauthenticated: unauthenticated)
                if whole != split {
                    Issue.record("seed \(seed) round \(round) cuts \(cuts): \(whole) vs \(split)")
                    break
                }
            }
        }
    }

    @Test func validRequestsRoundTrip() {
        var random = SplitMix64(seed: 42)
        for round in 0..<300 {
            let commands: [[[UInt8]]] = (0..<Int(1 + random.next() % 6)).map { _ in
                (0..<Int(1 + random.next() % 5)).map { _ in
                    (0..<Int(random.next() % 40)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                }
            }
            let input = commands.flatMap(Self.encode)
            let outcome = Self.parse(input, cuts: Self.randomCuts(input.count, &random), limits: .init(), unauthenticated: false)
            #expect(outcome == Outcome(commands: commands, error: nil, incomplete: false), "round \(round)")
        }
    }

    @Test func inlineTokensRoundTrip() {
        var random = SplitMix64(seed: 7)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789-_:.{}".utf8)
        for round in 0..<300 {
            let tokens: [[UInt8]] = (0..<Int(1 + random.next() % 6)).map { _ in
                (0..<Int(1 + random.next() % 10)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            }
            // Plain, double-quoted with \x escapes, or single-quoted.
            var line: [UInt8] = []
            for token in tokens {
                switch random.next() % 3 {
                case 0: line += token
                case 1: line += [34] + token.flatMap { Array("\\x".utf8) + Array(String(format2: $0).utf8) } + [34]
                default: line += [39] + token + [39]
                }
                line += random.next() % 2 == 0 ? [32] : [32, 9, 32]
            }
            line += random.next() % 2 == 0 ? [13, 10] : [10]
            let outcome = Self.parse(line, cuts: Self.randomCuts(line.count, &random), limits: .init(), unauthenticated: false)
            #expect(outcome == Outcome(commands: [tokens], error: nil, incomplete: false), "round \(round): \(String(decoding: line, as: UTF8.self))")
        }
    }

    @Test func malformedInputAlwaysEndsInErrorOrNeedsMore() {
        // Pure noise: parsing must terminate with some outcome for every seed.
        var random = SplitMix64(seed: 99)
        for _ in 0..<300 {
            let input = (0..<Int(random.next() % 300)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let small = RESPRequestParser.Limits(maxBulkLength: 16, inlineMaxSize: 32)
            let whole = Self.parse(input, cuts: [], limits: small, unauthenticated: false)
            let split = Self.parse(input, cuts: Self.randomCuts(input.count, &random), limits: small, unauthenticated: false)
            #expect(whole == split)
        }
    }

    @Test func knownErrorTextsAreExact() {
        func error(_ text: String, unauthenticated: Bool = false) -> String? {
            Self.parse(Array(text.utf8), cuts: [], limits: .init(), unauthenticated: unauthenticated).error.map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(error("*1\r\n\r\n") == "ERR Protocol error: expected '$', got ' '")
        #expect(error("*1\r\nx\r\n") == "ERR Protocol error: expected '$', got 'x'")
        #expect(Self.parse([42, 49, 13, 10, 0xff, 13, 10], cuts: [], limits: .init(), unauthenticated: false).error
                == Array("ERR Protocol error: expected '$', got '".utf8) + [0xff, 39])
        #expect(error("*11\r\n", unauthenticated: true) == "ERR Protocol error: unauthenticated multibulk length")
        #expect(error("*1\r\n$16385\r\n", unauthenticated: true) == "ERR Protocol error: unauthenticated bulk length")
        #expect(error("ECHO \"a\r\n") == "ERR Protocol error: unbalanced quotes in request")
        #expect(error("ECHO " + String(repeating: "x", count: 70_000) + "\r\n") == "ERR Protocol error: too big inline request")
        #expect(error("*" + String(repeating: "1", count: 70_000)) == "ERR Protocol error: too big mbulk count string")
    }
}

extension String {
    /// Two lowercase hex digits.
    init(format2 byte: UInt8) {
        let digits = Array("0123456789abcdef")
        self = String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }
}
