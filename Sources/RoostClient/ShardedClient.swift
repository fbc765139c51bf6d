import Logging
import NIOCore
import NIOPosix
import RoostRESP
import ServiceLifecycle

/// Client-side sharding over independent servers (no Redis Cluster): each key lives on the
/// server a `ConsistentHashRing` of the shards' names assigns it to.
///
///     let client = try ShardedClient(urls: ["redis://10.0.0.1:6379", "redis://10.0.0.2:6379"])
///     // Run it as a ServiceLifecycle service, or `try await client.run()` in a task of yours.
///     try await client.set("user:1", "ada")          // goes to the shard owning "user:1"
///     try await client.mget(["{user:1}:name", "{user:1}:mail"])  // same hash tag, same shard
///     try await client.forEachShard { _, shard in try await shard.flushdb() }
///
/// Routing of each command (all typed commands work, since the client is a
/// `RedisCommandExecutor`):
/// - with keys (`RedisCommand.keys`, found locally from the key table shared with Roost's
///   engine: EVAL, EVALSHA, FCALL and their `_RO` forms by their `numkeys`, ZUNIONSTORE, SORT's
///   `STORE`…): sent to the shard owning them. When they belong to different shards the command
///   fails with `RedisClientError.crossShard` and nothing is sent; use hash tags (`{…}`) to keep
///   related keys together.
/// - `PUBLISH` and `SPUBLISH`: sent to the shard owning the channel, as if it were a key, so
///   that a subscriber finds it on `client(forKey: channel)`.
/// - without keys (`PING`, `INFO`, `DBSIZE`, `FLUSHDB`, `EVAL` with no key…): refused with
///   `.keyless` by default, since the answer of one shard would silently stand for all;
///   `keylessRouting` can instead name a shard to send them to. Use `forEachShard` to broadcast.
/// - unknown to the client (not one of Redis 7.0's commands, so `RedisCommand.keys` is nil):
///   refused with `.unknownKeys`; `execute(_:onShardFor:)` sends any command to the shard of a
///   given key.
///
/// The shards are fixed for the client's lifetime. Changing them moves about 1/N of the keys to
/// other shards (see `ConsistentHashRing`): migrate them, then create a new client.
/// Transactions, subscriptions and blocking commands run on one shard through `client(forKey:)`
/// (a channel's shard is `client(forKey: channel)`).
public final class ShardedClient: Service, RedisCommandExecutor, Sendable {
    /// What to do with commands that have no key.
    public enum KeylessRouting: Sendable, Hashable {
        /// Fail them with `RedisClientError.keyless`.
        case refuse
        /// Send them to the named shard.
        case shard(String)
    }

    /// The ring the keys are placed by.
    public let ring: ConsistentHashRing
    /// The shards' clients by shard name.
    public let shards: [String: RedisClient]
    /// Where commands without keys go.
    public let keylessRouting: KeylessRouting
    /// The shards' clients in the order of `ring.servers`.
    private let clients: [RedisClient]

    /// A client per shard; `shards` are `(name, configuration)` pairs and the names place the
    /// shards on the ring, so keep them stable (renaming a shard moves its keys).
    /// - Parameters:
    ///   - virtualNodesPerServer: ring points per shard.
    ///   - probes: ring probes per lookup (see `ConsistentHashRing`).
    /// - Throws: `RedisClientError.invalidShards` for an empty list or a repeated name,
    ///   `.unknownShard` when `keylessRouting` names no shard.
    public init(shards: [(name: String, configuration: RedisClientConfiguration)],
                keylessRouting: KeylessRouting = .refuse,
                virtualNodesPerServer: Int = ConsistentHashRing.defaultVirtualNodesPerServer,
                probes: Int = ConsistentHashRing.defaultProbes,
                eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "roost.client.sharded")) throws {
        guard !shards.isEmpty else { throw RedisClientError(.invalidShards, "no shard given") }
        var clients: [String: RedisClient] = [:]
        var ordered: [RedisClient] = []
        for (name, configuration) in shards {
            guard clients[name] == nil else {
                throw RedisClientError(.invalidShards, "shard name \(name) is given twice")
            }
            var shardLogger = logger
            shardLogger[metadataKey: "redis.shard"] = "\(name)"
            let client = RedisClient(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: shardLogger)
            clients[name] = client
            ordered.append(client)
        }
        if case .shard(let name) = keylessRouting, clients[name] == nil {
            throw RedisClientError(.unknownShard, "keyless commands are routed to \(name), which is not a shard")
        }
        self.shards = clients
        self.keylessRouting = keylessRouting
        self.ring = ConsistentHashRing(servers: shards.map(\.name), virtualNodesPerServer: virtualNodesPerServer,
                                       probes: probes)
        self.clients = ordered
    }

    /// A client per URL (see `RedisClientConfiguration.init(url:)`), each shard named after its
    /// endpoint: `host:port`, `host:port/db` when the database is not 0, or the socket path.
    /// - Throws: `RedisClientError.invalidURL`, or `RedisClientError.invalidShards`.
    public convenience init(urls: [String],
                            keylessRouting: KeylessRouting = .refuse,
                            eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                            logger: Logger = Logger(label: "roost.client.sharded")) throws {
        let shards = try urls.map { url -> (name: String, configuration: RedisClientConfiguration) in
            let configuration = try RedisClientConfiguration(url: url)
            return (Self.defaultName(of: configuration), configuration)
        }
        try self.init(shards: shards, keylessRouting: keylessRouting, eventLoopGroup: eventLoopGroup, logger: logger)
    }

    /// The name `init(urls:)` gives the shard of `configuration`.
    public static func defaultName(of configuration: RedisClientConfiguration) -> String {
        let endpoint = configuration.endpoint.description
        return configuration.database == 0 ? endpoint : "\(endpoint)/\(configuration.database)"
    }

    /// Runs every shard's client (see `RedisClient.run()`) until the task is cancelled or a
    /// graceful shutdown is requested.
    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in shards.values {
                group.addTask { try await client.run() }
            }
            try await group.waitForAll()
        }
    }

    /// Closes every shard's pool now.
    public func shutdown() async {
        await withTaskGroup(of: Void.self) { group in
            for client in shards.values {
                group.addTask { await client.shutdown() }
            }
        }
    }

    /// The name of the shard owning `key`.
    public func shardName(forKey key: RedisKey) -> String {
        ring.servers[shardIndex(forKey: key)]
    }

    /// The client of the shard owning `key`: for transactions, pub/sub, blocking commands or
    /// anything else that must stay on one connection.
    public func client(forKey key: RedisKey) -> RedisClient {
        clients[shardIndex(forKey: key)]
    }

    /// The index in `ring.servers` (and `clients`) of the shard owning `key`.
    private func shardIndex(forKey key: RedisKey) -> Int {
        // The ring is never empty: there is at least one shard.
        ring.serverIndex(forKeyHash: ConsistentHashRing.keyHash(key.bytes.readableBytesView)) ?? 0
    }

    /// The client of the shard named `name`.
    /// - Throws: `RedisClientError.unknownShard`.
    public func client(named name: String) throws -> RedisClient {
        guard let client = shards[name] else { throw RedisClientError(.unknownShard, "no shard is named \(name)") }
        return client
    }

    /// The name of the shard `command` goes to.
    /// - Throws: `RedisClientError` `.crossShard`, `.keyless` or `.unknownKeys`.
    public func shardName(for command: RedisCommand) throws -> String {
        ring.servers[try shardIndex(for: command)]
    }

    /// The index in `ring.servers` of the shard `command` goes to.
    private func shardIndex(for command: RedisCommand) throws -> Int {
        guard let keys = Self.shardingKeys(of: command) else {
            throw RedisClientError(.unknownKeys,
                                     "the key positions of \(command.name) are not known; use execute(_:onShardFor:)")
        }
        guard let first = keys.first else {
            switch keylessRouting {
            case .refuse:
                throw RedisClientError(.keyless, "\(command.name) has no key to route it by; use forEachShard or client(named:)")
            case .shard(let name):
                return ring.servers.firstIndex(of: name) ?? 0
            }
        }
        let index = shardIndex(forKey: first)
        for key in keys.dropFirst() {
            let other = shardIndex(forKey: key)
            if other != index {
                throw RedisClientError(.crossShard, "the keys of \(command.name) belong to different shards "
                                         + "(\(ring.servers[index]), \(ring.servers[other])); give related keys the same hash tag")
            }
        }
        return index
    }

    /// The arguments `command` is placed by: the channel of `PUBLISH` (and of `SPUBLISH`, a
    /// sharded channel in the key table), else its keys; nil when the client does not know them.
    static func shardingKeys(of command: RedisCommand) -> [RedisArgument]? {
        guard let keys = command.routingKeys else { return nil }
        if keys.isEmpty, command.arguments.count > 1, command.name == "PUBLISH" { return [command.arguments[1]] }
        return keys
    }

    /// Sends `command` to the shard owning its keys and returns its reply.
    /// - Throws: `RedisClientError` when it cannot be routed (nothing is sent), else what
    ///   `RedisClient.execute` throws.
    public func execute(_ command: RedisCommand, timeout: Duration?) async throws -> RESPValue {
        try await clients[try shardIndex(for: command)].execute(command, timeout: timeout)
    }

    /// Sends any command to the shard owning `key`, whatever keys the command names.
    public func execute(_ command: RedisCommand, onShardFor key: RedisKey, timeout: Duration? = nil) async throws -> RESPValue {
        try await client(forKey: key).execute(command, timeout: timeout)
    }

    /// Sends `commands`, grouped by shard, as one pipeline per shard, the shards concurrently;
    /// returns each command's reply or error in the order given. A command that cannot be routed
    /// gets its `RedisClientError` and is not sent; the others are.
    /// There is no ordering between commands on different shards.
    public func pipeline(_ commands: [RedisCommand], timeout: Duration? = nil) async throws -> [Result<RESPValue, any Error>] {
        var results = [Result<RESPValue, any Error>?](repeating: nil, count: commands.count)
        var groups: [Int: [Int]] = [:]
        for (index, command) in commands.enumerated() {
            do {
                groups[try shardIndex(for: command), default: []].append(index)
            } catch {
                results[index] = .failure(error)
            }
        }
        try await withThrowingTaskGroup(of: ([Int], [Result<RESPValue, any Error>]).self) { group in
            for (shard, indices) in groups {
                let client = clients[shard]
                let batch = indices.map { commands[$0] }
                group.addTask { (indices, try await client.pipeline(batch, timeout: timeout)) }
            }
            for try await (indices, replies) in group {
                for (index, reply) in zip(indices, replies) { results[index] = reply }
            }
        }
        return results.map { $0 ?? .failure(RedisClientError(.unexpectedReply, "no reply")) }
    }

    /// Runs `body` on every shard concurrently, for broadcasts (`FLUSHDB`, `DBSIZE`, `INFO`,
    /// `SCAN`…), and returns each shard's result by shard name.
    /// - Throws: the first error a shard's `body` throws (the others are cancelled).
    @discardableResult
    public func forEachShard<Result: Sendable>(
        _ body: @escaping @Sendable (_ name: String, _ client: RedisClient) async throws -> Result
    ) async throws -> [String: Result] {
        try await withThrowingTaskGroup(of: (String, Result).self) { group in
            for (name, client) in shards {
                group.addTask { (name, try await body(name, client)) }
            }
            var results: [String: Result] = [:]
            for try await (name, result) in group { results[name] = result }
            return results
        }
    }
}
