@testable import RoostEngine
import Testing

/// The pending-entry list's B+ tree, checked against a sorted array after random operations.
@Suite struct StreamIDSetTests {
    /// The model: the ids, sorted.
    struct Model {
        var ids: [StreamID] = []

        func lowerBound(_ id: StreamID) -> Int { ids.firstIndex { $0 >= id } ?? ids.count }

        mutating func insert(_ id: StreamID) -> Bool {
            let i = lowerBound(id)
            if i < ids.count && ids[i] == id { return false }
            ids.insert(id, at: i)
            return true
        }

        mutating func remove(_ id: StreamID) -> Bool {
            let i = lowerBound(id)
            guard i < ids.count && ids[i] == id else { return false }
            ids.remove(at: i)
            return true
        }
    }

    func check(_ set: StreamIDSet, _ model: Model) {
        #expect(set.validate() == nil, "\(set.validate() ?? "")")
        #expect(set.count == model.ids.count)
        #expect(set.isEmpty == model.ids.isEmpty)
        #expect(Array(set) == model.ids)
        #expect(set.first == model.ids.first)
        #expect(set.last == model.ids.last)
    }

    func randomID(_ random: inout SplitMix64, span: UInt64) -> StreamID {
        StreamID(ms: random.next() % span, seq: random.next() % 3)
    }

    /// Runs `operations` random inserts, removals and queries on ids drawn from `span`
    /// milliseconds, checking every query and, every `checkEvery` operations, the whole set.
    func run(seed: UInt64, operations: Int, span: UInt64, insertPercent: UInt64, checkEvery: Int) {
        var random = SplitMix64(seed: seed)
        var set = StreamIDSet()
        var model = Model()
        for step in 0..<operations {
            let id = randomID(&random, span: span)
            switch random.next() % 100 {
            case let roll where roll < insertPercent:
                let inserted = set.insert(id)
                #expect(inserted == model.insert(id), "insert \(id.text), seed \(seed)")
            case let roll where roll < insertPercent + 30:
                let removed = set.remove(id)
                #expect(removed == model.remove(id), "remove \(id.text), seed \(seed)")
            default:
                let rank = model.lowerBound(id)
                #expect(set.lowerBound(id) == rank)
                #expect(set.contains(id) == (rank < model.ids.count && model.ids[rank] == id))
                #expect(set.first(atOrAfter: id) == (rank < model.ids.count ? model.ids[rank] : nil))
                if !model.ids.isEmpty {
                    let at = Int(random.next() % UInt64(model.ids.count))
                    #expect(set.id(at: at) == model.ids[at])
                }
                let end = randomID(&random, span: span)
                let limit = Int(random.next() % 20)
                var expected = Array(model.ids[rank...].prefix { $0 <= end })
                if limit != 0 { expected = Array(expected.prefix(limit)) }
                #expect(set.range(from: id, to: end, limit: limit) == expected)
            }
            if step % checkEvery == 0 { check(set, model) }
        }
        check(set, model)
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func randomOperationsMatchASortedArray(seed: UInt64) {
        // A small span makes duplicates and removals of present ids common; the insert share
        // grows the set past several levels before removals shrink it.
        run(seed: seed, operations: 20_000, span: 3_000, insertPercent: 55, checkEvery: 500)
    }

    @Test func shrinkingToEmptyKeepsTheTreeValid() {
        run(seed: 99, operations: 20_000, span: 1_000, insertPercent: 35, checkEvery: 250)
    }

    @Test func idsInDeliveryOrderFillTheirLeaves() {
        var set = StreamIDSet()
        var model = Model()
        for ms in 1...10_000 as ClosedRange<UInt64> {
            let inserted = set.insert(StreamID(ms: ms, seq: 0))
            #expect(inserted && model.insert(StreamID(ms: ms, seq: 0)))
        }
        check(set, model)
        // Full leaves: 16 bytes per id and a few bytes of node overhead.
        #expect(set.leafCount == (10_000 + StreamIDSet.maxFill - 1) / StreamIDSet.maxFill)
        // Acknowledging from the front, as consumers do, keeps every invariant.
        for ms in 1...9_990 as ClosedRange<UInt64> {
            let removed = set.remove(StreamID(ms: ms, seq: 0))
            #expect(removed && model.remove(StreamID(ms: ms, seq: 0)))
            if ms % 997 == 0 { check(set, model) }
        }
        check(set, model)
    }

    @Test func copiesAreIndependent() {
        var set = StreamIDSet()
        for ms in 1...1_000 as ClosedRange<UInt64> { set.insert(StreamID(ms: ms, seq: 0)) }
        var copy = set
        copy.remove(StreamID(ms: 10, seq: 0))
        copy.insert(StreamID(ms: 5_000, seq: 0))
        set.insert(StreamID(ms: 6_000, seq: 0))
        #expect(set.count == 1_001)
        #expect(copy.count == 1_000)
        #expect(set.contains(StreamID(ms: 10, seq: 0)))
        #expect(!copy.contains(StreamID(ms: 10, seq: 0)))
        #expect(!set.contains(StreamID(ms: 5_000, seq: 0)))
        #expect(!copy.contains(StreamID(ms: 6_000, seq: 0)))
        #expect(set.validate() == nil)
        #expect(copy.validate() == nil)
    }
}
