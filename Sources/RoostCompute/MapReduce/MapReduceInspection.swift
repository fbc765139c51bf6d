import RoostClient
import RoostCoordination
import RoostJobs
import RoostRESP

/// A MapReduce job by namespace and id, as `MapReduce.jobs(on:)` finds it.
public struct MapReduceJobReference: Sendable, Codable, Hashable, Comparable {
    /// The namespace (`MapReduce.name`).
    public var namespace: String
    /// The job's id in the namespace.
    public var job: String

    /// Job `job` of namespace `namespace`.
    public init(namespace: String, job: String) {
        self.namespace = namespace
        self.job = job
    }

    /// By namespace, then by id.
    public static func < (a: Self, b: Self) -> Bool { (a.namespace, a.job) < (b.namespace, b.job) }
}

/// Whether a job runs or ended, as its description records it.
public enum MapReduceJobStatus: String, Sendable, Codable, Hashable {
    /// Submitted and not ended.
    case running
    /// Every reduce task committed; the output can be read.
    case done
    /// A task failed for good.
    case failed
}

/// The tasks of one phase (map or reduce) by state.
public struct MapReducePhaseSummary: Sendable, Codable, Hashable {
    /// Map or reduce.
    public var stage: CoordinatorInstance.Stage
    /// Not scheduled yet (the phase has not started), or waiting for a new attempt.
    public var pending: Int
    /// With an attempt scheduled or running.
    public var running: Int
    /// Committed.
    public var done: Int
    /// Failed `maxAttempts` times (the job failed).
    public var failed: Int
    /// Attempts that failed so far (threw, lost their lease).
    public var failedAttempts: Int
    /// Backup attempts started for stragglers.
    public var backups: Int
    /// The median running time of the phase's committed attempts (ms), nil before the first.
    public var medianMilliseconds: Int64?
    /// The running time (ms) past which an attempt of the phase is a straggler: the job's
    /// `backupAfter`, or `backupFactor` times `medianMilliseconds` if longer. The coordinator
    /// starts a backup of a straggler once few tasks of the phase are left (`backupFraction`).
    public var stragglerAfterMilliseconds: Int64
    /// Every task of the phase.
    public var total: Int { pending + running + done + failed }
}

/// A MapReduce job at a glance: what the list of jobs shows.
public struct MapReduceJobSummary: Sendable, Codable, Hashable {
    /// Its namespace and id.
    public var reference: MapReduceJobReference
    /// The job description's name (`MapReduceJob.name`).
    public var name: String
    /// The job description's version.
    public var version: Int
    /// Whether it runs or ended.
    public var status: MapReduceJobStatus
    /// Why it failed, when `status` is `.failed`.
    public var error: String?
    /// The coordinator's phase (`.map` before the coordinator first ran).
    public var phase: CoordinatorInstance.Phase
    /// When it was submitted, in the server's milliseconds since 1970.
    public var submittedAt: Int64
    /// When it ended (done or failed), in the server's milliseconds since 1970.
    public var finishedAt: Int64?
    /// The server's time when this was read (ms since 1970).
    public var serverTime: Int64
    /// Time since submission (until the end, once the job ended), ms.
    public var elapsedMilliseconds: Int64
    /// The map tasks by state.
    public var map: MapReducePhaseSummary
    /// The reduce tasks by state.
    public var reduce: MapReducePhaseSummary
    /// The bytes committed attempts read: their splits (as far as they know their size) and
    /// the intermediate data of reduce attempts.
    public var bytesIn: Int64
    /// The bytes committed attempts wrote: intermediate data and output.
    public var bytesOut: Int64
    /// The pairs committed map attempts emitted.
    public var records: Int64
    /// `bytesIn` per second of `elapsedMilliseconds`.
    public var bytesPerSecond: Double
    /// The RoostJobs queue its attempts run on (`mapreduce:<namespace>`).
    public var tasksQueue: String
    /// Committed tasks of both phases.
    public var tasksDone: Int { map.done + reduce.done }
    /// Tasks of both phases.
    public var tasksTotal: Int { map.total + reduce.total }
}

/// A scheduled or running attempt of a task of the current phase.
public struct MapReduceAttemptSummary: Sendable, Codable, Hashable {
    /// The task it is an attempt of.
    public var task: CoordinatorInstance.TaskID
    /// 1 for the first attempt.
    public var number: Int
    /// Whether it was started as a backup of a straggler.
    public var isBackup: Bool
    /// Its job id in the tasks queue (`<job>.m3.2`).
    public var queueJobID: String
    /// Its queue job's state (nil: the queue has no such job, for a moment after scheduling).
    public var state: JobState?
    /// The identity of the `MapReduceWorker` that runs it, once it started.
    public var worker: String?
    /// When it started on its worker (ms since 1970), once it runs.
    public var startedAt: Int64?
    /// How long it has run (ms), once it runs.
    public var elapsedMilliseconds: Int64?
    /// Whether it has run past its phase's `stragglerAfterMilliseconds`.
    public var isStraggler: Bool
}

/// A worker of the namespace, from its heartbeat.
public struct MapReduceWorkerSummary: Sendable, Codable, Hashable {
    /// The `MapReduceWorker`'s identity.
    public var identity: String
    /// Its last heartbeat (ms since 1970).
    public var heartbeatAt: Int64
    /// Whether the heartbeat is recent enough for it to count as live.
    public var isLive: Bool
    /// How many of the job's live attempts it runs.
    public var runningAttempts: Int
}

/// Everything a watching tool shows of one job: its summary, the attempts of its current
/// phase with the workers that hold them, and the namespace's workers.
public struct MapReduceJobInspection: Sendable, Codable, Hashable {
    /// The job at a glance.
    public var summary: MapReduceJobSummary
    /// The live attempts of the current phase, by task and number (none once the job ended).
    public var attempts: [MapReduceAttemptSummary]
    /// The namespace's workers with a heartbeat still kept, by identity.
    public var workers: [MapReduceWorkerSummary]
}

/// What a running attempt records as its queue job's progress: the worker that holds it.
struct AttemptReport: Codable, Sendable {
    var worker: String
}

/// Read-only inspection of MapReduce jobs, for tools that watch them (the dashboard). Reads
/// the keys of `MapReduceKeys` and the task queue's jobs; writes nothing.
extension MapReduce {
    /// Every MapReduce job kept on `client`'s server (every master of a cluster), sorted. Walks
    /// the keyspace with `SCAN` (for `roost:mr:{mr:*}:spec`), so it costs time in proportion to
    /// the number of keys: call it now and then, not per request.
    /// - Throws: client errors.
    public static func jobs(on client: any CoordinationClient) async throws -> [MapReduceJobReference] {
        // A job's tag is `mr:<namespace>:<job>`; a job id has no ':'.
        try await client.scanHashTags(prefix: "roost:mr:", rest: ":spec").compactMap { tag -> MapReduceJobReference? in
            let body = tag.dropFirst(3)
            guard tag.hasPrefix("mr:"), let colon = body.lastIndex(of: ":") else { return nil }
            let namespace = String(body[..<colon]), job = String(body[body.index(after: colon)...])
            return namespace.isEmpty || job.isEmpty ? nil : MapReduceJobReference(namespace: namespace, job: job)
        }.sorted()
    }

    /// The summaries of every job on `client`'s server (`jobs(on:)`), skipping jobs that
    /// expired meanwhile.
    /// - Throws: client errors.
    public static func summaries(on client: any CoordinationClient) async throws -> [MapReduceJobSummary] {
        try await summaries(of: try await jobs(on: client), on: client)
    }

    /// The summaries of the jobs `references` names, skipping those that no longer exist.
    /// - Throws: client errors.
    public static func summaries(of references: [MapReduceJobReference], on client: any CoordinationClient)
        async throws -> [MapReduceJobSummary] {
        var summaries: [MapReduceJobSummary] = []
        for reference in references {
            if let summary = try await MapReduce(reference.namespace, on: client).summary(of: reference.job) { summaries.append(summary) }
        }
        return summaries
    }

    /// Job `job`'s summary (one round trip), nil when the namespace has no such job.
    /// - Throws: `MapReduceError.unexpectedReply`, decoding and client errors.
    public func summary(of job: String) async throws -> MapReduceJobSummary? {
        try await read(job)?.summary
    }

    /// Job `job` in full: its summary, its live attempts with their workers and running times,
    /// and the namespace's workers. Nil when the namespace has no such job.
    /// - Throws: `MapReduceError.unexpectedReply`, decoding and client errors.
    public func inspect(_ job: String) async throws -> MapReduceJobInspection? {
        guard let found = try await read(job) else { return nil }
        let keys = keys(job)
        let now = found.summary.serverTime
        let live = found.summary.status == .running ? found.instance.liveAttempts : []
        let infos = live.isEmpty ? [] : try await tasks.infos(live.map { keys.attemptID($0) })
        let byID = Dictionary(infos.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let attempts = live.map { attempt -> MapReduceAttemptSummary in
            let id = keys.attemptID(attempt)
            let info = byID[id]
            let running = info?.state == .active
            let startedAt = running ? info?.startedAt : nil
            let elapsed = startedAt.map { max(now - $0, 0) }
            let worker = running ? info?.progress.flatMap { try? TaskCoding.decode(AttemptReport.self, from: $0).worker } : nil
            return MapReduceAttemptSummary(
                task: attempt.task, number: attempt.number, isBackup: attempt.isBackup, queueJobID: id, state: info?.state,
                worker: worker, startedAt: startedAt, elapsedMilliseconds: elapsed,
                isStraggler: elapsed.map { $0 >= found.instance.stragglerThreshold(attempt.task.stage) } ?? false)
        }
        let beats = try await client.zrangeWithScores(MapReduceKeys.workers(name), 0, -1)
        let workers = beats.map { beat in
            MapReduceWorkerSummary(identity: beat.member, heartbeatAt: Int64(beat.score),
                                   isLive: now - Int64(beat.score) <= Int64(MapReduceWorker.liveWindowMilliseconds),
                                   runningAttempts: attempts.filter { $0.worker == beat.member }.count)
        }.sorted { $0.identity < $1.identity }
        return MapReduceJobInspection(summary: found.summary, attempts: attempts, workers: workers)
    }

    /// The job's description, coordinator state and progress in one read, as a summary and
    /// the instance it was made from (a fresh one before the coordinator first saved its own).
    private func read(_ job: String) async throws -> (summary: MapReduceJobSummary, instance: CoordinatorInstance)? {
        let keys = keys(job)
        let reply = try await client.evaluate(Self.inspectionScript, keys: [keys.spec], arguments: [RedisArgument(keys.prefix)])
        guard case .array(.some(let parts)) = reply else { return nil }
        guard parts.count == 4 else { throw MapReduceError.unexpectedReply("inspection: \(reply)") }
        let spec = Self.fields(parts[0]), progress = Self.fields(parts[2])
        let now = parts[3].computeString.flatMap { Int64($0) } ?? 0
        func text(_ field: String) -> String? { spec[field].map { String(decoding: $0, as: UTF8.self) } }
        func number(_ fields: [String: [UInt8]], _ field: String) -> Int64? {
            fields[field].flatMap { Int64(String(decoding: $0, as: UTF8.self)) }
        }
        let settings = try spec["settings"].map { try TaskCoding.decode(CoordinatorInstance.Settings.self, from: $0) }
            ?? CoordinatorInstance.Settings()
        var instance = CoordinatorInstance(maps: Int(number(spec, "maps") ?? 0), partitions: max(Int(number(spec, "partitions") ?? 1), 1),
                                           settings: settings)
        if let state = parts[1].computeBytes, !state.isEmpty { instance = try TaskCoding.decode(CoordinatorInstance.self, from: state) }
        let status = MapReduceJobStatus(rawValue: text("status") ?? "") ?? .running
        let phase: CoordinatorInstance.Phase = switch status {
        case .running: instance.phase
        case .done: .done
        case .failed: .failed
        }
        let submittedAt = number(spec, "submittedAt") ?? now
        let finishedAt = status == .running ? nil : number(spec, "finishedAt")
        let elapsed = max((finishedAt ?? now) - submittedAt, 0)
        let bytesIn = number(progress, "bytesIn") ?? 0
        let summary = MapReduceJobSummary(
            reference: MapReduceJobReference(namespace: name, job: job), name: text("name") ?? "", version: Int(number(spec, "version") ?? 0),
            status: status, error: status == .failed ? text("error") : nil, phase: phase, submittedAt: submittedAt,
            finishedAt: finishedAt, serverTime: now, elapsedMilliseconds: elapsed,
            map: Self.phaseSummary(instance, .map), reduce: Self.phaseSummary(instance, .reduce),
            bytesIn: bytesIn, bytesOut: number(progress, "bytesOut") ?? 0, records: number(progress, "records") ?? 0,
            bytesPerSecond: elapsed > 0 ? Double(bytesIn) * 1000 / Double(elapsed) : 0, tasksQueue: tasks.name)
        return (summary, instance)
    }

    private static func phaseSummary(_ instance: CoordinatorInstance, _ stage: CoordinatorInstance.Stage) -> MapReducePhaseSummary {
        var summary = MapReducePhaseSummary(stage: stage, pending: 0, running: 0, done: 0, failed: 0, failedAttempts: 0, backups: 0,
                                            medianMilliseconds: instance.medianDuration(stage),
                                            stragglerAfterMilliseconds: instance.stragglerThreshold(stage))
        for task in instance.tasks(of: stage) {
            if task.committed != nil {
                summary.done += 1
            } else if !task.live.isEmpty {
                summary.running += 1
            } else if task.failures >= instance.settings.maxAttempts {
                summary.failed += 1
            } else {
                summary.pending += 1
            }
            summary.failedAttempts += task.failures
            summary.backups += task.attempts.filter(\.isBackup).count
        }
        return summary
    }

    /// A flat field/value array (what `HGETALL` gives a script) as a dictionary.
    private static func fields(_ value: RESPValue) -> [String: [UInt8]] {
        guard case .array(.some(let items)) = value else { return [:] }
        var fields: [String: [UInt8]] = [:]
        for i in stride(from: 0, to: items.count - 1, by: 2) {
            if let key = items[i].computeString, let value = items[i + 1].computeBytes { fields[key] = value }
        }
        return fields
    }

    /// What an inspection reads, in one step (`KEYS[1]` the spec, `ARGV[1]` the job's key
    /// prefix): nil without a spec, else `{spec fields, state or '', progress fields, now}`.
    static let inspectionScript = RedisScript("""
        local spec = redis.call('HGETALL', ARGV[1] .. 'spec')
        if #spec == 0 then return false end
        local t = redis.call('TIME')
        return {spec, redis.call('HGET', ARGV[1] .. 'state', 'value') or '', redis.call('HGETALL', ARGV[1] .. 'progress'),
                tostring(t[1] * 1000 + math.floor(t[2] / 1000))}
        """)
}
