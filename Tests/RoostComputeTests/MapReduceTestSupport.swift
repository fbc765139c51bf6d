import Logging
import RoostClient
import RoostCompute
import RoostCoordination
import ServiceLifecycle

/// A deterministic corpus and the single-process reference the MapReduce tests compare with.
enum WordCorpus {
    /// `count` lines of words from a skewed vocabulary (ASCII, UTF-8 and odd bytes, mixed
    /// whitespace), the same for the same `seed`.
    static func lines(_ count: Int, seed: UInt64) -> [[UInt8]] {
        var state = seed
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        let vocabulary: [[UInt8]] = (0..<300).map { index in
            switch index % 5 {
            case 0: Array("w\(index)".utf8)
            case 1: Array("Wort\(index)é".utf8)
            case 2: [0xff, 0x00, UInt8(index % 256)]
            case 3: Array("the".utf8)
            default: Array("x\(index % 17)".utf8)
            }
        }
        let spaces: [[UInt8]] = [[0x20], [0x09], [0x20, 0x20], [0x0b], [0x0c], [0x0d], [0x0a]]
        return (0..<count).map { _ in
            var line: [UInt8] = next() % 4 == 0 ? [0x20] : []
            for _ in 0..<Int(next() % 12) {
                let rank = Int(next() % 300)
                line += vocabulary[rank * rank / 300]
                line += spaces[Int(next() % UInt64(spaces.count))]
            }
            return line
        }
    }

    /// The word counts of `texts`, computed here in one process.
    static func reference(_ texts: [[UInt8]]) -> [[UInt8]: Int] {
        var counts: [[UInt8]: Int] = [:]
        for text in texts {
            var word: [UInt8] = []
            for byte in text + [0x20] {
                if BuiltinJobs.isSpace(byte) {
                    if !word.isEmpty { counts[word, default: 0] += 1 }
                    word.removeAll()
                } else {
                    word.append(byte)
                }
            }
        }
        return counts
    }

    /// `count<TAB>word` lines sorted by count descending, then by the word's bytes.
    static func report(_ counts: some Sequence<([UInt8], Int)>) -> [UInt8] {
        counts.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0.lexicographicallyPrecedes($1.0) }
            .flatMap { Array("\($0.1)\t".utf8) + $0.0 + [0x0a] }
    }
}

/// The test side of the probe's `probe.word-count` job: the same job, running normally.
let probeWordCount = MapReduceJob<RedisListSplit, [UInt8], Int, Int>(
    "probe.word-count", mapRecord: { BuiltinJobs.countWords($0, into: &$1) }, combine: { $0 + $1 },
    reduce: { _, counts in counts.reduce(0, +) })

extension MapReduceWorker {
    /// A worker with a quiet logger and short leases.
    static func make(_ mapReduce: MapReduce, _ registry: MapReduceRegistry, runsTasks: Bool = true,
                     coordinates: Bool = true) -> MapReduceWorker {
        MapReduceWorker(mapReduce: mapReduce, registry: registry,
                        configuration: .init(concurrency: 2, leaseTime: .seconds(2), runsTasks: runsTasks, coordinates: coordinates,
                                             coordinatorLease: .seconds(2)),
                        logger: ComputeBackend.logger)
    }
}

/// Runs `body` while `workers` run; cancels them afterwards.
func whileWorking<Result: Sendable>(_ workers: [MapReduceWorker], _ body: () async throws -> Result) async throws -> Result {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for worker in workers { group.addTask { try await worker.run() } }
        defer { group.cancelAll() }
        return try await body()
    }
}

/// Pushes `lines` onto the list `key` in batches.
func pushLines(_ lines: [[UInt8]], to key: String, on client: any CoordinationClient) async throws {
    for start in stride(from: 0, to: lines.count, by: 500) {
        let batch = lines[start..<min(start + 500, lines.count)].map { RedisArgument(bytes: $0) as any RedisArgumentConvertible }
        _ = try await client.rpush(RedisKey(key), batch)
    }
}
