@testable import RoostEngine
import Testing

@Suite struct HashValueTests {
    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// A model to check a HashValue against: pairs in insertion order.
    struct Model {
        var pairs: [([UInt8], [UInt8])] = []
        mutating func set(_ f: [UInt8], _ v: [UInt8]) -> Bool {
            if let i = pairs.firstIndex(where: { $0.0 == f }) { pairs[i].1 = v; return false }
            pairs.append((f, v))
            return true
        }
        mutating func remove(_ f: [UInt8]) -> Bool {
            guard let i = pairs.firstIndex(where: { $0.0 == f }) else { return false }
            pairs.remove(at: i)
            return true
        }
    }

    @Test func listpackKeepsInsertionOrderAndUpdatesInPlace() {
        var h = HashValue()
        let r1 = h.set(bytes("a"), bytes("1"), maxEntries: 512, maxValue: 64)
        #expect(r1)
        let r2 = h.set(bytes("b"), bytes("2"), maxEntries: 512, maxValue: 64)
        #expect(r2)
        let r3 = h.set(bytes("a"), bytes("longer value"), maxEntries: 512, maxValue: 64)
        #expect(!r3)
        let r4 = h.set(bytes(""), bytes(""), maxEntries: 512, maxValue: 64)
        #expect(r4)
        #expect(h.encodingName.description == "listpack")
        #expect(h.pairs.map { $0.field.description } == ["a", "b", ""])
        #expect(h.value(bytes("a")) == bytes("longer value"))
        #expect(h.value(bytes("")) == [])
        #expect(h.value(bytes("c")) == nil)
        let r5 = h.remove(bytes("b"))
        #expect(r5)
        let r6 = h.remove(bytes("b"))
        #expect(!r6)
        #expect(h.pairs.map { $0.field.description } == ["a", ""])
        #expect(h.count == 2)
    }

    @Test func multiByteLengthPrefixesRoundTrip() {
        var h = HashValue()
        var model = Model()
        // Lengths around the one-, two- and three-byte LEB128 boundaries.
        for (i, n) in [0, 1, 127, 128, 129, 300, 16_383, 16_384, 70_000].enumerated() {
            let f = Array(repeating: UInt8(65 + i), count: n)
            let v = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let r7 = h.set(f, v, maxEntries: 512, maxValue: 1 << 20)
            #expect(r7 == model.set(f, v))
        }
        // Update values to sizes that change their prefix length, in the middle of the buffer.
        let f = Array(repeating: UInt8(65 + 4), count: 129)
        let r8 = h.set(f, [1], maxEntries: 512, maxValue: 1 << 20)
        #expect(r8 == model.set(f, [1]))
        let r11 = h.set(f, Array(repeating: 9, count: 20_000), maxEntries: 512, maxValue: 1 << 20)
        #expect(r11 == model.set(f, Array(repeating: 9, count: 20_000)))
        #expect(h.encodingName.description == "listpack")
        #expect(h.pairs.map { $0.field.bytes } == model.pairs.map { $0.0 })
        #expect(h.pairs.map { $0.value.bytes } == model.pairs.map { $0.1 })
        for (mf, mv) in model.pairs { #expect(h.value(mf) == mv) }
    }

    @Test func convertsOnEntriesAndValueLengthAndNeverBack() {
        var h = HashValue()
        for i in 0..<4 { h.set(bytes("f\(i)"), bytes("v"), maxEntries: 4, maxValue: 8) }
        #expect(h.isListpack)
        h.set(bytes("f4"), bytes("v"), maxEntries: 4, maxValue: 8)
        #expect(!h.isListpack)
        #expect(h.encodingName.description == "hashtable")
        for i in 0..<5 { h.remove(bytes("f\(i)")) }
        #expect(h.count == 0)
        #expect(!h.isListpack)

        var v = HashValue()
        v.set(bytes("a"), bytes("12345678"), maxEntries: 4, maxValue: 8)
        #expect(v.isListpack)
        v.set(bytes("a"), bytes("123456789"), maxEntries: 4, maxValue: 8)
        #expect(!v.isListpack)
        #expect(v.value(bytes("a")) == bytes("123456789"))

        var w = HashValue()
        w.convertIfAnyLonger(than: 8, [1, 8])
        #expect(w.isListpack)
        w.convertIfAnyLonger(than: 8, [1, 9])
        #expect(!w.isListpack)

        // lpSafeToAdd: a listpack that would pass 1 GB converts whatever the value limit.
        var big = HashValue()
        big.convertIfAnyLonger(than: Int.max, [1 << 30])
        #expect(big.isListpack)
        big.convertIfAnyLonger(than: Int.max, [1 << 30, 1])
        #expect(!big.isListpack)
    }

    @Test func randomizedAgainstModelInBothEncodings() {
        var generator = SystemRandomNumberGenerator()
        for maxEntries in [3, 512] {
            var h = HashValue()
            var model = Model()
            for _ in 0..<3000 {
                let f = bytes("k\(Int.random(in: 0..<40, using: &generator))")
                if Bool.random(using: &generator) {
                    let v = Array(repeating: UInt8(ascii: "x"), count: Int.random(in: 0..<10, using: &generator))
                    let r9 = h.set(f, v, maxEntries: maxEntries, maxValue: 64)
                    #expect(r9 == model.set(f, v))
                } else {
                    let r10 = h.remove(f)
                    #expect(r10 == model.remove(f))
                }
                #expect(h.count == model.pairs.count)
            }
            for (f, v) in model.pairs {
                #expect(h.contains(f))
                #expect(h.value(f) == v)
            }
            if maxEntries == 512 {
                #expect(h.pairs.map { $0.field.bytes } == model.pairs.map { $0.0 })
            } else {
                #expect(Set(h.pairs.map { $0.field }) == Set(model.pairs.map { ByteString($0.0) }))
            }
        }
    }

    @Test func duplicateIsIndependent() {
        for maxEntries in [1, 512] {
            var h = HashValue()
            h.set(bytes("a"), bytes("1"), maxEntries: maxEntries, maxValue: 64)
            h.set(bytes("b"), bytes("2"), maxEntries: maxEntries, maxValue: 64)
            var copy = h.duplicate()
            #expect(copy.encodingName.description == h.encodingName.description)
            copy.set(bytes("a"), bytes("changed"), maxEntries: maxEntries, maxValue: 64)
            copy.remove(bytes("b"))
            #expect(h.value(bytes("a")) == bytes("1"))
            #expect(h.value(bytes("b")) == bytes("2"))
            #expect(copy.count == 1)
        }
    }

    @Test func tableScanVisitsEveryField() {
        var h = HashValue()
        for i in 0..<5000 { h.set(bytes("f\(i)"), bytes("\(i)"), maxEntries: 16, maxValue: 64) }
        var seen: [ByteString: ByteString] = [:]
        var cursor: UInt64 = 0
        repeat {
            cursor = h.scanTable(cursor: cursor, count: 10) { f, v in seen[f] = v }
        } while cursor != 0
        #expect(seen.count == 5000)
        #expect(seen[ByteString("f4999")] == ByteString("4999"))
    }

    @Test func randomPairBelongsToTheHash() {
        var generator = SystemRandomNumberGenerator()
        for maxEntries in [4, 512] {
            var h = HashValue()
            for i in 0..<10 { h.set(bytes("f\(i)"), bytes("v\(i)"), maxEntries: maxEntries, maxValue: 64) }
            var fields = Set<ByteString>()
            for _ in 0..<500 {
                let p = h.randomPair(using: &generator)
                #expect(h.value(p.field.bytes) == p.value.bytes)
                fields.insert(p.field)
            }
            #expect(fields.count == 10)
        }
    }
}

@Suite struct HashValueLayoutTests {
    @Test func storageIsOneWord() {
        #expect(MemoryLayout<HashValue.Storage>.size == 8)
        #expect(MemoryLayout<HashValue>.size == 8)
    }

    /// The listpack's unused room in bytes.
    func slack(_ h: HashValue) -> Int {
        guard case .listpack(let lp) = h.storage else { return -1 }
        return lp.capacity - lp.used
    }

    @Test func exactSizesAndIdentityMovesOnlyWithTheStorage() {
        let entries = Listpack.entrySize(2) * 2
        var h = HashValue(listpackCapacity: entries)
        let first = h.identity
        h.set(Array("f1".utf8), Array("v1".utf8), maxEntries: 128, maxValue: 64)
        #expect(h.identity == first)
        #expect(slack(h) < 16)
        // Updating with a value of the same length, and removing, stay in place.
        h.set(Array("f1".utf8), Array("v2".utf8), maxEntries: 128, maxValue: 64)
        #expect(h.identity == first)
        // Growing past malloc's rounding moves to a new buffer of the exact size.
        let long = Array(repeating: UInt8(ascii: "x"), count: 40)
        h.set(Array("f2".utf8), long, maxEntries: 128, maxValue: 64)
        #expect(h.identity != first)
        #expect(slack(h) < 16)
        let grown = h.identity
        h.remove(Array("f2".utf8))
        #expect(h.identity == grown)
        #expect(slack(h) > 16)
        h.shrinkToFit()
        #expect(h.identity != grown)
        #expect(slack(h) < 16)
        #expect(h.value(Array("f1".utf8)) == Array("v2".utf8))
        // Conversion moves it too.
        let beforeConversion = h.identity
        h.convertToTable()
        #expect(h.identity != beforeConversion)
        #expect(slack(h) == -1)
    }
}
