import Foundation
import NIOCore
import RoostEngine
import RoostRESP
import RoostServer
import Testing

/// Runs the same commands against a real `redis-server` and against Roost, and compares the raw
/// reply bytes.
///
/// A script is text, one step a line:
/// - `SET k v` sends the command on client 1 and compares one reply. Arguments follow
///   `redis-cli`'s quoting: `"a\x00b\r\n"` is binary.
/// - `~SMEMBERS s` compares the reply with a top-level array's elements sorted (unspecified order).
/// - `?RANDOMKEY` compares only the reply's type byte (random or time-dependent answers).
/// - `@2 CMD…` runs on client 2 (clients open on first use); `@2 <` reads one more reply there.
/// - `!replies N CMD…` compares N replies; `!noreply CMD…` sends without reading.
/// - `!sleep MS` waits; `!raw BYTES` sends escaped bytes and compares one reply;
///   `!rawclose BYTES` sends them and compares everything until the server closes.
/// - `#` starts a comment.
// @unchecked: used from one test task at a time.
public final class DifferentialPair: @unchecked Sendable {
    public let redis: RedisServerProcess
    public let roost: RoostServer
    private var redisClients: [Int: RawConnection] = [:]
    private var roostClients: [Int: RawConnection] = [:]
    /// Mismatches found so far, one description each.
    public private(set) var mismatches: [String] = []
    /// Steps compared so far.
    public private(set) var comparisons = 0

    /// Starts both servers. `redisArguments` go to redis-server; `configure` adjusts Roost to match.
    public init(redisArguments: [String] = [], configure: (inout EngineConfiguration) -> Void = { _ in }) async throws {
        redis = try await RedisServerProcess.start(extraArguments: redisArguments)
        roost = try await RoostTestServer.start(configure)
    }

    /// Stops both servers.
    public func stop() async {
        redisClients.removeAll()
        roostClients.removeAll()
        redis.stop()
        try? await roost.stop()
    }

    /// The raw connections for client `index` (redis, roost), opened on first use.
    package func clients(_ index: Int) throws -> (redis: RawConnection, roost: RawConnection) {
        if redisClients[index] == nil {
            redisClients[index] = try RawConnection(port: redis.port)
            roostClients[index] = try RawConnection(port: roost.port)
        }
        return (redisClients[index]!, roostClients[index]!)
    }

    /// Runs a whole script (see the type's documentation).
    public func run(_ script: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for rawLine in script.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            try step(String(line))
        }
    }

    /// Runs one script line.
    public func step(_ line: String) throws {
        var rest = Substring(line)
        var client = 1
        if rest.hasPrefix("@") {
            let end = rest.firstIndex(of: " ") ?? rest.endIndex
            client = Int(rest[rest.index(after: rest.startIndex)..<end]) ?? 1
            rest = rest[end...].drop(while: { $0 == " " })
        }
        let (r, o) = try clients(client)
        if rest == "<" {
            try compare(line, try r.readReply(), try o.readReply(), mode: .exact)
            return
        }
        if rest.hasPrefix("!") {
            let parts = rest.split(separator: " ", maxSplits: 1)
            let directive = parts[0]
            let argument = parts.count > 1 ? String(parts[1]) : ""
            switch directive {
            case "!sleep":
                usleep(UInt32(Int(argument) ?? 0) * 1000)
            case "!raw":
                let bytes = Self.unescape(argument)
                try r.send(raw: bytes)
                try o.send(raw: bytes)
                try compare(line, try r.readReply(), try o.readReply(), mode: .exact)
            case "!rawclose":
                let bytes = Self.unescape(argument)
                try r.send(raw: bytes)
                try o.send(raw: bytes)
                try compare(line, try r.readUntilClosed(), try o.readUntilClosed(), mode: .exact)
            case "!noreply":
                let args = try Self.arguments(argument)
                try r.send(command: args)
                try o.send(command: args)
            case "!replies":
                let sub = argument.split(separator: " ", maxSplits: 1)
                let n = Int(sub[0]) ?? 1
                let args = try Self.arguments(String(sub[1]))
                try r.send(command: args)
                try o.send(command: args)
                for _ in 0..<n { try compare(line, try r.readReply(), try o.readReply(), mode: .exact) }
            default:
                throw RawConnection.Error(description: "unknown directive \(directive)")
            }
            return
        }
        var mode = CompareMode.exact
        if rest.hasPrefix("~") { mode = .unordered; rest = rest.dropFirst() }
        if rest.hasPrefix("?") { mode = .typeOnly; rest = rest.dropFirst() }
        let args = try Self.arguments(String(rest))
        try r.send(command: args)
        try o.send(command: args)
        try compare(line, try r.readReply(), try o.readReply(), mode: mode)
    }

    public enum CompareMode { case exact, unordered, typeOnly }

    func compare(_ line: String, _ redisReply: [UInt8], _ roostReply: [UInt8], mode: CompareMode) throws {
        comparisons += 1
        let same: Bool
        switch mode {
        case .exact: same = redisReply == roostReply
        case .typeOnly: same = redisReply.first == roostReply.first
        case .unordered: same = try Self.sortedElements(redisReply) == Self.sortedElements(roostReply)
        }
        if !same {
            mismatches.append("\(line)\n  redis: \(RawConnection.escape(redisReply))\n  roost: \(RawConnection.escape(roostReply))")
        }
    }

    /// A reply with its top-level aggregate's elements sorted by their raw bytes.
    static func sortedElements(_ reply: [UInt8]) throws -> [[UInt8]] {
        guard let first = reply.first, [UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: "%")].contains(first) else {
            return [reply]
        }
        var buffer = ByteBuffer(bytes: reply)
        let parser = RESPValueParser()
        guard let cr = reply.firstIndex(of: 13) else { return [reply] }
        let header = Array(reply[0..<cr])
        buffer.moveReaderIndex(forwardBy: cr + 2)
        var elements: [[UInt8]] = []
        while buffer.readableBytes > 0, let length = try parser.frameLength(buffer) {
            elements.append(buffer.readBytes(length: length)!)
        }
        if first == UInt8(ascii: "%") {
            var pairs: [[UInt8]] = []
            var i = 0
            while i + 1 < elements.count { pairs.append(elements[i] + elements[i + 1]); i += 2 }
            elements = pairs
        }
        return [header] + elements.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// The arguments of a script line, split with redis-cli's quoting rules.
    public static func arguments(_ text: String) throws -> [[UInt8]] {
        guard let args = InlineSplitter.split(Array(text.utf8)) else {
            throw RawConnection.Error(description: "unbalanced quotes in \(text)")
        }
        return args
    }

    /// Bytes from a string with `\r`, `\n`, `\t`, `\\` and `\xHH` escapes.
    public static func unescape(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\") && i + 1 < bytes.count {
                switch bytes[i + 1] {
                case UInt8(ascii: "r"): out.append(13); i += 2; continue
                case UInt8(ascii: "n"): out.append(10); i += 2; continue
                case UInt8(ascii: "t"): out.append(9); i += 2; continue
                case UInt8(ascii: "\\"): out.append(92); i += 2; continue
                case UInt8(ascii: "x") where i + 3 < bytes.count:
                    if let v = UInt8(String(decoding: bytes[(i + 2)...(i + 3)], as: UTF8.self), radix: 16) {
                        out.append(v); i += 4; continue
                    }
                default: break
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return out
    }
}

/// Entry points for differential tests.
public enum Differential {
    /// Starts a fresh redis-server and Roost, runs `script` on both, records every mismatch as a
    /// test issue, and stops both. Returns the number of replies compared.
    @discardableResult
    public static func check(
        _ script: String, redisArguments: [String] = [],
        configure: (inout EngineConfiguration) -> Void = { _ in },
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Int {
        let pair = try await DifferentialPair(redisArguments: redisArguments, configure: configure)
        do {
            try pair.run(script)
        } catch {
            await pair.stop()
            throw error
        }
        await pair.stop()
        for mismatch in pair.mismatches {
            Issue.record(Comment(rawValue: mismatch), sourceLocation: sourceLocation)
        }
        return pair.comparisons
    }

    /// Like `check`, but hands the running pair to `body` for steps a script cannot express.
    public static func with(
        redisArguments: [String] = [], configure: (inout EngineConfiguration) -> Void = { _ in },
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: (DifferentialPair) async throws -> Void
    ) async throws {
        let pair = try await DifferentialPair(redisArguments: redisArguments, configure: configure)
        do {
            try await body(pair)
        } catch {
            await pair.stop()
            throw error
        }
        await pair.stop()
        for mismatch in pair.mismatches {
            Issue.record(Comment(rawValue: mismatch), sourceLocation: sourceLocation)
        }
    }
}
