import CoreMetrics
import Foundation
import Logging
import NIOConcurrencyHelpers
import RoostClient
import RoostCoordination
import ServiceLifecycle

/// Runs a queue's jobs: takes them as slots free up, runs each attempt under a lease that a
/// heartbeat renews, and records the outcome through the queue's fenced scripts.
///
///     let worker = Worker(queue: queue, configuration: .init(concurrency: 32))
///     worker.register(ResizeImage.self) { job, context in try await resize(job) }
///     try await ServiceGroup(services: [worker], logger: logger).run()
///
/// - Idle, it blocks on the queue's wake-up list (no polling), and wakes when a job is
///   enqueued, a delayed job falls due, or another worker's lease runs out.
/// - A handler that throws fails its attempt; the job is retried after its backoff while
///   attempts remain (`UnrecoverableJobError` fails it at once). A handler past the job's
///   timeout is cancelled and its attempt fails.
/// - A lost lease (renewal refused, or failing until the lease ran out) cancels the handler;
///   nothing it does afterwards reaches the job.
/// - It relays the queue's flow work: tells parents (in any queue) that children of this
///   queue finished, and finishes adding flows whose producer stopped half-way (`FlowProducer`).
/// - Graceful shutdown (ServiceLifecycle) stops taking jobs, lets running ones finish for
///   `shutdownGracePeriod`, then cancels the rest and hands their jobs back without counting
///   the attempt. Cancelling `run()` does the same at once.
///
/// Handlers must honour task cancellation: a handler that ignores it keeps its slot.
public final class Worker: Service, Sendable {
    /// How a worker runs.
    public struct Configuration: Sendable {
        /// How many attempts run at once.
        public var concurrency: Int
        /// The lease of an attempt, renewed every third of it while the handler runs.
        public var leaseTime: Duration
        /// How long graceful shutdown lets running attempts finish.
        public var shutdownGracePeriod: Duration
        /// How many log lines a job keeps.
        public var logLines: Int
        /// Whether this worker also fires the queue's schedules (`JobQueue.schedule`). Any
        /// number of workers may: each tick is enqueued once.
        public var runsSchedules: Bool
        /// How often the worker announces itself to watching tools (`WorkerPresence`).
        public var presenceInterval: Duration = .seconds(5)

        public init(concurrency: Int = 16, leaseTime: Duration = .seconds(30), shutdownGracePeriod: Duration = .seconds(30),
                    logLines: Int = 100, runsSchedules: Bool = true) {
            self.runsSchedules = runsSchedules
            self.concurrency = max(concurrency, 1)
            self.leaseTime = max(leaseTime, .milliseconds(100))
            self.shutdownGracePeriod = shutdownGracePeriod
            self.logLines = max(logLines, 1)
        }
    }

    typealias Handler = @Sendable (_ payload: [UInt8], _ context: JobContext) async throws -> [UInt8]

    /// The queue it works on.
    public let queue: JobQueue
    public let configuration: Configuration
    let logger: Logger
    private let handlers = NIOLockedValueBox<[String: Handler]>([:])
    /// Running attempts by partition and token (a job can come back to this worker while a
    /// stalled attempt of it still runs).
    let running = NIOLockedValueBox<[AttemptKey: Attempt]>([:])
    /// The queue's partitions, each with its completion batcher (one for an unpartitioned queue).
    let lanes: WorkerLanes
    let metrics: WorkerMetrics
    /// The waiting and active counts each partition last reported to a take; the gauges show
    /// their sums, so a partitioned queue reports all of its partitions.
    private let partitionCounts = NIOLockedValueBox<[Int: (waiting: Int, active: Int)]>([:])
    /// The id the worker announces itself with (`WorkerPresence.id`) and records its attempts by.
    let presenceID = Worker.makePresenceID()

    /// - Parameter metricsFactory: where the worker's metrics go (see `WorkerMetrics`); nil
    ///   uses `MetricsSystem`'s.
    public init(queue: JobQueue, configuration: Configuration = Configuration(),
                logger: Logger = Logger(label: "roost.jobs.worker"), metricsFactory: (any MetricsFactory)? = nil) {
        self.metrics = WorkerMetrics(queue: queue.name, factory: metricsFactory ?? MetricsSystem.factory)
        self.queue = queue
        self.configuration = configuration
        self.logger = logger
        self.lanes = WorkerLanes(queue: queue)
    }

    /// Runs `handler` for jobs of type `J` (replacing an earlier handler for `J.name`).
    public func register<J: Job>(_ type: J.Type, _ handler: @escaping @Sendable (J, JobContext) async throws -> J.Output) {
        handlers.withLockedValue {
            $0[J.name] = { payload, context in
                let job: J
                do {
                    job = try JSONDecoder().decode(J.self, from: Data(payload))
                } catch {
                    throw UnrecoverableJobError("the payload does not decode as \(J.self): \(error)")
                }
                return Array(try JSONEncoder().encode(try await handler(job, context)))
            }
        }
    }

    /// Attempts running now.
    public var runningCount: Int { running.withLockedValue { $0.count } }

    // MARK: - Run

    /// Works until graceful shutdown or cancellation, then hands back what it could not finish.
    public func run() async throws {
        let slots = WorkerSlots(capacity: configuration.concurrency)
        try await checkPartitions()
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.heartbeats() }
            group.addTask { await self.announcePresence(id: self.presenceID) } // for watching tools
            for lane in lanes.all { group.addTask { await self.listenForCancels(on: lane) } }
            if configuration.runsSchedules { group.addTask { await self.fireSchedules() } }
            for lane in lanes.all { group.addTask { await self.relayFlows(on: lane) } } // flows: children's finishes to their parents
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let granted: Int
                do {
                    granted = try await cancelWhenGracefulShutdown { try await slots.acquireAvailable() }
                } catch is CancellationError {
                    break
                }
                let sent = ContinuousClock.now
                let jobs: [TakenJob]
                let wait: Int64
                do {
                    (jobs, wait) = try await takeFromLanes(granted)
                } catch {
                    slots.release(granted)
                    if Task.isCancelled || Task.isShuttingDownGracefully { break }
                    logger.warning("taking jobs failed; trying again", metadata: ["queue": "\(queue.name)", "error": "\(error)"])
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(200)) }
                    continue
                }
                slots.release(granted - jobs.count)
                for job in jobs {
                    let attempt = Attempt(id: job.id, token: job.token, validUntil: sent + configuration.leaseTime - drift,
                                          lane: job.lane)
                    running.withLockedValue { $0[AttemptKey(lane: job.lane, token: job.token)] = attempt }
                    group.addTask {
                        await self.process(job, attempt)
                        self.running.withLockedValue { _ = $0.removeValue(forKey: AttemptKey(lane: job.lane, token: job.token)) }
                        slots.release()
                    }
                }
                if jobs.isEmpty {
                    // Nothing to do: block until a wake-up, or until a delayed job or a lease is due.
                    let timeout: Duration? = wait >= 0 ? .milliseconds(wait) : nil
                    do {
                        _ = try await cancelWhenGracefulShutdown {
                            try await self.waitForWakeUp(timeout: timeout)
                        }
                    } catch {
                        if Task.isCancelled || Task.isShuttingDownGracefully { break }
                        logger.warning("waiting for jobs failed; trying again", metadata: ["queue": "\(queue.name)", "error": "\(error)"])
                        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(200)) }
                    }
                }
            }
            await drain(slots)
            group.cancelAll()
        }
    }

    /// After taking stopped: lets running attempts finish for the grace period (none when
    /// cancelled), then stops the rest, which hand their jobs back.
    private func drain(_ slots: WorkerSlots) async {
        if !Task.isCancelled {
            let grace = configuration.shutdownGracePeriod
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await slots.waitUntilIdle() }
                group.addTask { try? await Task.sleep(for: grace) }
                await group.next()
                group.cancelAll()
            }
        }
        for attempt in running.withLockedValue({ Array($0.values) }) { attempt.stop(.shutdown) }
        // Hand-backs run in tasks of their own (see `process`), so this wait ends; it must not
        // end early when `run()` was cancelled.
        await Task { await slots.waitUntilIdle() }.value
    }

    /// The lease drift allowance: what the worker's view of a lease is shortened by.
    private var drift: Duration { configuration.leaseTime / 10 }

    // MARK: - Take

    struct TakenJob: Sendable {
        var id: String
        var name: String
        var payload: [UInt8]
        var attempt: Int
        var token: Int64
        var maxAttempts: Int
        var timeout: Duration?
        var backoff: Backoff
        var enqueuedAt: Int64
        /// The partition it came from (`WorkerLane.index`).
        var lane = 0
    }

    /// Takes up to `count` jobs from `lane`'s partition; returns them, and when none, the ms
    /// until something falls due (-1: nothing scheduled).
    func take(_ count: Int, from lane: WorkerLane) async throws -> ([TakenJob], Int64) {
        let queue = lane.queue
        let reply = try await queue.client.evaluate(JobScripts.take, keys: queue.keys.all, arguments: [
            RedisArgument(queue.keys.jobPrefix), RedisArgument(queue.keys.events),
            RedisArgument(Int(configuration.leaseTime.milliseconds)), RedisArgument(count), RedisArgument(presenceID),
        ])
        // A paused or limited partition answers `{jobs, wait}` only.
        guard let parts = reply.jobArray, parts.count >= 2, let items = parts[0].jobArray, let wait = parts[1].jobInt
        else { throw JobsError.unexpectedReply("take: \(reply)") }
        let now = parts.count > 2 ? parts[2].jobInt ?? 0 : 0
        if parts.count == 5 {
            let totals = partitionCounts.withLockedValue { counts in
                counts[lane.index] = (Int(parts[3].jobInt ?? 0), Int(parts[4].jobInt ?? 0))
                return counts.values.reduce((waiting: 0, active: 0)) { ($0.waiting + $1.waiting, $0.active + $1.active) }
            }
            metrics.waiting.record(totals.waiting)
            metrics.active.record(totals.active)
        }
        let jobs = try items.map { item -> TakenJob in
            guard let f = item.jobArray, f.count == 9, let id = f[0].jobString, let name = f[1].jobString,
                  let attempt = f[3].jobInt, let token = f[4].jobInt
            else { throw JobsError.unexpectedReply("take: \(item)") }
            let timeout = f[6].jobInt ?? 0
            metrics.waitDuration.recordMilliseconds(max(now - (f[8].jobInt ?? now), 0))
            return TakenJob(id: id, name: name, payload: f[2].jobBytes ?? [], attempt: Int(attempt), token: token,
                            maxAttempts: Int(f[5].jobInt ?? 1), timeout: timeout > 0 ? .milliseconds(timeout) : nil,
                            backoff: f[7].jobString.flatMap { Backoff(encoded: $0) } ?? .fixed(.zero),
                            enqueuedAt: f[8].jobInt ?? 0, lane: lane.index)
        }
        return (jobs, wait)
    }

    // MARK: - One attempt

    private enum Outcome: Sendable {
        case returned([UInt8])
        /// The handler threw: the error's message, its detail (`JobAttempt.detail(of:message:)`).
        case threw(String, detail: String, unrecoverable: Bool)
        case stopped(StopReason)
    }

    /// Runs one attempt and records its outcome.
    private func process(_ job: TakenJob, _ attempt: Attempt) async {
        let started = ContinuousClock.now
        let context = JobContext(id: job.id, attempt: job.attempt, maxAttempts: job.maxAttempts, token: job.token,
                                 enqueuedAt: job.enqueuedAt, queue: lanes.all[job.lane].queue, logLines: configuration.logLines)
        let outcome: Outcome
        if let handler = handlers.withLockedValue({ $0[job.name] }) {
            outcome = await withTaskGroup(of: Outcome?.self) { group in
                group.addTask {
                    do {
                        return .returned(try await handler(job.payload, context))
                    } catch let error as UnrecoverableJobError {
                        return .threw(error.message, detail: "", unrecoverable: true)
                    } catch {
                        let message = String(describing: error)
                        return .threw(message, detail: JobAttempt.detail(of: error, message: message), unrecoverable: false)
                    }
                }
                group.addTask {
                    // Ends with the first stop: the timeout, a lost lease, shutdown.
                    await withTaskGroup(of: Void.self) { timer in
                        if let timeout = job.timeout {
                            timer.addTask {
                                try? await Task.sleep(for: timeout)
                                if !Task.isCancelled { attempt.stop(.timedOut) }
                            }
                        }
                        let reason = await attempt.stopped()
                        timer.cancelAll()
                        return reason.map { .stopped($0) }
                    }
                }
                var first: Outcome?
                while first == nil, let next = await group.next() { first = next }
                group.cancelAll()
                // A stop always wins over what the cancelled handler then returns or throws.
                if let reason = attempt.stopReason { return .stopped(reason) }
                // Cancelled with the worker (`run()` cancelled): a handler that did not finish
                // hands its job back.
                if case .returned = first {} else if Task.isCancelled { return .stopped(.shutdown) }
                return first ?? .stopped(.shutdown)
            }
        } else {
            outcome = .threw(JobsError.noHandler(name: job.name).description, detail: "", unrecoverable: false)
        }
        metrics.attemptDuration.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
        // Recording the outcome must not be cancelled with the worker.
        await Task { await self.record(outcome, of: job) }.value
    }

    /// Writes an attempt's outcome through the fenced scripts.
    private func record(_ outcome: Outcome, of job: TakenJob) async {
        let token = RedisArgument(Int(job.token))
        let lane = lanes.all[job.lane]
        do {
            let owned: Int64
            switch outcome {
            case .returned(let result):
                owned = try await lane.completions.complete(id: job.id, token: job.token, result: result) ? 1 : 0
                if owned == 1 { metrics.completed.increment() }
            case .threw(let message, let detail, let unrecoverable):
                owned = try await fail(job, message, detail: detail, retry: !unrecoverable)
            case .stopped(.timedOut):
                metrics.timedOut.increment()
                owned = try await fail(job, "timed out after \(job.timeout ?? .zero)", outcome: .timedOut, retry: true)
            case .stopped(.shutdown):
                owned = try await lane.queue.run(JobScripts.handBack, [RedisArgument(job.id), token])
                if owned == 1 { metrics.handedBack.increment() }
            case .stopped(.cancelled):
                metrics.cancelled.increment()
                owned = try await fail(job, JobQueue.cancelledMessage, outcome: .cancelled, retry: false)
            case .stopped(.leaseLost):
                owned = 0
            }
            if owned == 0 { metrics.leaseLost.increment() }
            if owned == 0 {
                logger.warning("attempt lost its lease; its outcome was not recorded",
                               metadata: ["queue": "\(queue.name)", "job": "\(job.id)", "attempt": "\(job.attempt)"])
            }
        } catch {
            // The lease runs out and the job waits again: at least once, nothing lost.
            logger.error("recording an attempt's outcome failed; the job will be retried when its lease runs out",
                         metadata: ["queue": "\(queue.name)", "job": "\(job.id)", "error": "\(error)"])
        }
    }

    /// Fails `job`'s attempt, recorded in its history as `outcome` with `detail`.
    private func fail(_ job: TakenJob, _ message: String, outcome attempt: JobAttempt.Outcome = .failed, detail: String = "",
                      retry: Bool) async throws -> Int64 {
        let delay = retry ? Int(job.backoff.delay(after: job.attempt).milliseconds) : -1
        let outcome = try await lanes.all[job.lane].queue.run(JobScripts.fail, [
            RedisArgument(job.id), RedisArgument(Int(job.token)), RedisArgument(message), RedisArgument(delay),
            RedisArgument(queue.keepFailed.count), RedisArgument(Int(queue.keepFailed.age.milliseconds)),
            RedisArgument(attempt.rawValue), RedisArgument(detail),
        ])
        switch outcome {
        case 2: metrics.retrying.increment()
        case 1: metrics.failed.increment()
        default: break
        }
        return outcome == 0 ? 0 : 1
    }

    // MARK: - Cancels

    /// Stops running attempts whose job is cancelled, as `lane`'s control channel announces
    /// it. Missed announcements (a gap, a failed subscription) are caught by the next heartbeat.
    private func listenForCancels(on lane: WorkerLane) async {
        while !Task.isCancelled {
            do {
                try await queue.client.subscribe(channels: [], patterns: [], shardChannels: [lane.queue.keys.control]) { messages in
                    for try await event in messages {
                        guard let message = event.message else { continue }
                        let text = String(buffer: message.payload)
                        if text.hasPrefix("cancel ") {
                            let id = String(text.dropFirst("cancel ".count))
                            for attempt in running.withLockedValue({ $0.values.filter { $0.id == id && $0.lane == lane.index } }) {
                                attempt.stop(.cancelled)
                            }
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("listening for cancels failed; heartbeats still carry them",
                               metadata: ["queue": "\(queue.name)", "error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    // MARK: - Schedules

    /// Fires the queue's schedules until cancelled; retries after errors.
    private func fireSchedules() async {
        while !Task.isCancelled {
            do {
                try await queue.runSchedules()
            } catch {
                if Task.isCancelled { return }
                logger.warning("firing schedules failed; trying again", metadata: ["queue": "\(queue.name)", "error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    // MARK: - Heartbeat

    /// Renews every running attempt's lease each third of the lease time, in one script call;
    /// stops attempts whose lease is refused, or whose lease ran out while renewals failed.
    private func heartbeats() async {
        let interval = configuration.leaseTime / 3
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            let sent = ContinuousClock.now
            for (lane, attempts) in Dictionary(grouping: running.withLockedValue({ Array($0.values) }), by: \.lane) {
                await renew(attempts, on: lanes.all[lane].queue, sent: sent)
            }
        }
    }

    /// Renews the leases of `attempts`, all of `queue`'s partition, in one script call.
    private func renew(_ attempts: [Attempt], on queue: JobQueue, sent: ContinuousClock.Instant) async {
        var arguments = [RedisArgument(queue.keys.jobPrefix), RedisArgument(queue.keys.events),
                         RedisArgument(Int(configuration.leaseTime.milliseconds))]
        for attempt in attempts { arguments += [RedisArgument(attempt.id), RedisArgument(Int(attempt.token))] }
        do {
            let reply = try await queue.client.evaluate(JobScripts.heartbeat, keys: queue.keys.all, arguments: arguments)
            guard let owned = reply.jobArray, owned.count == attempts.count else {
                throw JobsError.unexpectedReply("heartbeat: \(reply)")
            }
            for (attempt, flag) in zip(attempts, owned) {
                switch flag.jobInt {
                case 1: attempt.renewed(validUntil: sent + configuration.leaseTime - drift)
                case 2: attempt.stop(.cancelled)
                default: attempt.stop(.leaseLost)
                }
            }
        } catch {
            logger.warning("renewing leases failed", metadata: ["queue": "\(queue.name)", "error": "\(error)"])
            let now = ContinuousClock.now
            for attempt in attempts where attempt.validUntil <= now { attempt.stop(.leaseLost) }
        }
    }
}
