// roost-lock-bench: RoostCoordination's DistributedLock against one server, for
// benchmarks/locks.sh (which runs benchmarks/locks.py's peers beside it).
//
//     roost-lock-bench uncontended --port P [--seconds 3]
//     roost-lock-bench handoff --port P --id I --processes 8 --total 400 --run TAG
//     (either with --nio-executor)
//
// `uncontended`: one client, one task, one lock nobody else wants. For `--seconds` each it loops
// `tryAcquire` + `release`, then `withLock {}` (which also starts and stops the lease's
// watchdog), and prints `RESULT <name> <acquire+release per second>`.
//
// `--nio-executor` installs NIO's event loops as Swift Concurrency's global executor (as in
// roost-client-bench), so awaiting tasks run on the threads doing the I/O instead of hopping to
// the cooperative pool and back.
//
// `handoff`: one of `--processes` processes contending for one lock (locks.sh starts them all).
// Each waits in `acquire()` (no polling: the release wakes one waiter), notes the instant it got
// the lock, and while holding it takes the next sequence number (`INCR`), tells the previous
// holder that the lock changed hands, notes the instant it starts to release, and releases. A
// process that released waits for that "changed hands" word before it asks again, so every
// hand-off goes to another process, one that was already waiting. Instants are CLOCK_MONOTONIC
// nanoseconds, which every process on the machine shares. Each hold is printed as
// `HOLD <sequence> <acquired ns> <release ns>`; locks.py joins the processes' lines (hand-off
// latency = acquired[n] - release[n - 1]). The processes stop once `--total` holds were made.
import ArgumentParser
import Dispatch
import Glibc
import Logging
import NIOCore
import NIOPosix
import RoostClient
import RoostCoordination

/// CLOCK_MONOTONIC in nanoseconds (Python's `time.monotonic_ns()` reads the same clock).
func monotonicNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// Runs `body` with a client of the server on `port`, its `run()` going alongside.
func withClient(port: Int, _ body: @Sendable (RedisClient) async throws -> Void) async throws {
    var logger = Logger(label: "roost.lock-bench")
    logger.logLevel = .warning
    var configuration = RedisClientConfiguration(endpoint: .tcp(host: "127.0.0.1", port: port))
    configuration.commandTimeout = .seconds(120)
    let client = RedisClient(configuration: configuration, logger: logger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await client.run() }
        defer { group.cancelAll() }
        try await body(client)
    }
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
}

struct LockBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roost-lock-bench",
        abstract: "DistributedLock's uncontended rate and contended hand-off latency.",
        subcommands: [Uncontended.self, Handoff.self])

    struct Uncontended: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "acquire+release per second, one client, one task.")

        @Option(help: "The server's port on 127.0.0.1.") var port: Int
        @Option(help: "Seconds to measure each way of locking.") var seconds: Double = 3
        @Option(help: "The lock's name.") var name = "lockbench-uncontended"
        @Flag(help: "Run tasks on NIO's event loops (Swift Concurrency's global executor).") var nioExecutor = false

        func run() async throws {
            let measureFor = Duration.milliseconds(Int64(seconds * 1000))
            try await withClient(port: port) { client in
                let lock = DistributedLock(name, on: client)
                // Warm-up: the connection, and the scripts loaded on the server.
                for _ in 0..<200 {
                    guard let lease = try await lock.tryAcquire() else { throw BenchmarkFailure(description: "lock \(name) is held") }
                    try await lock.release(lease)
                    try await lock.withLock { _ in }
                }
                var count = 0
                var start = ContinuousClock.now
                var end = start + measureFor
                while ContinuousClock.now < end {
                    guard let lease = try await lock.tryAcquire() else { throw BenchmarkFailure(description: "lock \(name) is held") }
                    try await lock.release(lease)
                    count += 1
                }
                print("RESULT try_acquire_release_per_s \(Double(count) / Self.elapsed(since: start))")
                count = 0
                start = ContinuousClock.now
                end = start + measureFor
                while ContinuousClock.now < end {
                    try await lock.withLock { _ in }
                    count += 1
                }
                print("RESULT with_lock_per_s \(Double(count) / Self.elapsed(since: start))")
            }
        }

        static func elapsed(since start: ContinuousClock.Instant) -> Double {
            LockBenchmarkTiming.seconds(ContinuousClock.now - start)
        }
    }

    struct Handoff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One of the processes contending for one lock.")

        @Option(help: "The server's port on 127.0.0.1.") var port: Int
        @Option(help: "This process's id, unique among the contenders.") var id: Int
        @Option(help: "How many processes contend (they start together).") var processes: Int = 8
        @Option(help: "Holds to make in all, across the processes.") var total: Int = 400
        @Option(help: "A tag for this run's keys and lock.") var run = "0"
        @Flag(help: "Run tasks on NIO's event loops (Swift Concurrency's global executor).") var nioExecutor = false

        func run() async throws {
            let keys = HandoffKeys(run: run)
            let me = String(id)
            try await withClient(port: port) { client in
                let lock = DistributedLock("lockbench-handoff-\(run)", on: client)
                // Warm-up outside the measurement: a connection (the first hold, with no hand-off before
                // it, loads the lock's scripts).
                _ = try await client.execute(RedisCommand("PING", []))
                try await keys.startTogether(processes: processes, on: client)
                var holds: [(sequence: Int64, acquired: Int64, releasing: Int64)] = []
                while true {
                    let lease = try await lock.acquire()
                    let acquired = monotonicNanoseconds()
                    let sequence = try await keys.tookOver(me: me, on: client)
                    let releasing = monotonicNanoseconds()
                    try await lock.release(lease)
                    if sequence > total { break }
                    holds.append((sequence, acquired, releasing))
                    guard try await keys.waitUntilTaken(me: me, on: client) else {
                        throw BenchmarkFailure(description: "process \(id): nobody took the lock over within 60 s")
                    }
                }
                for hold in holds { print("HOLD \(hold.sequence) \(hold.acquired) \(hold.releasing)") }
            }
        }
    }
}

enum LockBenchmarkTiming {
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// The bookkeeping keys of one hand-off run, shared with benchmarks/locks.py (same names, same
/// script), so every lock is measured by the same steps.
struct HandoffKeys: Sendable {
    let ready: RedisKey, go: RedisKey, sequence: RedisKey, holder: RedisKey
    let takenPrefix: String

    init(run: String) {
        let base = "lockbench:\(run):"
        (ready, go, sequence, holder) = (RedisKey(base + "ready"), RedisKey(base + "go"), RedisKey(base + "seq"), RedisKey(base + "holder"))
        takenPrefix = base + "taken:"
    }

    /// Takes the next sequence number, records this process as the holder, and tells the
    /// previous holder (RPUSH onto its `taken:` list) that the lock changed hands.
    static let takeOverScript = """
        local s = redis.call('INCR', KEYS[1])
        local previous = redis.call('GETSET', KEYS[2], ARGV[1])
        if previous and previous ~= ARGV[1] then redis.call('RPUSH', ARGV[2] .. previous, s) end
        return s
        """

    func tookOver(me: String, on client: RedisClient) async throws -> Int64 {
        try await client.execute(RedisCommand("EVAL", Self.takeOverScript, 2, sequence, holder, me, takenPrefix), as: Int64.self)
    }

    /// Waits (BLPOP) until another process took the lock over after this one released it.
    func waitUntilTaken(me: String, on client: RedisClient) async throws -> Bool {
        let reply = try await client.execute(RedisCommand("BLPOP", RedisKey(takenPrefix + me), 60), timeout: .seconds(90))
        if case .array(let items?) = reply, !items.isEmpty { return true }
        return false
    }

    /// A barrier: the last process to arrive pushes one `go` per process; each pops one.
    func startTogether(processes: Int, on client: RedisClient) async throws {
        let arrived = try await client.execute(.incr(ready), as: Int64.self)
        if arrived == processes {
            _ = try await client.execute(RedisCommand("RPUSH", [go] + Array(repeating: RedisArgument("go"), count: processes)))
        }
        let reply = try await client.execute(RedisCommand("BLPOP", go, 120), timeout: .seconds(150))
        guard case .array(let items?) = reply, !items.isEmpty else {
            throw BenchmarkFailure(description: "only some of the \(processes) processes started within 120 s")
        }
    }
}

/// Parses the arguments and runs the subcommand.
func runCommand() async {
    do {
        var command = try LockBenchmark.parseAsRoot()
        if var command = command as? any AsyncParsableCommand {
            try await command.run()
        } else {
            try command.run()
        }
    } catch {
        LockBenchmark.exit(withError: error)
    }
}

// NIO's event loops as Swift Concurrency's global executor must be installed before any task
// runs, so the flag is read here, before parsing (the subcommands declare it for `--help`).
if CommandLine.arguments.contains("--nio-executor") {
    guard NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor() else {
        fatalError("NIO's event loops could not be installed as the global executor")
    }
}
Task {
    await runCommand()
    exit(0)
}
dispatchMain()
