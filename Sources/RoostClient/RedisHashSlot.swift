import NIOCore

/// A Redis Cluster hash slot (0…16383): CRC16/XMODEM of the key, or of its hash tag (the part
/// between the first `{` and the next `}`, when not empty), modulo 16384.
///
/// This is the routing seam for cluster support: a cluster client maps slots to nodes and sends
/// each command to the node owning `RedisCommand.hashSlot()`.
public struct RedisHashSlot: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The number of slots.
    public static let count = 16384
    /// The slot number.
    public let rawValue: UInt16

    /// The slot numbered `rawValue` modulo 16384 (as a `MOVED` reply or `CLUSTER SHARDS` names it).
    public init(rawValue: UInt16) {
        self.rawValue = rawValue % UInt16(Self.count)
    }

    /// The slot of `key`.
    public init(key: some Collection<UInt8>) {
        let bytes = Array(key)
        var hashed = bytes[...]
        if let open = bytes.firstIndex(of: UInt8(ascii: "{")),
           let close = bytes[(open + 1)...].firstIndex(of: UInt8(ascii: "}")), close > open + 1 {
            hashed = bytes[(open + 1)..<close]
        }
        rawValue = Self.crc16(hashed) % UInt16(Self.count)
    }

    /// The slot of a key given as an argument.
    public init(key: RedisKey) {
        self.init(key: key.bytes.readableBytesView)
    }

    /// The slot of a UTF-8 key.
    public init(key: String) {
        self.init(key: Array(key.utf8))
    }

    /// CRC16/XMODEM (polynomial 0x1021, initial value 0), as Redis Cluster uses it.
    static func crc16(_ bytes: ArraySlice<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 {
                crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
            }
        }
        return crc
    }

    /// Orders by slot number.
    public static func < (lhs: RedisHashSlot, rhs: RedisHashSlot) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The slot number.
    public var description: String { String(rawValue) }
}

extension RedisCommand {
    /// Where a command's keys are, as `COMMAND INFO` reports it: the first key's argument index,
    /// the last's (negative counts from the end), and the step between keys.
    public struct KeyPositions: Hashable, Sendable {
        /// Index of the first key (the command name is index 0).
        public var first: Int
        /// Index of the last key; -1 is the last argument, -2 the one before…
        public var last: Int
        /// Distance between consecutive keys.
        public var step: Int
    }

    /// Key positions of the commands the typed API sends, plus common ones. A cluster router
    /// asks the server (`COMMAND INFO`) for commands not listed here.
    static let keyPositions: [String: KeyPositions?] = {
        var table: [String: KeyPositions?] = [:]
        let single = KeyPositions(first: 1, last: 1, step: 1)
        for name in ["GET", "SET", "SETNX", "SETEX", "PSETEX", "GETSET", "GETDEL", "GETEX", "INCR", "INCRBY",
                     "INCRBYFLOAT", "DECR", "DECRBY", "APPEND", "STRLEN", "GETRANGE", "SETRANGE", "EXPIRE",
                     "PEXPIRE", "EXPIREAT", "PEXPIREAT", "PERSIST", "TTL", "PTTL", "TYPE", "LPUSH", "RPUSH",
                     "LPOP", "RPOP", "LRANGE", "LLEN", "LINDEX", "LREM", "LTRIM", "HSET", "HGET", "HMGET",
                     "HGETALL", "HDEL", "HEXISTS", "HINCRBY", "HLEN", "HKEYS", "HVALS", "SADD", "SREM",
                     "SMEMBERS", "SISMEMBER", "SCARD", "ZADD", "ZSCORE", "ZINCRBY", "ZRANGE", "ZRANK", "ZREM",
                     "ZCARD"] {
            table[name] = single
        }
        for name in ["DEL", "UNLINK", "EXISTS", "MGET", "WATCH", "TOUCH"] {
            table[name] = KeyPositions(first: 1, last: -1, step: 1)
        }
        for name in ["MSET", "MSETNX"] { table[name] = KeyPositions(first: 1, last: -1, step: 2) }
        for name in ["RENAME", "RENAMENX", "LMOVE", "RPOPLPUSH", "SMOVE", "COPY"] {
            table[name] = KeyPositions(first: 1, last: 2, step: 1)
        }
        for name in ["BLPOP", "BRPOP"] { table[name] = KeyPositions(first: 1, last: -2, step: 1) }
        for name in ["PING", "ECHO", "INFO", "DBSIZE", "FLUSHDB", "FLUSHALL", "KEYS", "SCAN", "MULTI", "EXEC",
                     "DISCARD", "UNWATCH", "PUBLISH", "SUBSCRIBE", "PSUBSCRIBE", "SELECT", "HELLO", "AUTH",
                     "CLIENT"] {
            table[name] = .some(nil)
        }
        return table
    }()

    /// The command's keys, or nil when its key positions are not known to the client.
    public var keys: [RedisArgument]? {
        guard let entry = Self.keyPositions[name] else { return nil }
        guard let positions = entry else { return [] }
        let last = positions.last < 0 ? arguments.count + positions.last : positions.last
        guard positions.first < arguments.count, last >= positions.first else { return [] }
        return stride(from: positions.first, through: min(last, arguments.count - 1), by: positions.step).map { arguments[$0] }
    }

    /// The hash slot all of the command's keys hash to: nil for a command without keys or with
    /// unknown key positions.
    /// - Throws: `RedisClientError` `.crossSlot` when the keys hash to different slots.
    public func hashSlot() throws -> RedisHashSlot? {
        guard let keys, let first = keys.first else { return nil }
        let slot = RedisHashSlot(key: first)
        for key in keys.dropFirst() where RedisHashSlot(key: key) != slot {
            throw RedisClientError(.crossSlot, "the keys of \(name) hash to different slots")
        }
        return slot
    }
}
