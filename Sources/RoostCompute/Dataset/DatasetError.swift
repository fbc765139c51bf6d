/// An error of a `Dataset` action: a function the plan names that is not registered (or has
/// other types), a stage whose job failed (a function threw, a worker lacks a function), bytes
/// that do not decode. Client errors pass through.
public struct DatasetError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case unknownFunction(name: String)
        case signatureMismatch(name: String, expected: String, registered: String)
        case stageFailed(stage: String, message: String)
        case undecodable(String)
        case invalid(String)
    }

    private let code: Code

    private init(_ code: Code) { self.code = code }

    /// No function named `name` is registered in the `DatasetFunctions` that should run it.
    public static func unknownFunction(name: String) -> DatasetError { DatasetError(.unknownFunction(name: name)) }
    /// The function registered as `name` is not of the kind and types the plan expects.
    public static func signatureMismatch(name: String, expected: String, registered: String) -> DatasetError {
        DatasetError(.signatureMismatch(name: name, expected: expected, registered: registered))
    }
    /// The MapReduce job of stage `stage` failed for good; `message` says why (the text of the
    /// error the failing function or worker threw).
    public static func stageFailed(stage: String, message: String) -> DatasetError {
        DatasetError(.stageFailed(stage: stage, message: message))
    }
    /// Bytes that do not decode as the element type asked for.
    public static func undecodable(_ detail: String) -> DatasetError { DatasetError(.undecodable(detail)) }
    /// A plan or argument that cannot run (say, datasets of two dataflows joined).
    public static func invalid(_ detail: String) -> DatasetError { DatasetError(.invalid(detail)) }

    /// The name of the function that is missing or mismatched, if that is the error.
    public var functionName: String? {
        switch code {
        case .unknownFunction(let name), .signatureMismatch(let name, _, _): name
        default: nil
        }
    }

    /// The failure message of a failed stage, if that is the error.
    public var stageMessage: String? {
        if case .stageFailed(_, let message) = code { return message }
        return nil
    }

    /// A sentence saying what went wrong.
    public var description: String {
        switch code {
        case .unknownFunction(let name): "no dataset function named '\(name)' is registered"
        case .signatureMismatch(let name, let expected, let registered):
            "dataset function '\(name)' is registered as \(registered), but the plan needs \(expected)"
        case .stageFailed(let stage, let message): "dataset stage \(stage) failed: \(message)"
        case .undecodable(let detail): "undecodable dataset element: \(detail)"
        case .invalid(let detail): "invalid dataset plan: \(detail)"
        }
    }
}
