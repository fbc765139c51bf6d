import Foundation
@testable import RoostCompute
import RoostTestSupport
import Testing

/// Runs `job`'s `map` (the job's own, given as `map`) over `splits` and its reduce over every
/// partition in this process, as workers would, and returns the output in the job's order.
private func runInProcess<Split, Key, Value, Output>(
    _ job: MapReduceJob<Split, Key, Value, Output>, splits: [Split], partitions: Int,
    map: (Split, inout MapOutput<Key, Value>) throws -> Void
) throws -> [(key: Key, value: Output)] {
    var blobs = [[[UInt8]]](repeating: [], count: partitions)
    for split in splits {
        var output = MapOutput<Key, Value>(combine: job.combine)
        try map(split, &output)
        for (partition, blob) in output.blobs(partitions: partitions, partitioner: job.partitioner).enumerated() {
            blobs[partition].append(blob)
        }
    }
    var pairs: [(key: Key, value: Output)] = []
    for partition in 0..<partitions {
        try ShuffleBlob.forEachPair(in: try job.runReduce(blobs: blobs[partition])) { key, value in
            pairs.append((try Key(mapReduceBytes: key), try Output(mapReduceBytes: value)))
        }
    }
    return pairs
}

/// Two files in a scratch directory (the second without a trailing newline), removed afterwards.
private func withCorpus(_ body: ([String]) throws -> Void) throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-builtins-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let paths = ["\(directory)/one.txt", "\(directory)/two.txt"]
    try Data(LineCorpus.text(lines: 3_000, seed: 0xB17_0001)).write(to: URL(fileURLWithPath: paths[0]))
    try Data(LineCorpus.text(lines: 1_000, seed: 0xB17_0002, trailingNewline: false)).write(to: URL(fileURLWithPath: paths[1]))
    try body(paths)
}

/// The lines of `text` without their `\n`s (no empty line after a final `\n`).
private func lines(of text: [UInt8]) -> [[UInt8]] {
    var result = text.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
    if text.last == 0x0A { result.removeLast() }
    return result
}

private func contents(_ path: String) throws -> [UInt8] { try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) }

@Suite("Built-in file jobs: grep, inverted index and sort, map and reduce in one process")
struct BuiltinFileJobsTests {
    @Test(arguments: [Int64(97), 4096, 1 << 30])
    func grepNumbersLinesAcrossSplitBoundaries(splitSize: Int64) throws {
        try withCorpus { paths in
            let needle = Array("needle".utf8)
            let splits = try DocumentSplit.splits(of: paths, targetSize: splitSize, parameters: FileGrep.Pattern(needle, fixed: true))
            let pairs = try runInProcess(BuiltinJobs.grepFiles, splits: splits, partitions: 3, map: FileGrep.map)
            var expected: [UInt8] = []
            for (document, path) in paths.enumerated() {
                for (index, line) in lines(of: try contents(path)).enumerated() where line.contains(needle) {
                    expected += Array("f\(document):\(index + 1):".utf8) + line + [0x0A]
                }
            }
            #expect(!expected.isEmpty)
            #expect(FileGrep.lines(pairs, names: ["f0", "f1"]) == expected)
            let counts = FileGrep.lines(pairs, names: ["f0", "f1"], countOnly: true)
            let expectedCounts = try paths.enumerated().map { document, path in
                "f\(document):\(lines(of: try contents(path)).filter { $0.contains(needle) }.count)\n"
            }.joined()
            #expect(counts == Array(expectedCounts.utf8))
        }
    }

    @Test func grepPatterns() throws {
        func matches(_ pattern: String, fixed: Bool, ignoreCase: Bool = false, _ line: [UInt8]) throws -> Bool {
            let matcher = try FileGrep.Pattern(Array(pattern.utf8), fixed: fixed, ignoreCase: ignoreCase).matcher()
            return line.withUnsafeBytes { matcher($0) }
        }
        #expect(try matches("needle", fixed: true, Array("a needle here".utf8)))
        #expect(try !matches("needle", fixed: true, Array("a Needle here".utf8)))
        #expect(try matches("neEDle", fixed: true, ignoreCase: true, Array("a NEEDLE here".utf8)))
        #expect(try matches("", fixed: true, []))
        #expect(try !matches("ab", fixed: true, [0x61]))
        #expect(try matches("^a.c$", fixed: false, Array("abc".utf8)))
        #expect(try !matches("^a.c$", fixed: false, Array("xabc".utf8)))
        #expect(try matches("n[e]+dle", fixed: false, ignoreCase: true, [0xFF] + Array("NEEDLE".utf8)))
        #expect(throws: (any Error).self) { try FileGrep.Pattern(Array("(".utf8), fixed: false).matcher() }
    }

    @Test func grepKeysSortAsTheirBytes() throws {
        let keys = [FileGrep.Key(isSplitRecord: false, document: 1, split: 0, line: 2),
                    FileGrep.Key(isSplitRecord: true, document: 3, split: 1 << 40, line: 7),
                    FileGrep.Key(isSplitRecord: false, document: 1, split: 300, line: 1)]
        func bytes(_ key: FileGrep.Key) -> [UInt8] {
            var out: [UInt8] = []
            key.mapReduceEncode(into: &out)
            return out
        }
        #expect(keys.sorted().map(bytes) == keys.map(bytes).sorted { $0.lexicographicallyPrecedes($1) })
        for key in keys { #expect(try bytes(key).withUnsafeBytes { try FileGrep.Key(mapReduceBytes: $0) } == key) }
    }

    @Test(arguments: [Int64(61), 1 << 30])
    func theIndexListsEachWordsDocumentsAndCounts(splitSize: Int64) throws {
        try withCorpus { paths in
            let splits = try DocumentSplit.splits(of: paths, targetSize: splitSize, parameters: [String: String]())
            let pairs = try runInProcess(BuiltinJobs.invertedIndexFiles, splits: splits, partitions: 4, map: InvertedIndex.map)
            var postings: [[UInt8]: [Int: Int]] = [:]
            for (document, path) in paths.enumerated() {
                for word in try contents(path).split(whereSeparator: BuiltinJobs.isSpace) {
                    postings[Array(word), default: [:]][document, default: 0] += 1
                }
            }
            var expected: [UInt8] = []
            for word in postings.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                let entries = postings[word]!.sorted { $0.key < $1.key }.map { "doc\($0.key):\($0.value)" }
                expected += word + [0x09] + Array(entries.joined(separator: ",").utf8) + [0x0A]
            }
            #expect(InvertedIndex.lines(pairs, names: ["doc0", "doc1"]) == expected)
        }
    }

    @Test func postingsMergeByDocument() throws {
        let merged = InvertedIndex.Postings([(0, 2), (3, 1)]).merged(with: InvertedIndex.Postings([(1, 5), (3, 4)]))
        #expect(merged == InvertedIndex.Postings([(0, 2), (1, 5), (3, 5)]))
        var bytes: [UInt8] = []
        merged.mapReduceEncode(into: &bytes)
        #expect(try bytes.withUnsafeBytes { try InvertedIndex.Postings(mapReduceBytes: $0) } == merged)
    }

    @Test(arguments: [(Int64(83), 5), (1 << 30, 1), (4096, 3)])
    func sortedOutputIsBytewiseWithDuplicates(splitSize: Int64, partitions: Int) throws {
        try withCorpus { paths in
            let unsampled = try DocumentSplit.splits(of: paths, targetSize: splitSize, parameters: FileSort.Parameters(boundaries: []))
            let boundaries = MapReducePartitioner.rangeBoundaries(sample: try FileSort.sample(unsampled.map(\.file)),
                                                                  partitions: partitions)
            let splits = unsampled.map { DocumentSplit(file: $0.file, document: $0.document, parameters: FileSort.Parameters(boundaries: boundaries)) }
            let pairs = try runInProcess(BuiltinJobs.sortFiles, splits: splits, partitions: boundaries.count + 1, map: FileSort.map)
            let all = try paths.flatMap { lines(of: try contents($0)) }.sorted { $0.lexicographicallyPrecedes($1) }
            #expect(FileSort.lines(pairs) == all.flatMap { $0 + [0x0A] })
            #expect(FileSort.lines(pairs, reverse: true) == all.reversed().flatMap { $0 + [0x0A] })
        }
    }

    @Test func theRangePartitionerCutsContiguousRanges() {
        let boundaries: [[UInt8]] = [Array("b".utf8), Array("d".utf8)]
        let partitioner = MapReducePartitioner.range(boundaries)
        func partition(_ key: String, among partitions: Int = 3) -> Int {
            Array(key.utf8).withUnsafeBytes { partitioner.partition(of: $0, among: partitions) }
        }
        #expect(["", "a", "azz"].map { partition($0) } == [0, 0, 0])
        #expect(["b", "b\u{0}", "czz"].map { partition($0) } == [1, 1, 1])
        #expect(["d", "zz"].map { partition($0) } == [2, 2])
        #expect(partition("zz", among: 2) == 1)
        let sample = (0..<100).map { [UInt8($0)] }
        #expect(MapReducePartitioner.rangeBoundaries(sample: sample.shuffled(), partitions: 4) == [[25], [50], [75]])
        #expect(MapReducePartitioner.rangeBoundaries(sample: Array(repeating: [7], count: 10), partitions: 4) == [[7]])
        #expect(MapReducePartitioner.rangeBoundaries(sample: [], partitions: 4).isEmpty)
    }
}
