import NIOCore
import RoostRESP
import RoostTestSupport
import Testing

/// COMMAND DOCS, byte for byte against Redis: every command and subcommand in Roost's table (so a
/// command added without its docs fails here), in RESP2 and RESP3.
@Suite struct CommandDocsDifferentialTests {
    @Test(arguments: [2, 3])
    func everyCommandMatchesRedis(protocolVersion: Int) async throws {
        try await Differential.with { pair in
            if protocolVersion == 3 { try pair.step("?HELLO 3") }
            let (redis, roost) = try pair.clients(1)
            let names = try Self.bulkStrings(Self.call(roost, ["COMMAND", "LIST"]))
            #expect(names.count > 150)
            for name in names where !Self.newerThanRedis70.contains(name) {
                let mine = try Self.call(roost, ["COMMAND", "DOCS", name])
                let theirs = try Self.call(redis, ["COMMAND", "DOCS", name])
                if mine == theirs { continue }
                // A container's subcommands come in Redis's hash-table order, which changes from
                // one redis-server process to the next: everything up to them must match byte for
                // byte, and each subcommand's entry must be one of Redis's (all of them when Roost
                // implements the whole container). Each subcommand is also compared on its own.
                if let cut = Self.end(of: "subcommands", in: theirs), Array(mine.prefix(cut)) == Array(theirs.prefix(cut)),
                   let roostSubs = try Self.mapEntries(mine, at: cut), let redisSubs = try Self.mapEntries(theirs, at: cut) {
                    let missing = try Self.subcommandsMissing(from: name, names, redis)
                    let expected = missing.isEmpty ? Set(redisSubs) : Set(redisSubs).intersection(roostSubs)
                    if Set(roostSubs) == expected && roostSubs.count == redisSubs.count - missing.count { continue }
                }
                Issue.record("""
                    COMMAND DOCS \(name) (RESP\(protocolVersion))
                      redis: \(RawConnection.escape(theirs))
                      roost: \(RawConnection.escape(mine))
                    """)
            }
        }
    }

    /// COMMAND DOCS with no name: Redis lists commands Roost lacks, in its hash-table order, so
    /// each of Roost's entries is looked for among Redis's (containers, whose subcommands come in
    /// varying order, are compared by name only here and whole above).
    @Test(arguments: [2, 3])
    func everyEntryOfTheFullListIsRedis(protocolVersion: Int) async throws {
        try await Differential.with { pair in
            if protocolVersion == 3 { try pair.step("?HELLO 3") }
            let (redis, roost) = try pair.clients(1)
            let names = try Self.bulkStrings(Self.call(roost, ["COMMAND", "LIST"]))
                .filter { !Self.newerThanRedis70.contains($0) }
            let mine = try #require(try Self.mapEntries(Self.call(roost, ["COMMAND", "DOCS"]), at: 0)).filter { entry in
                !Self.newerThanRedis70.contains { entry.starts(with: Array("$\($0.utf8.count)\r\n\($0)\r\n".utf8)) }
            }
            let theirs = Set(try #require(try Self.mapEntries(Self.call(redis, ["COMMAND", "DOCS"]), at: 0)))
            let topLevel = names.filter { !$0.contains("|") }
            #expect(mine.count == topLevel.count)
            for (entry, name) in zip(mine, topLevel) {
                let isContainer = names.contains { $0.hasPrefix(name + "|") }
                if isContainer {
                    let key = Array("$\(name.utf8.count)\r\n\(name)\r\n".utf8)
                    #expect(theirs.contains { $0.starts(with: key) }, "COMMAND DOCS lacks \(name)")
                } else {
                    #expect(theirs.contains(entry), "COMMAND DOCS entry for \(name) (RESP\(protocolVersion)) differs from Redis's")
                }
            }
        }
    }

    @Test(arguments: ["", "?HELLO 3"])
    func severalAndUnknownNamesMatchRedis(prelude: String) async throws {
        try await Differential.check(prelude + #"""

            COMMAND DOCS get set
            COMMAND DOCS GET SeT
            COMMAND DOCS get get
            COMMAND DOCS nosuch
            COMMAND DOCS nosuch other
            COMMAND DOCS get nosuch set
            COMMAND DOCS ""
            COMMAND DOCS "a\x00b\r\n\xff"
            COMMAND DOCS config|get
            COMMAND DOCS CONFIG|GET config|set
            COMMAND DOCS "config|get" get
            COMMAND DOCS config|nosuch
            COMMAND DOCS config|get|x
            COMMAND DOCS get|x
            COMMAND DOCS |get
            COMMAND DOCS config|
            COMMAND DOCS command|docs command|info
            COMMAND DOCS hmset getset substr rpoplpush
            COMMAND DOCS client|kill zadd zrange sort
            COMMAND DOCS bitfield nosuch bitfield_ro
            COMMAND DOCS eval evalsha fcall
            """#)
    }

    // MARK: Helpers

    /// COMMAND LIST answered with something else than an array.
    struct NotAnArray: Error { let reply: String }

    /// Sends one command and reads its raw reply.
    /// Commands Roost has from later Redis versions (WAITAOF is Redis 7.2's), which
    /// redis-server 7.0.15 cannot document.
    static let newerThanRedis70: Set<String> = ["waitaof"]

    static func call(_ connection: RawConnection, _ arguments: [String]) throws -> [UInt8] {
        try connection.send(command: arguments.map { Array($0.utf8) })
        return try connection.readReply()
    }

    /// The bulk strings of a flat array reply (`*N` of `$len` items).
    static func bulkStrings(_ reply: [UInt8]) throws -> [String] {
        var lines = reply.split(separator: 10, omittingEmptySubsequences: false).map {
            String(decoding: $0.last == 13 ? $0.dropLast() : $0, as: UTF8.self)
        }
        guard let header = lines.first, header.hasPrefix("*"), let count = Int(header.dropFirst()) else {
            throw NotAnArray(reply: RawConnection.escape(reply))
        }
        lines.removeFirst()
        var out: [String] = []
        for i in 0..<count { out.append(lines[2 * i + 1]) }
        return out
    }

    /// The subcommands Redis has under `container` that Roost's `names` lack; empty for a
    /// plain command or a container Roost implements whole.
    static func subcommandsMissing(from container: String, _ names: [String], _ redis: RawConnection) throws -> Set<String> {
        guard !container.contains("|") else { return [] }
        let prefix = container + "|"
        let theirs = try bulkStrings(call(redis, ["COMMAND", "LIST", "FILTERBY", "PATTERN", prefix + "*"]))
        return Set(theirs).subtracting(names.filter { $0.hasPrefix(prefix) })
    }

    /// The key-value pairs (each the two frames' bytes together) of the map that starts at
    /// `offset` in `reply` (`%N` in RESP3, `*2N` in RESP2); nil if there is none there.
    static func mapEntries(_ reply: [UInt8], at offset: Int) throws -> [[UInt8]]? {
        var buffer = ByteBuffer(bytes: reply[offset...])
        guard let header = buffer.readableBytesView.firstIndex(of: 13) else { return nil }
        let headerBytes = Array(buffer.readableBytesView[buffer.readerIndex..<header])
        guard let kind = headerBytes.first, kind == UInt8(ascii: "%") || kind == UInt8(ascii: "*"),
              let count = Int(String(decoding: headerBytes.dropFirst(), as: UTF8.self)) else { return nil }
        let pairs = kind == UInt8(ascii: "%") ? count : count / 2
        buffer.moveReaderIndex(forwardBy: headerBytes.count + 2)
        let parser = RESPValueParser()
        var entries: [[UInt8]] = []
        for _ in 0..<pairs {
            guard let keyLength = try parser.frameLength(buffer), let key = buffer.readBytes(length: keyLength),
                  let valueLength = try parser.frameLength(buffer), let value = buffer.readBytes(length: valueLength)
            else { return nil }
            entries.append(key + value)
        }
        return buffer.readableBytes == 0 ? entries : nil
    }

    /// The offset just after the bulk string `word` in `reply`, or nil.
    static func end(of word: String, in reply: [UInt8]) -> Int? {
        let needle = Array("$\(word.utf8.count)\r\n\(word)\r\n".utf8)
        guard reply.count >= needle.count else { return nil }
        for i in 0...(reply.count - needle.count) where reply[i..<(i + needle.count)].elementsEqual(needle) {
            return i + needle.count
        }
        return nil
    }
}
