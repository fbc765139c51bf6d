/// Why a test server could not be started, or a cluster operation failed.
public struct RoostTestingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a growable set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case toolNotFound, startFailed, clusterNotHealthy, commandFailed
        }
        fileprivate let base: Base
        /// `redis-server` or `redis-cli` is not installed (not on `PATH` nor in the usual folders).
        public static let toolNotFound = Code(base: .toolNotFound)
        /// A process could not be spawned, exited during start-up, or did not answer in time.
        public static let startFailed = Code(base: .startFailed)
        /// The cluster did not reach `cluster_state:ok` with every slot served in time.
        public static let clusterNotHealthy = Code(base: .clusterNotHealthy)
        /// A command sent to a node failed (connection refused, timeout, unexpected reply).
        public static let commandFailed = Code(base: .commandFailed)
        /// The code's name.
        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// A human-readable explanation, quoting the server's log when there is one.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
