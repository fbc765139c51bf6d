// A lock or semaphore holder for the safety tests (Tests/RoostCoordinationTests/
// CoordinationSafetyTests.swift), run as a child process so that a test can SIGSTOP it, resume
// it or kill -9 it in the middle of a critical section.
//
//     roost-coordination-probe (--port P | --cluster P1,P2,…) --name NAME --log PATH
//         [--lease-ms 1000] [--iterations 5] [--hold-ms 100] [--semaphore PERMITS] [--deadline-s 120]
//
// Each iteration takes the lock (or a permit) with `withLock`/`withPermit` and, inside, writes
// `<pid>:<token>` through `FencedStore`, holds for `--hold-ms`, then increments a counter by a
// client-side read-modify-write whose write is fenced (and appends `<pid> <token> <value>` to a
// history list in the same atomic step). Every step is one line in the log, written with one
// write(2) before the next step begins:
//
//     <event> <pid> <token> <CLOCK_MONOTONIC ns> <lease valid-until ns> [details]
//
// events: enter, wrote (details: sent ns), rmw (before the counter is read), counted (details:
// value, sent ns), exit, stale (a fenced write was refused), abort (the body ended by an error
// or cancellation; details: the reason). Lines without a token: `error <pid> 0 <ns> 0 <what>`
// when an iteration failed outside the body, `done <pid> 0 <ns> 0` at the end. Exit status 0
// after all iterations completed, 2 when the deadline passed first, 1 on bad arguments.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RoostClient
import RoostCoordination
import RoostRESP

/// The command line.
struct ProbeOptions: Sendable {
    var ports: [Int] = []
    var cluster = false
    var name = ""
    var logPath = ""
    var leaseMilliseconds = 1000
    var iterations = 5
    var holdMilliseconds = 100
    /// Semaphore mode with this many permits; nil for lock mode.
    var permits: Int?
    var deadlineSeconds = 120

    static func parse(_ arguments: [String]) -> ProbeOptions? {
        var options = ProbeOptions()
        var index = 0
        func value() -> String? {
            index += 1
            return index < arguments.count ? arguments[index] : nil
        }
        while index < arguments.count {
            let flag = arguments[index]
            guard let text = value() else { return nil }
            switch flag {
            case "--port": options.ports = Int(text).map { [$0] } ?? []
            case "--cluster":
                options.ports = text.split(separator: ",").compactMap { Int($0) }
                options.cluster = true
            case "--name": options.name = text
            case "--log": options.logPath = text
            case "--lease-ms": options.leaseMilliseconds = Int(text) ?? 0
            case "--iterations": options.iterations = Int(text) ?? 0
            case "--hold-ms": options.holdMilliseconds = Int(text) ?? -1
            case "--semaphore": options.permits = Int(text)
            case "--deadline-s": options.deadlineSeconds = Int(text) ?? 0
            default: return nil
            }
            index += 1
        }
        guard !options.ports.isEmpty, !options.name.isEmpty, !options.logPath.isEmpty, options.leaseMilliseconds > 0,
              options.iterations > 0, options.holdMilliseconds >= 0, options.deadlineSeconds > 0, options.permits ?? 1 > 0
        else { return nil }
        return options
    }
}

/// CLOCK_MONOTONIC in nanoseconds: one time line for every process on the machine.
func monotonicNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// `lease.validUntil` on the CLOCK_MONOTONIC time line.
func validUntilNanoseconds(_ lease: Lease) -> Int64 {
    let (seconds, attoseconds) = (lease.validUntil - ContinuousClock.now).components
    return monotonicNanoseconds() + seconds * 1_000_000_000 + attoseconds / 1_000_000_000
}

/// One write(2) of `bytes` (a short line on an O_APPEND descriptor is never interleaved).
func appendBytes(_ bytes: inout [UInt8], to descriptor: Int32) {
    _ = bytes.withUnsafeMutableBytes { write(descriptor, $0.baseAddress, $0.count) }
}

/// `text` on one line, for a log field.
func oneLine(_ text: String) -> String { text.split(whereSeparator: \.isNewline).joined(separator: " ") }

/// The probe's append-only log; each line is one write(2) on an O_APPEND descriptor.
struct ProbeLog: Sendable {
    let descriptor: Int32
    let pid = Int(getpid())

    init?(path: String) {
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if descriptor < 0 { return nil }
    }

    func write(_ event: String, token: Int64 = 0, validUntil: Int64 = 0, _ details: String = "") {
        var line = "\(event) \(pid) \(token) \(monotonicNanoseconds()) \(validUntil)"
        if !details.isEmpty { line += " " + details }
        line += "\n"
        var bytes = Array(line.utf8)
        appendBytes(&bytes, to: descriptor)
    }

    func write(_ event: String, _ lease: Lease, _ details: String = "") {
        write(event, token: lease.token, validUntil: validUntilNanoseconds(lease), details)
    }
}

/// The probe's keys, all under the resource's hash tag so that one cluster slot holds them
/// together with the lock's own keys.
struct ProbeKeys: Sendable {
    let value: RedisKey
    let counter: RedisKey
    let history: RedisKey

    init(name: String) {
        value = RedisKey("roost:probe:{\(name)}:value")
        counter = RedisKey("roost:probe:{\(name)}:counter")
        history = RedisKey("roost:probe:{\(name)}:history")
    }

    /// The fenced half of the counter's read-modify-write: sets the counter to the value the
    /// holder computed and records the step in the history list.
    static let increment = FencedScript("""
        redis.call('SET', KEYS[2], ARGV[2])
        redis.call('RPUSH', KEYS[3], ARGV[3] .. ' ' .. ARGV[2])
        return 1
        """)
}

/// One critical section under `lease`. Returns normally when it completed or when a fenced
/// write was refused (logged as `stale`); any other error is logged as `abort` and rethrown.
func criticalSection(_ lease: Lease, client: any CoordinationClient, keys: ProbeKeys, hold: Duration, log: ProbeLog) async throws {
    let store = FencedStore(on: client)
    log.write("enter", lease)
    do {
        var sent = monotonicNanoseconds()
        try await store.set(keys.value, RedisArgument("\(log.pid):\(lease.token)"), token: lease.token)
        log.write("wrote", lease, "\(sent)")
        try await Task.sleep(for: hold)
        log.write("rmw", lease)
        let current: Int
        switch try await client.execute(RedisCommand("GET", [keys.counter])) {
        case .bulkString(let bytes?): current = Int(String(decoding: bytes, as: UTF8.self)) ?? 0
        default: current = 0
        }
        sent = monotonicNanoseconds()
        _ = try await ProbeKeys.increment.run(on: client, fence: keys.value, token: lease.token, keys: [keys.counter, keys.history],
                                              arguments: [RedisArgument(current + 1), RedisArgument("\(log.pid) \(lease.token)")])
        log.write("counted", lease, "\(current + 1) \(sent)")
        log.write("exit", lease)
    } catch let error as CoordinationError where error.isStaleToken {
        log.write("stale", lease)
    } catch {
        let reason = lease.lossReason.map { "lease lost: \($0)" } ?? "\(error)"
        log.write("abort", lease, oneLine(reason))
        throw error
    }
}

/// Runs the iterations; true when all completed before the deadline.
func runIterations(_ options: ProbeOptions, client: any CoordinationClient, log: ProbeLog) async -> Bool {
    let lease = Duration.milliseconds(options.leaseMilliseconds)
    let hold = Duration.milliseconds(options.holdMilliseconds)
    let keys = ProbeKeys(name: options.name)
    let deadline = ContinuousClock.now + .seconds(options.deadlineSeconds)
    var completed = 0
    while completed < options.iterations {
        guard ContinuousClock.now < deadline else { return false }
        do {
            let body: @Sendable (Lease) async throws -> Void = { held in
                try await criticalSection(held, client: client, keys: keys, hold: hold, log: log)
            }
            if let permits = options.permits {
                try await DistributedSemaphore(options.name, permits: permits, on: client, leaseTime: lease)
                    .withPermit(timeout: deadline - .now, body)
            } else {
                try await DistributedLock(options.name, on: client, leaseTime: lease).withLock(timeout: deadline - .now, body)
            }
            completed += 1
        } catch {
            log.write("error", oneLine("\(error)"))
            // A server that is failing over refuses connections for a while: do not spin.
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
    return true
}

/// Connects, runs the iterations with the client's `run()` alongside, and returns the exit status.
func probeMain(_ options: ProbeOptions, log: ProbeLog) async -> Int32 {
    var node = RedisClientConfiguration(endpoint: .tcp(host: "127.0.0.1", port: options.ports[0]))
    node.commandTimeout = .seconds(10)
    let client: any CoordinationClient
    let runner: @Sendable () async throws -> Void
    if options.cluster {
        var configuration = RedisClusterConfiguration(
            seeds: options.ports.map { RedisClusterNodeAddress(host: "127.0.0.1", port: $0) }, node: node)
        configuration.retryTimeout = .seconds(30)
        let cluster = RedisClusterClient(configuration: configuration)
        client = cluster
        runner = { try await cluster.run() }
    } else {
        let single = RedisClient(configuration: node)
        client = single
        runner = { try await single.run() }
    }
    return await withTaskGroup(of: Void.self) { group in
        group.addTask { try? await runner() }
        let finished = await runIterations(options, client: client, log: log)
        group.cancelAll()
        log.write("done")
        return finished ? 0 : 2
    }
}

guard let options = ProbeOptions.parse(Array(CommandLine.arguments.dropFirst())), let log = ProbeLog(path: options.logPath) else {
    print("usage: roost-coordination-probe (--port P | --cluster P1,P2,…) --name NAME --log PATH "
        + "[--lease-ms MS] [--iterations N] [--hold-ms MS] [--semaphore PERMITS] [--deadline-s S]")
    exit(1)
}
exit(await probeMain(options, log: log))
