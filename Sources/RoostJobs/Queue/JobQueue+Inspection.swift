import RoostClient
import RoostCoordination
import RoostRESP

/// What tools that watch queues (the dashboard, `roost jobs`) need beyond producing and working:
/// finding the queues on a server, paging through a state's jobs, searching them, and promoting
/// delayed jobs.
extension JobQueue {
    /// The names of the queues on `client`'s server (every master of a cluster), sorted: each
    /// queue that ever numbered a job (its `seq` key), a partitioned queue once under its own
    /// name. Walks the keyspace with `SCAN`, so it costs time in proportion to the number of
    /// keys: call it now and then, not per request.
    /// - Throws: client errors.
    public static func names(on client: any CoordinationClient) async throws -> [String] {
        // Every queue that numbered a job has `roost:jobs:{<queue>}:seq`.
        let tags = Array(try await client.scanHashTags(prefix: "roost:jobs:", rest: ":seq"))
        guard !tags.isEmpty else { return [] }
        // A partition p ≥ 1 of a partitioned queue records its id prefix: not a queue of its own.
        let replies = try await client.pipeline(tags.map { RedisCommand("HGET", [QueueKeys(queue: $0).meta, "idPrefix"]) },
                                                timeout: nil)
        var names: [String] = []
        for (tag, reply) in zip(tags, replies) where (try reply.get().jobString ?? "").isEmpty { names.append(tag) }
        return names.sorted()
    }

    /// The ids of up to `limit` jobs in `state` after skipping `offset`, in the order of
    /// `ids(in:limit:)`. A partitioned queue's pages are cut from its partitions' merged order.
    /// - Throws: client errors.
    public func ids(in state: JobState, offset: Int, limit: Int) async throws -> [String] {
        let offset = max(offset, 0), limit = max(limit, 1)
        if spansPartitions { return Array(try await idsAcrossPartitions(in: state, limit: offset + limit).dropFirst(offset)) }
        let reply = try await client.execute(RedisCommand("ZRANGE", [RedisArgument(keys.set(for: state).bytes),
                                                                     RedisArgument(offset), RedisArgument(offset + limit - 1)]),
                                             timeout: nil)
        return (reply.jobArray ?? []).compactMap(\.jobString)
    }

    /// The jobs with `ids`, in order, skipping those the queue no longer has. One round trip
    /// per partition involved.
    /// - Throws: client errors.
    public func infos(_ ids: [String]) async throws -> [JobInfo] {
        try await eachJob(ids, "HGETALL") { id, reply in Self.info(id: id, fields: reply.jobFields) }.compactMap { $0 }
    }

    /// Sends `command` (`HGETALL`, `HGET … name`) for each job of `ids`, pipelined per partition,
    /// with `arguments` after the job's key; returns `read` of each reply, in the order of `ids`.
    private func eachJob<T: Sendable>(_ ids: [String], _ command: String, _ arguments: [RedisArgument] = [],
                                      read: @escaping @Sendable (String, RESPValue) -> T) async throws -> [T] {
        if spansPartitions {
            var found: [String: T] = [:]
            var groups: [Int: [String]] = [:]
            for id in ids { groups[Self.partitionIndex(of: id, count: partitionCount), default: []].append(id) }
            for (index, group) in groups {
                for (id, value) in zip(group, try await partition(index).eachJob(group, command, arguments, read: read)) {
                    found[id] = value
                }
            }
            return ids.compactMap { found[$0] }
        }
        let replies = try await client.pipeline(ids.map { RedisCommand(command, [RedisArgument(keys.job($0).bytes)] + arguments) },
                                                timeout: nil)
        return try zip(ids, replies).map { id, reply in read(id, try reply.get()) }
    }

    /// The jobs in `state` whose id, name or payload (`data`, as text) contains `text`
    /// (case-insensitive), among the first `scanning` of the state, at most `limit`, in the
    /// state's order.
    /// - Throws: client errors.
    public func search(_ text: String, in state: JobState, scanning: Int = 1000, limit: Int = 100) async throws -> [JobInfo] {
        let needle = text.lowercased()
        var found: [JobInfo] = []
        var offset = 0
        while offset < scanning && found.count < limit {
            let page = try await ids(in: state, offset: offset, limit: min(500, scanning - offset))
            if page.isEmpty { break }
            // Name and payload first; whole jobs only for the matches.
            let texts = try await eachJob(page, "HMGET", ["name", "data"]) { _, reply in
                (reply.jobArray ?? []).map { $0.jobString ?? "" }.joined(separator: "\n").lowercased()
            }
            let matches = zip(page, texts).filter { $0.0.lowercased().contains(needle) || $0.1.contains(needle) }
            found += try await infos(matches.prefix(limit - found.count).map(\.0))
            offset += page.count
        }
        return found
    }

    /// Moves delayed jobs to waiting now, as if their delay (or retry backoff) had passed: those
    /// in `ids`, or every delayed job. Returns how many moved; ids not delayed are skipped.
    /// - Throws: client errors.
    @discardableResult
    public func promote(_ ids: [String]? = nil) async throws -> Int {
        if spansPartitions { return try await sumAcrossPartitions(ids) { try await $0.promote($1) } }
        return try await forEachBatch(ids, from: .delayed) { try await run(JobScripts.promote, $0.map { RedisArgument($0) }) }
    }
}

extension JobScripts {
    /// Moves the delayed jobs `ARGV[3]…` to ready with their stored order, announces each as
    /// `waiting` and wakes idle workers. Returns how many moved.
    static let promote = RedisScript(prelude + """
        local n = 0
        for i = 3, #ARGV do
          if undelay(ARGV[i]) then n = n + 1 end
        end
        wake(n)
        return n
        """)
}
