import RoostRESP

/// An error raised by the client itself (not an error reply from the server).
///
/// The set of codes can grow: match on `code` with a `default` branch.
public struct RedisClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a growable set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case invalidURL, unsupported, connectionClosed, connectFailed, timeout, cancelled
            case protocolError, unexpectedReply, transactionAborted, transactionConflict, poolClosed, crossSlot
            case crossShard, keyless, unknownKeys, unknownShard, invalidShards
        }
        fileprivate let base: Base
        /// The URL or the configuration is not valid.
        public static let invalidURL = Code(base: .invalidURL)
        /// A feature this client does not support.
        public static let unsupported = Code(base: .unsupported)
        /// The connection closed (or was reset) before the reply arrived. The request may or may
        /// not have been executed by the server; it is never retried silently.
        public static let connectionClosed = Code(base: .connectionClosed)
        /// No connection could be established.
        public static let connectFailed = Code(base: .connectFailed)
        /// The request's deadline passed before its reply arrived.
        public static let timeout = Code(base: .timeout)
        /// The caller's task was cancelled while waiting for the reply.
        public static let cancelled = Code(base: .cancelled)
        /// The server sent bytes that are not valid RESP.
        public static let protocolError = Code(base: .protocolError)
        /// The reply's shape is not what the command promises.
        public static let unexpectedReply = Code(base: .unexpectedReply)
        /// `EXEC` returned null: a watched key changed.
        public static let transactionAborted = Code(base: .transactionAborted)
        /// An optimistic transaction kept conflicting until its attempts ran out.
        public static let transactionConflict = Code(base: .transactionConflict)
        /// The client has shut down.
        public static let poolClosed = Code(base: .poolClosed)
        /// A command's keys hash to different cluster slots.
        public static let crossSlot = Code(base: .crossSlot)
        /// `ShardedClient`: a command's keys belong to different shards.
        public static let crossShard = Code(base: .crossShard)
        /// `ShardedClient`: a command without keys, while `keylessRouting` is `.refuse`.
        public static let keyless = Code(base: .keyless)
        /// `ShardedClient`: the command's key positions are unknown (see `RedisCommand.keys`);
        /// send it with `execute(_:onShardFor:)` instead.
        public static let unknownKeys = Code(base: .unknownKeys)
        /// `ShardedClient`: a shard name that is not one of the client's.
        public static let unknownShard = Code(base: .unknownShard)
        /// `ShardedClient`: the shard list is empty or names a shard twice.
        public static let invalidShards = Code(base: .invalidShards)
        /// The code's name.
        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// A human-readable explanation.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}

/// An error reply from the server (`-WRONGTYPE Operation against a key…`).
public struct RedisServerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The whole error text as sent, without the leading `-`.
    public let message: String

    /// Creates an error from the error text.
    public init(message: String) { self.message = message }

    /// The error's prefix (`ERR`, `WRONGTYPE`, `NOAUTH`…): the text up to the first space.
    public var prefix: String {
        String(message.prefix { $0 != " " })
    }

    /// The error text.
    public var description: String { message }
}

/// A reply that could not be turned into the requested type.
public struct RESPDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The type that was asked for.
    public let expected: String
    /// A short description of the reply that arrived.
    public let actual: String

    /// Creates an error.
    public init(expected: String, actual: String) {
        self.expected = expected
        self.actual = actual
    }

    /// `expected X, got Y`.
    public var description: String { "cannot decode reply: expected \(expected), got \(actual)" }
}
