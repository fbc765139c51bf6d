import Foundation

/// A job anywhere: its queue's name and its id there.
public struct JobRef: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The queue's name.
    public var queue: String
    /// The job's id in the queue.
    public var id: String

    /// Job `id` of the queue named `queue`.
    public init(queue: String, id: String) {
        self.queue = queue
        self.id = id
    }

    /// Reads `<queue>:<id>` (ids never contain `:`, queue names may).
    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        self.init(queue: String(text[..<colon]), id: String(text[text.index(after: colon)...]))
    }

    /// `<queue>:<id>`, the form flows store.
    public var description: String { "\(queue):\(id)" }
}

/// What a child's failure (for good: no attempts left, or cancelled) does to its parent.
public enum ChildFailurePolicy: String, Sendable, Hashable, Codable {
    /// The parent fails at once (error `child <queue>:<id> failed: …`), which in turn acts on
    /// its own parent. The default: a parent runs only on its children's complete results.
    case failParent = "fail"
    /// The child counts as finished: the parent runs when the others are done, and reads the
    /// failure through `JobContext.childrenFailures()`.
    case ignore
    /// The parent keeps waiting for the child: retrying the failed child (`retryFailed`) can
    /// still complete it, and cancelling or removing the parent gives up.
    case keepParentWaiting = "wait"
}

/// One job of a flow and the children that must complete before it runs (BullMQ's flows):
///
///     let flow = FlowJob(Render(movie: 7), in: "render", children: [
///         FlowJob(Encode(part: 1), in: "encode"),
///         FlowJob(Encode(part: 2), in: "encode", onFailure: .ignore),
///         FlowJob(Fetch(url: u), in: "net", children: [FlowJob(Resolve(host: h), in: "dns")]),
///     ])
///     let added = try await FlowProducer(on: client).add(flow)
///
/// Children may be in any queue, including queues in other cluster slots and partitioned
/// queues (each job goes to the partition its id routes to), and may have children of their
/// own. A parent's handler reads its children's results with
/// `JobContext.childrenResults(of:)`.
public struct FlowJob: Sendable {
    /// The name of the queue the job goes to.
    public var queue: String
    /// How the job is enqueued. `id` (nil: the producer picks a unique one), `priority`,
    /// `maxAttempts`, `backoff` and `timeout` apply; `delay` only to a job without children;
    /// deduplication and groups are refused. Give a child an id only if its queue holds no job
    /// with it: such a child is not added, and its parent would wait for it for ever.
    public var options: EnqueueOptions
    /// What this job's failure does to its parent (unused for the root).
    public var onFailure: ChildFailurePolicy
    /// The jobs that must finish before this one runs.
    public var children: [FlowJob]
    let name: String
    let encode: @Sendable () throws -> Data

    /// A job of type `J` for `queue`, run after `children`.
    public init<J: Job>(_ job: J, in queue: String, options: EnqueueOptions = EnqueueOptions(),
                        onFailure: ChildFailurePolicy = .failParent, children: [FlowJob] = []) {
        self.queue = queue
        self.options = options
        self.onFailure = onFailure
        self.children = children
        self.name = J.name
        self.encode = { try JSONEncoder().encode(job) }
    }
}

/// A flow as added: each job's place, in the shape of the `FlowJob` tree.
public struct AddedFlow: Sendable, Hashable {
    /// Where the job is.
    public var job: JobRef
    /// Its children, in the order they were given.
    public var children: [AddedFlow]
}

/// A flow node as stored for the relays that finish adding a flow (`a:<id>` flow work): all
/// that adding it and its descendants needs.
struct FlowSpec: Codable, Sendable, Hashable {
    var queue: String
    var id: String
    var name: String
    var payload: String
    var priority: Int
    var delay: Int64
    var maxAttempts: Int
    var timeout: Int64
    var backoff: String
    var onFailure: ChildFailurePolicy
    var children: [FlowSpec]
    /// How many partitions its queue has (nil: 1), filled in by `FlowProducer.add`: the job
    /// lives in the partition its id routes to.
    var partitions: Int?

    /// The spec of `job` and its descendants, with ids picked for those without one.
    /// - Throws: `JobsError.invalidID`, `.invalidOptions`, encoding errors.
    init(_ job: FlowJob) throws {
        let options = job.options
        _ = try JobQueue.arguments(for: options)
        if options.deduplication != nil || options.group != nil {
            throw JobsError.invalidOptions("flow jobs take no deduplication or group")
        }
        if !job.children.isEmpty && (options.delay ?? .zero) > .zero {
            throw JobsError.invalidOptions("a job with children runs when they are done: it takes no delay")
        }
        if job.queue.isEmpty { throw JobsError.invalidOptions("empty queue name") }
        queue = job.queue
        id = options.id ?? "flow-" + UUID().uuidString.lowercased()
        name = job.name
        payload = String(decoding: try job.encode(), as: UTF8.self)
        priority = options.priority
        delay = max(options.delay?.milliseconds ?? 0, 0)
        maxAttempts = options.maxAttempts
        timeout = max(options.timeout?.milliseconds ?? 0, 0)
        backoff = options.backoff.encoded
        onFailure = job.onFailure
        children = try job.children.map(FlowSpec.init)
        if Set(children.map { JobRef(queue: $0.queue, id: $0.id) }).count != children.count {
            throw JobsError.invalidOptions("two children of job \(id) have the same queue and id")
        }
    }

    var ref: JobRef { JobRef(queue: queue, id: id) }

    /// Every queue of the tree, each once.
    var queues: Set<String> { children.reduce(into: [queue]) { $0.formUnion($1.queues) } }

    /// The tree with each node's partition count from `counts` (1 for a queue not in it).
    func withPartitions(_ counts: [String: Int]) -> FlowSpec {
        var spec = self
        spec.partitions = counts[queue] ?? 1
        spec.children = children.map { $0.withPartitions(counts) }
        return spec
    }

    /// The partition index the job routes to.
    var partition: Int { JobQueue.partitionIndex(of: id, count: partitions ?? 1) }

    /// The stored form (flow work `a:<id>`).
    func encoded() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    var added: AddedFlow { AddedFlow(job: ref, children: children.map(\.added)) }
}
