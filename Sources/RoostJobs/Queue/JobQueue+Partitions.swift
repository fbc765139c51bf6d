import NIOConcurrencyHelpers
import RoostClient
import RoostCoordination
import RoostRESP

/// Where a queue value stands among its queue's partitions: the whole queue (every
/// partition's keys), or the view of one partition. Copies share the check of the stored
/// count and the round-robin position.
final class QueuePartitioning: Sendable {
    private struct State {
        var checked: Bool
        /// Starts anywhere, so that short-lived queue values enqueueing one job each spread too.
        var next = Int.random(in: 0..<(1 << 20))
    }

    /// Every partition's keys, partition 0 first (one set for an unpartitioned queue).
    let keys: [QueueKeys]
    /// nil for the whole queue; the partition's number for the view of one partition.
    let view: Int?
    private let state: NIOLockedValueBox<State>

    init(keys: [QueueKeys], view: Int? = nil) {
        self.keys = keys
        self.view = view
        // A view's queue checked the count before making it.
        state = NIOLockedValueBox(State(checked: view != nil))
    }

    /// Whether queue-wide operations must visit several partitions.
    var spansPartitions: Bool { view == nil && keys.count > 1 }

    var isChecked: Bool { state.withLockedValue { $0.checked } }

    func markChecked() { state.withLockedValue { $0.checked = true } }

    /// Takes `count` consecutive round-robin positions; returns the first.
    func advance(by count: Int) -> Int {
        state.withLockedValue { s in
            defer { s.next &+= count }
            return s.next
        }
    }
}

/// Partitions: one logical queue split into N full queues under hash tags of their own (see
/// `QueueKeys.partitions(of:count:)`), so that on a Redis Cluster its load spreads over the
/// masters.
///
/// - Enqueue routes a job by its `id` if it has one, else by its deduplication key (so that
///   deduplication stays one atomic step in one partition), else by `partitionKey`, else
///   round-robin. Bulk enqueues group jobs per partition and send each group pipelined, the
///   groups concurrently.
/// - Ids the queue gives name their partition (`p:<seq>`; plain numbers are partition 0's),
///   and custom ids hash to theirs, so a job is found in one step.
/// - Workers take from every partition in turn (see `Worker`).
/// - Queue-wide operations visit every partition; limits are split into per-partition shares
///   (see `setLimits`).
/// - Schedules live in partition 0, and their jobs run there.
/// - Flow jobs (`FlowProducer`) go to the partition their id routes to; each partition relays
///   its own flow work.
extension JobQueue {
    /// How many partitions the queue has.
    public var partitionCount: Int { partitioning.keys.count }

    /// Whether queue-wide operations must visit several partitions (a partitioned queue, not
    /// the view of one of its partitions).
    var spansPartitions: Bool { partitioning.spansPartitions }

    /// This value's partition number: the view's, or 0.
    var partitionIndex: Int { partitioning.view ?? 0 }

    /// The queue named `name` on `client`, with the partition count its meta records (1 for a
    /// queue that never was partitioned): what tools that did not create the queue use.
    /// - Throws: client errors.
    public static func open(_ name: String, on client: any CoordinationClient) async throws -> JobQueue {
        let meta = QueueKeys(queue: name).meta
        let stored = try await client.execute(RedisCommand("HGET", [meta, "partitions"]), timeout: nil).jobInt
        return JobQueue(name, on: client, partitions: Int(stored ?? 1))
    }

    /// The view of partition `index` alone: a queue whose keys are that partition's.
    func partition(_ index: Int) -> JobQueue {
        JobQueue(partitionOf: self, partitioning: QueuePartitioning(keys: partitioning.keys, view: index))
    }

    /// Every partition's view, partition 0 first.
    var partitions: [JobQueue] { (0..<partitionCount).map(partition) }

    /// The view of the partition that holds (or would hold) job `id`.
    func partition(holding id: String) -> JobQueue {
        partition(Self.partitionIndex(of: id, count: partitionCount))
    }

    /// The partition of job `id` among `count`: the prefix of a `p:<seq>` id, 0 for plain
    /// numbers and for schedules' ids (`name@tick`), else a hash of the id.
    static func partitionIndex(of id: String, count: Int) -> Int {
        guard count > 1 else { return 0 }
        if let colon = id.firstIndex(of: ":") {
            let index = Int(id[..<colon]) ?? 0
            return (0..<count).contains(index) ? index : 0
        }
        if id.contains("@") || id.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) { return 0 }
        return partitionIndex(hashing: id, count: count)
    }

    /// A stable hash of `key` (FNV-1a, 64 bits) modulo `count`: the same in every process.
    static func partitionIndex(hashing key: String, count: Int) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int(hash % UInt64(max(count, 1)))
    }

    // MARK: - Checking the stored count

    /// Checks once per queue value (and its copies) that the queue's meta records the same
    /// partition count as this value has, recording it when the queue has none yet, and gives
    /// partitions 1… their id prefixes.
    /// - Throws: `JobsError.partitionMismatch`, client errors.
    func checkPartitions() async throws {
        if partitioning.isChecked { return }
        let reply = try await client.evaluate(JobScripts.partitionCount, keys: [keys.meta],
                                              arguments: [RedisArgument(partitionCount)])
        let stored = Int(reply.jobInt ?? 1)
        guard stored == partitionCount else {
            throw JobsError.partitionMismatch(name: name, stored: stored, requested: partitionCount)
        }
        if partitionCount > 1 {
            let prefixes = (1..<partitionCount).map {
                RedisCommand("HSET", [RedisArgument(partitioning.keys[$0].meta.bytes), "idPrefix", RedisArgument("\($0):")])
            }
            for reply in try await client.pipeline(prefixes, timeout: nil) { _ = try reply.get() }
        }
        partitioning.markChecked()
    }

    // MARK: - Enqueue

    /// The partition each of `count` jobs enqueued with `options` goes to.
    func route(_ count: Int, options: EnqueueOptions) throws -> [Int] {
        let n = partitionCount
        if let id = options.id {
            let index = Self.partitionIndex(of: id, count: n)
            if options.deduplication != nil || options.partitionKey != nil || options.group != nil {
                throw JobsError.invalidOptions("on a partitioned queue, a job with an id is routed by its id: "
                                               + "no deduplication key, group or partition key with it")
            }
            return [index]
        }
        if options.deduplication != nil && options.group != nil {
            throw JobsError.invalidOptions("on a partitioned queue, a job is routed by its deduplication key or by its group: "
                                           + "not both")
        }
        if let key = options.group ?? options.deduplication?.key ?? options.partitionKey {
            return Array(repeating: Self.partitionIndex(hashing: key, count: n), count: count)
        }
        let start = partitioning.advance(by: count)
        return (0..<count).map { (start + $0) % n }
    }

    /// `enqueue` on a partitioned queue: each partition's jobs go in one pipelined call of
    /// that partition's view, all partitions at once.
    func enqueueAcrossPartitions<J: Job>(_ jobs: [J], options: EnqueueOptions) async throws -> [String] {
        try await checkPartitions()
        var groups: [Int: [Int]] = [:]
        for (index, partition) in try route(jobs.count, options: options).enumerated() { groups[partition, default: []].append(index) }
        var ids = [String](repeating: "", count: jobs.count)
        try await withThrowingTaskGroup(of: ([Int], [String]).self) { group in
            for (partition, indices) in groups {
                let view = self.partition(partition)
                let subset = indices.map { jobs[$0] }
                group.addTask { (indices, try await view.enqueue(subset, options: options)) }
            }
            for try await (indices, added) in group {
                for (index, id) in zip(indices, added) { ids[index] = id }
            }
        }
        return ids
    }

    // MARK: - Queue-wide operations

    /// Runs `body` on every partition's view at once; returns the results by partition.
    func eachPartition<T: Sendable>(_ body: @escaping @Sendable (JobQueue) async throws -> T) async throws -> [T] {
        try await checkPartitions()
        let views = partitions
        return try await withThrowingTaskGroup(of: (Int, T).self) { group in
            for (index, view) in views.enumerated() { group.addTask { (index, try await body(view)) } }
            var results = [T?](repeating: nil, count: views.count)
            for try await (index, result) in group { results[index] = result }
            return results.map { $0! }
        }
    }

    /// `counts()` summed over the partitions.
    func countsAcrossPartitions() async throws -> [JobState: Int] {
        var total: [JobState: Int] = [:]
        for counts in try await eachPartition({ try await $0.counts() }) {
            total.merge(counts, uniquingKeysWith: +)
        }
        return total
    }

    /// `ids(in:limit:)` over the partitions: each partition's first `limit`, merged by score
    /// (waiting: priority, then each partition's own order; the others by time).
    func idsAcrossPartitions(in state: JobState, limit: Int) async throws -> [String] {
        let lists = try await eachPartition { view -> [(String, Double)] in
            let reply = try await view.client.execute(RedisCommand("ZRANGE", [
                RedisArgument(view.keys.set(for: state).bytes), "0", RedisArgument(max(limit, 1) - 1), "WITHSCORES",
            ]), timeout: nil)
            let items = reply.jobArray ?? []
            // RESP3 pairs them as arrays, RESP2 flatly.
            if items.first?.jobArray != nil {
                return items.compactMap { item in
                    guard let pair = item.jobArray, pair.count == 2, let id = pair[0].jobString else { return nil }
                    return (id, pair[1].jobScore)
                }
            }
            return stride(from: 0, to: items.count - 1, by: 2).compactMap { i in
                items[i].jobString.map { ($0, items[i + 1].jobScore) }
            }
        }
        return lists.flatMap { $0 }.enumerated()
            .sorted { ($0.element.1, $0.offset) < ($1.element.1, $1.offset) }
            .prefix(max(limit, 1)).map(\.element.0)
    }

    /// Splits `ids` by partition and runs `body` on each group with its partition's view, or
    /// `body` with nil on every partition; sums.
    func sumAcrossPartitions(_ ids: [String]?, _ body: @escaping @Sendable (JobQueue, [String]?) async throws -> Int) async throws -> Int {
        guard let ids else { return try await eachPartition { try await body($0, nil) }.reduce(0, +) }
        try await checkPartitions()
        var groups: [Int: [String]] = [:]
        for id in ids { groups[Self.partitionIndex(of: id, count: partitionCount), default: []].append(id) }
        var total = 0
        for (index, group) in groups { total += try await body(partition(index), group) }
        return total
    }

    /// `setLimits` on a partitioned queue. Each partition gets a share of each limit (the
    /// shares sum to the limit, and differ by at most 1), enforced by its own take script, so
    /// the limits hold across the whole queue without a cross-slot step. A share a partition
    /// does not use is not lent to another: with uneven load the queue may run below its limit.
    func setLimitsAcrossPartitions(concurrency: Int?, rate: (count: Int, per: Duration)?, capacity: Int?) async throws {
        let n = partitionCount
        for (what, value) in [("concurrency", concurrency), ("rate count", rate?.count), ("capacity", capacity)] {
            if let value, value < n { throw JobsError.invalidOptions("\(what) must be at least the partition count (\(n))") }
        }
        @Sendable func share(_ total: Int?, _ index: Int) -> Int? { total.map { $0 / n + (index < $0 % n ? 1 : 0) } }
        _ = try await eachPartition { view in
            let index = view.partitionIndex
            try await view.setLimits(concurrency: share(concurrency, index),
                                     rate: rate.map { (share($0.count, index)!, $0.per) }, capacity: share(capacity, index))
        }
    }

    /// `settings()` over the partitions: paused if any is, limits summed.
    func settingsAcrossPartitions() async throws -> Settings {
        let all = try await eachPartition { try await $0.settings() }
        var settings = Settings(isPaused: all.contains(where: \.isPaused))
        if all.allSatisfy({ $0.concurrency != nil }) { settings.concurrency = all.compactMap(\.concurrency).reduce(0, +) }
        if let per = all.first?.rate?.per, all.allSatisfy({ $0.rate != nil }) {
            settings.rate = Settings.Rate(count: all.compactMap(\.rate?.count).reduce(0, +), per: per)
        }
        return settings
    }

    // MARK: - Events

    /// `events` on a partitioned queue: one subscription per partition (a cluster serves
    /// each partition's shard channel on its own master), merged in arrival order. `body`
    /// starts once every subscription is live.
    func eventsAcrossPartitions<Result: Sendable>(_ body: (JobEvents) async throws -> Result) async throws -> Result {
        let views = partitions
        let (stream, continuation) = AsyncThrowingStream<JobEvent, any Error>.makeStream()
        let (live, liveContinuation) = AsyncStream<Void>.makeStream()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for view in views {
                group.addTask {
                    do {
                        try await view.events { events in
                            liveContinuation.yield()
                            for try await event in events { continuation.yield(event) }
                        }
                        continuation.finish()
                    } catch {
                        continuation.finish(throwing: error)
                    }
                    // A subscription that failed before it was live must not hold `body` back.
                    liveContinuation.finish()
                }
            }
            defer { group.cancelAll() }
            var started = 0
            for await _ in live {
                started += 1
                if started == views.count { break }
            }
            return try await body(JobEvents(merged: stream))
        }
    }
}

extension JobScripts {
    /// Partition 0's meta `KEYS[1]`: returns the partition count it records; records
    /// `ARGV[1]` first when it records none and `ARGV[1]` is not 1 (a queue that never was
    /// partitioned records nothing and counts as 1).
    static let partitionCount = RedisScript("""
        local stored = redis.call('HGET', KEYS[1], 'partitions')
        if stored then return tonumber(stored) end
        if ARGV[1] ~= '1' then redis.call('HSET', KEYS[1], 'partitions', ARGV[1]) end
        return tonumber(ARGV[1])
        """)
}

extension Deduplication {
    /// The deduplication key.
    var key: String {
        switch self {
        case .untilFinished(let key), .throttle(let key, _), .debounce(let key, _): key
        }
    }
}

extension RESPValue {
    /// A sorted-set score reply (a double, or a string holding one); 0 for anything else.
    var jobScore: Double {
        if case .double(let value) = self { return value }
        return jobString.flatMap(Double.init) ?? 0
    }
}
