import Foundation
import NIOConcurrencyHelpers
import RoostClient
import RoostCoordination
import RoostRESP

/// A named job queue on a Roost, Redis/Valkey or Redis Cluster server: producers enqueue
/// typed jobs, workers (`Worker`) run them, anyone can look at or wait for a job.
///
///     let queue = JobQueue("images", on: client)
///     let id = try await queue.enqueue(ResizeImage(url: u, width: 640))
///     let resized = try await queue.result(of: id, as: ResizeImage.self)
///
/// - Delivery is at least once: each attempt holds a lease that its worker renews; when a
///   worker dies, its jobs wait again as soon as their leases run out.
/// - Every transition is one atomic script, and attempts are fenced: a stalled worker that
///   wakes after its lease ran out cannot complete, fail or report on the job any more.
/// - Nothing polls: idle workers block on the queue's wake-up list, and waiting for a result
///   listens to the queue's events.
/// - Finished jobs are kept as `keepCompleted` and `keepFailed` say, so memory stays bounded.
///
/// The key layout is described in `QueueKeys` (hash tag: the queue's name).
public struct JobQueue: Sendable {
    /// The queue's name.
    public let name: String
    let client: any CoordinationClient
    let keys: QueueKeys
    /// What is kept of completed jobs.
    public var keepCompleted: Retention
    /// What is kept of failed jobs (the dead-letter set).
    public var keepFailed: Retention
    /// Priority aging: with a value, jobs run in the order of enqueue time plus priority times
    /// this, so a low priority cannot starve (priority p waits at most p · aging behind newer
    /// priority-0 jobs); jobs enqueued in the same millisecond may then run in any order.
    /// nil (the default): strict priorities, FIFO within each. Producers of one queue should
    /// agree on it.
    public var priorityAging: Duration?
    /// The queue's partitions, and which of them this value is (see `JobQueue+Partitions`).
    let partitioning: QueuePartitioning

    /// How many jobs one enqueue script call carries; bigger batches are pipelined.
    static let enqueueBatch = 500

    /// The queue named `name` on `client`'s server or cluster.
    ///
    /// With `partitions` > 1 the queue is split into that many partitions under hash tags of
    /// their own (see `JobQueue+Partitions`); every producer, worker and tool of the queue must
    /// use the same count (`open(_:on:)` reads it): the first operation checks it against the
    /// count the queue records and throws `JobsError.partitionMismatch` when they differ.
    public init(_ name: String, on client: any CoordinationClient,
                keepCompleted: Retention = Retention(count: 10_000, age: .seconds(24 * 3600)),
                keepFailed: Retention = Retention(count: 100_000, age: .seconds(7 * 24 * 3600)),
                priorityAging: Duration? = nil, partitions: Int = 1) {
        self.priorityAging = priorityAging
        self.name = name
        self.client = client
        self.keys = QueueKeys(queue: name)
        self.keepCompleted = keepCompleted
        self.keepFailed = keepFailed
        self.partitioning = QueuePartitioning(keys: QueueKeys.partitions(of: name, count: partitions))
    }

    /// The view of one partition of `queue` (`partitioning.view`).
    init(partitionOf queue: JobQueue, partitioning: QueuePartitioning) {
        name = queue.name
        client = queue.client
        keys = partitioning.keys[partitioning.view ?? 0]
        keepCompleted = queue.keepCompleted
        keepFailed = queue.keepFailed
        priorityAging = queue.priorityAging
        self.partitioning = partitioning
    }

    // MARK: - Enqueue

    /// Enqueues `job` and returns its id. With `options.id` set and that id still in the
    /// queue, nothing is added and the id is returned.
    /// - Throws: `JobsError.invalidID`, `.invalidOptions`, encoding errors, client errors.
    @discardableResult
    public func enqueue<J: Job>(_ job: J, options: EnqueueOptions = EnqueueOptions()) async throws -> String {
        try await enqueue([job], options: options)[0]
    }

    /// Enqueues `jobs` in order, with the same options (an `options.id` is refused for more
    /// than one job), pipelined in batches; returns their ids in order.
    ///
    /// On a queue with a capacity (`setLimits(capacity:)`), jobs that do not fit wait for
    /// room (without polling) up to `options.fullQueueTimeout`; those a full queue made wait
    /// may then be added after later ones of the same call.
    /// - Throws: `JobsError.queueFull` when the wait for room ran out (the jobs added before
    ///   stay), `.invalidID`, `.invalidOptions`, encoding errors, client errors.
    public func enqueue<J: Job>(_ jobs: [J], options: EnqueueOptions = EnqueueOptions()) async throws -> [String] {
        guard !jobs.isEmpty else { return [] }
        if options.id != nil && jobs.count > 1 { throw JobsError.invalidOptions("one id for several jobs") }
        if spansPartitions { return try await enqueueAcrossPartitions(jobs, options: options) }
        try await checkPartitions()
        let encoder = JSONEncoder()
        let shared = try Self.arguments(for: options)
        let payloads = try jobs.map { RedisArgument(bytes: try encoder.encode($0)) }
        var ids = [String?](repeating: nil, count: jobs.count)
        let refused = try await add(Array(jobs.indices), payloads, name: J.name, options: options, shared: shared, into: &ids)
        if !refused.isEmpty {
            if options.fullQueueTimeout == .zero { throw JobsError.queueFull(name: name) }
            // Wait for room: each job event (a job starting, finishing) is a chance to add more.
            let waiting = NIOLockedValueBox((left: refused, ids: ids))
            do {
                try await NoticeWaiter.wait(on: client, channel: keys.events, timeout: options.fullQueueTimeout) { _ in
                    var (left, found) = waiting.withLockedValue { $0 }
                    left = try await add(left, payloads, name: J.name, options: options, shared: shared, into: &found)
                    waiting.withLockedValue { $0 = (left, found) }
                    return left.isEmpty ? .done(()) : .notYet(recheckAfter: nil)
                }
            } catch let error as CoordinationError where error == .timedOut {
                throw JobsError.queueFull(name: name)
            }
            ids = waiting.withLockedValue { $0.ids }
        }
        return ids.map { $0 ?? "" }
    }

    /// Sends the jobs at `indices` in script calls of `enqueueBatch`, pipelined; fills `ids`
    /// for the jobs added and returns the indices of those a full queue refused.
    private func add(_ indices: [Int], _ payloads: [RedisArgument], name jobName: String, options: EnqueueOptions,
                     shared: [RedisArgument], into ids: inout [String?]) async throws -> [Int] {
        var calls: [RedisScriptCall] = []
        var batches: [ArraySlice<Int>] = []
        var start = 0
        while start < indices.count {
            let batch = indices[start..<min(start + Self.enqueueBatch, indices.count)]
            var arguments = [RedisArgument(keys.jobPrefix), RedisArgument(keys.events), RedisArgument(batch.count),
                             RedisArgument(Int(priorityAging?.milliseconds ?? 0))]
            arguments.reserveCapacity(4 + batch.count * 12)
            for index in batch {
                arguments += [RedisArgument(options.id ?? ""), RedisArgument(jobName), payloads[index]]
                arguments += shared
            }
            calls.append(RedisScriptCall(keys: keys.all, arguments: arguments))
            batches.append(batch)
            start += batch.count
        }
        var refused: [Int] = []
        for (batch, result) in zip(batches, try await client.evaluate(JobScripts.enqueue, batch: calls)) {
            guard let items = try result.get().jobArray else { throw JobsError.unexpectedReply("enqueue") }
            for (index, item) in zip(batch, items) {
                guard let id = item.jobArray?.first?.jobString else { throw JobsError.unexpectedReply("enqueue: \(item)") }
                ids[index] = id
            }
            refused += batch.dropFirst(items.count)
        }
        return refused
    }

    /// The per-job arguments after id, name and data: priority, delay, attempts, timeout,
    /// backoff, deduplication (mode, key, window), group.
    static func arguments(for options: EnqueueOptions) throws -> [RedisArgument] {
        if let id = options.id {
            if id.isEmpty || id.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
                throw JobsError.invalidID(id, why: "ids the queue numbers are all digits; choose one with another character")
            }
            if id.utf8.contains(UInt8(ascii: ":")) { throw JobsError.invalidID(id, why: "':' is reserved") }
        }
        guard (0...1_000_000).contains(options.priority) else { throw JobsError.invalidOptions("priority must be 0...1000000") }
        guard options.maxAttempts >= 1 else { throw JobsError.invalidOptions("maxAttempts must be at least 1") }
        let delay = max(options.delay?.milliseconds ?? 0, 0)
        let timeout = max(options.timeout?.milliseconds ?? 0, 0)
        let (mode, key, window) = options.deduplication?.arguments ?? ("", "", 0)
        if options.deduplication != nil && key.isEmpty { throw JobsError.invalidOptions("empty deduplication key") }
        if options.group == "" { throw JobsError.invalidOptions("empty group") }
        return [RedisArgument(options.priority), RedisArgument(Int(delay)), RedisArgument(options.maxAttempts),
                RedisArgument(Int(timeout)), RedisArgument(options.backoff.encoded), RedisArgument(mode), RedisArgument(key),
                RedisArgument(Int(window)), RedisArgument(options.group ?? "")]
    }

    // MARK: - Look

    /// The job with `id`, or nil if the queue no longer has it.
    public func info(_ id: String) async throws -> JobInfo? {
        if spansPartitions { return try await partition(holding: id).info(id) }
        let fields = try await client.execute(RedisCommand("HGETALL", [RedisArgument(keys.job(id).bytes)]), timeout: nil).jobFields
        return Self.info(id: id, fields: fields)
    }

    /// Job `id` as its hash's `fields` describe it, or nil when they are not a job's.
    static func info(id: String, fields: [String: [UInt8]]) -> JobInfo? {
        guard let name = fields["name"], let state = fields["state"].flatMap({ JobState(rawValue: String(decoding: $0, as: UTF8.self)) })
        else { return nil }
        func int(_ field: String) -> Int64? { fields[field].flatMap { Int64(String(decoding: $0, as: UTF8.self)) } }
        var info = JobInfo(id: id, name: String(decoding: name, as: UTF8.self), payload: fields["data"] ?? [], state: state,
                       attempt: Int(int("attempt") ?? 0), maxAttempts: Int(int("maxAttempts") ?? 1),
                       priority: Int(int("priority") ?? 0), enqueuedAt: int("enqueuedAt") ?? 0,
                       startedAt: int("startedAt"), finishedAt: int("finishedAt"), result: fields["result"],
                       error: fields["error"].map { String(decoding: $0, as: UTF8.self) }, progress: fields["progress"])
        if fields["parentQueue"] != nil || fields["pendingChildren"] != nil { info.flow = Self.flow(from: fields) } // flows
        return info
    }

    /// How many jobs are in each state.
    public func counts() async throws -> [JobState: Int] {
        if spansPartitions { return try await countsAcrossPartitions() }
        let states = JobState.allCases
        let replies = try await client.pipeline(states.map { RedisCommand("ZCARD", [RedisArgument(keys.set(for: $0).bytes)]) },
                                                timeout: nil)
        var counts: [JobState: Int] = [:]
        for (state, reply) in zip(states, replies) { counts[state] = Int(try reply.get().jobInt ?? 0) }
        counts[.waiting, default: 0] += try await heldCount() // groups: held jobs wait too
        return counts
    }

    /// The ids of up to `limit` jobs in `state`: waiting in the order they will run, delayed
    /// by when due, active by lease deadline, finished oldest first.
    public func ids(in state: JobState, limit: Int = 100) async throws -> [String] {
        try await ids(in: state, offset: 0, limit: limit)
    }

    /// The log lines a job's handlers wrote, oldest first.
    public func logs(of id: String) async throws -> [String] {
        if spansPartitions { return try await partition(holding: id).logs(of: id) }
        let key = RedisArgument(keys.jobPrefix + id + ":logs")
        return (try await client.execute(RedisCommand("LRANGE", [key, "0", "-1"]), timeout: nil).jobArray ?? []).compactMap(\.jobString)
    }

    // MARK: - Results

    /// Waits (without polling) until job `id` finished, and returns its info.
    /// - Throws: `JobsError.notFound` if the queue does not have the job, `CoordinationError.timedOut`
    ///   after `timeout` (nil: none), client errors.
    public func finished(_ id: String, timeout: Duration? = nil) async throws -> JobInfo {
        if spansPartitions { return try await partition(holding: id).finished(id, timeout: timeout) }
        return try await NoticeWaiter.wait(on: client, channel: keys.events, timeout: timeout) { _ in
            guard let info = try await info(id) else { throw JobsError.notFound(id: id) }
            return info.state == .completed || info.state == .failed ? .done(info) : .notYet(recheckAfter: nil)
        }
    }

    /// Waits until job `id` finished and returns its result, decoded as `J.Output`.
    /// - Throws: `JobsError.jobFailed` when it failed for good, `.notFound`, `CoordinationError.timedOut`,
    ///   decoding errors, client errors.
    public func result<J: Job>(of id: String, as type: J.Type, timeout: Duration? = nil) async throws -> J.Output {
        let info = try await finished(id, timeout: timeout)
        guard info.state == .completed else { throw JobsError.jobFailed(id: id, message: info.error ?? "failed") }
        return try JSONDecoder().decode(J.Output.self, from: Data(info.result ?? []))
    }

    // MARK: - Manage

    /// The error a cancelled job fails with.
    public static let cancelledMessage = "cancelled"

    /// Cancels job `id` and returns it as it ended. A waiting or delayed job fails at once; a
    /// running one's worker is told (at once through the queue's events, and by its next
    /// heartbeat if it missed that), cancels the handler's task and fails the attempt for good;
    /// this waits for that acknowledgement up to `timeout` (nil: for ever). A job that finished
    /// first is returned as it finished. Cancelled jobs fail with `cancelledMessage` and go to
    /// the failed set.
    /// - Throws: `JobsError.notFound`, `CoordinationError.timedOut`, client errors.
    @discardableResult
    public func cancel(_ id: String, timeout: Duration? = nil) async throws -> JobInfo {
        if spansPartitions { return try await partition(holding: id).cancel(id, timeout: timeout) }
        let reply = try await client.evaluate(JobScripts.cancel, keys: keys.all, arguments: [
            RedisArgument(keys.jobPrefix), RedisArgument(keys.events), RedisArgument(id), RedisArgument(Self.cancelledMessage),
        ])
        guard let state = reply.jobString else { throw JobsError.unexpectedReply("cancel: \(reply)") }
        if state.isEmpty { throw JobsError.notFound(id: id) }
        return try await finished(id, timeout: timeout)
    }

    /// Limits how the queue's workers, all together, take jobs: at most `concurrency` attempts
    /// running at once, and at most `rate.count` attempts started per `rate.per` (fixed
    /// windows). nil removes a limit. Workers obey from their next take. Every call sets all
    /// three limits.
    ///
    /// With `capacity`, the queue is bounded: at most that many jobs wait (waiting and delayed
    /// together), and enqueueing more makes producers wait for room (backpressure).
    public func setLimits(concurrency: Int? = nil, rate: (count: Int, per: Duration)? = nil, capacity: Int? = nil) async throws {
        if let concurrency, concurrency < 1 { throw JobsError.invalidOptions("concurrency must be at least 1") }
        if let capacity, capacity < 1 { throw JobsError.invalidOptions("capacity must be at least 1") }
        if let rate, rate.count < 1 || rate.per.milliseconds < 1 { throw JobsError.invalidOptions("rate must allow at least 1 per ms") }
        if spansPartitions { return try await setLimitsAcrossPartitions(concurrency: concurrency, rate: rate, capacity: capacity) }
        _ = try await run(JobScripts.limits, [
            RedisArgument(concurrency.map(String.init) ?? ""), RedisArgument(rate.map { String($0.count) } ?? ""),
            RedisArgument(rate.map { String($0.per.milliseconds) } ?? ""), RedisArgument(capacity.map(String.init) ?? ""),
        ])
    }

    /// Stops workers from taking jobs (running ones finish); enqueueing goes on.
    public func pause() async throws {
        if spansPartitions { return _ = try await eachPartition { try await $0.pause() } }
        _ = try await run(JobScripts.pause, ["1"])
    }

    /// Lets workers take jobs again, and wakes idle ones.
    public func resume() async throws {
        if spansPartitions { return _ = try await eachPartition { try await $0.resume() } }
        _ = try await run(JobScripts.pause, ["0"])
    }

    /// Sends failed jobs back to waiting with fresh attempts: those in `ids`, or every failed
    /// job; their attempt histories (`attempts(of:)`) stay. Returns how many now wait.
    @discardableResult
    public func retryFailed(_ ids: [String]? = nil) async throws -> Int {
        if spansPartitions { return try await sumAcrossPartitions(ids) { try await $0.retryFailed($1) } }
        return try await forEachBatch(ids, from: .failed) { try await run(JobScripts.retryFailed, $0.map { RedisArgument($0) }) }
    }

    /// Removes jobs that are not running (waiting, delayed, completed or failed): those in
    /// `ids`, or every job in `state`. Returns how many were removed.
    @discardableResult
    public func remove(_ ids: [String]? = nil, in state: JobState = .failed) async throws -> Int {
        if spansPartitions { return try await sumAcrossPartitions(ids) { try await $0.remove($1, in: state) } }
        return try await forEachBatch(ids, from: state) { try await run(JobScripts.remove, $0.map { RedisArgument($0) }) }
    }

    /// Runs `body` on `ids` in batches, or on every id in `state` when `ids` is nil; sums.
    func forEachBatch(_ ids: [String]?, from state: JobState, _ body: ([String]) async throws -> Int64) async throws -> Int {
        if let ids {
            var total = 0
            for start in stride(from: 0, to: ids.count, by: 500) {
                total += Int(try await body(Array(ids[start..<min(start + 500, ids.count)])))
            }
            return total
        }
        var total = 0
        while true {
            let batch = try await self.ids(in: state, limit: 500)
            if batch.isEmpty { return total }
            let done = Int(try await body(batch))
            total += done
            if done == 0 { return total }
        }
    }

    /// Runs one of the queue's scripts with the common keys and arguments before `arguments`.
    func run(_ script: RedisScript, _ arguments: [RedisArgument]) async throws -> Int64 {
        let reply = try await client.evaluate(script, keys: keys.all,
                                              arguments: [RedisArgument(keys.jobPrefix), RedisArgument(keys.events)] + arguments)
        guard let value = reply.jobInt else { throw JobsError.unexpectedReply("\(reply)") }
        return value
    }

    // MARK: - Events

    /// Runs `body` with the queue's job events as they happen (enqueued as `.waiting` or
    /// `.delayed`, `.active`, `.progress`, `.completed`, `.failed`, `.retrying`, `.stalled`,
    /// `.removed`), until `body` returns. Events are notices, not a log: a subscriber that was
    /// disconnected gets a `.gap` and should look at the jobs it cares about.
    public func events<Result: Sendable>(_ body: (JobEvents) async throws -> Result) async throws -> Result {
        if spansPartitions { return try await eventsAcrossPartitions(body) }
        return try await client.subscribe(channels: [], patterns: [], shardChannels: [keys.events]) { subscription in
            try await body(JobEvents(subscription: subscription))
        }
    }
}
