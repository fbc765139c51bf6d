import NIOCore
import Testing

@testable import RoostEngine

/// SRANDMEMBER and SPOP choose members uniformly in every branch of Redis 7.0's algorithms, on
/// both encodings: Pearson's chi-square over many draws from a 10-member set (9 degrees of
/// freedom). Redis's own test ("SRANDMEMBER histogram distribution") requires less than 40,
/// which a uniform source exceeds with probability 7.6e-6; the seeded tests are deterministic,
/// and the ones through the engine's system generator allow 100 (probability below 1e-14),
/// which a bucket-biased pick (about 2000 at these draw counts) still fails.
@Suite struct SetRandomnessTests {
    typealias Generator = SplitMix64

    static let redisBound = 40.0
    static let systemBound = 100.0

    /// Pearson's chi-square of `draws` against the uniform distribution over `members`.
    static func chiSquare(_ draws: [ByteString], over members: [ByteString]) -> Double {
        var counts: [ByteString: Int] = [:]
        for m in members { counts[m] = 0 }
        for d in draws { counts[d, default: 0] += 1 }
        let expected = Double(draws.count) / Double(members.count)
        return counts.values.reduce(0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
    }

    enum Shape: CaseIterable { case intset, hashtable, hashtableWithHoles }

    /// A 10-member set: integers (intset), strings of mixed lengths (hashtable), or strings
    /// left after 990 of 1000 members were removed (hashtable whose entry array has free slots).
    static func tenMembers(_ shape: Shape) -> SetValue {
        switch shape {
        case .intset:
            let set = SetValue()
            for i in [1, 5, 10, 50, 125, 50000, 33959, 417, 4, -7] { set.insert(ByteString(String(i)), maxIntsetEntries: 512) }
            return set
        case .hashtable:
            let set = SetValue.create(for: ByteString("a"))
            for i in 0..<10 { set.insert(ByteString("m\(i)" + String(repeating: "x", count: i * 3)), maxIntsetEntries: 512) }
            return set
        case .hashtableWithHoles:
            let set = SetValue.create(for: ByteString("a"))
            for i in 0..<1000 { set.insert(ByteString("k\(i)"), maxIntsetEntries: 512) }
            for i in 0..<1000 where i % 100 != 7 { set.remove(ByteString("k\(i)")) }
            return set
        }
    }

    @Test(arguments: Shape.allCases)
    func randomMemberIsUniform(_ shape: Shape) {
        var g = Generator(seed: 42)
        let set = Self.tenMembers(shape)
        #expect(set.count == 10)
        let draws = (0..<100_000).compactMap { _ in set.randomMember(using: &g) }
        #expect(draws.count == 100_000)
        #expect(Self.chiSquare(draws, over: set.members) < Self.redisBound)
    }

    /// Counts -1000 (independent draws), 1, 2 and 3 (collected draws), 4 and 8 (a copy loses
    /// members), and 10 or more (the whole set).
    @Test(arguments: Shape.allCases)
    func srandmemberIsUniformInEveryBranch(_ shape: Shape) {
        var g = Generator(seed: 7)
        let set = Self.tenMembers(shape)
        let members = set.members
        for (count, unique) in [(1000, false), (1, true), (2, true), (3, true), (4, true), (8, true), (10, true), (25, true)] {
            var all: [ByteString] = []
            let iterations = count == 1000 ? 20 : 20_000 / count
            for _ in 0..<iterations {
                var one: [ByteString] = []
                set.randomMembers(count: count, unique: unique, using: &g) { one.append($0) }
                #expect(one.count == set.randomMemberCount(count, unique: unique))
                if unique { #expect(Set(one).count == one.count) }
                all += one
            }
            #expect(Set(all).isSubset(of: Set(members)))
            let chi = Self.chiSquare(all, over: members)
            #expect(chi < Self.redisBound, "count \(count) unique \(unique): chi-square \(chi)")
        }
        #expect(set.count == 10)
    }

    /// Counts 1 and 8 pop one draw at a time; 9 leaves one member, which moves to a new set.
    @Test(arguments: Shape.allCases)
    func spopIsUniformInEveryBranch(_ shape: Shape) {
        var g = Generator(seed: 99)
        let original = Self.tenMembers(shape)
        let members = original.members
        for count in [1, 2, 8, 9] {
            var popped: [ByteString] = []
            for _ in 0..<(20_000 / count) {
                let set = original.duplicate()
                var one: [ByteString] = []
                let result = set.popRandomMembers(count, maxIntsetEntries: 512, using: &g) { one.append($0) }
                #expect(one.count == count && Set(one).count == count)
                #expect(result.count == 10 - count)
                #expect(Set(one).union(result.members) == Set(members))
                #expect((result === set) == (count < 9))
                if shape == .intset { #expect(result.isIntset) }
                popped += one
            }
            let chi = Self.chiSquare(popped, over: members)
            #expect(chi < Self.redisBound, "count \(count): chi-square \(chi)")
        }
    }

    /// Runs `command` on `engine` and returns the bulk strings of its reply.
    static func members(_ engine: Engine, _ client: Client, _ command: [String]) -> [ByteString] {
        engine.withLock {
            engine.execute(command.map { ByteBuffer(string: $0) }, for: client)
            var out = client.reply.take()
            var found: [ByteString] = []
            while let line = out.readLine() {
                if line.hasPrefix("$"), let n = Int(line.dropFirst()), let bytes = out.readBytes(length: n) {
                    found.append(ByteString(bytes))
                    out.moveReaderIndex(forwardBy: 2)
                }
            }
            return found
        }
    }

    /// Redis's histogram test through the commands and the engine's own generator, with more
    /// draws: SRANDMEMBER -1000, 8 and 2, and SPOP 1, 2 and 9 of a fresh copy.
    @Test(arguments: [Shape.intset, Shape.hashtable])
    func commandsAreUniformThroughTheEngine(_ shape: Shape) {
        let engine = Engine()
        let client = engine.withLock { engine.makeClient() }
        let set = Self.tenMembers(shape)
        let members = set.members
        engine.withLock { engine.setKey(client.database, ByteString("myset"), .set(set)) }
        for count in ["-1000", "8", "2"] {
            var all: [ByteString] = []
            while all.count < 20_000 { all += Self.members(engine, client, ["SRANDMEMBER", "myset", count]) }
            let chi = Self.chiSquare(all, over: members)
            #expect(chi < Self.systemBound, "SRANDMEMBER \(count): chi-square \(chi)")
        }
        for count in ["1", "2", "9"] {
            var all: [ByteString] = []
            while all.count < 20_000 {
                engine.withLock { engine.setKey(client.database, ByteString("p"), .set(set.duplicate())) }
                all += Self.members(engine, client, ["SPOP", "p", count])
            }
            let chi = Self.chiSquare(all, over: members)
            #expect(chi < Self.systemBound, "SPOP \(count): chi-square \(chi)")
        }
    }

    @Test func srandmemberCountLimits() {
        let engine = Engine()
        let client = engine.withLock { engine.makeClient() }
        engine.withLock { engine.setKey(client.database, ByteString("s"), .set(Self.tenMembers(.hashtable))) }
        func run(_ args: [String]) -> String {
            engine.withLock {
                engine.execute(args.map { ByteBuffer(string: $0) }, for: client)
                return String(buffer: client.reply.take())
            }
        }
        #expect(run(["SRANDMEMBER", "s", "-9223372036854775808"]).hasPrefix("-ERR value is out of range"))
        #expect(run(["SRANDMEMBER", "s", "9223372036854775807"]).hasPrefix("*10\r\n"))
        #expect(run(["SRANDMEMBER", "s", "-3"]).hasPrefix("*3\r\n"))
        #expect(run(["SPOP", "s", "9223372036854775807"]).hasPrefix("*10\r\n"))
        #expect(run(["EXISTS", "s"]) == ":0\r\n")
    }
}

extension ByteBuffer {
    /// The next CRLF-terminated line, without the CRLF.
    fileprivate mutating func readLine() -> String? {
        guard let end = readableBytesView.firstIndex(of: 13) else { return nil }
        let line = readString(length: end - readerIndex)
        moveReaderIndex(forwardBy: 2)
        return line
    }
}
