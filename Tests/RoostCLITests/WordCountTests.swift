import Foundation
import RoostCompute
import RoostTestSupport
import Testing

/// A scratch directory for one test, removed afterwards.
private func withScratchDirectory(_ body: (String) async throws -> Void) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-wordcount-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try await body(directory)
}

/// A corpus of `lines` lines: words from a small Zipf-like vocabulary and random words with
/// non-UTF-8 and control bytes, separated by all six whitespace bytes, CRLF line ends among
/// them.
private func corpus(lines: Int, seed: UInt64) -> [UInt8] {
    var random = SplitMix64(seed: seed)
    let whitespace: [UInt8] = [0x20, 0x09, 0x0B, 0x0C, 0x0D]
    let vocabulary: [[UInt8]] = (0..<300).map { _ in (0..<(1 + random.below(12))).map { _ in UInt8(0x61 + random.below(26)) } }
    var text: [UInt8] = []
    for _ in 0..<lines {
        for index in 0..<(1 + random.below(14)) {
            if index > 0 { text.append(random.pick(whitespace)) }
            if random.chance(1, in: 10) {
                text += (0..<(1 + random.below(20))).map { _ in
                    var byte = UInt8(truncatingIfNeeded: random.next())
                    while WordTally.isWhitespace(byte) { byte = UInt8(truncatingIfNeeded: random.next()) }
                    return byte
                }
            } else {
                // Rank r drawn with weight about 1/r.
                text += vocabulary[min(Int(Double(vocabulary.count) / Double(1 + random.below(vocabulary.count))) - 1, vocabulary.count - 1)]
            }
        }
        text += random.chance(1, in: 5) ? [0x0D, 0x0A] : [0x0A]
    }
    return text
}

/// WordTally's single-process count of `paths`: the reference.
private func referenceLines(_ paths: [String], top: Int? = nil) throws -> [UInt8] {
    var tally = WordTally()
    for split in try FileSplit.splits(of: paths, targetSize: .max) {
        try split.read(chunkSize: 1 << 16) { tally.add($0) }
    }
    return tally.lines(top: top)
}

@Suite("roost wordcount: MapReduce over files on worker processes, as exact as one process")
struct WordCountTests {
    @Test func theOutputIsByteIdenticalToASingleProcessCount() async throws {
        try await withScratchDirectory { directory in
            let first = "\(directory)/first.txt", second = "\(directory)/second.txt", output = "\(directory)/counts.txt"
            try Data(corpus(lines: 12_000, seed: 0x3C0_0013)).write(to: URL(fileURLWithPath: first))
            // The second file ends without a newline.
            try Data(corpus(lines: 3_000, seed: 0x3C0_0014) + Array("tail-word".utf8)).write(to: URL(fileURLWithPath: second))
            // Small splits, so that lines cross split boundaries and there are many map tasks.
            let result = try await RoostCLI.run(["wordcount", first, second, "--workers", "2", "--split-size", "65536",
                                                 "--output", output], timeout: 300)
            #expect(result.status == 0, "\(result.errorText)")
            let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: output)))
            let expected = try referenceLines([first, second])
            #expect(!expected.isEmpty)
            #expect(written == expected)
            #expect(result.output.isEmpty)
        }
    }

    /// With --cluster the job, its intermediate data and its workers are on a Redis Cluster.
    @Test(.enabled(if: RedisClusterProcess.isAvailable))
    func onARedisClusterTheOutputIsTheSame() async throws {
        let cluster = try await RedisClusterProcess.start()
        defer { cluster.stop() }
        try await withScratchDirectory { directory in
            let input = "\(directory)/input.txt", output = "\(directory)/counts.txt"
            try Data(corpus(lines: 4_000, seed: 0x3C0_0015)).write(to: URL(fileURLWithPath: input))
            let result = try await RoostCLI.run(["wordcount", input, "--url", cluster.urls[0], "--cluster", "--workers", "2",
                                                 "--split-size", "32768", "--output", output], timeout: 300)
            #expect(result.status == 0, "\(result.errorText)")
            let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: output)))
            let expected = try referenceLines([input])
            #expect(!expected.isEmpty)
            #expect(written == expected)
        }
    }

    @Test func clusterNeedsAURL() async throws {
        let result = try await RoostCLI.run(["wordcount", "/dev/null", "--cluster"])
        #expect(result.status == 64 && result.errorText.contains("--cluster needs --url"))
    }

    @Test func topKGoesToStandardOutput() async throws {
        try await withScratchDirectory { directory in
            let path = "\(directory)/corpus.txt"
            try Data(corpus(lines: 2_000, seed: 0x3C0_0015)).write(to: URL(fileURLWithPath: path))
            let result = try await RoostCLI.run(["wordcount", path, "--workers", "1", "--top", "7"], timeout: 300)
            #expect(result.status == 0, "\(result.errorText)")
            #expect(result.output == (try referenceLines([path], top: 7)))
            #expect(result.text.split(separator: "\n").count == 7)
        }
    }

    @Test func aMissingFileIsAClearError() async throws {
        try await withScratchDirectory { directory in
            let missing = "\(directory)/missing.txt"
            let result = try await RoostCLI.run(["wordcount", missing, "--workers", "1"])
            #expect(result.status == 1)
            #expect(result.output.isEmpty)
            #expect(result.errorText.contains("\(missing): no such file"))
            let usage = try await RoostCLI.run(["wordcount", missing, "--top=-1"])
            #expect(usage.status == 64 && usage.errorText.contains("--top must not be negative"))
        }
    }
}
