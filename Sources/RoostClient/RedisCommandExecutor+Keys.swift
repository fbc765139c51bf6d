import NIOCore
import RoostRESP

/// `EXPIRE`'s condition.
public enum RedisExpireCondition: String, Sendable, Hashable {
    /// `NX`: only when the key has no expiry.
    case ifNoExpiry = "NX"
    /// `XX`: only when the key has an expiry.
    case ifHasExpiry = "XX"
    /// `GT`: only when the new expiry is later.
    case ifGreater = "GT"
    /// `LT`: only when the new expiry is sooner.
    case ifLess = "LT"
}

/// A key's remaining time to live, as `TTL`/`PTTL` report it.
public enum RedisTTL: Sendable, Hashable {
    /// The key does not exist (`-2`).
    case keyDoesNotExist
    /// The key exists and has no expiry (`-1`).
    case noExpiry
    /// Remaining time.
    case expires(in: Duration)
}

extension RedisCommand {
    /// `DEL key…`.
    public static func del(_ keys: [RedisKey]) -> RedisCommand { RedisCommand("DEL", keys) }
    /// `EXPIRE key seconds [NX|XX|GT|LT]`.
    public static func expire(_ key: RedisKey, seconds: Int, condition: RedisExpireCondition? = nil) -> RedisCommand {
        RedisCommand("EXPIRE", [key, RedisArgument(seconds)] + (condition.map { [RedisArgument($0.rawValue)] } ?? []))
    }
}

extension RedisCommandExecutor {
    /// `DEL`: how many keys were removed.
    @discardableResult
    public func del(_ keys: RedisKey...) async throws -> Int {
        try await execute(.del(keys))
    }

    /// `DEL` with a key array.
    @discardableResult
    public func del(_ keys: [RedisKey]) async throws -> Int {
        try await execute(.del(keys))
    }

    /// `UNLINK`: how many keys were removed.
    @discardableResult
    public func unlink(_ keys: [RedisKey]) async throws -> Int {
        try await execute(RedisCommand("UNLINK", keys))
    }

    /// `EXISTS`: how many of the keys exist (a key named twice counts twice).
    public func exists(_ keys: RedisKey...) async throws -> Int {
        try await execute(RedisCommand("EXISTS", keys))
    }

    /// `TYPE`: `string`, `list`… or `none`.
    public func type(_ key: RedisKey) async throws -> String {
        try await execute(RedisCommand("TYPE", [key]))
    }

    /// `EXPIRE`: whether the expiry was set.
    @discardableResult
    public func expire(_ key: RedisKey, seconds: Int, condition: RedisExpireCondition? = nil) async throws -> Bool {
        try await execute(.expire(key, seconds: seconds, condition: condition))
    }

    /// `PEXPIRE`: whether the expiry was set.
    @discardableResult
    public func pexpire(_ key: RedisKey, milliseconds: Int, condition: RedisExpireCondition? = nil) async throws -> Bool {
        try await execute(RedisCommand("PEXPIRE", [key, RedisArgument(milliseconds)]
                                           + (condition.map { [RedisArgument($0.rawValue)] } ?? [])))
    }

    /// `PERSIST`: whether an expiry was removed.
    @discardableResult
    public func persist(_ key: RedisKey) async throws -> Bool {
        try await execute(RedisCommand("PERSIST", [key]))
    }

    /// `TTL` (second resolution).
    public func ttl(_ key: RedisKey) async throws -> RedisTTL {
        Self.ttl(try await execute(RedisCommand("TTL", [key]), as: Int.self), unit: .seconds(1))
    }

    /// `PTTL` (millisecond resolution).
    public func pttl(_ key: RedisKey) async throws -> RedisTTL {
        Self.ttl(try await execute(RedisCommand("PTTL", [key]), as: Int.self), unit: .milliseconds(1))
    }

    private static func ttl(_ value: Int, unit: Duration) -> RedisTTL {
        switch value {
        case -2: return .keyDoesNotExist
        case -1: return .noExpiry
        default: return .expires(in: unit * value)
        }
    }

    /// `RENAME`.
    public func rename(_ key: RedisKey, to newKey: RedisKey) async throws {
        let _: RedisOK = try await execute(RedisCommand("RENAME", [key, newKey]))
    }

    /// `KEYS pattern` (blocks the server while it scans: prefer `scan`).
    public func keys(matching pattern: String) async throws -> [String] {
        try await execute(RedisCommand("KEYS", [RedisArgument(pattern)]))
    }

    /// The distinct hash tags of the keys named `<prefix>{<tag>}<rest>`, found with `scan` (on a
    /// cluster, every master): with `rest` nil whatever follows the tag, else exactly `rest`. A
    /// tag ends at the first `}`, as Redis Cluster reads it, and is never empty. Walks the
    /// keyspace, so it costs time in proportion to the number of keys.
    public func scanHashTags(prefix: String, rest: String? = nil) async throws -> Set<String> {
        func literal(_ text: String) -> String {
            text.reduce(into: "") { pattern, character in
                if "*?[]\\".contains(character) { pattern.append("\\") }
                pattern.append(character)
            }
        }
        let start = prefix + "{"
        var tags = Set<String>()
        for try await key in scan(matching: literal(start) + "*" + (rest.map { "}" + literal($0) } ?? ""), count: 1000) {
            let text = String(buffer: key)
            guard text.hasPrefix(start) else { continue }
            let named = text.dropFirst(start.count)
            guard let close = named.firstIndex(of: "}"), close != named.startIndex else { continue }
            if let rest, named[named.index(after: close)...] != rest[...] { continue }
            tags.insert(String(named[..<close]))
        }
        return tags
    }

    /// One `SCAN` step: the next cursor (0 when done) and a batch of keys. On a
    /// `RedisClusterClient` this asks one master chosen at random: page through a cluster with
    /// `RedisClusterClient.scanPage(cursor:matching:count:type:)` or `scan()` instead.
    public func scanPage(cursor: Int, matching pattern: String? = nil, count: Int? = nil,
                         type: String? = nil) async throws -> (cursor: Int, keys: [ByteBuffer]) {
        var args: [RedisArgument] = [RedisArgument(cursor)]
        if let pattern { args += ["MATCH", RedisArgument(pattern)] }
        if let count { args += ["COUNT", RedisArgument(count)] }
        if let type { args += ["TYPE", RedisArgument(type)] }
        let reply = try await execute(RedisCommand("SCAN", args))
        guard case .array(.some(let parts)) = reply, parts.count == 2 else {
            throw RESPDecodingError(expected: "[cursor, keys]", actual: reply.typeDescription)
        }
        return (try Int(fromRESP: parts[0]), try [ByteBuffer](fromRESP: parts[1]))
    }

    /// Every key, via `SCAN`, as an async sequence of keys. A key present for the whole scan is
    /// returned at least once; keys may repeat (SCAN's guarantee).
    ///
    /// On a `RedisClusterClient` the sequence walks every master in turn (see
    /// `RedisClusterClient.scanPage(cursor:matching:count:type:)` for its guarantees), also when
    /// the client is used through a generic `RedisCommandExecutor`.
    public func scan(matching pattern: String? = nil, count: Int? = nil, type: String? = nil) -> RedisScanSequence<Self> {
        RedisScanSequence(executor: self, pattern: pattern, count: count, type: type)
    }
}

/// The keys `SCAN` returns, page by page, as an `AsyncSequence`.
public struct RedisScanSequence<Executor: RedisCommandExecutor>: AsyncSequence, Sendable {
    /// Keys as byte buffers.
    public typealias Element = ByteBuffer
    let executor: Executor
    let pattern: String?
    let count: Int?
    let type: String?

    /// The iterator: fetches a page whenever the previous one is used up.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let sequence: RedisScanSequence
        var cursor = 0
        /// The walk over a cluster's masters, when the executor is a `RedisClusterClient`.
        var clusterCursor: RedisClusterScanCursor = .start
        var buffered: [ByteBuffer] = []
        var finished = false

        /// The next key, or nil after the last page.
        public mutating func next() async throws -> ByteBuffer? {
            while buffered.isEmpty {
                if finished { return nil }
                // A cluster's keys are spread over its masters, and one node's SCAN cursor means
                // nothing to another: the cluster pages through them all itself.
                if let cluster = sequence.executor as? RedisClusterClient {
                    let page = try await cluster.scanPage(cursor: clusterCursor, matching: sequence.pattern,
                                                          count: sequence.count, type: sequence.type)
                    if let next = page.cursor { clusterCursor = next } else { finished = true }
                    buffered = page.keys.reversed()
                    continue
                }
                let page = try await sequence.executor.scanPage(cursor: cursor, matching: sequence.pattern,
                                                                count: sequence.count, type: sequence.type)
                cursor = page.cursor
                finished = page.cursor == 0
                buffered = page.keys.reversed()
            }
            return buffered.popLast()
        }
    }

    /// Starts a scan at cursor 0.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(sequence: self) }
}
