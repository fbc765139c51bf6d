import ArgumentParser
import Foundation
import Logging
import NIOConcurrencyHelpers
import RoostClient
import RoostCompute
import RoostCoordination
import RoostEngine
import RoostJobs
import RoostServer

/// `roost demo`: Roost's layers at work on the embedded server, in a few lines each: a word
/// count over a generated corpus by worker processes, one of them killed mid-job and the result
/// still exact; a lock handed between two holders with fencing tokens; a job queue.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Show distributed computing on Roost's embedded server: MapReduce with a killed worker, a lock, a job queue.",
        discussion: "Exit codes: 0 when every step checked out, 1 otherwise."
    )

    @Option(help: "Size of the generated corpus in megabytes.")
    var megabytes = 32

    @Option(help: "Worker processes for the word count (default: the number of cores, at least 2).")
    var workers: Int?

    @Option(help: "Jobs to put through the job queue.")
    var jobs = 2000

    func validate() throws {
        guard megabytes >= 1 else { throw ValidationError("--megabytes must be at least 1") }
        if let workers { guard workers >= 2 else { throw ValidationError("--workers must be at least 2 (one is killed)") } }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
    }

    func run() async throws {
        var configuration = EngineConfiguration()
        configuration.port = 0
        configuration.bind = ["127.0.0.1"]
        let server = RoostServer(configuration: configuration, logger: Logger(label: "roost.demo") { _ in SwiftLogNoOpLogHandler() })
        try await server.start()
        let url = "redis://127.0.0.1:\(server.port)"
        say("Roost \(Engine.version): embedded server on 127.0.0.1:\(server.port), started in this process")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-demo-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            try await wordCount(url: url, directory: directory)
            let client = RedisClient(configuration: try Self.clientConfiguration(url), logger: Logger(label: "roost.demo") { _ in SwiftLogNoOpLogHandler() })
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await client.run() }
                defer { group.cancelAll() }
                try await lockHandOff(client)
                try await jobQueue(client)
            }
        } catch {
            try? await server.stop()
            throw error
        }
        try await server.stop()
        say("Every step checked out.")
    }

    static func clientConfiguration(_ url: String) throws -> RedisClientConfiguration {
        guard case .single(let configuration) = try JobsConnection(url: url, cluster: false) else {
            throw JobsCommandError("roost demo: a single server only")
        }
        return configuration
    }

    func say(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    // MARK: MapReduce with a killed worker

    func wordCount(url: String, directory: String) async throws {
        let paths = try DemoCorpus.write(megabytes: megabytes, files: 4, into: directory)
        let total = paths.reduce(Int64(0)) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int64) ?? 0) }
        say("\nMapReduce word count")
        say("  corpus: \(paths.count) files, \(Self.megabytes(total)) MB of Zipf-distributed words (seed 1)")
        let started = ContinuousClock.now
        var reference = WordTally()
        for split in try FileSplit.splits(of: paths, targetSize: .max) {
            try split.read(chunkSize: 4 << 20) { reference.add($0) }
        }
        say("  single-process reference count: \(Self.seconds(ContinuousClock.now - started)) s")

        let count = workers ?? max(ProcessInfo.processInfo.activeProcessorCount, 2)
        let processes = try WorkerProcesses(count: count, url: url, namespace: "demo", command: "roost demo",
                                            extraArguments: ["--lease-seconds", "2"])
        defer { processes.stop() }
        say("  started \(count) worker processes (roost worker): pids \(processes.pids.map(String.init).joined(separator: ", "))")
        let client = RedisClient(configuration: try Self.clientConfiguration(url), logger: JobsConnection.logger)
        let result: WordTally = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            let mapReduce = MapReduce("demo", on: client)
            let splits = try FileSplit.splits(of: paths, targetSize: max(total / Int64(8 * count), 256 << 10))
            let jobStarted = ContinuousClock.now
            let run = try await mapReduce.submit(BuiltinJobs.wordCountFiles, input: splits, partitions: count)
            let killed = NIOLockedValueBox(false)
            try await run.progress { updates in
                var lastLine = ""
                for try await progress in updates {
                    // Once the first task committed, a worker dies as in a crash: in the map phase,
                    // or in the reduce phase when the maps went by faster than the notices.
                    let started = progress.map.committed >= 1
                    let unfinished = progress.map.committed < progress.map.total || progress.reduce.committed < progress.reduce.total
                    if !killed.withLockedValue({ $0 }) && started && unfinished && progress.phase != .done {
                        killed.withLockedValue { $0 = true }
                        processes.kill(0)
                        say("  kill -9 worker \(processes.pids[0]) during the \(progress.phase) phase (its tasks run again elsewhere when their lease ends)")
                    }
                    let line = "  \(progress.phase) phase: map tasks \(progress.map.committed)/\(progress.map.total) committed,"
                        + " reduce tasks \(progress.reduce.committed)/\(progress.reduce.total), \(progress.liveWorkers) live workers"
                    let milestone = progress.map.committed == progress.map.total || progress.map.committed % max(progress.map.total / 4, 1) == 0
                    if progress.map.total > 0 && line != lastLine && milestone {
                        say(line)
                        lastLine = line
                    }
                }
            }
            try await run.wait()
            var tally = WordTally()
            for try await (word, count) in run.output() { tally.add(word: word, count: count) }
            try? await run.delete()
            say("  done in \(Self.seconds(ContinuousClock.now - jobStarted)) s on \(count) workers, \(count - 1) of them alive at the end")
            return tally
        }
        guard result.lines(top: nil) == reference.lines(top: nil) else {
            throw JobsCommandError("roost demo: the distributed count differs from the reference")
        }
        let top = String(decoding: result.lines(top: 3), as: UTF8.self)
            .split(separator: "\n").map { $0.replacingOccurrences(of: "\t", with: " ") }.joined(separator: ", ")
        say("  result identical to the single-process count (\(result.distinctWords) distinct words; top: \(top))")
    }

    // MARK: Lock

    func lockHandOff(_ client: RedisClient) async throws {
        say("\nLock with leases and fencing tokens")
        let lock = DistributedLock("demo", on: client, leaseTime: .seconds(5))
        let order = NIOLockedValueBox<[String]>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for holder in ["A", "B"] {
                group.addTask {
                    try await lock.withLock(timeout: .seconds(10)) { lease in
                        try await FencedStore(on: client).set("{demo}owner", RedisArgument(holder), token: lease.token)
                        order.withLockedValue { $0.append("  holder \(holder) has the lock, fencing token \(lease.token)") }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                }
            }
            try await group.waitForAll()
        }
        for line in order.withLockedValue({ $0 }) { say(line) }
        say("  the waiter woke when the lock was released, with a higher token: a stale holder's writes are refused")
    }

    // MARK: Job queue

    struct Double: Job {
        static let name = "demo-double"
        typealias Output = Int
        var n: Int
    }

    func jobQueue(_ client: RedisClient) async throws {
        say("\nJob queue")
        let queue = JobQueue("demo", on: client)
        let worker = Worker(queue: queue, configuration: .init(concurrency: 32))
        worker.register(Double.self) { job, _ in job.n * 2 }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await worker.run() }
            defer { group.cancelAll() }
            let started = ContinuousClock.now
            // Completions arrive as job events (no polling); a gap in them falls back to counts.
            let ids: [String] = try await queue.events { events in
                let ids = try await queue.enqueue((0..<jobs).map { Double(n: $0) })
                var completed = 0
                for try await event in events {
                    switch event {
                    case .job(.completed, _): completed += 1
                    case .gap: completed = try await queue.counts()[.completed] ?? 0
                    default: break
                    }
                    if completed >= jobs { break }
                }
                return ids
            }
            var sum = 0
            for id in ids {
                guard let info = try await queue.info(id), info.state == .completed, let result = info.result else {
                    throw JobsCommandError("roost demo: job \(id) did not complete")
                }
                sum += try JSONDecoder().decode(Int.self, from: Data(result))
            }
            let elapsed = ContinuousClock.now - started
            guard sum == jobs * (jobs - 1) else { throw JobsCommandError("roost demo: job results do not add up") }
            let rate = Swift.Double(jobs) / max(Swift.Double(elapsed.components.seconds) + Swift.Double(elapsed.components.attoseconds) / 1e18, 1e-6)
            say("  \(jobs) jobs enqueued in one batch, run by a worker (32 at once), every result read back: \(Self.seconds(elapsed)) s (\(Int(rate)) jobs/s)")
        }
    }

    // MARK: Formatting

    static func seconds(_ d: Duration) -> String {
        String(format: "%.2f", Swift.Double(d.components.seconds) + Swift.Double(d.components.attoseconds) / 1e18)
    }

    static func megabytes(_ bytes: Int64) -> String { String(format: "%.1f", Swift.Double(bytes) / 1e6) }
}

/// The demo's corpus: lines of 12 words drawn from a 50,000-word vocabulary with Zipf's law
/// (rank r with probability ∝ 1/r), from a fixed seed, so every run counts the same text.
enum DemoCorpus {
    static func write(megabytes: Int, files: Int, into directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var random = SplitMix64(seed: 1)
        let letters = Array("abcdefghijklmnopqrstuvwxyz".utf8)
        let vocabulary: [[UInt8]] = (0..<50_000).map { _ in
            (0..<Int.random(in: 2...9, using: &random)).map { _ in letters[Int.random(in: 0..<26, using: &random)] }
        }
        let logSize = log(Double(vocabulary.count))
        let perFile = megabytes * 1_000_000 / files
        var paths: [String] = []
        for f in 0..<files {
            var text: [UInt8] = []
            text.reserveCapacity(perFile + 128)
            while text.count < perFile {
                for w in 0..<12 {
                    let rank = Int(exp(Double.random(in: 0..<1, using: &random) * logSize)) - 1
                    text.append(contentsOf: vocabulary[min(max(rank, 0), vocabulary.count - 1)])
                    text.append(w == 11 ? UInt8(ascii: "\n") : UInt8(ascii: " "))
                }
            }
            let path = directory + "/part-\(f).txt"
            try Data(text).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        return paths
    }
}
