import RoostClient
import RoostCoordination

/// Adds flows: a parent job with children that must finish before it runs, in any queues.
///
/// Adding crosses queues (cluster slots), so it is a chain of one-queue steps that a crash can
/// cut anywhere without losing the flow:
///
/// 1. The root is added; when it has children, in `waiting-children` with a `dep:` field per
///    child, and with a pending-add entry (`a:<id>`, its whole subtree) in its queue's flow
///    work, due after `recoveryDelay`.
/// 2. Its children are added, one script per queue; children that are parents get their own
///    entry, and their children are added likewise, depth first.
/// 3. The root's entry is cleared.
///
/// If the producer dies before step 3, a relay (each `Worker` runs one) takes the entry over
/// once it is due and redoes steps 2 and 3. Adding a child whose id its queue holds adds
/// nothing, so redoing is harmless — except that a child that already completed *and* was
/// trimmed by retention is added again and runs again (at least once, never lost).
///
/// Removing a child that has not finished leaves its parent waiting; cancel it instead (a
/// cancelled child failed, and its `ChildFailurePolicy` applies).
///
/// Partitioned queues (`JobQueue(_:on:partitions:)`) take flow jobs too: each job, parent or
/// child, goes to the partition its id routes to, its children's finishes are relayed to that
/// partition, and relays of every partition (each `Worker` runs one per partition) carry the
/// flow on. The producer reads each queue's partition count from the queue (a queue that
/// records none counts as unpartitioned); give it in `partitions` for queues that may not have
/// been used yet.
public struct FlowProducer: Sendable {
    let client: any CoordinationClient
    /// Priority aging for the flow's jobs, as the queues' `JobQueue.priorityAging`.
    public var priorityAging: Duration?
    /// How long after an interrupted add a relay redoes it.
    public var recoveryDelay: Duration
    /// Partition counts of queues, by name, checked against (or recorded in) each queue as
    /// `JobQueue` checks its count; other queues' counts are read from the queue.
    public var partitions: [String: Int]

    /// A producer of flows on `client`'s server or cluster.
    public init(on client: any CoordinationClient, priorityAging: Duration? = nil, recoveryDelay: Duration = .seconds(30),
                partitions: [String: Int] = [:]) {
        self.client = client
        self.priorityAging = priorityAging
        self.recoveryDelay = max(recoveryDelay, .milliseconds(1))
        self.partitions = partitions
    }

    /// Adds `flow` and returns where each of its jobs is. When the root's id (`options.id`) is
    /// already in its queue, nothing is added (and the children returned are not that flow's,
    /// unless they too have ids of their own).
    /// - Throws: `JobsError.invalidID`, `.invalidOptions`, encoding errors, client errors. A
    ///   client error after the root was added leaves the rest to the relays.
    @discardableResult
    public func add(_ flow: FlowJob) async throws -> AddedFlow {
        let spec = try await resolvePartitions(of: try FlowSpec(flow))
        let added = try await addNodes([spec], parent: nil)
        if added[0] && !spec.children.isEmpty { try await addChildren(of: spec, stored: try spec.encoded()) }
        return spec.added
    }

    /// Adds the children (and descendants) of `spec`, then clears its pending-add entry if it
    /// still holds `stored`. Steps 2 and 3 above; idempotent.
    func addChildren(of spec: FlowSpec, stored: String) async throws {
        // One script call per partition of a queue (of each queue, for an unpartitioned one).
        struct Place: Hashable { var queue: String, partition: Int }
        var places: [Place] = []
        var byPlace: [Place: [FlowSpec]] = [:]
        for child in spec.children {
            let place = Place(queue: child.queue, partition: child.partition)
            if byPlace[place] == nil { places.append(place) }
            byPlace[place, default: []].append(child)
        }
        for place in places {
            let nodes = byPlace[place] ?? []
            for start in stride(from: 0, to: nodes.count, by: JobQueue.enqueueBatch) {
                _ = try await addNodes(Array(nodes[start..<min(start + JobQueue.enqueueBatch, nodes.count)]), parent: spec)
            }
        }
        for child in spec.children where !child.children.isEmpty {
            try await addChildren(of: child, stored: try child.encoded())
        }
        _ = try await Self.view(of: spec, on: client).run(JobScripts.flowWorkDone, [RedisArgument("a:" + spec.id), RedisArgument(stored)])
    }

    /// The partition of `spec`'s queue that holds it (the queue itself when unpartitioned).
    static func view(of spec: FlowSpec, on client: any CoordinationClient) -> JobQueue {
        let partitions = spec.partitions ?? 1
        let queue = JobQueue(spec.queue, on: client, partitions: partitions)
        return partitions > 1 ? queue.partition(holding: spec.id) : queue
    }

    /// `spec` with the partition count of each of its queues: the count given in `partitions`
    /// (checked against the queue's, or recorded), else the one the queue records.
    /// - Throws: `JobsError.partitionMismatch`, `.invalidOptions`, client errors.
    func resolvePartitions(of spec: FlowSpec) async throws -> FlowSpec {
        var counts: [String: Int] = [:]
        for queue in spec.queues.sorted() {
            if let given = partitions[queue] {
                if given < 1 { throw JobsError.invalidOptions("queue \(queue): the partition count must be at least 1") }
                try await JobQueue(queue, on: client, partitions: given).checkPartitions()
                counts[queue] = given
            } else {
                counts[queue] = try await JobQueue.open(queue, on: client).partitionCount
            }
        }
        return spec.withPartitions(counts)
    }

    /// Adds `nodes`, all of one queue's partition, as children of `parent` (nil: roots); returns per node
    /// whether it was added.
    func addNodes(_ nodes: [FlowSpec], parent: FlowSpec?) async throws -> [Bool] {
        guard let first = nodes.first else { return [] }
        let queue = Self.view(of: first, on: client)
        var arguments = [RedisArgument(nodes.count), RedisArgument(Int(priorityAging?.milliseconds ?? 0)),
                         RedisArgument(Int(recoveryDelay.milliseconds))]
        for node in nodes {
            arguments += [RedisArgument(node.id), RedisArgument(node.name), RedisArgument(node.payload), RedisArgument(node.priority),
                          RedisArgument(Int(node.delay)), RedisArgument(node.maxAttempts), RedisArgument(Int(node.timeout)),
                          RedisArgument(node.backoff), RedisArgument(parent?.queue ?? ""), RedisArgument(parent?.id ?? ""),
                          RedisArgument(node.onFailure.rawValue), RedisArgument(node.children.isEmpty ? "" : try node.encoded()),
                          RedisArgument(node.children.count), RedisArgument(parent?.partitions ?? 1)]
            for child in node.children { arguments += [RedisArgument(child.ref.description), RedisArgument(child.name)] }
        }
        let reply = try await client.evaluate(JobScripts.flowAdd, keys: queue.keys.all,
                                              arguments: [RedisArgument(queue.keys.jobPrefix), RedisArgument(queue.keys.events)] + arguments)
        guard let flags = reply.jobArray, flags.count == nodes.count else { throw JobsError.unexpectedReply("flow add: \(reply)") }
        return flags.map { $0.jobInt == 1 }
    }
}
