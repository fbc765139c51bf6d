import Logging
import RoostClient
import RoostCoordination
import RoostJobs
import RoostRESP
import ServiceLifecycle

/// Runs a `MapReduce` namespace's work for the jobs its `registry` has: the map and reduce
/// attempts (a RoostJobs `Worker` on the task queue) and, unless told not to, job coordinators
/// (a `Worker` on the coordinator queue running `MapReduceCoordinator`), as one ServiceLifecycle
/// `Service`. It also keeps a heartbeat in the namespace's worker set, for progress.
///
///     let worker = MapReduceWorker(mapReduce: mapReduce, registry: registry)
///     try await ServiceGroup(services: [worker], logger: logger).run()
///
/// **A map attempt** reads its split, runs `map` (combining on the map side), writes one blob per
/// partition under the attempt's fencing token (`shuffle` hash of the partition, field
/// `<i>:<token>`), then commits. **A reduce attempt** reads the committed map attempts' blobs of
/// its partition, reduces, writes its output blob under its token, then commits.
///
/// **Exactly-once commit.** The blobs of a map attempt live in R partitions, which a cluster
/// spreads over several masters, so they cannot be written and published in one script.
/// Instead visibility is decided by one record in the job's slot: the commit script sets
/// `committed[m<i>] = <attempt>:<token>` only if the task has no committed attempt yet and the
/// job still runs. Reducers read only the blobs of the committed attempt; blobs of attempts
/// that lost (a re-execution after a lost lease, a backup, a stalled worker that wakes up) are
/// never read and are deleted with the job's intermediate data. An attempt's blobs are all
/// written (and acknowledged) before it commits, so a committed attempt's data is complete.
public final class MapReduceWorker: Service, Sendable {
    /// How a worker runs.
    public struct Configuration: Sendable {
        /// How many map or reduce attempts run at once.
        public var concurrency: Int
        /// The lease of an attempt (and of a coordinator): a dead worker's attempts run again
        /// elsewhere about this long after it died.
        public var leaseTime: Duration
        /// Whether this worker runs map and reduce attempts.
        public var runsTasks: Bool
        /// Whether this worker also coordinates jobs.
        public var coordinates: Bool
        /// The lease of a coordinator's leadership of a job.
        public var coordinatorLease: Duration

        /// A configuration; `concurrency` is at least 1.
        public init(concurrency: Int = 4, leaseTime: Duration = .seconds(10), runsTasks: Bool = true, coordinates: Bool = true,
                    coordinatorLease: Duration = .seconds(5)) {
            self.concurrency = max(concurrency, 1)
            self.runsTasks = runsTasks
            self.leaseTime = leaseTime
            self.coordinates = coordinates
            self.coordinatorLease = coordinatorLease
        }
    }

    /// The namespace it works for.
    public let mapReduce: MapReduce
    /// The jobs it can run.
    public let registry: MapReduceRegistry
    /// How it runs.
    public let configuration: Configuration
    /// This worker's identity in the worker set.
    public let identity: String
    let taskWorker: Worker
    let coordinatorWorker: Worker
    let logger: Logger

    /// How long a worker without a heartbeat still counts as live (ms).
    static let liveWindowMilliseconds = 3000

    /// A worker for `mapReduce`'s jobs that `registry` has.
    public init(mapReduce: MapReduce, registry: MapReduceRegistry, configuration: Configuration = Configuration(),
                identity: String? = nil, logger: Logger = Logger(label: "roost.mapreduce.worker")) {
        self.mapReduce = mapReduce
        self.registry = registry
        self.configuration = configuration
        self.identity = identity ?? MapReduce.randomID()
        self.logger = logger
        taskWorker = Worker(queue: mapReduce.tasks, configuration: .init(concurrency: configuration.concurrency,
                                                                          leaseTime: configuration.leaseTime,
                                                                          shutdownGracePeriod: .seconds(5), runsSchedules: false),
                            logger: logger)
        coordinatorWorker = Worker(queue: mapReduce.coordinators,
                                   configuration: .init(concurrency: 64, leaseTime: configuration.leaseTime,
                                                        shutdownGracePeriod: .seconds(1), runsSchedules: false),
                                   logger: logger)
        taskWorker.register(AttemptJob.self) { [mapReduce, registry, identity = self.identity] job, context in
            // Which worker holds the attempt, for `MapReduce.inspect` (the attempt's job progress).
            try await context.progress(AttemptReport(worker: identity))
            try await Self.attempt(job, context: context, mapReduce: mapReduce, registry: registry)
            return Empty()
        }
        let coordinator = MapReduceCoordinator(mapReduce: mapReduce, identity: self.identity,
                                               leaseTime: configuration.coordinatorLease, logger: logger)
        coordinatorWorker.register(CoordinateJob.self) { job, _ in
            try await coordinator.coordinate(job.job)
            return Empty()
        }
    }

    /// Works until graceful shutdown or cancellation.
    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            if configuration.runsTasks {
                group.addTask { try await self.taskWorker.run() }
                group.addTask { try await self.heartbeats() }
            }
            if configuration.coordinates { group.addTask { try await self.coordinatorWorker.run() } }
        }
    }

    /// Records this worker as live every second (a liveness heartbeat, not a poll for work),
    /// until cancelled or shut down (a graceful shutdown ends the wait between beats at once, so
    /// a stopped worker process exits without waiting out the second).
    private func heartbeats() async throws {
        let key = MapReduceKeys.workers(mapReduce.name)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                _ = try await mapReduce.client.evaluate(MapReduceScripts.heartbeat, keys: [key],
                                                        arguments: [RedisArgument(identity), RedisArgument(Self.liveWindowMilliseconds)])
            } catch {
                logger.debug("heartbeat failed: \(error)")
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }

    // MARK: - Attempts

    static func attempt(_ job: AttemptJob, context: JobContext, mapReduce: MapReduce, registry: MapReduceRegistry) async throws {
        let keys = mapReduce.keys(job.job)
        let client = mapReduce.client
        let fields = try await client.hmget(keys.spec, ["status", "name", "version", "partitions", "maps"])
        guard fields[0].map({ String(buffer: $0) }) == "running" else { return }
        guard let name = fields[1].map({ String(buffer: $0) }), let version = fields[2].flatMap({ Int(String(buffer: $0)) }),
              let partitions = fields[3].flatMap({ Int(String(buffer: $0)) }), let maps = fields[4].flatMap({ Int(String(buffer: $0)) })
        else { throw UnrecoverableJobError("job \(job.job) has an incomplete description") }
        guard let runner = registry.runner(name, version: version) else {
            throw MapReduceError.unknownJob(name: name, version: version)
        }
        let task = "\(job.stage.rawValue)\(job.index)"
        if try await client.hexists(keys.committed, task) { return }
        let token = context.token
        let ttl = RedisArgument(mapReduce.retentionMilliseconds)
        var written: [RedisCommand] = []
        var bytesIn: Int64 = 0
        var bytesOut = 0
        var records = 0
        switch job.stage {
        case .map:
            guard let split = try await client.hget(keys.splits, String(job.index)) else {
                throw UnrecoverableJobError("job \(job.job) has no split \(job.index)")
            }
            let output = try await runner.map(Array(buffer: split), partitions, MapReduceInputContext(client: client))
            bytesIn = output.bytesIn
            records = output.records
            for (partition, blob) in output.blobs.enumerated() {
                bytesOut += blob.count
                written.append(RedisCommand("HSET", [keys.shuffle(partition), RedisArgument("\(job.index):\(token)"),
                                                     RedisArgument(bytes: blob)]))
                written.append(RedisCommand("PEXPIRE", [keys.shuffle(partition), ttl]))
            }
        case .reduce:
            let committed = try await client.hgetall(keys.committed)
            var fields: [String] = []
            for (task, value) in committed where task.hasPrefix("m") {
                guard let index = Int(task.dropFirst()), let record = CommitRecord(Array(buffer: value)) else { continue }
                fields.append("\(index):\(record.token)")
            }
            guard fields.count == maps else {
                throw MapReduceError.invalid("partition \(job.index) of job \(job.job) started before every map task committed")
            }
            let blobs = try await fields.isEmpty ? [] : client.hmget(keys.shuffle(job.index), fields)
            guard blobs.allSatisfy({ $0 != nil }) else {
                throw MapReduceError.invalid("committed map output of partition \(job.index) is missing")
            }
            let input = blobs.map { Array(buffer: $0!) }
            bytesIn = Int64(input.reduce(0) { $0 + $1.count })
            let blob = try runner.reduce(input)
            bytesOut = blob.count
            written.append(RedisCommand("HSET", [keys.output(job.index), RedisArgument(String(token)), RedisArgument(bytes: blob)]))
            written.append(RedisCommand("PEXPIRE", [keys.output(job.index), ttl]))
        }
        // A job that ended meanwhile (another attempt won and the job finished) gets no late
        // writes; one that ends between here and the commit is cleaned by the key's expiry.
        guard try await client.hget(keys.spec, "status").map({ String(buffer: $0) }) == "running" else { return }
        for result in try await client.pipeline(written, timeout: nil) { _ = try result.get() }
        try Task.checkCancellation()
        let reply = try await client.evaluate(MapReduceScripts.commit, keys: [keys.spec], arguments: [
            RedisArgument(keys.prefix), RedisArgument(task), RedisArgument(CommitRecord(attempt: job.attempt, token: token).encoded),
            RedisArgument(Int(bytesIn)), RedisArgument(bytesOut), RedisArgument(records), ttl,
        ])
        guard case .integer = reply else { throw MapReduceError.unexpectedReply("commit: \(reply)") }
    }
}
