// A RoostJobs worker for the fault tests (Tests/RoostJobsTests/JobsFaultTests.swift), run as a
// child process so that a test can kill -9 it, SIGSTOP it past its lease and resume it.
//
//     roost-jobs-probe (--port P | --cluster P1,P2,…) --queue NAME
//         [--concurrency 16] [--lease-ms 2000] [--keep-completed 10000]
//
// It runs one `Worker` with a handler for `fault` jobs (`FaultJob`) that leaves three traces on
// the server, all under the queue's hash tag (so one cluster slot holds them with the queue):
//
// - `roost:probe:{q}:starts` (list): `<job id> <attempt> <token> <pid>` when a handler starts,
//   unfenced, so a checker sees every attempt that ran, duplicates included.
// - the effect, written by one fenced script (`FaultEffect.script`) after the job's hold: the
//   hash `roost:probe:{q}:effects` maps job id → the highest token whose effect was accepted;
//   a token above it is accepted (the hash moves up and the record is appended to
//   `roost:probe:{q}:effect-log`), any other is refused (the record goes to
//   `roost:probe:{q}:refused`). The write is attempted even when the attempt was stopped
//   meanwhile, so a stalled attempt's late effect always meets the store's fence.
// - the job's result: `FaultOutcome` (attempt, token, pid of the attempt that completed it).
//
// Its worker logs warnings (a lost lease, failed renewals) to standard error. It runs until it
// is killed, and exits by itself (status 3) when its parent process goes away; status 1 on
// bad arguments.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import RoostClient
import RoostCoordination
import RoostJobs
import RoostRESP

/// The fault tests' job. The test target declares the same type: the payload is JSON.
struct FaultJob: Job {
    static let name = "fault"
    typealias Output = FaultOutcome
    var n: Int
    /// How long the first attempt's handler holds before writing its effect (0: none).
    var holdMilliseconds: Int
}

/// Which attempt completed a job: its result.
struct FaultOutcome: Codable, Sendable {
    var attempt: Int
    var token: Int64
    var pid: Int
}

/// The command line.
struct ProbeOptions: Sendable {
    var ports: [Int] = []
    var cluster = false
    var queue = ""
    var concurrency = 16
    var leaseMilliseconds = 2000
    var keepCompleted = 10_000

    static func parse(_ arguments: [String]) -> ProbeOptions? {
        var options = ProbeOptions()
        var index = 0
        while index + 1 < arguments.count {
            let text = arguments[index + 1]
            switch arguments[index] {
            case "--port": options.ports = Int(text).map { [$0] } ?? []
            case "--cluster":
                options.ports = text.split(separator: ",").compactMap { Int($0) }
                options.cluster = true
            case "--queue": options.queue = text
            case "--concurrency": options.concurrency = Int(text) ?? 0
            case "--lease-ms": options.leaseMilliseconds = Int(text) ?? 0
            case "--keep-completed": options.keepCompleted = Int(text) ?? -1
            default: return nil
            }
            index += 2
        }
        guard index == arguments.count, !options.ports.isEmpty, !options.queue.isEmpty, options.concurrency > 0,
              options.leaseMilliseconds > 0, options.keepCompleted >= 0
        else { return nil }
        return options
    }
}

/// The probe's keys on the server.
struct ProbeKeys: Sendable {
    let starts, effects, effectLog, refused: RedisKey

    init(queue: String) {
        let base = "roost:probe:{\(queue)}:"
        starts = RedisKey(base + "starts")
        effects = RedisKey(base + "effects")
        effectLog = RedisKey(base + "effect-log")
        refused = RedisKey(base + "refused")
    }
}

/// The handler's side effect, fenced by the attempt's token.
enum FaultEffect {
    /// `KEYS`: effects hash, effect log, refused list; `ARGV`: job id, token, record. Returns 1
    /// when accepted, 0 when refused.
    static let script = RedisScript("""
        local highest = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
        if tonumber(ARGV[2]) <= highest then
          redis.call('RPUSH', KEYS[3], ARGV[3])
          return 0
        end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        redis.call('RPUSH', KEYS[2], ARGV[3])
        return 1
        """)

    static func write(_ record: String, id: String, token: Int64, keys: ProbeKeys, client: any CoordinationClient) async throws {
        _ = try await client.evaluate(script, keys: [keys.effects, keys.effectLog, keys.refused],
                                      arguments: [RedisArgument(id), RedisArgument(Int(token)), RedisArgument(record)])
    }
}

/// Runs a worker on the queue until the process is killed.
func probeMain(_ options: ProbeOptions) async -> Int32 {
    LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
    let logger = {
        var logger = Logger(label: "roost-jobs-probe")
        logger.logLevel = .warning
        return logger
    }()
    var node = RedisClientConfiguration(endpoint: .tcp(host: "127.0.0.1", port: options.ports[0]))
    node.commandTimeout = .seconds(30)
    let client: any CoordinationClient
    let runner: @Sendable () async throws -> Void
    if options.cluster {
        var configuration = RedisClusterConfiguration(
            seeds: options.ports.map { RedisClusterNodeAddress(host: "127.0.0.1", port: $0) }, node: node)
        configuration.retryTimeout = .seconds(30)
        let cluster = RedisClusterClient(configuration: configuration, logger: logger)
        client = cluster
        runner = { try await cluster.run() }
    } else {
        let single = RedisClient(configuration: node, logger: logger)
        client = single
        runner = { try await single.run() }
    }
    let queue = JobQueue(options.queue, on: client,
                         keepCompleted: Retention(count: options.keepCompleted, age: .seconds(24 * 3600)))
    let worker = Worker(queue: queue, configuration: .init(concurrency: options.concurrency,
                                                           leaseTime: .milliseconds(options.leaseMilliseconds),
                                                           runsSchedules: false), logger: logger)
    let keys = ProbeKeys(queue: options.queue)
    let pid = Int(getpid())
    worker.register(FaultJob.self) { job, context in
        let record = "\(context.id) \(context.attempt) \(context.token) \(pid)"
        _ = try await client.execute(RedisCommand("RPUSH", [keys.starts, RedisArgument(record)]))
        if job.holdMilliseconds > 0 && context.attempt == 1 {
            // Cut short when the attempt is stopped (its lease lost): the effect is written anyway.
            try? await Task.sleep(for: .milliseconds(job.holdMilliseconds))
        }
        // In a task of its own, so that a stopped attempt's write is sent rather than cancelled.
        try await Task { try await FaultEffect.write(record, id: context.id, token: context.token, keys: keys, client: client) }.value
        return FaultOutcome(attempt: context.attempt, token: context.token, pid: pid)
    }
    let parent = getppid()
    await withTaskGroup(of: Void.self) { group in
        group.addTask { try? await runner() }
        group.addTask {
            do {
                try await worker.run()
            } catch {
                logger.error("the worker stopped: \(error)")
            }
        }
        // An orphan (the test process died) exits rather than work on.
        while getppid() == parent { try? await Task.sleep(for: .milliseconds(500)) }
        exit(3)
    }
    return 0
}

guard let options = ProbeOptions.parse(Array(CommandLine.arguments.dropFirst())) else {
    print("usage: roost-jobs-probe (--port P | --cluster P1,P2,…) --queue NAME "
        + "[--concurrency N] [--lease-ms MS] [--keep-completed N]")
    exit(1)
}
exit(await probeMain(options))
