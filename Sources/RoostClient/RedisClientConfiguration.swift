import Foundation
import Logging

/// Where and how to connect, and the pool's and the retry policy's limits.
///
/// Build one from a URL with `init(url:)` or field by field.
public struct RedisClientConfiguration: Sendable {
    /// The server's address.
    public enum Endpoint: Hashable, Sendable, CustomStringConvertible {
        /// A TCP host and port.
        case tcp(host: String, port: Int)
        /// A Unix domain socket.
        case unix(path: String)

        /// `host:port` or the socket path.
        public var description: String {
            switch self {
            case let .tcp(host, port): return "\(host):\(port)"
            case let .unix(path): return path
            }
        }
    }

    /// The RESP version the connection asks for.
    public enum ProtocolPreference: Sendable {
        /// `HELLO 3`, falling back to RESP2 when the server rejects `HELLO`.
        case resp3
        /// Stay on RESP2 (no `HELLO`).
        case resp2
    }

    /// The server's address.
    public var endpoint: Endpoint
    /// Whether to speak TLS (`rediss://`).
    public var tls: TLS?
    /// ACL user name (`nil`: the default user).
    public var username: String?
    /// Password for `AUTH` / `HELLO … AUTH`.
    public var password: String?
    /// The database `SELECT`ed after connecting.
    public var database: Int = 0
    /// The name set with `SETNAME` / `CLIENT SETNAME`.
    public var clientName: String?
    /// The RESP version to ask for.
    public var protocolPreference: ProtocolPreference = .resp3
    /// The longest a TCP connect may take.
    public var connectTimeout: Duration = .seconds(5)
    /// The default per-request timeout (`nil`: wait forever). A request that times out fails
    /// alone; its reply is read and discarded when it arrives.
    public var commandTimeout: Duration? = .seconds(30)
    /// The pool's limits.
    public var pool = Pool()
    /// How connection attempts are retried.
    public var reconnect = Backoff()

    /// TLS settings.
    public struct TLS: Sendable {
        /// The host name checked against the certificate (`nil`: the endpoint's host).
        public var serverHostname: String?
        /// PEM file of the certificate authorities to trust (`nil`: the system's).
        public var trustRootsPath: String?
        /// Whether to verify the server's certificate.
        public var verifyCertificate: Bool = true

        /// Default TLS settings: verify against the system's trust roots.
        public init(serverHostname: String? = nil, trustRootsPath: String? = nil, verifyCertificate: Bool = true) {
            self.serverHostname = serverHostname
            self.trustRootsPath = trustRootsPath
            self.verifyCertificate = verifyCertificate
        }
    }

    /// Connection pool limits.
    public struct Pool: Sendable {
        /// Connections kept open even when idle (opened by the client's `run()`).
        public var minimumConnections: Int = 0
        /// The most connections open at once; further leases wait.
        public var maximumConnections: Int = 16
        /// An idle connection above the minimum is closed after this long.
        public var idleTimeout: Duration = .seconds(60)
        /// An idle connection is checked with `PING` this often.
        public var healthCheckInterval: Duration = .seconds(10)

        /// Default limits.
        public init() {}
    }

    /// Exponential backoff with full jitter for connection attempts.
    public struct Backoff: Sendable {
        /// The delay before the second attempt.
        public var initialDelay: Duration = .milliseconds(50)
        /// The longest delay between attempts.
        public var maximumDelay: Duration = .seconds(2)
        /// How many attempts a lease makes before it fails (at least 1).
        public var maximumAttempts: Int = 8

        /// Default backoff: 50 ms doubling up to 2 s, 8 attempts.
        public init(initialDelay: Duration = .milliseconds(50), maximumDelay: Duration = .seconds(2), maximumAttempts: Int = 8) {
            self.initialDelay = initialDelay
            self.maximumDelay = maximumDelay
            self.maximumAttempts = maximumAttempts
        }

        /// The delay before attempt `attempt + 1` (`attempt` counts from 1): a random duration
        /// between half and all of `min(initialDelay * 2^(attempt-1), maximumDelay)`.
        public func delay(afterAttempt attempt: Int) -> Duration {
            let exponent = min(max(attempt - 1, 0), 30)
            let cap = min(initialDelay * (1 << exponent), maximumDelay)
            let nanos = Double(cap.components.seconds) * 1e9 + Double(cap.components.attoseconds) / 1e9
            return .nanoseconds(Int64(nanos * Double.random(in: 0.5...1.0)))
        }
    }

    /// A configuration for `endpoint` with default settings.
    public init(endpoint: Endpoint) {
        self.endpoint = endpoint
    }

    /// Parses `redis://[user[:password]@]host[:port][/db]`, `rediss://…` (TLS) or
    /// `unix:///path/to/socket[?db=N]` (also `redis+unix://`). User and password may be
    /// percent-encoded; `?password=` and `?db=` are accepted for Unix sockets.
    /// - Throws: `RedisClientError` with code `.invalidURL` naming what is wrong.
    public init(url string: String) throws {
        func invalid(_ why: String) -> RedisClientError {
            RedisClientError(.invalidURL, "invalid Redis URL '\(string)': \(why)")
        }
        guard let components = URLComponents(string: string) else { throw invalid("not a URL") }
        guard let scheme = components.scheme?.lowercased() else {
            throw invalid("missing scheme (expected redis://, rediss:// or unix://)")
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] {
            query[item.name.lowercased()] = item.value ?? ""
        }
        func parseDatabase(_ text: String) throws -> Int {
            guard let db = Int(text), db >= 0 else { throw invalid("database '\(text)' is not a non-negative integer") }
            return db
        }
        switch scheme {
        case "redis", "rediss", "valkey", "valkeys":
            guard let host = components.host, !host.isEmpty else { throw invalid("missing host") }
            let port = components.port ?? 6379
            guard (1...65535).contains(port) else { throw invalid("port \(port) is out of range") }
            // URLComponents keeps IPv6 brackets in `host`.
            let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
            self.init(endpoint: .tcp(host: bare, port: port))
            if scheme == "rediss" || scheme == "valkeys" { tls = TLS() }
            var path = components.path
            if path.hasPrefix("/") { path.removeFirst() }
            if !path.isEmpty {
                guard !path.contains("/") else { throw invalid("path must be only a database number") }
                database = try parseDatabase(path)
            }
        case "unix", "redis+unix", "redis-socket":
            let path = components.path
            guard !path.isEmpty else { throw invalid("missing socket path") }
            if let host = components.host, !host.isEmpty {
                throw invalid("a unix socket URL has no host: write unix:///path")
            }
            self.init(endpoint: .unix(path: path))
        default:
            throw invalid("unsupported scheme '\(scheme)' (expected redis://, rediss:// or unix://)")
        }
        if let user = components.user, !user.isEmpty { username = user.removingPercentEncoding ?? user }
        if let pass = components.password { password = pass.removingPercentEncoding ?? pass }
        if components.password == nil, username != nil, scheme != "unix" {
            // `redis://secret@host`: a lone user part is the password, as redis-cli reads it.
            password = username
            username = nil
        }
        if let db = query["db"] { database = try parseDatabase(db) }
        if let pass = query["password"] { password = pass }
        if let user = query["user"] ?? query["username"] { username = user }
        if let name = query["name"] ?? query["client_name"] { clientName = name }
    }
}
