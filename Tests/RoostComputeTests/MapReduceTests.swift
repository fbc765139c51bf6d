import Foundation
import RoostClient
import RoostCompute
import RoostCoordination
import RoostTestSupport
import Testing

/// MapReduce jobs end to end on each backend, compared with a single-process reference.
@Suite("MapReduce jobs")
struct MapReduceTests {
    /// A custom split source: the integers `lower..<upper`.
    struct NumberRange: MapReduceSplit {
        var lower: Int
        var upper: Int
        func read(_ context: MapReduceInputContext, _ body: (Int) throws -> Void) async throws {
            for n in lower..<upper { try body(n) }
        }
    }

    /// Sums of squares by the last digit, with no combiner (reduce sees every value).
    static let squaresByDigit = MapReduceJob<NumberRange, String, Int, Int>(
        "test.squares-by-digit", mapRecord: { n, output in output.emit("digit \(n % 10)", n * n) },
        reduce: { _, values in values.reduce(0, +) })

    @Test(arguments: TestBackend.available)
    func aWordCountOverARedisListMatchesTheReferenceByteForByte(_ backend: TestBackend) async throws {
        try await withComputeBackend(backend) { server in
            let client = server.client
            let lines = WordCorpus.lines(3000, seed: 7)
            try await pushLines(lines, to: "wc:lines", on: client)
            let mapReduce = MapReduce("wc-list", on: client)
            let registry = MapReduceRegistry()
            BuiltinJobs.register(in: registry)
            let run = try await mapReduce.submit(BuiltinJobs.wordCountList, input: RedisListInput(key: "wc:lines", elementsPerSplit: 400),
                                                 partitions: 3, id: "count-1")
            let last = try await whileWorking([.make(mapReduce, registry), .make(mapReduce, registry)]) {
                try await run.progress { updates in
                    var last: MapReduceProgress?
                    for try await progress in updates { last = progress }
                    return last
                }
            }
            try await run.wait(timeout: .seconds(10))
            let output = try await run.collect()
            #expect(WordCorpus.report(output.map { ($0.key, $0.value) }) == WordCorpus.report(WordCorpus.reference(lines).map { ($0.key, $0.value) }))
            // Each partition's keys come in byte order, every key once.
            #expect(Set(output.map(\.key)).count == output.count)
            let progress = try #require(last)
            #expect(progress.phase == .done)
            #expect(progress.map.committed == 8 && progress.map.total == 8 && progress.reduce.committed == 3)
            #expect(progress.records == Int64(WordCorpus.reference(lines).values.reduce(0, +)))
            #expect(progress.bytesOut > 0)
            // The intermediate data is gone; each output keeps only its committed attempt.
            let keys = (0..<3).map { RedisKey("roost:mr:{mr:wc-list:count-1:p\($0)}:shuffle") }
            for key in keys {
                let left = try await client.hkeys(key)
                #expect(left.isEmpty, "\(left)")
            }
            for partition in 0..<3 {
                #expect(try await client.hlen(RedisKey("roost:mr:{mr:wc-list:count-1:p\(partition)}:output")) == 1)
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func aWordCountOverARedisHashMatchesTheReference(_ backend: TestBackend) async throws {
        try await withComputeBackend(backend) { server in
            let client = server.client
            let lines = WordCorpus.lines(800, seed: 11)
            for start in stride(from: 0, to: lines.count, by: 200) {
                let fields = (start..<min(start + 200, lines.count)).map { ("line:\($0)", RedisArgument(bytes: lines[$0]) as any RedisArgumentConvertible) }
                _ = try await client.hset(RedisKey("wc:hash"), fields)
            }
            let mapReduce = MapReduce("wc-hash", on: client)
            let registry = MapReduceRegistry()
            BuiltinJobs.register(in: registry)
            let run = try await mapReduce.submit(BuiltinJobs.wordCountHash, input: RedisHashInput(key: "wc:hash", splitCount: 5), partitions: 2)
            try await whileWorking([.make(mapReduce, registry)]) { try await run.wait(timeout: .seconds(120)) }
            let output = try await run.collect()
            #expect(WordCorpus.report(output.map { ($0.key, $0.value) }) == WordCorpus.report(WordCorpus.reference(lines).map { ($0.key, $0.value) }))
        }
    }

    @Test(arguments: TestBackend.available)
    func aWordCountOverARedisStreamMatchesTheReferenceAndLeavesOutLaterEntries(_ backend: TestBackend) async throws {
        try await withComputeBackend(backend) { server in
            let client = server.client
            let lines = WordCorpus.lines(700, seed: 12)
            let stream = RedisKey("wc:stream")
            // Explicit IDs, several entries per millisecond, each line cut into two fields.
            for (index, line) in lines.enumerated() {
                let cut = line.firstIndex(of: 0x20) ?? line.count
                _ = try await client.execute(RedisCommand("XADD", [stream, RedisArgument("\(1000 + index / 3)-\(index % 3)"),
                                                                   "head", RedisArgument(bytes: Array(line[..<cut])),
                                                                   "tail", RedisArgument(bytes: Array(line[cut...]))]))
            }
            let mapReduce = MapReduce("wc-stream", on: client)
            let input = RedisStreamInput(key: "wc:stream", entriesPerSplit: 150)
            let splits = try await input.splits(MapReduceInputContext(client: client))
            #expect(splits.count == 5)
            #expect(splits.first?.first == RedisStreamID(milliseconds: 1000, sequence: 0))
            #expect(splits.last?.last == RedisStreamID(milliseconds: 1000 + 699 / 3, sequence: 699 % 3))
            #expect(zip(splits, splits.dropFirst()).allSatisfy { $0.last < $1.first })
            let run = try await mapReduce.submit(BuiltinJobs.wordCountStream, input: input, partitions: 2)
            // Added after the submission: not part of the job.
            _ = try await client.execute(RedisCommand("XADD", [stream, "*", "line", "later later later"]))
            let registry = MapReduceRegistry()
            BuiltinJobs.register(in: registry)
            try await whileWorking([.make(mapReduce, registry)]) { try await run.wait(timeout: .seconds(120)) }
            let output = try await run.collect()
            #expect(WordCorpus.report(output.map { ($0.key, $0.value) }) == WordCorpus.report(WordCorpus.reference(lines).map { ($0.key, $0.value) }))
            let empty = try await mapReduce.submit(BuiltinJobs.wordCountStream, input: RedisStreamInput(key: "no:such:stream"), partitions: 2)
            try await whileWorking([.make(mapReduce, registry)]) { try await empty.wait(timeout: .seconds(120)) }
            #expect(try await empty.collect().isEmpty)
        }
    }

    @Test(arguments: TestBackend.available)
    func aCustomSplitSourceWithoutCombinerReducesEveryValue(_ backend: TestBackend) async throws {
        try await withComputeBackend(backend) { server in
            let mapReduce = MapReduce("custom", on: server.client)
            let registry = MapReduceRegistry()
            registry.register(Self.squaresByDigit)
            let splits = stride(from: 0, to: 1000, by: 150).map { NumberRange(lower: $0, upper: min($0 + 150, 1000)) }
            let run = try await mapReduce.submit(Self.squaresByDigit, input: splits, partitions: 4)
            try await whileWorking([.make(mapReduce, registry)]) { try await run.wait(timeout: .seconds(120)) }
            var expected: [String: Int] = [:]
            for n in 0..<1000 { expected["digit \(n % 10)", default: 0] += n * n }
            let output = try await run.collect()
            #expect(Dictionary(uniqueKeysWithValues: output.map { ($0.key, $0.value) }) == expected)
            #expect(output.count == 10)
        }
    }

    @Test(arguments: TestBackend.available)
    func anEmptyInputGivesAnEmptyOutputAndAFailingTaskFailsTheJob(_ backend: TestBackend) async throws {
        try await withComputeBackend(backend) { server in
            let mapReduce = MapReduce("edges", on: server.client)
            let registry = MapReduceRegistry()
            BuiltinJobs.register(in: registry)
            let failing = MapReduceJob<NumberRange, Int, Int, Int>("test.failing", mapRecord: { n, _ in
                if n == 3 { throw MapReduceError.invalid("three is not allowed") }
            }, reduce: { _, _ in 0 })
            registry.register(failing)
            let empty = try await mapReduce.submit(BuiltinJobs.wordCountList, input: RedisListInput(key: "no:such:list"), partitions: 2)
            let failed = try await mapReduce.submit(failing, input: [NumberRange(lower: 0, upper: 5)], partitions: 1,
                                                    settings: .init(maxAttempts: 2))
            try await whileWorking([.make(mapReduce, registry)]) {
                try await empty.wait(timeout: .seconds(120))
                await #expect(throws: MapReduceError.self) { try await failed.wait(timeout: .seconds(120)) }
            }
            #expect(try await empty.collect().isEmpty)
            let progress = try await failed.currentProgress()
            #expect(progress.phase == .failed)
            #expect(progress.map.failedAttempts == 2)
            #expect(progress.error?.contains("three is not allowed") == true)
            await #expect(throws: MapReduceError.self) { _ = try await failed.collect() }
        }
    }
}

extension MapReduceTests {
    @Test(arguments: TestBackend.available)
    func aStragglerGetsABackupAttemptAndTheFirstCommitWins(_ backend: TestBackend) async throws {
        try await withComputeBackend(backend) { server in
            let mapReduce = MapReduce("straggler", on: server.client)
            let release = Flag()
            let firstSplitRuns = Counter()
            let straggling = MapReduceJob<NumberRange, String, Int, Int>("test.straggler", map: { split, context, output in
                // The first run of split 0 straggles until the job is done.
                if split.lower == 0 && firstSplitRuns.increment() == 1 { try await release.wait("the job is done") }
                try await split.read(context) { output.emit("n", $0) }
            }, combine: { $0 + $1 }, reduce: { _, values in values.reduce(0, +) })
            let registry = MapReduceRegistry()
            registry.register(straggling)
            let splits = stride(from: 0, to: 400, by: 100).map { NumberRange(lower: $0, upper: $0 + 100) }
            let run = try await mapReduce.submit(straggling, input: splits, partitions: 2,
                                                 settings: .init(backupFraction: 0.5, backupAfter: .milliseconds(200)))
            try await whileWorking([.make(mapReduce, registry)]) {
                try await run.wait(timeout: .seconds(120))
                release.raise()
            }
            #expect(try await run.collect().map(\.value) == [(0..<400).reduce(0, +)])
            let progress = try await run.currentProgress()
            // Under load another map task may straggle too; split 0 surely did.
            #expect(progress.map.backups >= 1)
            #expect(firstSplitRuns.count == 2)
        }
    }

    @Test(arguments: TestBackend.available)
    func roostWorkerRunsTheBuiltInJobs(_ backend: TestBackend) async throws {
        try await withComputeBackend(backend) { server in
            let executable = try #require(ProbeProcess.executable(named: "roost"), "roost is not built")
            let url = "redis://127.0.0.1:" + (server.probeArguments[1].split(separator: ",").first.map(String.init) ?? "")
            let arguments = ["worker", "--url", url, "--namespace", "cli", "--concurrency", "2"]
                + (server.probeArguments[0] == "--cluster" ? ["--cluster"] : [])
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("roost-worker-\(UUID().uuidString).log").path
            let worker = try ProbeProcess(executable: executable, arguments: arguments, outputPath: output)
            defer { worker.kill9() }
            let lines = WordCorpus.lines(1000, seed: 3)
            try await pushLines(lines, to: "cli:lines", on: server.client)
            let run = try await MapReduce("cli", on: server.client).submit(
                BuiltinJobs.wordCountList, input: RedisListInput(key: "cli:lines", elementsPerSplit: 250), partitions: 2)
            try await run.wait(timeout: .seconds(120))
            #expect(WordCorpus.report(try await run.collect().map { ($0.key, $0.value) })
                    == WordCorpus.report(WordCorpus.reference(lines).map { ($0.key, $0.value) }))
            #expect(worker.output.contains("roost worker: namespace cli"))
        }
    }
}
