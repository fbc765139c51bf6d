/// An error of RoostCompute: a task that failed for good, a dependency that did, a task with no
/// implementation, or a reply the module's scripts never give. Connection and server errors
/// from RoostClient, and coordination errors (`CoordinationError.timedOut`), pass through.
public struct ComputeError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case taskFailed(name: String, message: String, attempts: Int)
        case dependencyFailed(name: String, dependency: String, message: String)
        case unknownTask(name: String, version: Int)
        case undecodableResult(name: String, message: String)
        case unexpectedReply(String)
    }

    private let code: Code

    private init(_ code: Code) { self.code = code }

    /// Task `name` failed for good after `attempts` attempts; `message` is its last attempt's
    /// error (what the function threw, a timeout, a lost worker).
    public static func taskFailed(name: String, message: String, attempts: Int) -> ComputeError {
        ComputeError(.taskFailed(name: name, message: message, attempts: attempts))
    }

    /// Task `name` never ran because task `dependency` (its id), whose result was one of its
    /// arguments, failed with `message`.
    public static func dependencyFailed(name: String, dependency: String, message: String) -> ComputeError {
        ComputeError(.dependencyFailed(name: name, dependency: dependency, message: message))
    }

    /// No worker function is registered for task `name` at `version`.
    public static func unknownTask(name: String, version: Int) -> ComputeError {
        ComputeError(.unknownTask(name: name, version: version))
    }

    /// The result of task `name` does not decode as the handle's type.
    public static func undecodableResult(name: String, message: String) -> ComputeError {
        ComputeError(.undecodableResult(name: name, message: message))
    }

    /// The server answered in a shape RoostCompute's scripts never return.
    public static func unexpectedReply(_ detail: String) -> ComputeError { ComputeError(.unexpectedReply(detail)) }

    /// The number of attempts when this is `taskFailed`, else nil.
    public var attempts: Int? {
        if case .taskFailed(_, _, let attempts) = code { return attempts }
        return nil
    }

    /// The failing task's error message, when this is `taskFailed` or `dependencyFailed`.
    public var message: String? {
        switch code {
        case .taskFailed(_, let message, _), .dependencyFailed(_, _, let message): message
        default: nil
        }
    }

    /// A sentence saying what went wrong.
    public var description: String {
        switch code {
        case .taskFailed(let name, let message, let attempts):
            "task \(name) failed after \(attempts) attempt\(attempts == 1 ? "" : "s"): \(message)"
        case .dependencyFailed(let name, let dependency, let message):
            "task \(name) did not run: its dependency \(dependency) failed: \(message)"
        case .unknownTask(let name, let version): "no function registered for task \(name) version \(version)"
        case .undecodableResult(let name, let message): "the result of task \(name) does not decode: \(message)"
        case .unexpectedReply(let detail): "unexpected reply: \(detail)"
        }
    }
}
