import ArgumentParser
import Foundation
import Logging
import RoostClient
import RoostCompute
import RoostCoordination
import RoostEngine
import RoostServer
import ServiceLifecycle

/// The options shared by the commands that run a built-in MapReduce job over files (`roost
/// grep`, `roost index`, `roost sort`), and how such a job runs.
///
/// Without `--url` the job runs on Roost's server started in-process on a free loopback port,
/// with `--workers` `roost worker` processes (of this executable) that connect to it, all
/// stopped at the end. With `--url` it is submitted to that server, for the workers already
/// connected there (`roost worker --url URL`), and `--workers` local ones start only when asked.
/// With `--cluster`, `--url` is a seed node of a Redis Cluster (and local workers join it).
struct FileJobOptions: ParsableArguments {
    @Option(help: "Worker processes to start (default: the number of cores; with --url, none).")
    var workers: Int?

    @Option(help: ArgumentHelp("A server whose workers run the job instead of the embedded one: redis://host[:port][/db]…",
                               valueName: "url"))
    var url: String?

    @Flag(help: "Use --url as a seed node of a Redis Cluster (TCP, database 0); local workers join it too.")
    var cluster = false

    @Option(help: "Write the result to this file instead of standard output.")
    var output: String?

    @Option(help: "The size of a map task's split in bytes (default: the input over 4 per worker, 4 to 32 MiB).")
    var splitSize: Int64?

    @Option(help: "The MapReduce namespace (that of the workers at --url).")
    var namespace = "default"

    func validate() throws {
        if let workers { guard workers >= (url == nil ? 1 : 0) else { throw ValidationError("--workers must be at least 1") } }
        if let splitSize { guard splitSize > 0 else { throw ValidationError("--split-size must be positive") } }
        guard !namespace.isEmpty else { throw ValidationError("--namespace must not be empty") }
        if cluster && url == nil { throw ValidationError("--cluster needs --url (a seed node of the cluster)") }
        if let url { _ = try JobsConnection(url: url, cluster: cluster) }
    }

    /// The local worker processes to start.
    var workerCount: Int { workers ?? (url == nil ? ProcessInfo.processInfo.activeProcessorCount : 0) }

    /// The reduce partitions of a job: one per local worker, or 4 for the workers at `--url`.
    var partitions: Int { workerCount > 0 ? workerCount : 4 }

    /// The splits of `files` (their paths made absolute, as workers may run elsewhere), of
    /// `--split-size` or by default the input over 4 per worker, 4 to 32 MiB.
    func splits(of files: [String], command: String) throws -> [FileSplit] {
        try splitsByFile(files, command: command).flatMap { $0 }
    }

    /// The splits of `files` (as `splits(of:command:)` cuts them), each with its file's index
    /// in `files` and `parameters`.
    func splits<Parameters>(of files: [String], parameters: Parameters, command: String) throws -> [DocumentSplit<Parameters>] {
        try splitsByFile(files, command: command).enumerated().flatMap { document, splits in
            splits.map { DocumentSplit(file: $0, document: document, parameters: parameters) }
        }
    }

    private func splitsByFile(_ files: [String], command: String) throws -> [[FileSplit]] {
        let paths = files.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        do {
            let total = try FileSplit.splits(of: paths, targetSize: .max).reduce(Int64(0)) { $0 + $1.length }
            let target = splitSize ?? min(max(total / Int64(4 * max(workerCount, 1)), 4 << 20), 32 << 20)
            return try paths.map { try FileSplit.splits(of: [$0], targetSize: target) }
        } catch let error as FileSplitError {
            throw JobsCommandError("\(command): \(error)")
        }
    }

    /// Writes `bytes` to `--output` or standard output.
    func write(_ bytes: [UInt8], command: String) throws {
        guard let output else { return FileHandle.standardOutput.write(Data(bytes)) }
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: output))
        } catch {
            throw JobsCommandError("\(command): cannot write \(output): \(error.localizedDescription)")
        }
    }

    /// Runs `job` over `splits` with `partitions` reduce partitions (default: `self.partitions`)
    /// on `--url` or the embedded server, drawing progress on standard error when it is a
    /// terminal; returns the job's output in its order.
    func run<Key, Value, Output, Parameters>(
        _ job: MapReduceJob<DocumentSplit<Parameters>, Key, Value, Output>, splits: [DocumentSplit<Parameters>],
        partitions: Int? = nil, command: String
    ) async throws -> [(key: Key, value: Output)] {
        let partitions = partitions ?? self.partitions
        let total = splits.reduce(Int64(0)) { $0 + $1.byteCount }
        return try await Self.onServer(url: url, cluster: cluster, workers: workerCount, namespace: namespace,
                                       command: command) { mapReduce in
            let run = try await mapReduce.submit(job, input: splits, partitions: partitions)
            try await Self.watch(run, totalBytes: total)
            let pairs = try await run.collect()
            try? await run.delete()
            return pairs
        }
    }

    /// Runs `body` with a MapReduce namespace on `url` (or, when nil, on an embedded server)
    /// while `workers` local worker processes serve it; `command` names the caller in errors.
    /// With `cluster`, `url` is a seed node of a Redis Cluster.
    static func onServer<Outcome: Sendable>(
        url: String?, cluster: Bool = false, workers: Int, namespace: String, command: String,
        _ body: @escaping @Sendable (MapReduce) async throws -> Outcome
    ) async throws -> Outcome {
        if let url {
            return try await onServer(at: url, cluster: cluster, workers: workers, namespace: namespace, command: command, body)
        }
        var configuration = EngineConfiguration()
        configuration.port = 0
        configuration.bind = ["127.0.0.1"]
        let server = RoostServer(configuration: configuration, logger: Logger(label: "roost.mapreduce") { _ in SwiftLogNoOpLogHandler() })
        try await server.start()
        let result: Outcome
        do {
            result = try await onServer(at: "redis://127.0.0.1:\(server.port)", cluster: false, workers: workers,
                                        namespace: namespace, command: command, body)
        } catch {
            try? await server.stop()
            throw error
        }
        try await server.stop()
        return result
    }

    private static func onServer<Outcome: Sendable>(
        at url: String, cluster: Bool, workers: Int, namespace: String, command: String,
        _ body: @escaping @Sendable (MapReduce) async throws -> Outcome
    ) async throws -> Outcome {
        let connection = try JobsConnection(url: url, cluster: cluster)
        let client: any CoordinationClient & Service
        switch connection {
        case .single(var configuration):
            configuration.commandTimeout = .seconds(600)
            client = RedisClient(configuration: configuration, logger: JobsConnection.logger)
        case .cluster(var configuration):
            configuration.node.commandTimeout = .seconds(600)
            client = RedisClusterClient(configuration: configuration, logger: JobsConnection.logger)
        }
        let processes = try WorkerProcesses(count: workers, url: url, namespace: namespace, command: command,
                                            extraArguments: cluster ? ["--cluster"] : [])
        defer { processes.stop() }
        do {
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await client.run() }
                defer { group.cancelAll() }
                return try await body(MapReduce(namespace, on: client))
            }
        } catch let error as JobsCommandError {
            throw error
        } catch {
            throw JobsCommandError("\(command): \(connection.describe(error))")
        }
    }

    /// Waits for `run`, with a progress bar on standard error when it is a terminal.
    static func watch<Key, Output>(_ run: MapReduceRun<Key, Output>, totalBytes: Int64) async throws {
        if isatty(STDERR_FILENO) != 0 {
            let bar = ProgressBar(totalBytes: totalBytes)
            try await run.progress { updates in
                for try await progress in updates { bar.draw(progress) }
            }
            try await run.wait()
            bar.draw(try await run.currentProgress())
            bar.finish()
        }
        try await run.wait()
    }
}
