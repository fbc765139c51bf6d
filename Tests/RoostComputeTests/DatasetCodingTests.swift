@testable import RoostCompute
import Testing

/// The bytes dataset elements travel as, and the pieces of a stage that need no server.
@Suite("Dataset coding and stage pieces")
struct DatasetCodingTests {
    @Test
    func pairsJoinedValuesAndGroupsAreBuiltFromTheirPartsBytes() throws {
        let pair = Pair("key", Joined(left: 7, right: [Customer(name: "Ada", city: "London")]))
        let bytes = DatasetCoding.encode(pair)
        let (key, rest) = try bytes.withUnsafeBytes { raw in
            let (key, rest) = try DatasetCoding.split(raw)
            return (Array(key), Array(rest))
        }
        #expect(key == Array("key".utf8))
        let decoded = try DatasetCoding.decode(Joined<Int, [Customer]>.self, from: rest)
        #expect(decoded == pair.value)
        #expect(try DatasetCoding.decode(Pair<String, Joined<Int, [Customer]>>.self, from: bytes) == pair)
        // Compact leaves: strings as UTF-8, byte arrays as themselves.
        #expect(DatasetCoding.encode([UInt8]([1, 2, 3])) == [1, 2, 3])
        #expect(DatasetCoding.encode(["ab", "c"]) == [2, 0x61, 0x62, 1, 0x63])
    }

    @Test
    func rangePartitionsAreMonotonicInTheKeyAndSortingIsTotal() throws {
        let identity = SortKeyFunction("identity") { (n: Int) in n }
        guard case .sortKey(let body) = identity.definition.body else { Issue.record("not a sort key"); return }
        let sample = (0..<100).map { DatasetCoding.encode($0 * 3) }
        let boundaries = try body.boundaries(sample, 4)
        #expect(try boundaries.map { try DatasetCoding.decode(Int.self, from: $0) } == [75, 150, 225])
        let ascending = try body.router(boundaries, true, 4)
        let descending = try body.router(boundaries, false, 4)
        let partitions = try (0..<300).map { n in try DatasetCoding.encode(n).withUnsafeBytes { try ascending($0) } }
        #expect(partitions == partitions.sorted() && Set(partitions) == [0, 1, 2, 3])
        let reversed = try (0..<300).map { n in try DatasetCoding.encode(n).withUnsafeBytes { try descending($0) } }
        #expect(reversed == partitions.map { 3 - $0 })
        let elements = [5, -1, 5, 3].map { DatasetCoding.encode($0) }
        #expect(try body.sort(elements, false).map { try DatasetCoding.decode(Int.self, from: $0) } == [5, 5, 3, -1])
    }
}
