import NIOCore
@testable import RoostClient
import RoostRESP
import RoostTestSupport
import Testing

/// The key table the client and the engine share (`CommandKeys`), against redis-server 7.0
/// itself: the same commands, the same key specs, legacy positions and `movablekeys` as its
/// COMMAND INFO, and the same keys and flags as its COMMAND GETKEYSANDFLAGS on generated
/// argument lists for every command that has keys.
@Suite("Shared key table against redis-server", .enabled(if: ClientTestServers.redisAvailable))
struct CommandKeysRedisTests {
    @Test func tableIsRedisCommandInfo() async throws {
        try await ClientTestServers.withRedis { _, client in
            var seen = Set<String>()
            for entry in try #require(try await client.send("COMMAND").elements) {
                for info in [entry] + (try Self.fields(entry)[9].elements ?? []) {
                    let fields = try Self.fields(info)
                    let name = try String(fromRESP: fields[0])
                    seen.insert(name)
                    guard let declared = CommandKeys.named(name) else {
                        Issue.record("\(name) is missing from CommandKeys")
                        continue
                    }
                    let flags = (fields[2].elements ?? []).compactMap { try? String(fromRESP: $0) }
                    let positions = try (3...5).map { try Int(fromRESP: fields[$0]) }
                    #expect([declared.positions.first, declared.positions.last, declared.positions.step] == positions,
                            "\(name)")
                    #expect(declared.movableKeys == flags.contains("movablekeys"), "\(name)")
                    #expect(declared.specs == (try (fields[8].elements ?? []).map(Self.keySpec)), "\(name)")
                }
            }
            #expect(Set(CommandKeys.all.map(\.name)) == seen)
        }
    }

    /// Words that steer key finding: counts, keywords of key specs and procedures, and plain
    /// names (some repeated, so that keys are told apart by position only).
    static let words = ["k1", "k2", "k3", "0", "1", "2", "3", "-1", "01", " 1", "1x", "x", "", "STORE", "KEYS",
                        "STREAMS", "LIMIT", "GET", "BY", "SET", "INCRBY", "OVERFLOW", "WEIGHTS", "AUTH", "AUTH2",
                        "COPY", "STOREDIST", "COUNT", "BLOCK", "GROUP", "NOACK", "u8"]

    @Test func extractionIsRedisGetKeys() async throws {
        try await ClientTestServers.withRedis { _, client in
            var random = SplitMix64(seed: 5)
            var compared = 0
            for declared in CommandKeys.all where declared.hasKeys || declared.specs.contains(where: \.isNotKey) {
                let prefix = declared.name.split(separator: "|").map(String.init)
                var lists: [[String]] = []
                for _ in 0..<120 {
                    var words = prefix
                    for _ in 0..<random.next() % 10 { words.append(Self.words[Int(random.next() % UInt64(Self.words.count))]) }
                    lists.append(words)
                }
                let replies = try await client.pipeline(lists.map {
                    RedisCommand("COMMAND", ["GETKEYSANDFLAGS"] + $0.map { RedisArgument($0) })
                })
                for (words, reply) in zip(lists, replies) {
                    let arguments = words.map { ByteBuffer(string: $0) }
                    let mine = declared.keys(in: arguments).map { (words[$0.index], $0.flags) }
                    switch reply {
                    case .success(let value):
                        let theirs = try (value.elements ?? []).map { pair -> (String, [String]) in
                            let parts = try Self.fields(pair)
                            return (try String(fromRESP: parts[0]), (parts[1].elements ?? []).compactMap { try? String(fromRESP: $0) })
                        }
                        #expect(mine.map(\.0) == theirs.map(\.0) && mine.map(\.1) == theirs.map(\.1),
                                "\(words): \(mine) vs redis \(theirs)")
                        compared += 1
                    case .failure(let error):
                        // Redis refuses: wrong arity, no key where one is needed, or no key at all.
                        let arity = "\(error)".contains("number of arguments")
                        #expect(mine.isEmpty || arity, "\(words): \(mine) vs redis \(error)")
                    }
                }
            }
            #expect(compared > 5000)
        }
    }

    /// The elements of an array, set or flat key/value array.
    static func fields(_ value: RESPValue) throws -> [RESPValue] {
        if case .map(let pairs) = value { return pairs.flatMap { [$0.0, $0.1] } }
        guard let elements = value.elements else { throw value.mismatch("array") }
        return elements
    }

    /// A map or flat key/value array as a dictionary by key.
    static func dictionary(_ value: RESPValue) throws -> [String: RESPValue] {
        let fields = try fields(value)
        var out: [String: RESPValue] = [:]
        for i in stride(from: 0, to: fields.count - 1, by: 2) { out[try String(fromRESP: fields[i])] = fields[i + 1] }
        return out
    }

    /// One key spec of COMMAND INFO.
    static func keySpec(_ value: RESPValue) throws -> KeySpec {
        let spec = try dictionary(value)
        let flags = try #require(spec["flags"]?.elements).compactMap { try? String(fromRESP: $0) }
        let notes = try spec["notes"].map { try String(fromRESP: $0) }
        let begin = try dictionary(try #require(spec["begin_search"]))
        let beginSpec = try dictionary(try #require(begin["spec"]))
        let find = try dictionary(try #require(spec["find_keys"]))
        let findSpec = try dictionary(try #require(find["spec"]))
        func int(_ dictionary: [String: RESPValue], _ key: String) throws -> Int {
            try Int(fromRESP: try #require(dictionary[key]))
        }
        let beginSearch: KeySpec.BeginSearch
        switch try String(fromRESP: try #require(begin["type"])) {
        case "index": beginSearch = .index(try int(beginSpec, "index"))
        case "keyword":
            beginSearch = .keyword(try String(fromRESP: try #require(beginSpec["keyword"])),
                                   startFrom: try int(beginSpec, "startfrom"))
        default: beginSearch = .unknown
        }
        let findKeys: KeySpec.FindKeys
        switch try String(fromRESP: try #require(find["type"])) {
        case "range":
            findKeys = .range(lastKey: try int(findSpec, "lastkey"), keyStep: try int(findSpec, "keystep"),
                              limit: try int(findSpec, "limit"))
        case "keynum":
            findKeys = .keynum(keyNumIndex: try int(findSpec, "keynumidx"), firstKey: try int(findSpec, "firstkey"),
                               keyStep: try int(findSpec, "keystep"))
        default: findKeys = .unknown
        }
        return KeySpec(flags: flags, notes: notes, beginSearch: beginSearch, findKeys: findKeys)
    }
}
