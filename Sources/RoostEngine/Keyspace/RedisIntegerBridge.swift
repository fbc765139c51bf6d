import RoostRESP

/// Re-exports the RESP module's Redis integer rules for inlinable engine code.

enum RedisIntegerBridge {
    static func parse(_ bytes: [UInt8]) -> Int64? { RedisInteger.parse(bytes) }
    static func bytes(_ value: Int64) -> [UInt8] { RedisInteger.bytes(value) }
}
