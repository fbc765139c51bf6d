import NIOCore
import RoostRESP
import Testing

/// The shared key table and its extraction, on representative commands (every command is checked
/// against redis-server by RoostClientTests' CommandKeysRedisTests and against the engine by
/// RoostEngineTests' CommandKeysEngineTests).
@Suite struct CommandKeysTests {
    /// The argument indexes of the keys of `words`, found through the table by name.
    static func keys(_ words: String..., includingNotKeys: Bool = false) -> [Int] {
        detailed(words, includingNotKeys: includingNotKeys).map(\.index)
    }

    static func detailed(_ words: [String], includingNotKeys: Bool = false) -> [CommandKeys.Key] {
        let arguments = words.map { ByteBuffer(string: $0) }
        guard let command = CommandKeys.resolve(arguments) else {
            Issue.record("\(words[0]) is not in the table")
            return []
        }
        return command.keys(in: arguments, includingNotKeys: includingNotKeys)
    }

    @Test func fixedPositions() {
        #expect(Self.keys("GET", "k") == [1])
        #expect(Self.keys("get", "k") == [1])
        #expect(Self.keys("GET") == [])
        #expect(Self.keys("MSET", "a", "1", "b", "2") == [1, 3])
        #expect(Self.keys("MSET", "a", "1", "b") == [1, 3])
        #expect(Self.keys("MGET", "a", "b", "c") == [1, 2, 3])
        #expect(Self.keys("BLPOP", "a", "b", "0") == [1, 2])
        #expect(Self.keys("RENAME", "a", "b") == [1, 2])
        #expect(Self.keys("OBJECT", "ENCODING", "k") == [2])
        #expect(Self.keys("PING") == [])
        #expect(Self.keys("PUBLISH", "ch", "m") == [])
        #expect(Self.detailed(["GET", "k"]) == [CommandKeys.Key(index: 1, flags: ["RO", "access"])])
    }

    @Test func scriptsCountTheirKeys() {
        for name in ["EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO"] {
            #expect(Self.keys(name, "body", "2", "a", "b", "arg") == [3, 4], "\(name)")
            #expect(Self.keys(name, "body", "1", "a") == [3], "\(name)")
            #expect(Self.keys(name, "body", "0") == [], "\(name)")
            #expect(Self.keys(name, "body", "0", "arg") == [], "\(name)")
            // A count that is not a number, negative, or past the arguments: no keys.
            #expect(Self.keys(name, "body", "x", "a") == [], "\(name)")
            #expect(Self.keys(name, "body", "-1", "a") == [], "\(name)")
            #expect(Self.keys(name, "body", "3", "a", "b") == [], "\(name)")
        }
        #expect(Self.detailed(["EVAL", "s", "1", "a"]) == [CommandKeys.Key(index: 3, flags: ["RW", "access", "update"])])
        #expect(Self.detailed(["EVAL_RO", "s", "1", "a"]) == [CommandKeys.Key(index: 3, flags: ["RO", "access"])])
        // Redis falls back to C's atoi for a count its strict parser refuses, with no flags.
        #expect(Self.detailed(["EVAL", "s", " 1", "a"]) == [CommandKeys.Key(index: 3, flags: [])])
        #expect(Self.keys("EVAL", "s", "1abc", "a") == [3])
    }

    @Test func numkeysCommands() {
        #expect(Self.keys("ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2") == [1, 3, 4])
        #expect(Self.keys("ZINTERSTORE", "d", "1", "a") == [1, 3])
        #expect(Self.keys("ZUNIONSTORE", "d", "3", "a", "b") == [])
        // Redis's fallback procedure lists the destination last.
        #expect(Self.keys("ZUNIONSTORE", "d", "01", "a") == [3, 1])
        #expect(Self.keys("ZINTER", "2", "a", "b") == [2, 3])
        #expect(Self.keys("ZUNION", "0", "a") == [])
        #expect(Self.keys("LMPOP", "2", "a", "b", "LEFT") == [2, 3])
        #expect(Self.keys("BLMPOP", "0", "2", "a", "b", "LEFT") == [3, 4])
        #expect(Self.keys("ZMPOP", "1", "a", "MIN") == [2])
        #expect(Self.keys("SINTERCARD", "2", "a", "b", "LIMIT", "1") == [2, 3])
        #expect(Self.keys("SINTERCARD", "3", "a", "b") == [])
    }

    @Test func keywordsAndProcedures() {
        #expect(Self.keys("SORT", "k") == [1])
        #expect(Self.keys("SORT", "k", "STORE", "d") == [1, 3])
        #expect(Self.keys("SORT", "k", "store", "a", "STORE", "b") == [1, 5])
        #expect(Self.keys("SORT", "k", "LIMIT", "0", "1", "STORE", "d") == [1, 6])
        #expect(Self.keys("SORT", "k", "BY", "STORE", "d") == [1])
        #expect(Self.keys("SORT", "k", "STORE") == [1])
        #expect(Self.keys("SORT_RO", "k", "STORE", "d") == [1])
        #expect(Self.detailed(["SORT", "k", "STORE", "d"]).map(\.flags) == [["RO", "access"], ["OW", "update"]])
        #expect(Self.keys("XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0") == [4, 5])
        #expect(Self.keys("XREAD", "STREAMS", "a", "b", "0") == [2])
        #expect(Self.keys("XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", "0") == [5])
        #expect(Self.keys("GEORADIUS", "k", "0", "0", "1", "km", "STORE", "d") == [1, 7])
        #expect(Self.keys("MIGRATE", "h", "6379", "k", "0", "5000") == [3])
        #expect(Self.keys("MIGRATE", "h", "6379", "", "0", "5000", "KEYS", "a", "b") == [7, 8])
        #expect(Self.keys("MIGRATE", "h", "6379", "", "0", "5000", "AUTH", "KEYS", "KEYS", "a") == [9])
        #expect(Self.keys("MIGRATE", "h", "6379", "k", "0", "5000", "KEYS", "a") == [])
        #expect(Self.detailed(["SET", "k", "v"]) == [CommandKeys.Key(index: 1, flags: ["OW", "update"])])
        #expect(Self.detailed(["SET", "k", "v", "get"]) == [CommandKeys.Key(index: 1, flags: ["RW", "access", "update"])])
        #expect(Self.detailed(["BITFIELD", "k", "GET", "u8", "0"]).map(\.flags) == [["RO", "access"]])
        #expect(Self.detailed(["BITFIELD", "k", "SET", "u8", "0", "1"]).map(\.flags) == [["RW", "access", "update"]])
    }

    @Test func shardedChannelsAreNotKeysButCanBeIncluded() {
        #expect(Self.keys("SPUBLISH", "ch", "m") == [])
        #expect(Self.keys("SPUBLISH", "ch", "m", includingNotKeys: true) == [1])
        #expect(Self.keys("SSUBSCRIBE", "a", "b", includingNotKeys: true) == [1, 2])
        #expect(CommandKeys.named("spublish")?.hasKeys == false)
        #expect(CommandKeys.named("eval")?.hasKeys == true)
        #expect(CommandKeys.named("ping")?.hasKeys == false)
    }

    @Test func legacyPositionsAndMovableKeysAreDerived() throws {
        func positions(_ name: String) throws -> [Int] {
            let p = try #require(CommandKeys.named(name)).positions
            return [p.first, p.last, p.step]
        }
        #expect(try positions("get") == [1, 1, 1])
        #expect(try positions("mset") == [1, -1, 2])
        #expect(try positions("blpop") == [1, -2, 1])
        #expect(try positions("lmove") == [1, 2, 1])
        #expect(try positions("object|encoding") == [2, 2, 1])
        #expect(try positions("eval") == [0, 0, 0])
        #expect(try positions("zunionstore") == [1, 1, 1])
        #expect(try positions("migrate") == [3, 3, 1])
        #expect(CommandKeys.named("eval")?.movableKeys == true)
        #expect(CommandKeys.named("sort")?.movableKeys == true)
        #expect(CommandKeys.named("set")?.movableKeys == false)
        #expect(CommandKeys.named("get")?.movableKeys == false)
    }

    @Test func resolvesNamesAndSubcommands() {
        func name(_ words: String...) -> String? {
            CommandKeys.resolve(words.map { ByteBuffer(string: $0) })?.name
        }
        #expect(name("GET", "k") == "get")
        #expect(name("Object", "Encoding", "k") == "object|encoding")
        #expect(name("OBJECT") == "object")
        #expect(name("OBJECT", "NOSUCH") == nil)
        #expect(name("NOSUCH") == nil)
        #expect(CommandKeys.named("CONFIG|GET")?.name == "config|get")
        #expect(CommandKeys.all.count == Set(CommandKeys.all.map(\.name)).count)
        #expect(CommandKeys.all.count > 350)
    }
}
