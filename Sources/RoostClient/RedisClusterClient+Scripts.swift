import RoostRESP

extension RedisClusterClient {
    /// `SCRIPT LOAD` on every master of the cluster at once (and on every replica too when
    /// `readFromReplicas` is on, since read-only scripts may run there), so that `EVALSHA`
    /// finds the script whichever node serves its keys. `evaluate` calls this again when a node
    /// answers NOSCRIPT (a failover, a new master, a flushed cache).
    /// - Returns: the script's SHA-1.
    /// - Throws: the first master's error (`RedisServerError` for a script that does not
    ///   compile, `RedisClientError` for an unreachable master; the others may have loaded it);
    ///   `RedisClusterError` `.topologyUnavailable`. A replica's failure is only logged.
    @discardableResult
    public func load(_ script: RedisScript) async throws -> String {
        let topology = try await currentTopology()
        let masters = topology.masters
        let replicas = configuration.readFromReplicas ? topology.nodes.filter { !masters.contains($0) } : []
        try await withThrowingTaskGroup(of: Void.self) { group in
            for node in masters + replicas {
                let isMaster = masters.contains(node)
                group.addTask {
                    do {
                        let sha1 = try await self.client(for: node).execute(
                            RedisCommand("SCRIPT", ["LOAD", RedisArgument(script.source)]), as: String.self)
                        guard sha1 == script.sha1 else {
                            throw RedisClientError(.unexpectedReply, "\(node) loaded the script as \(sha1), not \(script.sha1)")
                        }
                    } catch where !isMaster && !(error is CancellationError) {
                        self.logger.debug("cannot load a script on a replica",
                                          metadata: ["node": "\(node)", "error": "\(error)"])
                    }
                }
            }
            try await group.waitForAll()
        }
        return script.sha1
    }
}
