/// An error of a MapReduce job: a job that failed for good, a job no worker knows, bytes that
/// do not decode, a job description that cannot run. Client errors pass through.
public struct MapReduceError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case jobFailed(id: String, message: String)
        case unknownJob(name: String, version: Int)
        case undecodable(String)
        case invalid(String)
        case notFound(id: String)
        case unexpectedReply(String)
    }

    private let code: Code

    private init(_ code: Code) { self.code = code }

    /// Job `id` failed for good: a task failed on every attempt it had, with `message`.
    public static func jobFailed(id: String, message: String) -> MapReduceError { MapReduceError(.jobFailed(id: id, message: message)) }
    /// No job named `name` at `version` is registered in the worker's `MapReduceRegistry`.
    public static func unknownJob(name: String, version: Int) -> MapReduceError {
        MapReduceError(.unknownJob(name: name, version: version))
    }
    /// Bytes that do not decode as the type asked for.
    public static func undecodable(_ detail: String) -> MapReduceError { MapReduceError(.undecodable(detail)) }
    /// A job description or argument that cannot run (say, zero partitions or a bad id).
    public static func invalid(_ detail: String) -> MapReduceError { MapReduceError(.invalid(detail)) }
    /// No job `id` exists in the namespace (never submitted, or deleted).
    public static func notFound(id: String) -> MapReduceError { MapReduceError(.notFound(id: id)) }
    /// The server answered in a shape the module's scripts never return.
    public static func unexpectedReply(_ detail: String) -> MapReduceError { MapReduceError(.unexpectedReply(detail)) }

    /// A sentence saying what went wrong.
    public var description: String {
        switch code {
        case .jobFailed(let id, let message): "MapReduce job \(id) failed: \(message)"
        case .unknownJob(let name, let version): "no MapReduce job \(name) version \(version) is registered"
        case .undecodable(let detail): "undecodable MapReduce data: \(detail)"
        case .invalid(let detail): "invalid MapReduce job: \(detail)"
        case .notFound(let id): "no MapReduce job \(id)"
        case .unexpectedReply(let detail): "unexpected reply: \(detail)"
        }
    }
}
