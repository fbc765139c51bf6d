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
public struct FlowProducer: Sendable {
    let client: any CoordinationClient
    /// Priority aging for the flow's jobs, as the queues' `JobQueue.priorityAging`.
    public var priorityAging: Duration?
    /// How long after an interrupted add a relay redoes it.
    public var recoveryDelay: Duration

    /// A producer of flows on `client`'s server or cluster.
    public init(on client: any CoordinationClient, priorityAging: Duration? = nil, recoveryDelay: Duration = .seconds(30)) {
        self.client = client
        self.priorityAging = priorityAging
        self.recoveryDelay = max(recoveryDelay, .milliseconds(1))
    }

    /// Adds `flow` and returns where each of its jobs is. When the root's id (`options.id`) is
    /// already in its queue, nothing is added (and the children returned are not that flow's,
    /// unless they too have ids of their own).
    /// - Throws: `JobsError.invalidID`, `.invalidOptions`, encoding errors, client errors. A
    ///   client error after the root was added leaves the rest to the relays.
    @discardableResult
    public func add(_ flow: FlowJob) async throws -> AddedFlow {
        let spec = try FlowSpec(flow)
        try await JobQueue.refusePartitionedQueues(of: spec, on: client)
        let added = try await addNodes([spec], parent: nil)
        if added[0] && !spec.children.isEmpty { try await addChildren(of: spec, stored: try spec.encoded()) }
        return spec.added
    }

    /// Adds the children (and descendants) of `spec`, then clears its pending-add entry if it
    /// still holds `stored`. Steps 2 and 3 above; idempotent.
    func addChildren(of spec: FlowSpec, stored: String) async throws {
        var queues: [String] = []
        var byQueue: [String: [FlowSpec]] = [:]
        for child in spec.children {
            if byQueue[child.queue] == nil { queues.append(child.queue) }
            byQueue[child.queue, default: []].append(child)
        }
        for queue in queues {
            let nodes = byQueue[queue] ?? []
            for start in stride(from: 0, to: nodes.count, by: JobQueue.enqueueBatch) {
                _ = try await addNodes(Array(nodes[start..<min(start + JobQueue.enqueueBatch, nodes.count)]), parent: spec)
            }
        }
        for child in spec.children where !child.children.isEmpty {
            try await addChildren(of: child, stored: try child.encoded())
        }
        _ = try await JobQueue(spec.queue, on: client).run(JobScripts.flowWorkDone, [RedisArgument("a:" + spec.id), RedisArgument(stored)])
    }

    /// Adds `nodes`, all of one queue, as children of `parent` (nil: roots); returns per node
    /// whether it was added.
    func addNodes(_ nodes: [FlowSpec], parent: FlowSpec?) async throws -> [Bool] {
        guard let queueName = nodes.first?.queue else { return [] }
        let queue = JobQueue(queueName, on: client)
        var arguments = [RedisArgument(nodes.count), RedisArgument(Int(priorityAging?.milliseconds ?? 0)),
                         RedisArgument(Int(recoveryDelay.milliseconds))]
        for node in nodes {
            arguments += [RedisArgument(node.id), RedisArgument(node.name), RedisArgument(node.payload), RedisArgument(node.priority),
                          RedisArgument(Int(node.delay)), RedisArgument(node.maxAttempts), RedisArgument(Int(node.timeout)),
                          RedisArgument(node.backoff), RedisArgument(parent?.queue ?? ""), RedisArgument(parent?.id ?? ""),
                          RedisArgument(node.onFailure.rawValue), RedisArgument(node.children.isEmpty ? "" : try node.encoded()),
                          RedisArgument(node.children.count)]
            for child in node.children { arguments += [RedisArgument(child.ref.description), RedisArgument(child.name)] }
        }
        let reply = try await client.evaluate(JobScripts.flowAdd, keys: queue.keys.all,
                                              arguments: [RedisArgument(queue.keys.jobPrefix), RedisArgument(queue.keys.events)] + arguments)
        guard let flags = reply.jobArray, flags.count == nodes.count else { throw JobsError.unexpectedReply("flow add: \(reply)") }
        return flags.map { $0.jobInt == 1 }
    }
}
