// file-mapreduce: a MapReduce over your own files, whose map and reduce tasks run in worker
// processes of this same program.
//
//     file-mapreduce run FILE... [--workers N]            Roost's server in this process, N workers (2)
//     file-mapreduce run FILE... --url redis://host:port  workers already connected to that server
//     file-mapreduce worker --url redis://host:port       a worker; start as many as you like, anywhere
//
// The job counts words (runs of ASCII letters and non-ASCII bytes, lowercased) and prints the
// ten most frequent with the totals. Change `Words.ignoringCase` to run your own map and reduce.
import ExampleSupport
import Foundation
import RoostClient
import RoostCompute

enum Words {
    /// The job: word → count. Submitter and workers find it by name and version, so both
    /// register the same value; bump `version` when the functions change.
    static let ignoringCase = MapReduceJob<FileSplit, String, Int, Int>(
        "examples.words-ignoring-case",
        map: { split, _, output in
            // Count the whole split here and emit each word once: fewer, smaller intermediate blobs.
            var counts: [String: Int] = [:]
            var word: [UInt8] = []
            func endWord() {
                if !word.isEmpty { counts[String(decoding: word, as: UTF8.self), default: 0] += 1 }
                word.removeAll(keepingCapacity: true)
            }
            // Chunks end at line ends, so no word spans two of them.
            try split.read(chunkSize: FileSplit.recordSize) { chunk in
                for byte in chunk {
                    switch byte {
                    case UInt8(ascii: "A")...UInt8(ascii: "Z"): word.append(byte + 32)
                    case UInt8(ascii: "a")...UInt8(ascii: "z"), 0x80...: word.append(byte)
                    default: endWord()
                    }
                }
                endWord()
            }
            for (word, count) in counts { output.emit(word, count) }
        },
        combine: { $0 + $1 },
        reduce: { _, counts in counts.reduce(0, +) })
}

/// Runs MapReduce tasks of `Words.ignoringCase` for the server of `client` until killed.
func work(on client: RedisClient) async throws {
    let registry = MapReduceRegistry()
    registry.register(Words.ignoringCase)
    let worker = MapReduceWorker(mapReduce: MapReduce("examples", on: client), registry: registry,
                                 configuration: .init(concurrency: 1), logger: ExampleServer.quiet)
    try await worker.run()
}

/// Starts `count` `file-mapreduce worker --url url` processes of this executable.
func startWorkers(_ count: Int, url: String) throws -> [Process] {
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return try (0..<count).map { _ in
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["worker", "--url", url]
        try process.run()
        return process
    }
}

/// Submits the job over `files` to the server of `client` (at `url`) with `workers` local worker
/// processes, waits for it and prints the result.
func count(_ files: [String], on client: RedisClient, url: String, workers: Int) async throws {
    let processes = try startWorkers(workers, url: url)
    defer {
        for process in processes { process.terminate() }
        for process in processes { process.waitUntilExit() }
    }
    let splits = try FileSplit.splits(of: files, targetSize: 4 << 20)
    let started = ContinuousClock.now
    let run = try await MapReduce("examples", on: client).submit(Words.ignoringCase, input: splits, partitions: 2)
    try await run.wait()
    let counts = try await run.collect()
    try? await run.delete()
    let total = counts.reduce(0) { $0 + $1.value }
    print("\(files.count) file(s), \(splits.count) map task(s): \(total) words, \(counts.count) distinct, "
          + "in \(ContinuousClock.now - started)")
    for (word, count) in counts.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }).prefix(10) {
        print("\(count)\t\(word)")
    }
}

var arguments = Array(CommandLine.arguments.dropFirst())
let command = arguments.isEmpty ? "" : arguments.removeFirst()
let url = ExampleServer.take("--url", from: &arguments)
let workers = ExampleServer.take("--workers", from: &arguments).flatMap { Int($0) } ?? (url == nil ? 2 : 0)
await ExampleServer.main("file-mapreduce") {
    switch command {
    case "worker" where url != nil && arguments.isEmpty:
        try await ExampleServer.with(url: url) { client, _ in try await work(on: client) }
    case "run" where !arguments.isEmpty && (url != nil || workers > 0):
        try await ExampleServer.with(url: url) { client, url in
            try await count(arguments, on: client, url: url, workers: workers)
        }
    default:
        ExampleServer.usage("""
            file-mapreduce run FILE... [--url redis://host:port] [--workers N]
                   file-mapreduce worker --url redis://host:port
            """)
    }
}
