import NIOCore
import RoostRESP

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
    /// The command's key declaration in the table the client shares with Roost's engine
    /// (`CommandKeys`, Redis 7.0's key specs); nil when Redis 7.0 has no such command or subcommand.
    var commandKeys: CommandKeys? {
        CommandKeys.resolve(arguments.lazy.map(\.bytes))
    }

    /// The command's keys, found locally as Redis's `COMMAND GETKEYS` finds them (key specs, and
    /// for EVAL, FCALL, ZUNIONSTORE, LMPOP, SORT… their `numkeys` or options); empty for a
    /// keyless command, and nil when the command is not one of Redis 7.0's (a module's, or a
    /// newer server's), whose keys the client cannot know without asking the server.
    public var keys: [RedisArgument]? {
        keys(includingNotKeys: false)
    }

    /// The arguments the command is routed by: its keys, plus the channels of sharded pub/sub
    /// (`SPUBLISH`, `SSUBSCRIBE`), which hash to slots like keys; nil as for `keys`.
    var routingKeys: [RedisArgument]? {
        keys(includingNotKeys: true)
    }

    private func keys(includingNotKeys: Bool) -> [RedisArgument]? {
        guard let commandKeys else { return nil }
        return commandKeys.keys(in: arguments.lazy.map(\.bytes), includingNotKeys: includingNotKeys)
            .map { arguments[$0.index] }
    }

    /// The hash slot all of the command's keys (and sharded channels) hash to: nil for a command
    /// without keys or unknown to the client.
    /// - Throws: `RedisClientError` `.crossSlot` when the keys hash to different slots.
    public func hashSlot() throws -> RedisHashSlot? {
        try RedisClusterRouter.slot(of: routingKeys ?? [], name: name)
    }
}
