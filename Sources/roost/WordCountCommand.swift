import ArgumentParser
import Foundation
import Logging
import RoostClient
import RoostCompute
import RoostCoordination
import RoostEngine
import RoostServer

/// `roost wordcount FILE...`: counts the words of files with the MapReduce word count
/// (`BuiltinJobs.wordCountFiles`) and writes `count<TAB>word` lines, by count descending then
/// by the word's bytes ascending.
///
/// Without `--url` it starts Roost's server in-process on a free loopback port and `--workers`
/// `roost worker` processes (of this executable) that connect to it, and stops them at the end.
/// With `--url` it submits the job to that server, for the workers already connected there,
/// and starts `--workers` local ones only when asked.
struct WordCountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wordcount",
        abstract: "Count the words of files with MapReduce on worker processes.",
        discussion: """
            A word is a maximal run of bytes that are not ASCII whitespace (space, \\t, \\n, \\v, \\f, \\r), \
            counted case-sensitively, bytes as they are. Output: count<TAB>word lines, by count \
            descending then by the word's bytes. A progress bar goes to standard error when it is a \
            terminal. Exit codes: 0 done, 1 runtime error, 64 usage error.
            """
    )

    @Argument(help: "The files to count.")
    var files: [String]

    @Option(help: "Worker processes to start (default: the number of cores; with --url, none).")
    var workers: Int?

    @Option(help: ArgumentHelp("A server whose workers run the job instead of the embedded one: redis://host[:port][/db]…",
                               valueName: "url"))
    var url: String?

    @Option(help: "Write the counts to this file instead of standard output.")
    var output: String?

    @Option(help: "Only the K most frequent words.")
    var top: Int?

    @Option(help: "The size of a map task's split in bytes (default: the input over 4 per worker, 4 to 32 MiB).")
    var splitSize: Int64?

    @Option(help: "The MapReduce namespace.")
    var namespace = "wordcount"

    func validate() throws {
        if let workers { guard workers >= (url == nil ? 1 : 0) else { throw ValidationError("--workers must be at least 1") } }
        if let top { guard top >= 0 else { throw ValidationError("--top must not be negative") } }
        if let splitSize { guard splitSize > 0 else { throw ValidationError("--split-size must be positive") } }
        if let url { _ = try JobsConnection(url: url, cluster: false) }
    }

    func run() async throws {
        let paths = files.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        let workerCount = workers ?? (url == nil ? ProcessInfo.processInfo.activeProcessorCount : 0)
        let splits: [FileSplit]
        do {
            let total = try FileSplit.splits(of: paths, targetSize: .max).reduce(Int64(0)) { $0 + $1.length }
            let target = splitSize ?? min(max(total / Int64(4 * max(workerCount, 1)), 4 << 20), 32 << 20)
            splits = try FileSplit.splits(of: paths, targetSize: target)
        } catch let error as FileSplitError {
            throw JobsCommandError("roost wordcount: \(error)")
        }
        let tally: WordTally
        if let url {
            tally = try await count(splits, url: url, workers: workerCount)
        } else {
            var configuration = EngineConfiguration()
            configuration.port = 0
            configuration.bind = ["127.0.0.1"]
            let server = RoostServer(configuration: configuration, logger: Logger(label: "roost.wordcount") { _ in SwiftLogNoOpLogHandler() })
            try await server.start()
            do {
                tally = try await count(splits, url: "redis://127.0.0.1:\(server.port)", workers: workerCount)
            } catch {
                try? await server.stop()
                throw error
            }
            try await server.stop()
        }
        let lines = tally.lines(top: top)
        if let output {
            do {
                try Data(lines).write(to: URL(fileURLWithPath: output))
            } catch {
                throw JobsCommandError("roost wordcount: cannot write \(output): \(error.localizedDescription)")
            }
        } else {
            FileHandle.standardOutput.write(Data(lines))
        }
    }

    /// Runs the job on the server at `url` with `workers` local worker processes; returns the
    /// merged counts.
    private func count(_ splits: [FileSplit], url: String, workers: Int) async throws -> WordTally {
        let connection = try JobsConnection(url: url, cluster: false)
        guard case .single(var configuration) = connection else { throw JobsCommandError("roost wordcount: a single server only") }
        configuration.commandTimeout = .seconds(600)
        let client = RedisClient(configuration: configuration, logger: JobsConnection.logger)
        let processes = try WorkerProcesses(count: workers, url: url, namespace: namespace, command: "roost wordcount")
        defer { processes.stop() }
        do {
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await client.run() }
                defer { group.cancelAll() }
                let mapReduce = MapReduce(namespace, on: client)
                let run = try await mapReduce.submit(BuiltinJobs.wordCountFiles, input: splits,
                                                     partitions: max(workers, 1))
                let total = splits.reduce(Int64(0)) { $0 + $1.length }
                if isatty(STDERR_FILENO) != 0 {
                    let bar = ProgressBar(totalBytes: total)
                    try await run.progress { updates in
                        for try await progress in updates { bar.draw(progress) }
                    }
                    try await run.wait()
                    bar.draw(try await run.currentProgress())
                    bar.finish()
                }
                try await run.wait()
                var tally = WordTally()
                for try await (word, count) in run.output() { tally.add(word: word, count: count) }
                try? await run.delete()
                return tally
            }
        } catch let error as JobsCommandError {
            throw error
        } catch {
            throw JobsCommandError("roost wordcount: \(connection.describe(error))")
        }
    }
}
