import NIOCore
import RoostEngine
import RoostRESP

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs fuzz inputs against an engine in this process: each input is a short sequence of
/// generated commands on a fresh engine with two clients, or the same commands encoded as a
/// RESP stream, mutated byte by byte and fed to the request parser in random pieces.
///
/// An input passes when the engine returns from every command; a crash or a hang is the
/// failure, caught by whoever runs the fuzzer (the `roost-fuzz` tool names the input).
/// Every input derives from `(seed, index)` alone, so one input reproduces by itself.
public final class EngineFuzzer: Sendable {
    /// What the inputs exercise.
    public enum Target: String, CaseIterable, Sendable {
        /// Generated commands straight into `Engine.execute`.
        case commands
        /// Generated commands as a mutated RESP stream, through the parser, then the engine.
        case resp
    }

    let generator = CommandGenerator()

    public init() {}

    /// The commands of input `index`.
    public func commands(_ index: Int, seed: UInt64) -> [[[UInt8]]] {
        var random = SplitMix64.forItem(index, of: seed)
        var out: [[[UInt8]]] = []
        for _ in 0..<(1 + random.below(12)) { out.append(generator.command(&random)) }
        return out
    }

    /// Runs input `index` of `target`.
    public func run(_ index: Int, seed: UInt64, target: Target) {
        switch target {
        case .commands: execute(commands(index, seed: seed))
        case .resp:
            execute(stream: stream(index, seed: seed), seed: SplitMix64.forItem(index, of: seed ^ 0x5E5B).state)
        }
    }

    /// A readable form of input `index`, for a report.
    public func describe(_ index: Int, seed: UInt64, target: Target) -> String {
        switch target {
        case .commands:
            return commands(index, seed: seed).map { $0.map(Self.quote).joined(separator: " ") }.joined(separator: "\n")
        case .resp:
            return Self.quote(stream(index, seed: seed))
        }
    }

    /// Runs `commands` on a fresh engine, alternating two clients.
    public func execute(_ commands: [[[UInt8]]]) {
        let engine = Engine(configuration: Self.configuration)
        engine.withLock {
            let clients = [engine.makeClient(), engine.makeClient()]
            for (i, words) in commands.enumerated() {
                var client = clients[i % 2]
                if !engine.clients.keys.contains(client.id) { client = engine.makeClient() }
                run(words.map { ByteBuffer(bytes: $0) }, on: client, engine)
            }
            engine.activeExpireCycle()
        }
    }

    /// Parses `bytes` in pieces and under limits drawn from `seed`, and runs every request it
    /// yields on a fresh engine, as a connection would.
    public func execute(stream bytes: [UInt8], seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let engine = Engine(configuration: Self.configuration)
        var limits = RESPRequestParser.Limits()
        if random.chance(1, in: 4) { limits.maxBulkLength = 1 + random.below(64) }
        if random.chance(1, in: 4) { limits.inlineMaxSize = 1 + random.below(128) }
        var parser = RESPRequestParser(limits: limits)
        parser.unauthenticated = random.chance(1, in: 8)
        var buffer = ByteBuffer()
        var arguments: [ByteBuffer] = []
        engine.withLock {
            let client = engine.makeClient()
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + 1 + random.below(64))
                buffer.writeBytes(bytes[start..<end])
                start = end
                do {
                    while try parser.parse(&buffer, into: &arguments) {
                        if !arguments.isEmpty && engine.clients.keys.contains(client.id) {
                            run(arguments, on: client, engine)
                        }
                        arguments.removeAll(keepingCapacity: true)
                    }
                } catch {
                    return
                }
            }
        }
    }

    /// One command and everything that follows from it: a suspended script runs to its end, a
    /// blocked client is timed out or dropped, and output for other clients is taken.
    func run(_ arguments: [ByteBuffer], on client: Client, _ engine: Engine) {
        engine.execute(arguments, for: client)
        while client.inSuspendedScript {
            if engine.continueScript(for: client) { break }
        }
        if client.closeAfterReply {
            engine.removeClient(client)
        } else if client.blocked != nil {
            if arguments.count % 2 == 0 {
                engine.expireBlockedClients(now: Engine.clock() + 1_000_000_000)
            } else {
                engine.removeClient(client)
            }
        }
        _ = client.reply.take()
        _ = engine.takeDeliveries()
    }

    /// The commands of input `index` as a RESP byte stream (multibulk or inline), then mutated.
    public func stream(_ index: Int, seed: UInt64) -> [UInt8] {
        var random = SplitMix64.forItem(index, of: seed ^ 0x57EA)
        var out: [UInt8] = []
        for command in commands(index, seed: seed) {
            if random.chance(1, in: 6) {
                out += command.map { $0.filter { $0 != 10 && $0 != 13 && $0 != 32 } }.joined(separator: [32]) + [13, 10]
            } else {
                out += Array("*\(command.count)\r\n".utf8)
                for word in command { out += Array("$\(word.count)\r\n".utf8) + word + [13, 10] }
            }
        }
        for _ in 0..<random.below(4) { Self.mutate(&out, &random) }
        return out
    }

    /// Fragments that break framing: lengths at the edges, stray separators, truncations.
    static let fragments: [String] = [
        "*-1\r\n", "*0\r\n", "*1\r\n", "*2147483647\r\n", "*2147483648\r\n", "*9223372036854775807\r\n",
        "*99999999999999999999\r\n", "$-1\r\n", "$-5\r\n", "$0\r\n", "$9223372036854775807\r\n",
        "$536870913\r\n", "$4294967296\r\n", "*1\r\n$", "\r", "\n", "\r\n", "\0", "*", "$", "*a\r\n", "$1a\r\n",
        "*3\r\n$3\r\nSET\r\n", "\"unterminated", "'x'y", "\"\\x4\"", "PING\n",
    ]

    static func mutate(_ bytes: inout [UInt8], _ random: inout SplitMix64) {
        let at = bytes.isEmpty ? 0 : random.below(bytes.count + 1)
        switch random.below(5) {
        case 0: bytes.insert(contentsOf: Array(random.pick(fragments).utf8), at: at)
        case 1: if at < bytes.count { bytes[at] = UInt8(truncatingIfNeeded: random.next()) }
        case 2: if at < bytes.count { bytes.remove(at: at) }
        case 3: bytes.removeLast(min(bytes.count, random.below(8)))
        default: if at < bytes.count { bytes[at] ^= 1 << UInt8(random.below(8)) }
        }
    }

    /// Limits that keep one input small: no real network, replies and values are thrown away.
    static var configuration: EngineConfiguration {
        var configuration = EngineConfiguration()
        configuration.databases = 4
        configuration.dir = directory
        return configuration
    }

    /// Where the inputs' SAVE, BGSAVE and DEBUG RELOAD write: a folder of this process's own,
    /// never the working directory (where another test's server would load the file).
    static let directory: String = {
        let path = "/tmp/roost-fuzz-\(getpid())"
        _ = mkdir(path, 0o755)
        return path
    }()

    /// `bytes` as a double-quoted string, non-printable bytes escaped as `\xHH`.
    public static func quote(_ bytes: [UInt8]) -> String {
        var out = "\""
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += "\\" + String(Character(Unicode.Scalar(b)))
            case 0x20..<0x7f: out.append(Character(Unicode.Scalar(b)))
            default:
                let hex = Array("0123456789abcdef")
                out += "\\x" + String(hex[Int(b >> 4)]) + String(hex[Int(b & 15)])
            }
        }
        return out + "\""
    }
}
