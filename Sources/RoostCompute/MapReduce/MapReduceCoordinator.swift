import Foundation
import Logging
import RoostClient
import RoostCoordination
import RoostJobs
import RoostRESP

/// The thin shell around `CoordinatorInstance` that drives one MapReduce job: it holds the
/// job's leadership, feeds the instance what happens to the job's attempts, persists the
/// instance after each step and carries out its directives.
///
/// - **Leadership.** It runs as a job of the namespace's coordinator queue (so some live
///   `MapReduceWorker` always picks a job up, and takes it over when its coordinator's process
///   dies: the queue job's lease runs out and another worker takes it), and inside that, as the
///   leader of the election `mr:<namespace>:<job>`. The election's epoch fences every write of
///   the job's state: a coordinator that was paused past its lease (SIGSTOP) cannot overwrite
///   its successor's state.
/// - **Takeover.** A new leader loads the persisted instance (or starts a fresh one), calls
///   `takeOver`, re-enqueues the live attempts (idempotent: the queue job id is the attempt's),
///   and reconciles with the server: commits recorded meanwhile, attempts that finished or
///   failed while nobody listened.
/// - **Events.** It listens to the task queue's events (no polling): an attempt that completes
///   is looked up in the commit record, one that fails (its handler threw, its lease ran out)
///   is a failure. A gap in the events is a reconcile. A local timer drives `timePassed` for
///   backups.
/// - **Persist, then act.** The instance is saved before its directives are carried out, so a
///   crash in between leaves a state whose directives the next leader repeats.
/// - **The end.** `finish` (or `fail`) marks the job done (or failed), then deletes the
///   intermediate data and the output of attempts that lost.
public struct MapReduceCoordinator: Sendable {
    /// The namespace.
    public let mapReduce: MapReduce
    /// This coordinator's identity in the elections.
    public let identity: String
    /// The leadership lease.
    public let leaseTime: Duration
    let logger: Logger

    /// A coordinator of `mapReduce`'s jobs.
    public init(mapReduce: MapReduce, identity: String, leaseTime: Duration = .seconds(5),
                logger: Logger = Logger(label: "roost.mapreduce.coordinator")) {
        self.mapReduce = mapReduce
        self.identity = identity
        self.leaseTime = leaseTime
        self.logger = logger
    }

    /// Coordinates job `id` until it is done or failed (or deleted): campaigns for its leadership
    /// (waiting, without polling, while another coordinator leads), then drives it.
    /// - Throws: `CoordinationError.leaseLost` when leadership was lost, client errors.
    public func coordinate(_ id: String) async throws {
        let keys = mapReduce.keys(id)
        let election = LeaderElection(keys.tag, identity: identity, on: mapReduce.client, leaseTime: leaseTime)
        try await election.lead { term in try await drive(keys, epoch: term.token) }
    }

    private func drive(_ keys: MapReduceKeys, epoch: Int64) async throws {
        let client = mapReduce.client
        let fields = try await client.hmget(keys.spec, ["status", "maps", "partitions", "settings"])
        guard fields[0].map({ String(buffer: $0) }) == "running" else { return }
        guard let maps = fields[1].flatMap({ Int(String(buffer: $0)) }), let partitions = fields[2].flatMap({ Int(String(buffer: $0)) }),
              let settingsBytes = fields[3], partitions >= 1
        else { throw UnrecoverableJobError("job \(keys.job) has an incomplete description") }
        let settings = try TaskCoding.decode(CoordinatorInstance.Settings.self, from: Array(buffer: settingsBytes))
        var driver = Driver(keys: keys, epoch: epoch, mapReduce: mapReduce, logger: logger,
                            instance: CoordinatorInstance(maps: maps, partitions: partitions, settings: settings))
        if let saved = try await FencedStore(on: client).get(keys.state) {
            driver.instance = try TaskCoding.decode(CoordinatorInstance.self, from: saved)
        }
        let tick = Duration.milliseconds(max(50, min(1000, settings.backupAfterMilliseconds / 4)))
        try await mapReduce.tasks.events { events in
            if try await driver.step(driver.instance.takeOver(now: driver.now)) { return }
            if try await driver.reconcile() { return }
            let (inputs, input) = AsyncThrowingStream.makeStream(of: JobEvent?.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        for try await event in events { input.yield(event) }
                        input.finish()
                    } catch {
                        input.finish(throwing: error)
                    }
                }
                if settings.backups {
                    group.addTask {
                        while true {
                            try await Task.sleep(for: tick)
                            input.yield(nil)
                        }
                    }
                }
                defer { group.cancelAll() }
                for try await event in inputs {
                    if try await driver.handle(event) { return }
                }
            }
        }
    }
}

/// One leader's drive of one job: the instance and how each step reaches the server.
private struct Driver {
    let keys: MapReduceKeys
    let epoch: Int64
    let mapReduce: MapReduce
    let logger: Logger
    var instance: CoordinatorInstance
    let origin = ContinuousClock.now

    var client: any CoordinationClient { mapReduce.client }
    /// Milliseconds on this coordinator's clock (only durations matter: takeover restarts clocks).
    var now: Int64 { (ContinuousClock.now - origin).computeMilliseconds }

    /// Handles an event of the task queue (nil: the timer). Returns whether the job ended.
    mutating func handle(_ event: JobEvent?) async throws -> Bool {
        guard let event else { return try await step(instance.timePassed(now: now)) }
        switch event {
        case .gap:
            return try await reconcile()
        case .job(let kind, let id):
            guard let (task, number) = keys.attempt(fromID: id) else { return false }
            switch kind {
            case .active:
                instance.attemptStarted(task, attempt: number, now: now)
                return false
            case .completed:
                return try await step(try await completed(task, number))
            case .failed:
                let message = try await mapReduce.tasks.info(id)?.error ?? "failed"
                return try await step(instance.attemptFailed(task, attempt: number, message: message, now: now))
            default:
                return false
            }
        }
    }

    /// The directives after attempt `number` of `task` completed: its commit, or the commit of
    /// the attempt that beat it, or a failure when nothing was committed.
    mutating func completed(_ task: CoordinatorInstance.TaskID, _ number: Int) async throws -> [CoordinatorInstance.Directive] {
        if let record = try await client.hget(keys.committed, task.description).flatMap({ CommitRecord(Array(buffer: $0)) }) {
            var directives = instance.attemptCommitted(task, attempt: record.attempt, now: now)
            if record.attempt != number {
                directives += instance.attemptFailed(task, attempt: number, message: "another attempt committed first", now: now)
            }
            return directives
        }
        return instance.attemptFailed(task, attempt: number, message: "finished without committing", now: now)
    }

    /// Catches up with the server: commits recorded and attempts finished while no event was
    /// heard, and live attempts whose queue job is gone (enqueued again). Returns whether the job ended.
    mutating func reconcile() async throws -> Bool {
        var directives: [CoordinatorInstance.Directive] = []
        for (task, value) in try await client.hgetall(keys.committed) {
            guard let first = task.first, let stage = CoordinatorInstance.Stage(rawValue: String(first)),
                  let index = Int(task.dropFirst()), let record = CommitRecord(Array(buffer: value)) else { continue }
            directives += instance.attemptCommitted(CoordinatorInstance.TaskID(stage, index), attempt: record.attempt, now: now)
        }
        for attempt in instance.liveAttempts {
            let id = keys.attemptID(attempt)
            switch try await mapReduce.tasks.info(id)?.state {
            case nil: directives.append(.schedule(attempt))
            case .completed?: directives += try await completed(attempt.task, attempt.number)
            case .failed?:
                let message = try await mapReduce.tasks.info(id)?.error ?? "failed"
                directives += instance.attemptFailed(attempt.task, attempt: attempt.number, message: message, now: now)
            default: break
            }
        }
        return try await step(directives)
    }

    /// Persists the instance, then carries out `directives`. Returns whether the job ended.
    func step(_ directives: [CoordinatorInstance.Directive]) async throws -> Bool {
        _ = try await MapReduceScripts.saveState.run(
            on: client, fence: keys.state, token: epoch,
            arguments: [RedisArgument(bytes: try TaskCoding.encode(instance)), RedisArgument(keys.notices),
                        RedisArgument(mapReduce.retentionMilliseconds)])
        for directive in directives {
            switch directive {
            case .schedule(let attempt):
                try await mapReduce.tasks.enqueue(
                    AttemptJob(job: keys.job, stage: attempt.task.stage, index: attempt.task.index, attempt: attempt.number),
                    options: EnqueueOptions(id: keys.attemptID(attempt), maxAttempts: 1))
            case .startReducePhase:
                logger.debug("job \(keys.job): reduce phase")
            case .finish:
                try await end(status: "done", error: "")
                return true
            case .fail(let message):
                try await end(status: "failed", error: message)
                return true
            }
        }
        return false
    }

    /// Marks the job ended (fenced), then deletes its intermediate data, and the output of
    /// reduce attempts that lost (all of it when the job failed).
    func end(status: String, error: String) async throws {
        _ = try await MapReduceScripts.finish.run(on: client, fence: keys.state, token: epoch, keys: [keys.spec],
                                                  arguments: [RedisArgument(status), RedisArgument(error), RedisArgument(keys.notices)])
        let committed = try await client.hgetall(keys.committed)
        for partition in 0..<instance.partitionCount {
            _ = try await client.del([keys.shuffle(partition)])
            guard status == "done", let record = committed["r\(partition)"].flatMap({ CommitRecord(Array(buffer: $0)) }) else {
                _ = try await client.del([keys.output(partition)])
                continue
            }
            let losers = try await client.hkeys(keys.output(partition)).filter { $0 != String(record.token) }
            if !losers.isEmpty { _ = try await client.hdel(keys.output(partition), losers) }
        }
    }
}
