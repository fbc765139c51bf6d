/// The address of one cluster node, as the cluster announces it (`127.0.0.1:7000`).
public struct RedisClusterNodeAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The host name or IP address.
    public var host: String
    /// The client port.
    public var port: Int

    /// An address from its parts.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` (the port after the last colon, so IPv6 hosts work); nil when malformed.
    public init?(_ text: some StringProtocol) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (1...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.init(host: host, port: port)
    }

    /// Orders by host, then port.
    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.host, lhs.port) < (rhs.host, rhs.port) }

    /// `host:port`.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// How a `RedisClusterClient` finds, connects to and talks to the cluster.
public struct RedisClusterConfiguration: Sendable {
    /// Nodes to ask for the topology first; any one reachable node is enough.
    public var seeds: [RedisClusterNodeAddress]
    /// The template for every node's connections: credentials, protocol, timeouts, pool sizes
    /// and connect backoff. Its endpoint is replaced by each node's address; its database must
    /// stay 0 (a cluster has only database 0).
    public var node: RedisClientConfiguration
    /// Whether read-only commands may go to replicas (which then get `READONLY`). Replies can
    /// lag the master's by the replication delay.
    public var readFromReplicas = false
    /// How many `MOVED`/`ASK` redirections one command may follow before failing with
    /// `RedisClusterError.tooManyRedirections`.
    public var maximumRedirections = 5
    /// The least time between two topology refreshes (refreshes are asked for after `MOVED`
    /// and after connection failures).
    public var minimumRefreshInterval: Duration = .milliseconds(500)
    /// How often `run()` refreshes the topology even when nothing asked for it.
    public var periodicRefreshInterval: Duration = .seconds(30)
    /// How long a command keeps retrying (with backoff, refreshing the topology) while its
    /// node cannot be reached or the cluster reports `CLUSTERDOWN`/`TRYAGAIN`, e.g. during a
    /// failover.
    public var retryTimeout: Duration = .seconds(20)
    /// The backoff between those retries.
    public var retryBackoff = RedisClientConfiguration.Backoff(initialDelay: .milliseconds(100), maximumDelay: .seconds(1),
                                                               maximumAttempts: .max)

    /// A configuration for the cluster reachable through `seeds`, each node's connections
    /// configured like `node` (default: `RedisClientConfiguration` defaults with two connect
    /// attempts per lease, so that a dead node is noticed quickly).
    public init(seeds: [RedisClusterNodeAddress], node: RedisClientConfiguration? = nil) {
        self.seeds = seeds
        if let node {
            self.node = node
        } else {
            var template = RedisClientConfiguration(endpoint: .tcp(host: seeds.first?.host ?? "127.0.0.1",
                                                                    port: seeds.first?.port ?? 6379))
            template.reconnect.maximumAttempts = 2
            self.node = template
        }
    }

    /// A configuration from node URLs (`redis://user:pass@host:port`), the first one's
    /// credentials, TLS and options serving as the template for all nodes.
    /// - Throws: `RedisClientError` `.invalidURL`.
    public init(urls: [String]) throws {
        var seeds: [RedisClusterNodeAddress] = []
        var template: RedisClientConfiguration?
        for url in urls {
            let configuration = try RedisClientConfiguration(url: url)
            guard case .tcp(let host, let port) = configuration.endpoint else {
                throw RedisClientError(.invalidURL, "cluster nodes need TCP addresses: \(url)")
            }
            guard configuration.database == 0 else {
                throw RedisClientError(.invalidURL, "a cluster has only database 0: \(url)")
            }
            seeds.append(RedisClusterNodeAddress(host: host, port: port))
            if template == nil { template = configuration }
        }
        guard var template else { throw RedisClientError(.invalidURL, "no cluster node given") }
        template.reconnect.maximumAttempts = min(template.reconnect.maximumAttempts, 2)
        self.init(seeds: seeds, node: template)
    }

    /// The connection configuration for one node.
    func configuration(for address: RedisClusterNodeAddress) -> RedisClientConfiguration {
        var configuration = node
        configuration.endpoint = .tcp(host: address.host, port: address.port)
        if configuration.tls != nil, configuration.tls?.serverHostname == nil {
            configuration.tls?.serverHostname = address.host
        }
        return configuration
    }
}

/// An error particular to cluster operation. Cross-slot commands fail with
/// `RedisClientError` `.crossSlot`, whether the client or the server noticed.
public struct RedisClusterError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a growable set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case tooManyRedirections, topologyUnavailable, unavailable
        }
        fileprivate let base: Base
        /// A command was redirected (`MOVED`/`ASK`) more times than allowed.
        public static let tooManyRedirections = Code(base: .tooManyRedirections)
        /// No node answered `CLUSTER SHARDS`/`CLUSTER SLOTS`, or none serves the slot.
        public static let topologyUnavailable = Code(base: .topologyUnavailable)
        /// The node serving the slot stayed unreachable, or the cluster kept answering
        /// `CLUSTERDOWN`/`TRYAGAIN`, until the retry timeout passed.
        public static let unavailable = Code(base: .unavailable)
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
