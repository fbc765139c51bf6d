import NIOConcurrencyHelpers
import RoostJobs

/// The task functions a worker process can run, by name and version. `ComputeWorker` runs the
/// tasks whose function its registry has.
///
///     let registry = TaskRegistry()
///     let square = registry.register("square") { (x: Int) async throws -> Int in x * x }
public final class TaskRegistry: Sendable {
    /// A type-erased function: encoded arguments in, encoded output out.
    typealias Function = @Sendable (_ arguments: [UInt8]) async throws -> [UInt8]

    private let functions = NIOLockedValueBox<[String: Function]>([:])

    /// An empty registry.
    public init() {}

    /// Registers `task`'s body (replacing an earlier function of the same name and version) and
    /// returns the task, for submitting.
    /// - Precondition: `task` has a body (it was not made by the declaration initializer).
    @discardableResult
    public func register<Arguments, Output>(_ task: ComputeTask<Arguments, Output>) -> ComputeTask<Arguments, Output> {
        guard let body = task.body else { preconditionFailure("task \(task.name) was declared without a body") }
        let name = task.name
        functions.withLockedValue {
            $0[Self.key(task.name, task.version)] = { encoded in
                let arguments: Arguments
                do {
                    arguments = try TaskCoding.decode(Arguments.self, from: encoded)
                } catch {
                    throw UnrecoverableJobError("the arguments of task \(name) do not decode as \(Arguments.self): \(error)")
                }
                return try TaskCoding.encode(try await body(arguments))
            }
        }
        return task
    }

    /// Registers `body` as task `name` (see `ComputeTask`) and returns the task, for submitting.
    @discardableResult
    public func register<Arguments, Output>(_ name: String, version: Int = 1, deterministic: Bool = false,
                                            options: TaskOptions = TaskOptions(),
                                            _ body: @escaping @Sendable (Arguments) async throws -> Output)
        -> ComputeTask<Arguments, Output> {
        register(ComputeTask(name, version: version, deterministic: deterministic, options: options, body))
    }

    /// Whether a function is registered for task `name` at `version`.
    public func contains(_ name: String, version: Int = 1) -> Bool {
        functions.withLockedValue { $0[Self.key(name, version)] != nil }
    }

    func function(_ name: String, version: Int) -> Function? {
        functions.withLockedValue { $0[Self.key(name, version)] }
    }

    private static func key(_ name: String, _ version: Int) -> String { "\(name)@\(version)" }
}
