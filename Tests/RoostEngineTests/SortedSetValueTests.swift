import NIOCore
@testable import RoostEngine
import Testing

/// The sorted-set representation against a simple model, and the set algebra with plain-set
/// inputs (whose expected replies were taken from Redis 7.0.15).
@Suite struct SortedSetValueTests {
    /// The model: every entry, kept sorted by score then member bytes.
    static func sorted(_ model: [ByteString: Double]) -> [SortedSetEntry] {
        model.map { SortedSetEntry(member: $0.key, score: $0.value) }
            .sorted { entryPrecedes($0.score, $0.member, $1.score, $1.member) }
    }

    @Test(arguments: [4, 128])
    func randomOperationsAgreeWithModel(maxEntries: Int) {
        var g = SystemRandomNumberGenerator()
        let z = SortedSetValue()
        var model: [ByteString: Double] = [:]
        for step in 0..<4000 {
            let member = ByteString("m\(Int.random(in: 0..<300, using: &g))")
            let score = Double(Int.random(in: -20..<20, using: &g)) / 2
            if Int.random(in: 0..<3, using: &g) == 0 {
                #expect(z.remove(member) == (model.removeValue(forKey: member) != nil))
            } else {
                z.set(member, score, maxEntries: maxEntries, maxValue: 64)
                model[member] = score
            }
            if step % 97 == 0 {
                let expected = Self.sorted(model)
                #expect(z.count == expected.count)
                let all = z.entries(0..<z.count)
                #expect(all.map(\.member) == expected.map(\.member))
                #expect(all.map(\.score) == expected.map(\.score))
                for (i, e) in expected.enumerated() where i % 7 == 0 {
                    #expect(z.rank(e.member) == i)
                    #expect(z.entry(at: i).member == e.member)
                    #expect(z.score(e.member) == e.score)
                }
                let below = z.countWhile { $0.score < 0 }
                #expect(below == expected.filter { $0.score < 0 }.count)
            }
        }
        // Both limits are exceeded along the way (about 200 members live), and a skiplist never
        // converts back on its own.
        #expect(!z.isListpack)
        let copy = z.duplicate()
        copy.removeRanks(0..<copy.count / 2)
        #expect(z.count == model.count)
        #expect(copy.count == model.count - model.count / 2)
        #expect(copy.entries(0..<copy.count).map(\.member) == Self.sorted(model).dropFirst(model.count / 2).map(\.member))
    }

    @Test func largeSkipListIsReleasedWithoutRecursion() {
        var z: SortedSetValue? = SortedSetValue()
        for i in 0..<100_000 { z?.set(ByteString("m\(i)"), Double(i % 1000), maxEntries: 128, maxValue: 64) }
        #expect(z?.count == 100_000)
        #expect(z?.rank(ByteString("m0")) == 0)
        #expect(z?.rank(ByteString("m1")) == 100)
        z = nil
        #expect(z == nil)
    }

    @Test func listpackConvertsAtTheLimitsAndBack() {
        let z = SortedSetValue()
        for i in 0..<4 { z.set(ByteString("m\(i)"), Double(i), maxEntries: 4, maxValue: 8) }
        #expect(z.isListpack)
        z.set(ByteString("m4"), 4, maxEntries: 4, maxValue: 8)
        #expect(!z.isListpack)
        z.removeRanks(0..<3)
        z.convertToListpackIfFits(maxMemberLength: 2, maxEntries: 4, maxValue: 8)
        #expect(z.isListpack)
        #expect(z.entries(0..<2).map(\.member) == [ByteString("m3"), ByteString("m4")])
        z.set(ByteString("a-long-member"), 0, maxEntries: 4, maxValue: 8)
        #expect(!z.isListpack)
        #expect(z.rank(ByteString("a-long-member")) == 0)
    }

    /// Runs `command` on a fresh engine where `a` is the zset {x:1, y:2, z:3} and `s1`, `s2`
    /// are plain sets, returning the raw reply.
    static func run(_ commands: [String]) -> [String] {
        let engine = Engine()
        return engine.withLock {
            let client = engine.makeClient()
            let z = SortedSetValue()
            for (m, s) in [("x", 1.0), ("y", 2.0), ("z", 3.0)] { z.set(ByteString(m), s, maxEntries: 128, maxValue: 64) }
            engine.setKey(client.database, ByteString("a"), .zset(z))
            for (key, members) in [("s1", ["x", "y", "q"]), ("s2", ["1", "2", "3"])] {
                let set = SetValue.create(for: ByteString(members[0]))
                for m in members { _ = set.insert(ByteString(m), maxIntsetEntries: 512) }
                engine.setKey(client.database, ByteString(key), .set(set))
            }
            var out: [String] = []
            for command in commands {
                let args = command.split(separator: " ").map { ByteBuffer(string: String($0)) }
                engine.execute(args, for: client)
                out.append(String(buffer: client.reply.take()))
            }
            engine.removeClient(client)
            return out
        }
    }

    @Test func setsAreInputsWithScoreOne() {
        let replies = Self.run([
            "ZUNION 2 a s1 WITHSCORES", "ZINTER 2 a s1 WITHSCORES", "ZDIFF 2 a s1", "ZDIFF 2 s1 a WITHSCORES",
            "ZINTERCARD 2 a s1", "ZUNIONSTORE d 2 s1 s2 WEIGHTS 2 3", "OBJECT ENCODING d", "ZRANGE d 0 -1 WITHSCORES",
            "ZINTER 2 s1 s1 WEIGHTS 2 0.5 AGGREGATE MAX WITHSCORES", "ZINTERSTORE e 2 s1 a", "ZRANGE e 0 -1 WITHSCORES",
            "ZRANGE s1 0 -1",
        ])
        func bulks(_ items: [String]) -> String {
            "*\(items.count)\r\n" + items.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined()
        }
        #expect(replies == [
            bulks(["q", "1", "x", "2", "y", "3", "z", "3"]),
            bulks(["x", "2", "y", "3"]),
            bulks(["z"]),
            bulks(["q", "1"]),
            ":2\r\n",
            ":6\r\n",
            "$8\r\nlistpack\r\n",
            bulks(["q", "2", "x", "2", "y", "2", "1", "3", "2", "3", "3", "3"]),
            bulks(["q", "2", "x", "2", "y", "2"]),
            ":2\r\n",
            bulks(["x", "2", "y", "3"]),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        ])
    }
}
