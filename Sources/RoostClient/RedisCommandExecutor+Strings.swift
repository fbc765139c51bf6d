import NIOCore
import RoostRESP

/// Expiry options for `SET` and `GETEX`.
public enum RedisExpiration: Sendable, Hashable {
    /// `EX seconds`.
    case seconds(Int)
    /// `PX milliseconds`.
    case milliseconds(Int)
    /// `EXAT unix-seconds`.
    case unixTimeSeconds(Int)
    /// `PXAT unix-milliseconds`.
    case unixTimeMilliseconds(Int)
    /// `KEEPTTL` (SET only).
    case keepTTL

    var arguments: [RedisArgument] {
        switch self {
        case .seconds(let n): return ["EX", RedisArgument(n)]
        case .milliseconds(let n): return ["PX", RedisArgument(n)]
        case .unixTimeSeconds(let n): return ["EXAT", RedisArgument(n)]
        case .unixTimeMilliseconds(let n): return ["PXAT", RedisArgument(n)]
        case .keepTTL: return ["KEEPTTL"]
        }
    }
}

/// `SET`'s existence condition.
public enum RedisSetCondition: Sendable, Hashable {
    /// Always set.
    case always
    /// `NX`: only if the key does not exist.
    case ifNotExists
    /// `XX`: only if the key exists.
    case ifExists
}

extension RedisCommand {
    /// `GET key`.
    public static func get(_ key: RedisKey) -> RedisCommand { RedisCommand("GET", [key]) }
    /// `SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT|KEEPTTL]`.
    public static func set(_ key: RedisKey, _ value: some RedisArgumentConvertible,
                           condition: RedisSetCondition = .always, expiration: RedisExpiration? = nil,
                           returnOld: Bool = false) -> RedisCommand {
        var args: [RedisArgument] = [key, value.redisArgument]
        switch condition {
        case .always: break
        case .ifNotExists: args.append("NX")
        case .ifExists: args.append("XX")
        }
        if returnOld { args.append("GET") }
        if let expiration { args += expiration.arguments }
        return RedisCommand("SET", args)
    }
    /// `INCRBY key increment` (`INCR` when 1).
    public static func incr(_ key: RedisKey, by increment: Int = 1) -> RedisCommand {
        increment == 1 ? RedisCommand("INCR", [key]) : RedisCommand("INCRBY", [key, RedisArgument(increment)])
    }
    /// `DECRBY key decrement` (`DECR` when 1).
    public static func decr(_ key: RedisKey, by decrement: Int = 1) -> RedisCommand {
        decrement == 1 ? RedisCommand("DECR", [key]) : RedisCommand("DECRBY", [key, RedisArgument(decrement)])
    }
}

extension RedisCommandExecutor {
    /// `GET`: the value's bytes, or nil when the key does not exist.
    public func get(_ key: RedisKey) async throws -> ByteBuffer? {
        try await execute(.get(key))
    }

    /// `GET`, decoded as `T` (nil when the key does not exist).
    public func get<T: RESPDecodable>(_ key: RedisKey, as type: T.Type) async throws -> T? {
        try await execute(.get(key))
    }

    /// `SET` with options. Returns whether the value was set (false when NX/XX prevented it).
    @discardableResult
    public func set(_ key: RedisKey, _ value: some RedisArgumentConvertible,
                    condition: RedisSetCondition = .always, expiration: RedisExpiration? = nil) async throws -> Bool {
        let reply = try await execute(.set(key, value, condition: condition, expiration: expiration))
        return !reply.isNull
    }

    /// `SET … GET`: sets the value and returns the old one (nil when there was none).
    public func setAndGet(_ key: RedisKey, _ value: some RedisArgumentConvertible,
                          condition: RedisSetCondition = .always, expiration: RedisExpiration? = nil) async throws -> ByteBuffer? {
        try await execute(.set(key, value, condition: condition, expiration: expiration, returnOld: true))
    }

    /// `GETDEL`.
    public func getdel(_ key: RedisKey) async throws -> ByteBuffer? {
        try await execute(RedisCommand("GETDEL", [key]))
    }

    /// `GETEX` with an optional new expiry (`nil` leaves it; use `persist: true` for `PERSIST`).
    public func getex(_ key: RedisKey, expiration: RedisExpiration? = nil, persist: Bool = false) async throws -> ByteBuffer? {
        var args: [RedisArgument] = [key]
        if let expiration { args += expiration.arguments }
        if persist { args.append("PERSIST") }
        return try await execute(RedisCommand("GETEX", args))
    }

    /// `INCR` / `INCRBY`: the new value.
    @discardableResult
    public func incr(_ key: RedisKey, by increment: Int = 1) async throws -> Int {
        try await execute(.incr(key, by: increment))
    }

    /// `DECR` / `DECRBY`: the new value.
    @discardableResult
    public func decr(_ key: RedisKey, by decrement: Int = 1) async throws -> Int {
        try await execute(.decr(key, by: decrement))
    }

    /// `INCRBYFLOAT`: the new value.
    @discardableResult
    public func incr(_ key: RedisKey, byFloat increment: Double) async throws -> Double {
        try await execute(RedisCommand("INCRBYFLOAT", [key, RedisArgument(increment)]))
    }

    /// `MGET`: one optional value per key, in order.
    public func mget(_ keys: [RedisKey]) async throws -> [ByteBuffer?] {
        try await execute(RedisCommand("MGET", keys))
    }

    /// `MGET`, each value decoded as `T`.
    public func mget<T: RESPDecodable>(_ keys: [RedisKey], as type: T.Type) async throws -> [T?] {
        try await execute(RedisCommand("MGET", keys))
    }

    /// `MSET`.
    public func mset(_ pairs: [(RedisKey, any RedisArgumentConvertible)]) async throws {
        let _: RedisOK = try await execute(RedisCommand("MSET", pairs.flatMap { [$0.0, $0.1.redisArgument] }))
    }

    /// `MSETNX`: whether all keys were set (none existed).
    @discardableResult
    public func msetnx(_ pairs: [(RedisKey, any RedisArgumentConvertible)]) async throws -> Bool {
        try await execute(RedisCommand("MSETNX", pairs.flatMap { [$0.0, $0.1.redisArgument] }))
    }

    /// `APPEND`: the new length.
    @discardableResult
    public func append(_ key: RedisKey, _ value: some RedisArgumentConvertible) async throws -> Int {
        try await execute(RedisCommand("APPEND", [key, value.redisArgument]))
    }

    /// `STRLEN`.
    public func strlen(_ key: RedisKey) async throws -> Int {
        try await execute(RedisCommand("STRLEN", [key]))
    }

    /// `GETRANGE key start end` (inclusive, negative counts from the end).
    public func getrange(_ key: RedisKey, from start: Int, to end: Int) async throws -> ByteBuffer {
        try await execute(RedisCommand("GETRANGE", [key, RedisArgument(start), RedisArgument(end)]))
    }

    /// `SETRANGE`: the new length.
    @discardableResult
    public func setrange(_ key: RedisKey, offset: Int, _ value: some RedisArgumentConvertible) async throws -> Int {
        try await execute(RedisCommand("SETRANGE", [key, RedisArgument(offset), value.redisArgument]))
    }
}
