import RoostClient
import RoostRESP

/// What a coordination primitive needs from a client: commands (scripts) and shard-channel
/// subscriptions for the notices that wake waiters. Every event of a subscription, a message or
/// a gap (the subscription reconnected and may have missed messages), makes a waiter re-check
/// the state on the server, so a lost notice costs one re-check, never a missed wake-up. `RedisClient` (Roost, Redis, Valkey) and
/// `RedisClusterClient` (Redis Cluster) are coordination clients.
public protocol CoordinationClient: RedisCommandExecutor {
    /// Subscribes as `RedisClient.subscribe` does, for as long as `body` runs.
    func subscribe<Result: Sendable>(
        channels: [any RedisArgumentConvertible], patterns: [any RedisArgumentConvertible],
        shardChannels: [any RedisArgumentConvertible],
        _ body: (RedisSubscription) async throws -> Result
    ) async throws -> Result
}

extension RedisClient: CoordinationClient {}
extension RedisClusterClient: CoordinationClient {}

extension RedisCommandExecutor {
    /// Runs `script` by SHA-1 (EVALSHA), sending its body (EVAL) only on NOSCRIPT, with a
    /// deadline for the reply.
    func run(_ script: RedisScript, keys: [RedisKey], arguments: [RedisArgument], timeout: Duration? = nil) async throws -> RESPValue {
        do {
            return try await execute(.evalsha(script.sha1, keys: keys, arguments: arguments), timeout: timeout)
        } catch let error as RedisServerError where error.prefix == "NOSCRIPT" {
            return try await execute(.eval(script.source, keys: keys, arguments: arguments), timeout: timeout)
        }
    }
}

/// Random owner ids: 128 bits as 32 hex digits, unique per acquisition.
enum OwnerID {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64, low = generator.next() as UInt64
        return hex(high) + hex(low)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

extension Duration {
    /// Whole milliseconds, rounded up, at least 1: the unit of PEXPIRE.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let ms = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return max(1, ms)
    }
}
