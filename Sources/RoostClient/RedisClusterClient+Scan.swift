import NIOCore
import RoostRESP

extension RedisClusterClient {
    /// One page of a cluster-wide `SCAN`: the masters are walked one after another (see
    /// `RedisClusterScanCursor`), each with `SCAN cursor [MATCH] [COUNT] [TYPE]`. Start with
    /// `.start` and pass each returned cursor back until it is nil. `scan()` does this for you.
    ///
    /// Guarantees: a key present throughout the scan whose slot stays on one master is returned
    /// exactly once, as far as the master's own `SCAN` returns it once (a node's `SCAN` may repeat
    /// a key when its table shrinks meanwhile). When slots move or a master fails over during
    /// the scan, their keys are still returned, but keys of those slots may be returned twice.
    /// A failed page is retried with backoff, the topology refreshed between tries, until
    /// `retryTimeout`.
    /// - Returns: the cursor of the next page, nil when every master was walked; and the page's
    ///   keys (possibly none, before the end).
    /// - Throws: `RedisClusterError` `.unavailable` when a master stays unreachable past
    ///   `retryTimeout`, `.topologyUnavailable`; `RedisServerError` (a bad pattern or type);
    ///   `RedisClientError` (`.timeout`, `.poolClosed`…).
    public func scanPage(cursor: RedisClusterScanCursor, matching pattern: String? = nil, count: Int? = nil,
                         type: String? = nil) async throws -> (cursor: RedisClusterScanCursor?, keys: [ByteBuffer]) {
        var cursor = cursor
        var attempt = 0
        let deadline = ContinuousClock.now + configuration.retryTimeout
        while true {
            try Task.checkCancellation()
            guard let walk = cursor.prepare(for: try await currentTopology()) else { return (nil, []) }
            do {
                let node = try client(for: walk.node)
                let page = try await node.scanPage(cursor: walk.position ?? 0, matching: pattern, count: count, type: type)
                let keys = cursor.advance(to: page.cursor, keys: page.keys)
                if page.cursor == 0 {
                    // The master's own view says which of the walk's slots it gave away meanwhile.
                    let view = try await Self.readTopology(from: node, host: walk.node.host)
                    let known = try await currentTopology()
                    if walk.slots.slots.contains(where: { view.master(for: $0) != known.master(for: $0) }) {
                        requestRefresh()
                    }
                    cursor.finishWalk(seenBy: view)
                }
                return (cursor.isFinished ? nil : cursor, keys)
            } catch let error where Self.isRetryableDuringScan(error) {
                guard ContinuousClock.now < deadline else {
                    throw RedisClusterError(.unavailable, "scanning \(walk.node) kept failing: \(error)")
                }
                attempt += 1
                try await Task.sleep(for: configuration.retryBackoff.delay(afterAttempt: attempt))
                try? await refreshTopology(force: false)
                cursor.restartWalk(with: try await currentTopology())
            }
        }
    }

    /// Whether a failed page should be retried after a refresh: the node could not be reached or
    /// dropped the connection, or the cluster is failing over.
    private static func isRetryableDuringScan(_ error: any Error) -> Bool {
        if isUnreachable(error) { return true }
        if let error = error as? RedisClientError { return error.code == .connectionClosed }
        if let error = error as? RedisServerError {
            return ["CLUSTERDOWN", "TRYAGAIN", "MASTERDOWN", "LOADING"].contains(error.prefix)
        }
        return false
    }
}
