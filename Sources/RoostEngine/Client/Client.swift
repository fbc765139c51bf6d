import NIOCore

/// What the engine asks of the connection behind a client. The server implements it; embedders
/// that drive the engine in-process may leave it unset.
public protocol ClientConnection: AnyObject, Sendable {
    /// Sends bytes produced on this client's behalf by another client's command (a published
    /// message, a served blocked command).
    func deliver(_ bytes: ByteBuffer)
    /// Closes the connection once pending output is written (CLIENT KILL, SHUTDOWN).
    func close()
    /// Like `deliver`, but drops the connection instead when the client's unsent output would
    /// then pass `limit` (its class's `client-output-buffer-limit`).
    func deliver(_ bytes: ByteBuffer, within limit: ClientOutputBufferLimits.Limit)
    /// Reply bytes handed to the connection and not yet written to its socket.
    var outputBacklog: Int { get }
}

extension ClientConnection {
    /// Delivers without limits.
    public func deliver(_ bytes: ByteBuffer, within limit: ClientOutputBufferLimits.Limit) { deliver(bytes) }
    /// None known.
    public var outputBacklog: Int { 0 }
}

/// A queued MULTI transaction.
public struct Transaction {
    /// The queued commands' arguments, in order.
    public var commands: [[ByteBuffer]] = []
    /// Set when a command was rejected while queueing; EXEC then answers EXECABORT.
    public var failed = false
}

/// A key a client WATCHes.
public struct WatchedKey: Hashable {
    public var database: Int
    public var key: ByteString
}

/// Per-connection state the engine keeps: selected database, protocol, auth, transaction,
/// watches, subscriptions and the output buffer.
public final class Client {
    /// The unique, increasing id CLIENT ID reports.
    public let id: Int64
    /// Where replies go.
    public let reply = ReplyWriter()
    /// The selected database.
    @exclusivity(unchecked) public var database: Database
    /// CLIENT SETNAME.
    @exclusivity(unchecked) public var name: [UInt8]?
    /// Whether the client may run commands that need authentication.
    @exclusivity(unchecked) public var isAuthenticated: Bool
    /// The ACL user the client runs as; nil for none, which may run anything.
    @exclusivity(unchecked) var user: ACLUser?
    /// The open MULTI, if any.
    @exclusivity(unchecked) public var transaction: Transaction?
    /// Keys under WATCH, with whether each was logically expired when watched.
    @exclusivity(unchecked) public var watchedKeys: [WatchedKey: Bool] = [:]
    /// Set when a watched key changed; EXEC then fails.
    @exclusivity(unchecked) public var watchDirty = false
    /// SUBSCRIBE channels, in subscription order.
    @exclusivity(unchecked) public var channels: [ByteString] = []
    /// PSUBSCRIBE patterns, in subscription order.
    @exclusivity(unchecked) public var patterns: [ByteString] = []
    /// SSUBSCRIBE shard channels, in subscription order.
    @exclusivity(unchecked) public var shardChannels: [ByteString] = []
    /// Set while EXEC runs the queued commands (Redis's `CLIENT_DENY_BLOCKING`): blocking
    /// commands must answer at once instead of waiting, and SSUBSCRIBE is refused.
    @exclusivity(unchecked) public var denyBlocking = false
    /// The connection closes after the pending replies are written.
    @exclusivity(unchecked) public var closeAfterReply = false
    /// CLIENT REPLY's state (Engine+ClientPause.swift).
    @exclusivity(unchecked) public internal(set) var replyControl = ReplyControl.on
    /// Set by MONITOR.
    @exclusivity(unchecked) public internal(set) var isMonitor = false
    /// CLIENT NO-EVICT.
    @exclusivity(unchecked) public internal(set) var noEvict = false
    /// The command held back while CLIENT PAUSE is in force; it runs when the pause ends.
    @exclusivity(unchecked) public internal(set) var postponedCommand: [ByteBuffer]?
    /// CLIENT TRACKING's mode while tracking is on (Engine+Tracking.swift).
    @exclusivity(unchecked) public internal(set) var tracking: ClientTracking?
    // MARK: End of transaction and pub/sub state

    /// Set while the client waits in a blocking command (BLPOP…); see `Engine+Blocking.swift`.
    /// The server feeds it no further commands until this is cleared.
    @exclusivity(unchecked) public internal(set) var blocked: BlockedWait?

    /// Set while the client's command is suspended in a script past busy-reply-threshold; see
    /// `Engine+Scripts.swift`. The server feeds it no further commands and calls
    /// `Engine.continueScript(for:)` until this is cleared.
    @exclusivity(unchecked) public internal(set) var inSuspendedScript = false

    /// The connection that carries this client, if any.
    public weak var connection: (any ClientConnection)?

    /// `ip:port` of the peer, for CLIENT LIST.
    @exclusivity(unchecked) public var address: String
    /// `ip:port` of the local side, for CLIENT LIST.
    @exclusivity(unchecked) public var localAddress: String
    /// The socket's file descriptor, or -1.
    @exclusivity(unchecked) public var fileDescriptor: Int
    /// Creation time, Unix milliseconds.
    public let createdAt: Int64
    /// Last command time, Unix milliseconds.
    @exclusivity(unchecked) public var lastInteraction: Int64
    /// The full name of the last command run (`get`, `client|list`).
    @exclusivity(unchecked) public var lastCommand: String = "NULL"
    /// Bytes received and not yet executed when the current read batch began (CLIENT LIST `qbuf`).
    @exclusivity(unchecked) public var queryBufferLength = 0

    init(id: Int64, database: Database, authenticated: Bool, now: Int64,
         address: String, localAddress: String, fileDescriptor: Int) {
        self.id = id
        self.database = database
        self.isAuthenticated = authenticated
        self.createdAt = now
        self.lastInteraction = now
        self.address = address
        self.localAddress = localAddress
        self.fileDescriptor = fileDescriptor
    }

    /// Whether the client has subscriptions (Redis's `CLIENT_PUBSUB`). In RESP2 this is
    /// subscribed mode, where only a few commands are allowed.
    public var isSubscribed: Bool { !channels.isEmpty || !patterns.isEmpty || !shardChannels.isEmpty }

    /// The class whose `client-output-buffer-limit` applies: pubsub while the client has
    /// subscriptions, in RESP2 or RESP3 alike, as in Redis; Roost has no replicas.
    public var outputBufferClass: ClientOutputBufferLimits.Class { isSubscribed ? .pubsub : .normal }
}
