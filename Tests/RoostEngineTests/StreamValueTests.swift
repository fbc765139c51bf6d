@testable import RoostEngine
import Testing

/// The stream value on its own: nodes stay well-formed Redis listpacks through appends,
/// deletions and trims, and ranges read back what was added.
@Suite struct StreamValueTests {
    static func filled(_ count: Int, maxEntries: Int = 10) -> StreamValue {
        let s = StreamValue()
        for i in 1...count {
            let fields: [[UInt8]] = i % 5 == 0
                ? [Array("other".utf8), Array("\(i)".utf8)]
                : [Array("f".utf8), Array("\(i)".utf8), Array("g".utf8), Array("value-\(i)".utf8)]
            s.append(id: StreamID(ms: UInt64(i), seq: 1), fieldValues: fields, nodeMaxBytes: 4096, nodeMaxEntries: maxEntries)
        }
        return s
    }

    static func wellFormed(_ s: StreamValue) -> Bool {
        for node in s.nodes where !node.isWellFormed { return false }
        return true
    }

    static func ids(_ s: StreamValue, reverse: Bool = false) -> [UInt64] {
        var out: [UInt64] = []
        s.forEach(from: .zero, to: .max, reverse: reverse) { out.append($0.id.ms); return true }
        return out
    }

    @Test func appendsSplitNodesAndReadBack() {
        let s = Self.filled(95)
        #expect(s.nodes.count == 10)
        #expect(s.length == 95)
        #expect(Self.wellFormed(s))
        #expect(Self.ids(s) == Array(1...95))
        #expect(Self.ids(s, reverse: true) == Array((1...95).reversed()))
        #expect(s.entry(StreamID(ms: 10, seq: 1))?.fieldValues == [Array("other".utf8), Array("10".utf8)])
        #expect(s.entry(StreamID(ms: 11, seq: 1))?.fieldValues.last == Array("value-11".utf8))
    }

    @Test func deletionsMarkEntriesAndDropEmptyNodes() {
        let s = Self.filled(30)
        for i in 1...10 { #expect(s.delete(StreamID(ms: UInt64(i), seq: 1))) }
        #expect(!s.delete(StreamID(ms: 1, seq: 1)))
        #expect(s.nodes.count == 2)
        #expect(s.delete(StreamID(ms: 15, seq: 1)))
        s.refreshFirstID()
        #expect(s.firstID == StreamID(ms: 11, seq: 1))
        #expect(s.length == 19)
        #expect(Self.wellFormed(s))
        #expect(!Self.ids(s).contains(15))
    }

    @Test func trimsWholeNodesApproximatelyAndEntriesExactly() {
        let s = Self.filled(95)
        #expect(s.trim(.maxLength(50), approximate: true, limit: 0) == 40)
        #expect(s.length == 55)
        #expect(s.trim(.maxLength(50), approximate: false, limit: 0) == 5)
        #expect(Self.ids(s).first == 46)
        #expect(s.trim(.minID(StreamID(ms: 80, seq: 0)), approximate: false, limit: 0) == 34)
        #expect(Self.ids(s).first == 80)
        #expect(Self.wellFormed(s))
    }

    @Test func radixTreeNodeCounts() {
        #expect(StreamValue().radixTreeNodeCount == 1)
        #expect(Self.filled(5).radixTreeNodeCount == 2)
    }
}
