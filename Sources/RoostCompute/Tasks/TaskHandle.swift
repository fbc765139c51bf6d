/// A submitted task: await its `value` in any process that has the handle (or its `id`).
///
/// Handles are values: they can be stored, sent to other processes (`id`) and rebuilt there
/// with `Compute.handle(id:name:as:)`.
public struct TaskHandle<Output: Codable & Sendable>: Sendable, Hashable {
    /// The task's id in its namespace (its job's id in the namespace's queue).
    public let id: String
    /// The task's name.
    public let name: String
    let compute: Compute

    /// Waits (without polling) for the task's output.
    /// - Throws: `ComputeError.taskFailed` when it failed for good, `.dependencyFailed` when
    ///   one of its inputs did, `.undecodableResult`, client errors.
    public var value: Output {
        get async throws { try await value(timeout: nil) }
    }

    /// `value`, waiting at most `timeout` (nil: as long as it takes).
    /// - Throws: as `value`, and `CoordinationError.timedOut` past `timeout`.
    public func value(timeout: Duration?) async throws -> Output {
        try await compute.gather([self], timeout: timeout)[0]
    }

    /// Whether both handles name the same task of the same namespace.
    public static func == (lhs: TaskHandle, rhs: TaskHandle) -> Bool { lhs.id == rhs.id && lhs.compute.name == rhs.compute.name }
    /// Hashes the task id.
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
}
