import Foundation
import RoostClient
import RoostCoordination
import RoostRESP

/// A running worker as it announces itself in its queue, for tools that watch (the dashboard).
///
/// Each worker writes, every `Configuration.presenceInterval` (5 s) and in one script, the hash
/// `roost:jobs:{q}:worker:<id>` and its entry in the zset `roost:jobs:{q}:workers` (id → when
/// the entry expires, ms), in partition 0's keys of a partitioned queue; both last
/// `presenceLifetime` (three intervals, at least 10 s). A worker that stops removes both; one
/// that dies drops out when its hash expires (the zset entry goes at the next announcement of
/// any worker of the queue).
public struct WorkerPresence: Sendable, Hashable {
    /// The worker's id: `host:pid:random`.
    public var id: String
    /// The host name it runs on.
    public var host: String
    /// Its process id.
    public var pid: Int
    /// How many attempts it runs at once at most.
    public var concurrency: Int
    /// The ids of the attempts it runs now (at most 50).
    public var running: [String]
    /// When it started, in the server's milliseconds since 1970.
    public var startedAt: Int64
    /// When it last announced itself, in the server's milliseconds since 1970.
    public var heartbeatAt: Int64
    /// The RoostJobs version it runs.
    public var version: String
}

extension Worker {
    /// The version of RoostJobs that workers announce.
    public static let version = "0.1.0"

    /// Announces this worker every `configuration.presenceInterval` until cancelled, then
    /// withdraws it.
    func announcePresence(id: String) async {
        let queue = lanes.all[0].queue
        while !Task.isCancelled {
            let running = Array(Set(running.withLockedValue { $0.values.map(\.id) }).sorted().prefix(50))
            do {
                _ = try await queue.client.evaluate(JobScripts.presence, keys: [queue.keys.workers, queue.keys.worker(id)], arguments: [
                    RedisArgument(id), RedisArgument(Int(presenceLifetime.milliseconds)),
                    "host", RedisArgument(ProcessInfo.processInfo.hostName), "pid", RedisArgument(Int(ProcessInfo.processInfo.processIdentifier)),
                    "concurrency", RedisArgument(configuration.concurrency), "running", RedisArgument(running.joined(separator: ",")),
                    "version", RedisArgument(Self.version),
                ])
            } catch {
                if Task.isCancelled { break }
                logger.debug("announcing the worker failed", metadata: ["queue": "\(queue.name)", "error": "\(error)"])
            }
            do {
                try await Task.sleep(for: configuration.presenceInterval)
            } catch {
                break
            }
        }
        // Cancelled: withdraw in a task of its own, which this one awaits, so that the
        // cancellation does not stop the withdrawal.
        let keys = [queue.keys.workers, queue.keys.worker(id)]
        let client = queue.client
        await Task {
            _ = try? await client.evaluate(JobScripts.presence, keys: keys, arguments: [RedisArgument(id), "0"])
        }.value
    }

    /// How long an announcement lasts: three intervals, and at least 10 s, so that a worker
    /// that is only slow (a loaded machine, a long pause) does not drop out between beats.
    var presenceLifetime: Duration { max(configuration.presenceInterval * 3, .seconds(10)) }

    /// A fresh worker id: `host:pid:random`.
    static func makePresenceID() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UInt32.random(in: .min ... .max))"
    }
}

extension JobQueue {
    /// The workers that announced themselves on the queue and have not expired, by id.
    /// - Throws: client errors.
    public func workers() async throws -> [WorkerPresence] {
        let keys = partitioning.keys[0]
        let ids = (try await client.execute(RedisCommand("ZRANGE", [keys.workers, "0", "-1"]), timeout: nil).jobArray ?? [])
            .compactMap(\.jobString)
        guard !ids.isEmpty else { return [] }
        let replies = try await client.pipeline(ids.map { RedisCommand("HGETALL", [keys.worker($0)]) }, timeout: nil)
        var workers: [WorkerPresence] = []
        for (id, reply) in zip(ids, replies) {
            let fields = try reply.get().jobFields
            func text(_ field: String) -> String { fields[field].map { String(decoding: $0, as: UTF8.self) } ?? "" }
            guard let beat = Int64(text("heartbeatAt")) else { continue } // expired
            workers.append(WorkerPresence(
                id: id, host: text("host"), pid: Int(text("pid")) ?? 0, concurrency: Int(text("concurrency")) ?? 0,
                running: text("running").split(separator: ",").map(String.init), startedAt: Int64(text("startedAt")) ?? 0,
                heartbeatAt: beat, version: text("version")))
        }
        return workers
    }
}

extension QueueKeys {
    /// The zset of the queue's announced workers (`WorkerPresence`).
    var workers: RedisKey { RedisKey(String(jobPrefix.dropLast("job:".count)) + "workers") }

    /// The hash of announced worker `id`.
    func worker(_ id: String) -> RedisKey { RedisKey(String(jobPrefix.dropLast("job:".count)) + "worker:" + id) }
}

extension JobScripts {
    /// Announces worker `ARGV[1]` (`KEYS[1]` the workers zset, `KEYS[2]` its hash) for
    /// `ARGV[2]` ms with the field-value pairs `ARGV[3]…` and the server's time as
    /// `heartbeatAt` (and `startedAt` the first time); with `ARGV[2]` = 0, withdraws it. Drops expired entries. Returns 1.
    static let presence = RedisScript("""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        local ttl = tonumber(ARGV[2])
        if ttl == 0 then
          redis.call('ZREM', KEYS[1], ARGV[1])
          redis.call('DEL', KEYS[2])
          return 1
        end
        redis.call('HSET', KEYS[2], 'heartbeatAt', now, unpack(ARGV, 3))
        redis.call('HSETNX', KEYS[2], 'startedAt', now)
        redis.call('PEXPIRE', KEYS[2], ttl)
        redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
        return 1
        """)
}
