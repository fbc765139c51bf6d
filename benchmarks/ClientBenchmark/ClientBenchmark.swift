// roost-client-bench: RoostClient's throughput and latency against one server.
//
//     roost-client-bench --port 6379 [--requests 1000000] [--latency-requests 50000]
//                        [--keyspace 100000] [--value-size 3] [--nio-executor]
//
// It runs, in order:
//   - pipelined SET then GET: `--requests` commands in batches of 16 over 50 concurrent tasks
//     sharing one RedisClient (pool of 50 connections; each batch is one `client.pipeline`);
//   - the same with batches of 16 and of 100 from a single task (one connection);
//   - `--latency-requests` sequential `client.get` calls, one at a time, timing each.
// Keys are `key:<n>` with n uniformly random below `--keyspace`, values `--value-size` bytes of
// `x` (the defaults match redis-benchmark's `-r 100000 -d 3`). Each result is printed as one
// line `RESULT <name> <value>` for benchmarks/client.sh to collect.
//
// `--nio-executor` installs NIO's event loops as Swift Concurrency's global executor (NIO's
// `unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor`), so the awaiting
// tasks run on the threads doing the I/O instead of hopping to the cooperative pool and back.
import Foundation
import Logging
import NIOCore
import NIOPosix
import RoostClient

struct Options {
    var host = "127.0.0.1"
    var port = 6379
    var requests = 1_000_000
    var latencyRequests = 50_000
    var keyspace = 100_000
    var valueSize = 3
    var nioExecutor = false

    init(_ arguments: [String]) throws {
        var index = 0
        func value() throws -> String {
            index += 1
            guard index < arguments.count else { throw UsageError(message: "missing value for \(arguments[index - 1])") }
            return arguments[index]
        }
        func integer() throws -> Int {
            let text = try value()
            guard let number = Int(text), number > 0 else { throw UsageError(message: "not a positive integer: \(text)") }
            return number
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--host": host = try value()
            case "--port": port = try integer()
            case "--requests": requests = try integer()
            case "--latency-requests": latencyRequests = try integer()
            case "--keyspace": keyspace = try integer()
            case "--value-size": valueSize = try integer()
            case "--nio-executor": nioExecutor = true
            default: throw UsageError(message: "unknown option \(arguments[index])")
            }
            index += 1
        }
    }
}

struct UsageError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A small xorshift generator: cheap enough not to weigh on the measurement.
struct FastRandom {
    var state: UInt64
    mutating func next(below bound: Int) -> Int {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Int(state % UInt64(bound))
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Runs `total` commands made by `make` in pipelines of `depth` from `tasks` concurrent tasks;
/// returns commands per second. Fails if any reply is an error.
func throughput(client: RedisClient, total: Int, depth: Int, tasks: Int,
                make: @escaping @Sendable (inout FastRandom) -> RedisCommand) async throws -> Double {
    let perTask = total / tasks
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for task in 0..<tasks {
            group.addTask {
                var random = FastRandom(state: 0x9E37_79B9_7F4A_7C15 &+ UInt64(task) &* 0x1234_5678_9ABC_DEF1)
                var remaining = perTask
                var batch: [RedisCommand] = []
                batch.reserveCapacity(depth)
                while remaining > 0 {
                    let count = min(depth, remaining)
                    batch.removeAll(keepingCapacity: true)
                    for _ in 0..<count { batch.append(make(&random)) }
                    for result in try await client.pipeline(batch) { _ = try result.get() }
                    remaining -= count
                }
            }
        }
        try await group.waitForAll()
    }
    return Double(perTask * tasks) / seconds(ContinuousClock.now - start)
}

func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
    return sorted[max(0, min(sorted.count - 1, rank))]
}

func report(_ name: String, _ value: Double) {
    print("RESULT \(name) \(String(format: "%.3f", value))")
}

@main
struct ClientBenchmark {
    static func main() throws {
        let options = try Options(Array(CommandLine.arguments.dropFirst()))
        if options.nioExecutor {
            guard NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor() else {
                throw UsageError(message: "NIO's event loops could not be installed as the global executor")
            }
        }
        // Nothing async has run yet, so the executor choice above applies to every task.
        Task {
            do {
                try await run(options)
                exit(0)
            } catch {
                FileHandle.standardError.write(Data("roost-client-bench: \(error)\n".utf8))
                exit(1)
            }
        }
        dispatchMain()
    }

    static func run(_ options: Options) async throws {
        var configuration = RedisClientConfiguration(endpoint: .tcp(host: options.host, port: options.port))
        configuration.pool.maximumConnections = 50
        configuration.commandTimeout = .seconds(60)
        var logger = Logger(label: "roost.client.bench")
        logger.logLevel = .error
        let client = RedisClient(configuration: configuration, logger: logger)
        let keyspace = options.keyspace
        let value = RedisArgument(String(repeating: "x", count: options.valueSize))
        let set: @Sendable (inout FastRandom) -> RedisCommand = { random in
            RedisCommand("SET", [RedisArgument("key:\(random.next(below: keyspace))"), value])
        }
        let get: @Sendable (inout FastRandom) -> RedisCommand = { random in
            RedisCommand("GET", [RedisArgument("key:\(random.next(below: keyspace))")])
        }

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            // Warm up: open the connections and fill the keyspace a little.
            _ = try await throughput(client: client, total: 50_000, depth: 16, tasks: 50, make: set)

            for (name, make) in [("set", set), ("get", get)] {
                report("\(name)_p16_c50_rps", try await throughput(client: client, total: options.requests, depth: 16,
                                                                    tasks: 50, make: make))
            }
            for depth in [16, 100] {
                for (name, make) in [("set", set), ("get", get)] {
                    report("\(name)_p\(depth)_c1_rps", try await throughput(client: client, total: options.requests,
                                                                             depth: depth, tasks: 1, make: make))
                }
            }

            var random = FastRandom(state: 42)
            for _ in 0..<1000 { _ = try await client.get(RedisArgument("key:\(random.next(below: keyspace))")) }
            var samples: [Double] = []
            samples.reserveCapacity(options.latencyRequests)
            let clock = ContinuousClock()
            let start = clock.now
            for _ in 0..<options.latencyRequests {
                let key = RedisArgument("key:\(random.next(below: keyspace))")
                let before = clock.now
                _ = try await client.get(key)
                samples.append(seconds(clock.now - before) * 1e6)
            }
            let total = seconds(clock.now - start)
            samples.sort()
            report("get_p1_c1_rps", Double(options.latencyRequests) / total)
            report("get_p1_c1_p50_us", percentile(samples, 0.50))
            report("get_p1_c1_p99_us", percentile(samples, 0.99))
            group.cancelAll()
        }
    }
}
