// roost-tasks-bench: RoostCompute's no-op tasks through futures against one server, for
// benchmarks/tasks.sh (which runs Celery and Ray beside it).
//
//     roost-tasks-bench --port P --tasks N --workers W [--concurrency C]
//         RESULT rate=<tasks/s> tasks=<N> seconds=<s>
//     roost-tasks-bench --port P --mode worker --namespace NS [--concurrency C]   (started by the above)
//
// W worker processes (each a `ComputeWorker` running C tasks at once) start and report ready,
// and 20 tasks warm them up; then the clock runs while N no-op tasks are submitted
// (`Compute.submit(_:each:)`, 64 submissions in flight) and their handles gathered
// (`Compute.gather`). One RESULT line on stdout, exit status 0.
import ArgumentParser
import Foundation
import Logging
import RoostClient
import RoostCompute

/// The task: nothing, with a distinct argument so that every submission is its own task.
let noop = ComputeTask("noop") { (_: Int) async throws -> Int in 0 }

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
}

enum Mode: String, ExpressibleByArgument {
    case run, worker
}

@main
struct TasksBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roost-tasks-bench", abstract: "RoostCompute: no-op tasks submitted as futures and gathered, per second.")

    @Option(help: "The server's port on 127.0.0.1.") var port: Int
    @Option(help: "run, or worker (started by run).") var mode: Mode = .run
    @Option(help: "How many tasks.") var tasks = 10_000
    @Option(help: "How many worker processes.") var workers = 2
    @Option(help: "Tasks a worker process runs at once.") var concurrency = 1
    @Option(help: "The Compute namespace (default: one per run).") var namespace: String?

    func run() async throws {
        var logger = Logger(label: "roost.tasks-bench")
        logger.logLevel = .error
        var configuration = RedisClientConfiguration(endpoint: .tcp(host: "127.0.0.1", port: port))
        configuration.commandTimeout = .seconds(120)
        let client = RedisClient(configuration: configuration, logger: logger)
        let compute = Compute(namespace ?? "bench-\(getpid())", on: client, resultTTL: .seconds(600))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            switch mode {
            case .run: try await measure(compute, client: client)
            case .worker: try await work(compute, client: client, logger: logger)
            }
        }
    }

    func measure(_ compute: Compute, client: RedisClient) async throws {
        let processes = try (0..<workers).map { _ in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).absoluteURL
            process.arguments = ["--port", "\(port)", "--mode", "worker", "--namespace", compute.name,
                                 "--concurrency", "\(concurrency)"]
            try process.run()
            return process
        }
        defer { for process in processes { process.terminate() } }
        let deadline = ContinuousClock.now + .seconds(60)
        while try await client.send("SCARD", "\(compute.name):ready", as: Int.self) < workers {
            guard ContinuousClock.now < deadline else { throw BenchmarkFailure(description: "workers did not start") }
            try await Task.sleep(for: .milliseconds(20))
        }
        _ = try await compute.gather(try await compute.submit(noop, each: Array(0..<20)), timeout: .seconds(60))
        let start = ContinuousClock.now
        let handles = try await compute.submit(noop, each: Array(0..<tasks))
        _ = try await compute.gather(handles, timeout: .seconds(600))
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("RESULT rate=\(String(format: "%.1f", Double(tasks) / seconds)) tasks=\(tasks) seconds=\(String(format: "%.3f", seconds))")
    }

    func work(_ compute: Compute, client: RedisClient, logger: Logger) async throws {
        let registry = TaskRegistry()
        registry.register(noop)
        let worker = ComputeWorker(compute: compute, registry: registry, configuration: .init(concurrency: concurrency),
                                   logger: logger)
        _ = try await client.send("SADD", "\(compute.name):ready", String(getpid()))
        try await worker.run()
    }
}
