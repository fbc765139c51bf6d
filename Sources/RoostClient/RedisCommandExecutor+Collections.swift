import NIOCore
import RoostRESP

/// Which end of a list.
public enum RedisListEnd: String, Sendable, Hashable {
    /// The head (`LEFT`).
    case left = "LEFT"
    /// The tail (`RIGHT`).
    case right = "RIGHT"
}

extension RedisCommandExecutor {
    // MARK: Lists

    /// `LPUSH`: the new length.
    @discardableResult
    public func lpush(_ key: RedisKey, _ values: [any RedisArgumentConvertible]) async throws -> Int {
        try await execute(RedisCommand("LPUSH", [key] + values.map(\.redisArgument)))
    }

    /// `RPUSH`: the new length.
    @discardableResult
    public func rpush(_ key: RedisKey, _ values: [any RedisArgumentConvertible]) async throws -> Int {
        try await execute(RedisCommand("RPUSH", [key] + values.map(\.redisArgument)))
    }

    /// `LPOP key`: the head, or nil when the list is empty.
    public func lpop(_ key: RedisKey) async throws -> ByteBuffer? {
        try await execute(RedisCommand("LPOP", [key]))
    }

    /// `RPOP key`: the tail, or nil when the list is empty.
    public func rpop(_ key: RedisKey) async throws -> ByteBuffer? {
        try await execute(RedisCommand("RPOP", [key]))
    }

    /// `LPOP key count`: up to `count` elements from the head (empty when the key is missing).
    public func lpop(_ key: RedisKey, count: Int) async throws -> [ByteBuffer] {
        try await execute(RedisCommand("LPOP", [key, RedisArgument(count)]), as: [ByteBuffer]?.self) ?? []
    }

    /// `LRANGE key start stop` (inclusive; negative counts from the end).
    public func lrange(_ key: RedisKey, _ start: Int, _ stop: Int) async throws -> [ByteBuffer] {
        try await execute(RedisCommand("LRANGE", [key, RedisArgument(start), RedisArgument(stop)]))
    }

    /// `LRANGE`, each element decoded as `T`.
    public func lrange<T: RESPDecodable>(_ key: RedisKey, _ start: Int, _ stop: Int, as type: T.Type) async throws -> [T] {
        try await execute(RedisCommand("LRANGE", [key, RedisArgument(start), RedisArgument(stop)]))
    }

    /// `LLEN`.
    public func llen(_ key: RedisKey) async throws -> Int {
        try await execute(RedisCommand("LLEN", [key]))
    }

    /// `LINDEX`.
    public func lindex(_ key: RedisKey, _ index: Int) async throws -> ByteBuffer? {
        try await execute(RedisCommand("LINDEX", [key, RedisArgument(index)]))
    }

    /// `LREM key count element`: how many were removed.
    @discardableResult
    public func lrem(_ key: RedisKey, count: Int, _ element: some RedisArgumentConvertible) async throws -> Int {
        try await execute(RedisCommand("LREM", [key, RedisArgument(count), element.redisArgument]))
    }

    /// `LTRIM`.
    public func ltrim(_ key: RedisKey, _ start: Int, _ stop: Int) async throws {
        let _: RedisOK = try await execute(RedisCommand("LTRIM", [key, RedisArgument(start), RedisArgument(stop)]))
    }

    /// `LMOVE source destination from to`: the moved element, or nil when `source` is empty.
    public func lmove(from source: RedisKey, to destination: RedisKey, _ fromEnd: RedisListEnd, _ toEnd: RedisListEnd) async throws -> ByteBuffer? {
        try await execute(RedisCommand("LMOVE", [source, destination, RedisArgument(fromEnd.rawValue), RedisArgument(toEnd.rawValue)]))
    }

    // MARK: Hashes

    /// `HSET key field value…`: how many fields were added (not updated).
    @discardableResult
    public func hset(_ key: RedisKey, _ fields: [(String, any RedisArgumentConvertible)]) async throws -> Int {
        try await execute(RedisCommand("HSET", [key] + fields.flatMap { [RedisArgument($0.0), $0.1.redisArgument] }))
    }

    /// `HGET`.
    public func hget(_ key: RedisKey, _ field: String) async throws -> ByteBuffer? {
        try await execute(RedisCommand("HGET", [key, RedisArgument(field)]))
    }

    /// `HGET`, decoded as `T`.
    public func hget<T: RESPDecodable>(_ key: RedisKey, _ field: String, as type: T.Type) async throws -> T? {
        try await execute(RedisCommand("HGET", [key, RedisArgument(field)]))
    }

    /// `HMGET`: one optional value per field.
    public func hmget(_ key: RedisKey, _ fields: [String]) async throws -> [ByteBuffer?] {
        try await execute(RedisCommand("HMGET", [key] + fields.map(\.redisArgument)))
    }

    /// `HGETALL` as a dictionary (RESP2 flat arrays and RESP3 maps alike).
    public func hgetall(_ key: RedisKey) async throws -> [String: ByteBuffer] {
        try await execute(RedisCommand("HGETALL", [key]))
    }

    /// `HDEL`: how many fields were removed.
    @discardableResult
    public func hdel(_ key: RedisKey, _ fields: [String]) async throws -> Int {
        try await execute(RedisCommand("HDEL", [key] + fields.map(\.redisArgument)))
    }

    /// `HEXISTS`.
    public func hexists(_ key: RedisKey, _ field: String) async throws -> Bool {
        try await execute(RedisCommand("HEXISTS", [key, RedisArgument(field)]))
    }

    /// `HINCRBY`: the new value.
    @discardableResult
    public func hincrby(_ key: RedisKey, _ field: String, by increment: Int) async throws -> Int {
        try await execute(RedisCommand("HINCRBY", [key, RedisArgument(field), RedisArgument(increment)]))
    }

    /// `HLEN`.
    public func hlen(_ key: RedisKey) async throws -> Int {
        try await execute(RedisCommand("HLEN", [key]))
    }

    /// `HKEYS`.
    public func hkeys(_ key: RedisKey) async throws -> [String] {
        try await execute(RedisCommand("HKEYS", [key]))
    }

    // MARK: Sets

    /// `SADD`: how many members were added.
    @discardableResult
    public func sadd(_ key: RedisKey, _ members: [any RedisArgumentConvertible]) async throws -> Int {
        try await execute(RedisCommand("SADD", [key] + members.map(\.redisArgument)))
    }

    /// `SREM`: how many members were removed.
    @discardableResult
    public func srem(_ key: RedisKey, _ members: [any RedisArgumentConvertible]) async throws -> Int {
        try await execute(RedisCommand("SREM", [key] + members.map(\.redisArgument)))
    }

    /// `SMEMBERS` (RESP3 sets and RESP2 arrays alike).
    public func smembers(_ key: RedisKey) async throws -> Set<String> {
        try await execute(RedisCommand("SMEMBERS", [key]))
    }

    /// `SISMEMBER`.
    public func sismember(_ key: RedisKey, _ member: some RedisArgumentConvertible) async throws -> Bool {
        try await execute(RedisCommand("SISMEMBER", [key, member.redisArgument]))
    }

    /// `SCARD`.
    public func scard(_ key: RedisKey) async throws -> Int {
        try await execute(RedisCommand("SCARD", [key]))
    }

    // MARK: Sorted sets

    /// `ZADD key score member…`: how many members were added.
    @discardableResult
    public func zadd(_ key: RedisKey, _ members: [(score: Double, member: any RedisArgumentConvertible)]) async throws -> Int {
        try await execute(RedisCommand("ZADD", [key] + members.flatMap { [RedisArgument($0.score), $0.member.redisArgument] }))
    }

    /// `ZSCORE`: nil when the member is absent.
    public func zscore(_ key: RedisKey, _ member: some RedisArgumentConvertible) async throws -> Double? {
        try await execute(RedisCommand("ZSCORE", [key, member.redisArgument]))
    }

    /// `ZINCRBY`: the new score.
    @discardableResult
    public func zincrby(_ key: RedisKey, _ increment: Double, _ member: some RedisArgumentConvertible) async throws -> Double {
        try await execute(RedisCommand("ZINCRBY", [key, RedisArgument(increment), member.redisArgument]))
    }

    /// `ZRANGE key start stop` by rank.
    public func zrange(_ key: RedisKey, _ start: Int, _ stop: Int) async throws -> [String] {
        try await execute(RedisCommand("ZRANGE", [key, RedisArgument(start), RedisArgument(stop)]))
    }

    /// `ZRANGE key start stop WITHSCORES`: members with their scores (RESP2's flat array and
    /// RESP3's pairs alike).
    public func zrangeWithScores(_ key: RedisKey, _ start: Int, _ stop: Int) async throws -> [(member: String, score: Double)] {
        let reply = try await execute(RedisCommand("ZRANGE", [key, RedisArgument(start), RedisArgument(stop), "WITHSCORES"]))
        guard let elements = reply.elements else { throw reply.mismatch("[member, score] pairs") }
        if elements.allSatisfy({ $0.elements?.count == 2 }) {
            return try elements.map { pair in
                let parts = pair.elements ?? []
                return (try String(fromRESP: parts[0]), try Double(fromRESP: parts[1]))
            }
        }
        guard elements.count % 2 == 0 else { throw reply.mismatch("[member, score] pairs") }
        return try stride(from: 0, to: elements.count, by: 2).map {
            (try String(fromRESP: elements[$0]), try Double(fromRESP: elements[$0 + 1]))
        }
    }

    /// `ZRANK`: nil when the member is absent.
    public func zrank(_ key: RedisKey, _ member: some RedisArgumentConvertible) async throws -> Int? {
        try await execute(RedisCommand("ZRANK", [key, member.redisArgument]))
    }

    /// `ZREM`: how many members were removed.
    @discardableResult
    public func zrem(_ key: RedisKey, _ members: [any RedisArgumentConvertible]) async throws -> Int {
        try await execute(RedisCommand("ZREM", [key] + members.map(\.redisArgument)))
    }

    /// `ZCARD`.
    public func zcard(_ key: RedisKey) async throws -> Int {
        try await execute(RedisCommand("ZCARD", [key]))
    }
}
