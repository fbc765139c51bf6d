import RoostClient
import RoostCoordination
import RoostJobs
import RoostRESP

extension Compute {
    /// Waits (without polling) for all of `handles` (tasks of this namespace) and returns their
    /// outputs in order.
    /// One subscription serves the whole wait, however many handles there are.
    /// - Throws: the first failure found (`ComputeError.taskFailed`, `.dependencyFailed`),
    ///   `.undecodableResult`, `CoordinationError.timedOut` past `timeout` (nil: none), client
    ///   errors.
    public func gather<Output>(_ handles: [TaskHandle<Output>], timeout: Duration? = nil) async throws -> [Output] {
        let tasks = handles.map { TaskName(id: $0.id, name: $0.name) }
        let outputs: [[UInt8]]
        if let timeout {
            outputs = try await withThrowingTaskGroup(of: [[UInt8]]?.self) { group in
                group.addTask { try await self.outputs(of: tasks) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let outputs = first else { throw CoordinationError.timedOut }
                return outputs
            }
        } else {
            outputs = try await self.outputs(of: tasks)
        }
        return try zip(handles, outputs).map { handle, bytes in
            do {
                return try TaskCoding.decode(Output.self, from: bytes)
            } catch {
                throw ComputeError.undecodableResult(name: handle.name, message: "\(error)")
            }
        }
    }

    /// A task's id with its name, for error messages.
    struct TaskName: Sendable {
        var id: String
        var name: String
    }

    /// Where a task is, as far as a waiter is concerned.
    enum TaskStatus: Sendable {
        case done([UInt8])
        case failed(ComputeError)
        case pending
    }

    /// Waits for the outputs of `tasks`: checks them all once subscribed to the queue's events,
    /// then re-checks a task when its job completes, and every pending one after a job fails
    /// (it may be a dependency) or a gap in the events.
    private func outputs(of tasks: [TaskName]) async throws -> [[UInt8]] {
        let names = Dictionary(tasks.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        var found: [String: [UInt8]] = [:]
        var pending = Set(names.keys)
        func settle(_ ids: [String]) async throws {
            for (id, status) in try await statuses(of: ids, names: names) {
                switch status {
                case .done(let output):
                    found[id] = output
                    pending.remove(id)
                case .failed(let error):
                    throw error
                case .pending:
                    break
                }
            }
        }
        try await settle(Array(pending))
        while !pending.isEmpty {
            try Task.checkCancellation()
            try await queue.events { events in
                try await settle(Array(pending))
                if pending.isEmpty { return }
                for try await event in events {
                    switch event {
                    case .gap, .job(.failed, _): try await settle(Array(pending))
                    case .job(.completed, let id) where pending.contains(id): try await settle([id])
                    default: break
                    }
                    if pending.isEmpty { return }
                }
            }
        }
        return tasks.map { found[$0.id] ?? [] }
    }

    /// The status of tasks `ids`, in one script call (and one more per level of dependencies
    /// of tasks not enqueued yet).
    func statuses(of ids: [String], names: [String: String]) async throws -> [String: TaskStatus] {
        guard !ids.isEmpty else { return [:] }
        let reply = try await run(ComputeScripts.status, [RedisArgument(keys.jobPrefix)] + ids.map { RedisArgument($0) })
        guard case .array(.some(let rows)) = reply, rows.count == ids.count else {
            throw ComputeError.unexpectedReply("status: \(reply)")
        }
        var statuses: [String: TaskStatus] = [:]
        var waitingOnInputs: [String: TaskRecord] = [:]
        for (id, row) in zip(ids, rows) {
            guard case .array(.some(let fields)) = row, fields.count == 5 else { throw ComputeError.unexpectedReply("status: \(row)") }
            let record = try fields[4].computeBytes.map { try TaskCoding.decode(TaskRecord.self, from: $0) }
            let name = names[id] ?? record?.name ?? id
            if let output = fields[0].computeBytes {
                statuses[id] = .done(output)
            } else if let state = fields[1].computeString {
                switch state {
                case "failed":
                    statuses[id] = .failed(.taskFailed(name: name, message: fields[2].computeString ?? "failed",
                                                       attempts: Int(fields[3].computeString ?? "") ?? 0))
                case "completed":
                    statuses[id] = .failed(.taskFailed(name: name, message: "its output is no longer kept",
                                                       attempts: Int(fields[3].computeString ?? "") ?? 0))
                default:
                    statuses[id] = .pending
                }
            } else if let record {
                statuses[id] = .pending
                waitingOnInputs[id] = record
            } else {
                statuses[id] = .pending
            }
        }
        // A task not enqueued yet waits for its inputs: if one of them failed, it never runs.
        let inputs = Array(Set(waitingOnInputs.values.flatMap(\.dependencies)))
        if !inputs.isEmpty {
            let inputStatuses = try await self.statuses(of: inputs, names: [:])
            for (id, record) in waitingOnInputs {
                for input in record.dependencies {
                    if case .failed(let error) = inputStatuses[input] {
                        statuses[id] = .failed(.dependencyFailed(name: names[id] ?? record.name, dependency: input,
                                                                 message: error.message ?? error.description))
                        break
                    }
                }
            }
        }
        return statuses
    }
}

extension RESPValue {
    /// The bytes of a string reply; nil for a nil reply or another type.
    var computeBytes: [UInt8]? {
        switch self {
        case .bulkString(.some(let bytes)), .simpleString(let bytes): bytes
        default: nil
        }
    }

    /// A string reply as text.
    var computeString: String? { computeBytes.map { String(decoding: $0, as: UTF8.self) } }
}
