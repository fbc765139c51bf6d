import RoostRESP

/// One node of a Redis Cluster, as the client's slot map knows it.
public struct RedisClusterNode: Sendable, Hashable {
    /// Whether the node serves its slots or copies a master.
    public enum Role: String, Sendable, Hashable {
        case master
        case replica
    }

    /// Where the node listens.
    public var address: RedisClusterNodeAddress
    /// Its role in the slot map.
    public var role: Role
    /// The slot ranges it serves (a master) or copies (a replica: its master's).
    public var slots: [ClosedRange<Int>]
    /// A replica's master; nil for a master.
    public var master: RedisClusterNodeAddress?

    /// A node from its parts.
    public init(address: RedisClusterNodeAddress, role: Role, slots: [ClosedRange<Int>], master: RedisClusterNodeAddress? = nil) {
        self.address = address
        self.role = role
        self.slots = slots
        self.master = master
    }

    /// How many slots `slots` covers.
    public var slotCount: Int { slots.reduce(0) { $0 + $1.count } }
}

/// Runs commands on one node of a cluster as they are: no routing, no redirections followed
/// (`INFO`, `SLOWLOG GET`, `DBSIZE`, `PUBSUB SHARDNUMSUB` of that node). Every typed command of
/// `RedisCommandExecutor` works through it. It uses the cluster client's pool for the node, so
/// it needs no shutdown of its own and fails with `.poolClosed` after the cluster client's.
public struct RedisClusterNodeExecutor: RedisCommandExecutor {
    /// The node the commands go to.
    public let address: RedisClusterNodeAddress
    let cluster: RedisClusterClient

    /// Sends `command` to the node and returns its reply; `MOVED`/`ASK` come back as errors.
    /// - Throws: `RedisServerError`, `RedisClientError` (`.connectFailed`, `.timeout`, `.poolClosed`…).
    public func execute(_ command: RedisCommand, timeout: Duration?) async throws -> RESPValue {
        try await cluster.execute(command, on: address, timeout: timeout)
    }

    /// Sends `commands` to the node as one pipeline.
    public func pipeline(_ commands: [RedisCommand], timeout: Duration?) async throws -> [Result<RESPValue, any Error>] {
        try await cluster.client(for: address).pipeline(commands, timeout: timeout)
    }
}

extension RedisClusterClient {
    /// Every node of the current slot map: the masters serving slots (by address), then their
    /// replicas not known to have failed (by address). The map is fetched first if there is
    /// none yet; call `refreshTopology()` before for a view that is fresh.
    /// - Throws: `RedisClusterError` `.topologyUnavailable` when no node answers.
    public func nodes() async throws -> [RedisClusterNode] {
        let shards = try await currentTopology().shards
        var masters: [RedisClusterNodeAddress: RedisClusterNode] = [:]
        var replicas: [RedisClusterNodeAddress: RedisClusterNode] = [:]
        for shard in shards {
            // A master that a MOVED added serves slots the shard list does not show yet.
            masters[shard.master, default: RedisClusterNode(address: shard.master, role: .master, slots: [])].slots += shard.slots
            for replica in shard.replicas {
                replicas[replica] = RedisClusterNode(address: replica, role: .replica, slots: shard.slots, master: shard.master)
            }
        }
        let masterList = masters.values.sorted { $0.address < $1.address }
        let replicaList = replicas.values.filter { masters[$0.address] == nil }.sorted { $0.address < $1.address }
        return masterList + replicaList
    }

    /// An executor whose commands go to the node at `address` as they are.
    public func node(_ address: RedisClusterNodeAddress) -> RedisClusterNodeExecutor {
        RedisClusterNodeExecutor(address: address, cluster: self)
    }

    /// Runs `body` for every node of `nodes()` concurrently, with an executor for it, and
    /// returns each node with what its `body` returned or threw, in the order of `nodes()`.
    /// One node failing does not fail the others.
    /// - Throws: `RedisClusterError` `.topologyUnavailable` when no node answers; `CancellationError`.
    public func onEveryNode<Result: Sendable>(
        _ body: @escaping @Sendable (RedisClusterNode, RedisClusterNodeExecutor) async throws -> Result
    ) async throws -> [(node: RedisClusterNode, result: Swift.Result<Result, any Error>)] {
        let nodes = try await nodes()
        var results = [Swift.Result<Result, any Error>?](repeating: nil, count: nodes.count)
        await withTaskGroup(of: (Int, Swift.Result<Result, any Error>).self) { group in
            for (index, node) in nodes.enumerated() {
                group.addTask {
                    do {
                        return (index, .success(try await body(node, self.node(node.address))))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            for await (index, result) in group { results[index] = result }
        }
        try Task.checkCancellation()
        return zip(nodes, results).map { node, result in
            (node: node, result: result ?? .failure(CancellationError()))
        }
    }
}
