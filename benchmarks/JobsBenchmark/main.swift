// roost-jobs-bench: RoostJobs against one server, for benchmarks/jobs.sh (which runs the Python
// peers, RQ, Celery, arq and BullMQ, beside it against the same redis-server).
//
//     roost-jobs-bench --port P --mode enqueue --jobs N [--seconds S]
//         RESULT rate=<jobs/s> jobs=<N> seconds=<s>
//     roost-jobs-bench --port P --mode process --jobs N --workers W [--seconds S]
//         RESULT rate=<jobs/s> rate_from_spawn=<jobs/s> jobs=<done> seconds=<s> capped=<0|1>
//     roost-jobs-bench --port P --mode latency --jobs M --workers W [--seconds S] [--gap-ms G]
//         RESULT p50_us=<µs> p99_us=<µs> mean_us=<µs> jobs=<count>
//     roost-jobs-bench --port P --mode worker --queue Q ...   (started by the two above)
//
// (the contract of benchmarks/jobs.sh, the same as its Python peers'; one RESULT line on stdout)
//
//     ... --cluster [--partitions N]   (benchmarks/jobs-cluster.sh)
// `--cluster`: the port is a seed node of a Redis Cluster; `--partitions`: the queue's
// partition count (default 1).
//
// All jobs are no-ops. `enqueue`: one process enqueues N jobs with the bulk API (pipelined
// script calls of 500 jobs). `process`: N jobs are enqueued while the queue is paused, W worker
// processes (each `--concurrency` slots) start and report ready, then the queue resumes and the
// clock runs until all N completed or `--seconds` passed (`rate`: from the resume, when the
// workers are already waiting; `rate_from_spawn`: from starting them). `latency`: W idle
// workers; the producer enqueues one job at a time, each carrying its CLOCK_MONOTONIC enqueue
// instant, waits for it to finish, then `--gap-ms`; each handler records (its start instant −
// the enqueue instant); p50, p99 and mean, for M jobs or until `--seconds` passed.
import ArgumentParser
import Foundation
import Glibc
import Logging
import RoostClient
import RoostCoordination
import RoostJobs

/// CLOCK_MONOTONIC in nanoseconds, shared by every process on the machine.
func monotonicNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

struct NoOp: Job {
    static let name = "noop"
    /// When it was enqueued (CLOCK_MONOTONIC ns), for the latency mode; 0 otherwise.
    var enqueuedAt: Int64
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
}

enum Mode: String, ExpressibleByArgument {
    case enqueue, process, latency, worker
}

@main
struct JobsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roost-jobs-bench", abstract: "RoostJobs' enqueue rate, processing rate and enqueue-to-start latency.")

    @Option(help: "The server's port on 127.0.0.1.") var port: Int
    @Option(help: "enqueue, process, latency, or worker (started by process and latency).") var mode: Mode
    @Option(help: "How many jobs.") var jobs = 20_000
    @Option(help: "How many worker processes.") var workers = 2
    @Option(help: "Slots per worker process.") var concurrency = 64
    @Option(help: "The queue's name (default: one per run).") var queue: String?
    @Option(help: "At most this long for the process and latency modes.") var seconds: Double = 60
    @Option(name: .customLong("gap-ms"), help: "Milliseconds between latency jobs.") var gapMilliseconds: Int = 2
    @Flag(help: "The port is a seed node of a Redis Cluster.") var cluster = false
    @Option(help: "The queue's partition count.") var partitions = 1

    func run() async throws {
        var logger = Logger(label: "roost.jobs-bench")
        logger.logLevel = .error
        var configuration = RedisClientConfiguration(endpoint: .tcp(host: "127.0.0.1", port: port))
        configuration.commandTimeout = .seconds(120)
        let client: any BenchmarkClient = cluster
            ? RedisClusterClient(configuration: RedisClusterConfiguration(seeds: [.init(host: "127.0.0.1", port: port)],
                                                                          node: configuration), logger: logger)
            : RedisClient(configuration: configuration, logger: logger)
        let name = queue ?? "bench-\(mode.rawValue)-\(getpid())-\(monotonicNanoseconds() % 1_000_000)"
        let keep = Retention(count: max(jobs, 1) * 2, age: .seconds(3600))
        let jobQueue = JobQueue(name, on: client, keepCompleted: keep, partitions: partitions)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            switch mode {
            case .enqueue: try await enqueue(jobQueue)
            case .process: try await process(jobQueue, client: client)
            case .latency: try await latency(jobQueue, client: client)
            case .worker: try await work(jobQueue, client: client, logger: logger)
            }
        }
    }

    func enqueue(_ queue: JobQueue) async throws {
        _ = try await queue.enqueue((0..<500).map { _ in NoOp(enqueuedAt: 0) })   // warm-up: scripts, connections
        let start = ContinuousClock.now
        var left = jobs
        while left > 0 {
            let batch = min(left, 5000)
            _ = try await queue.enqueue((0..<batch).map { _ in NoOp(enqueuedAt: 0) })
            left -= batch
        }
        let elapsed = (ContinuousClock.now - start).seconds
        print("RESULT rate=\(format(Double(jobs) / elapsed)) jobs=\(jobs) seconds=\(format(elapsed))")
    }

    func process(_ queue: JobQueue, client: any BenchmarkClient) async throws {
        try await queue.pause()
        var left = jobs
        while left > 0 {
            let batch = min(left, 5000)
            _ = try await queue.enqueue((0..<batch).map { _ in NoOp(enqueuedAt: 0) })
            left -= batch
        }
        let spawned = ContinuousClock.now
        let processes = try startWorkers(queue.name)
        defer { for process in processes { process.terminate() } }
        try await waitForWorkers(queue.name, client: client)
        let start = ContinuousClock.now
        let cap = start + .milliseconds(Int64(seconds * 1000))
        try await queue.resume()
        var done = 0
        while done < jobs && ContinuousClock.now < cap {
            try await Task.sleep(for: .milliseconds(10))
            done = try await queue.counts()[.completed] ?? 0
        }
        let end = ContinuousClock.now
        print("RESULT rate=\(format(Double(done) / (end - start).seconds)) "
              + "rate_from_spawn=\(format(Double(done) / (end - spawned).seconds)) jobs=\(done) "
              + "seconds=\(format((end - start).seconds)) capped=\(done < jobs ? 1 : 0)")
    }

    func latency(_ queue: JobQueue, client: any BenchmarkClient) async throws {
        let processes = try startWorkers(queue.name)
        defer { for process in processes { process.terminate() } }
        try await waitForWorkers(queue.name, client: client)
        let samples = "\(queue.name):latency"
        let cap = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        for i in 0..<(jobs + 50) where i < 50 || ContinuousClock.now < cap {
            let id = try await queue.enqueue(NoOp(enqueuedAt: monotonicNanoseconds()))
            _ = try await queue.finished(id, timeout: .seconds(30))
            if i == 49 { _ = try await client.send("DEL", samples) }   // the first 50 warm up
            if gapMilliseconds > 0 { try await Task.sleep(for: .milliseconds(gapMilliseconds)) }
        }
        let reply = try await client.send("LRANGE", samples, "0", "-1")
        let values = try [String](fromRESP: reply).compactMap { Int64($0) }.sorted()
        guard !values.isEmpty else { throw BenchmarkFailure(description: "no latency samples") }
        func percentile(_ p: Double) -> Double { Double(values[min(values.count - 1, Int(Double(values.count) * p))]) / 1000 }
        let mean = Double(values.reduce(0, +)) / Double(values.count) / 1000
        print("RESULT p50_us=\(format(percentile(0.5))) p99_us=\(format(percentile(0.99))) mean_us=\(format(mean)) "
              + "jobs=\(values.count)")
    }

    func work(_ queue: JobQueue, client: any BenchmarkClient, logger: Logger) async throws {
        let worker = Worker(queue: queue, configuration: .init(concurrency: concurrency), logger: logger)
        let samples = "\(queue.name):latency"
        worker.register(NoOp.self) { job, _ in
            if job.enqueuedAt > 0 {
                _ = try await client.send("RPUSH", samples, String(monotonicNanoseconds() - job.enqueuedAt))
            }
            return Empty()
        }
        _ = try await client.send("SADD", "\(queue.name):ready", String(getpid()))
        try await worker.run()
    }

    /// Starts `workers` worker processes of this executable on `queue`.
    func startWorkers(_ queue: String) throws -> [Process] {
        try (0..<workers).map { _ in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).absoluteURL
            process.arguments = ["--port", "\(port)", "--mode", "worker", "--queue", queue, "--concurrency", "\(concurrency)",
                                 "--jobs", "\(jobs)", "--partitions", "\(partitions)"] + (cluster ? ["--cluster"] : [])
            try process.run()
            return process
        }
    }

    /// Waits until every worker process said it is ready.
    func waitForWorkers(_ queue: String, client: any BenchmarkClient) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while try await client.send("SCARD", "\(queue):ready", as: Int.self) < workers {
            guard ContinuousClock.now < deadline else { throw BenchmarkFailure(description: "workers did not start") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// A client of one server or of a cluster, run as a service beside the benchmark.
protocol BenchmarkClient: CoordinationClient {
    func run() async throws
}

extension RedisClient: BenchmarkClient {}
extension RedisClusterClient: BenchmarkClient {}

func format(_ value: Double) -> String { String(format: "%.1f", value) }

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
