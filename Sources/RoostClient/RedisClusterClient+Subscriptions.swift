extension RedisClusterClient {
    /// Subscribes through the cluster, with the semantics of `RedisClient.subscribe`:
    /// - shard channels (`SSUBSCRIBE`) on the master serving their slot; they must all share
    ///   one slot (use a hash tag), as Redis Cluster requires;
    /// - channels and patterns (`SUBSCRIBE`, `PSUBSCRIBE`) on that same node, or on the first
    ///   master when there are no shard channels: the cluster bus delivers classic pub/sub
    ///   messages to every node.
    ///
    /// A dropped connection is reopened to the same node, the subscriptions restored and a
    /// `.gap` yielded. A failover that moves the shard channels' slot is not followed: the subscription then
    /// waits for the old node to come back.
    /// - Throws: `RedisClientError` `.crossSlot` when the shard channels span slots, before
    ///   anything is sent; `RedisClusterError` `.topologyUnavailable` when no node serves them.
    public func subscribe<Result: Sendable>(
        channels: [any RedisArgumentConvertible] = [], patterns: [any RedisArgumentConvertible] = [],
        shardChannels: [any RedisArgumentConvertible] = [],
        _ body: (RedisSubscription) async throws -> Result
    ) async throws -> Result {
        let topology = try await currentTopology()
        let node: RedisClusterNodeAddress?
        let shardNames = shardChannels.map(\.redisArgument)
        if let first = shardNames.first {
            let slot = RedisHashSlot(key: first)
            guard shardNames.allSatisfy({ RedisHashSlot(key: $0) == slot }) else {
                throw RedisClientError(.crossSlot, "the shard channels map to different slots")
            }
            node = topology.master(for: slot)
        } else {
            node = topology.masters.first
        }
        guard let node else { throw RedisClusterError(.topologyUnavailable, "no node serves these channels") }
        return try await client(for: node).subscribe(
            channels: channels, patterns: patterns, shardChannels: shardChannels, body)
    }
}
