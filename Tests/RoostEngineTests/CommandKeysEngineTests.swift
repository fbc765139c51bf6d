import NIOCore
import RoostEngine
import RoostRESP
import Testing

/// The engine's commands and the shared key table (`CommandKeys`) are one declaration: every
/// command the engine has is in the table, and for every one of them COMMAND GETKEYS answers with
/// the keys the shared extraction finds, on generated argument lists.
@Suite struct CommandKeysEngineTests {
    /// Every command and subcommand of the engine, by full name.
    /// WAITAOF is Redis 7.2's, so not in Redis 7.0's key table.
    static var fullNames: [String] {
        CommandTable.standard.commands.filter { $0.name != "waitaof" }.flatMap { spec in
            [spec.name] + spec.subcommands.map { "\(spec.name)|\($0.name)" }
        }
    }

    @Test func everyEngineCommandIsInTheTable() throws {
        for name in Self.fullNames {
            let declared = try #require(CommandKeys.named(name), "\(name) is not in CommandKeys")
            let parts = name.split(separator: "|").map(String.init)
            let spec = try #require(parts.count == 1
                ? CommandTable.standard.lookup(name: name)
                : CommandTable.standard.lookup(name: parts[0]).flatMap { parent in
                    parent.subcommands.first { $0.name == parts[1] }
                })
            #expect(spec.commandKeys.name == declared.name)
            #expect(spec.keySpecs == declared.specs, "\(name)")
            #expect(spec.flags.contains(.movableKeys) == declared.movableKeys, "\(name)")
        }
    }

    /// Words that steer key finding: counts, keywords of key specs and procedures, and plain
    /// names (some repeated, so that keys are told apart by position only).
    static let words = ["k1", "k2", "k3", "0", "1", "2", "3", "-1", "01", "x", "", "STORE", "KEYS", "STREAMS",
                        "LIMIT", "GET", "BY", "SET", "WEIGHTS", "AUTH", "AUTH2", "COPY", "STOREDIST", "COUNT"]

    @Test func getKeysMatchesTheSharedExtraction() throws {
        let engine = Engine()
        let client = engine.withLock { engine.makeClient() }
        var random = SplitMix64(seed: 7)
        var checked = 0
        for name in Self.fullNames {
            let declared = try #require(CommandKeys.named(name))
            guard declared.hasKeys else { continue }
            let prefix = name.split(separator: "|").map(String.init)
            for _ in 0..<150 {
                var words = prefix
                for _ in 0..<Int(random.next() % 9) { words.append(Self.words[Int(random.next() % UInt64(Self.words.count))]) }
                let arguments = words.map { ByteBuffer(string: $0) }
                let expected = declared.keys(in: arguments).map { String(buffer: arguments[$0.index]) }
                let reply = engine.withLock { () -> String in
                    engine.execute([ByteBuffer(string: "COMMAND"), ByteBuffer(string: "GETKEYS")] + arguments, for: client)
                    var out = client.reply.take()
                    return out.readString(length: out.readableBytes) ?? ""
                }
                if reply.hasPrefix("-") {
                    // An arity error, or no key where the command needs one.
                    #expect(expected.isEmpty || reply.contains("number of arguments"), "\(words): \(reply)")
                } else {
                    let bulk = expected.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined()
                    #expect(reply == "*\(expected.count)\r\n" + bulk, "\(words)")
                    checked += 1
                }
            }
        }
        #expect(checked > 5000)
    }
}
