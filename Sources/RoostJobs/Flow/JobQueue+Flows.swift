import Foundation
import RoostClient
import RoostCoordination

/// A job's place in a flow, as its queue holds it.
public struct JobFlow: Sendable, Hashable {
    /// Where a child is.
    public enum ChildState: String, Sendable, Hashable {
        /// Not finished yet (or failed under `.keepParentWaiting`: then `error` is set).
        case pending
        /// Completed; its result is in `result`.
        case completed
        /// Failed for good, and counted as finished (`.ignore`, or it failed the parent).
        case failed
    }

    /// One child of a parent.
    public struct Child: Sendable, Hashable {
        /// Where the child is.
        public var job: JobRef
        /// Its job type's name.
        public var name: String
        /// Whether it finished, as its parent counted it.
        public var state: ChildState
        /// Its result (JSON), once completed.
        public var result: [UInt8]?
        /// Its error, once failed.
        public var error: String?
    }

    /// The job's parent, if it is a child.
    public var parent: JobRef?
    /// What its failure does to the parent, if it is a child.
    public var onFailure: ChildFailurePolicy?
    /// Its children, if it is a parent, ordered by queue and id.
    public var children: [Child]
    /// How many children it still waits for.
    public var pendingChildren: Int
}

/// The JSON notice a child's finish leaves in its queue's flow work (`n:<id>`).
struct FlowNotice: Decodable {
    var parentQueue: String
    var parentId: String
    var policy: String
    var state: String
    var result: String
    var error: String
    var child: String
    /// How many partitions the parent's queue has (nil: 1, from before partitioned flows).
    var parentPartitions: Int?
}

extension JobQueue {
    /// Job `id`'s parent and children, or nil if the queue does not have the job.
    /// - Throws: client errors.
    public func flow(of id: String) async throws -> JobFlow? {
        if spansPartitions { return try await partition(holding: id).flow(of: id) }
        let fields = try await client.execute(RedisCommand("HGETALL", [RedisArgument(keys.job(id).bytes)]), timeout: nil).jobFields
        guard fields["state"] != nil else { return nil }
        return Self.flow(from: fields)
    }

    /// A flow as a job hash's fields describe it.
    static func flow(from fields: [String: [UInt8]]) -> JobFlow {
        func text(_ field: String) -> String? { fields[field].map { String(decoding: $0, as: UTF8.self) } }
        var parent: JobRef?
        if let queue = text("parentQueue"), let id = text("parentId") { parent = JobRef(queue: queue, id: id) }
        var children: [JobFlow.Child] = []
        for (field, value) in fields where field.hasPrefix("child:") {
            let ref = String(field.dropFirst("child:".count))
            guard let job = JobRef(ref) else { continue }
            let result = fields["res:" + ref]
            let error = text("err:" + ref)
            let state: JobFlow.ChildState = fields["dep:" + ref] != nil ? .pending : result != nil ? .completed : .failed
            children.append(JobFlow.Child(job: job, name: String(decoding: value, as: UTF8.self), state: state,
                                          result: result, error: error))
        }
        children.sort { ($0.job.queue, $0.job.id) < ($1.job.queue, $1.job.id) }
        return JobFlow(parent: parent, onFailure: text("onFailure").flatMap(ChildFailurePolicy.init(rawValue:)),
                       children: children, pendingChildren: Int(text("pendingChildren") ?? "") ?? 0)
    }

    /// Carries out this queue's due flow work until none is due: tells parents (in any queue)
    /// that children of this queue finished, and finishes adding flows whose producer stopped
    /// half-way. Workers do this on their own, at once; call it to repair a queue no worker
    /// runs on. Returns how many steps it carried out.
    /// - Throws: client errors (what was not done stays due).
    @discardableResult
    public func reconcileFlows() async throws -> Int {
        if spansPartitions { return try await eachPartition { try await $0.reconcileFlows() }.reduce(0, +) }
        var total = 0
        while true {
            let (done, _) = try await relayFlowWork(claimFor: .seconds(30))
            if done == 0 { return total }
            total += done
        }
    }

    /// Relays flow work as it falls due, until cancelled, claiming entries for `lease`: waits on
    /// the queue's flow channel (and for the next entry's due time), without polling.
    func relayFlows(claimFor lease: Duration) async throws {
        let _: Void = try await NoticeWaiter.wait(on: client, channel: keys.flowChannel, timeout: nil) { _ in
            let (done, wait) = try await relayFlowWork(claimFor: lease)
            if done > 0 { return .notYet(recheckAfter: .zero) }
            return .notYet(recheckAfter: wait >= 0 ? .milliseconds(wait) : nil)
        }
    }

    /// Claims up to 100 due entries for `claimFor` and carries them out; returns how many, and
    /// when none was due, the ms until one is (-1: none).
    func relayFlowWork(claimFor lease: Duration) async throws -> (Int, Int64) {
        let entries = try await claimFlowWork(for: lease)
        guard case .entries(let items) = entries else {
            if case .wait(let ms) = entries { return (0, ms) }
            return (0, -1)
        }
        for (entry, value) in items { try await carryOut(entry, value) }
        return (items.count, -1)
    }

    /// What a claim found.
    enum ClaimedFlowWork {
        case entries([(String, String)])
        case wait(Int64)
    }

    /// Claims due flow-work entries for `lease` (a relay that dies leaves them to another).
    func claimFlowWork(for lease: Duration) async throws -> ClaimedFlowWork {
        let reply = try await client.evaluate(JobScripts.flowClaim, keys: keys.all, arguments: [
            RedisArgument(keys.jobPrefix), RedisArgument(keys.events), RedisArgument(Int(max(lease.milliseconds, 1))), "100",
        ])
        guard let parts = reply.jobArray, parts.count == 2, let items = parts[0].jobArray, let wait = parts[1].jobInt
        else { throw JobsError.unexpectedReply("flow claim: \(reply)") }
        if items.isEmpty { return .wait(wait) }
        return .entries(items.compactMap { item in
            guard let pair = item.jobArray, pair.count == 2, let entry = pair[0].jobString, let value = pair[1].jobString
            else { return nil }
            return (entry, value)
        })
    }

    /// Carries out one flow-work entry, then clears it (if unchanged). Each step is idempotent.
    func carryOut(_ entry: String, _ value: String) async throws {
        if entry.hasPrefix("n:") {
            if let notice = try? JSONDecoder().decode(FlowNotice.self, from: Data(value.utf8)) {
                let partitions = notice.parentPartitions ?? 1
                let parentQueue = JobQueue(notice.parentQueue, on: client, partitions: partitions)
                let parent = partitions > 1 ? parentQueue.partition(holding: notice.parentId) : parentQueue
                let completed = notice.state == JobState.completed.rawValue
                _ = try await parent.run(JobScripts.flowChildDone, [
                    RedisArgument(notice.parentId), RedisArgument(JobRef(queue: name, id: notice.child).description),
                    RedisArgument(notice.state), RedisArgument(completed ? notice.result : notice.error),
                    RedisArgument(notice.policy),
                ])
            }
        } else if entry.hasPrefix("a:") {
            if let spec = try? JSONDecoder().decode(FlowSpec.self, from: Data(value.utf8)) {
                try await FlowProducer(on: client, priorityAging: priorityAging).addChildren(of: spec, stored: value)
                return
            }
        }
        // Done, or unreadable (dropped rather than retried for ever).
        _ = try await run(JobScripts.flowWorkDone, [RedisArgument(entry), RedisArgument(value)])
    }
}
