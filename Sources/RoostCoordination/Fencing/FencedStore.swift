import RoostClient
import RoostRESP

/// Storage that the *server* protects against stale lease holders.
///
/// Each fenced key is a hash holding a `value` and the highest fencing `token` that wrote it. A
/// write presenting a token below that highest one is refused inside the same atomic script,
/// so a holder that paused past its lease (GC, SIGSTOP, a slow network) and then writes is
/// rejected once any later holder has written. Equal tokens are accepted: one holder may write
/// many times.
///
///     try await lock.withLock { lease in
///         try await store.set("report", bytes, token: lease.token)
///     }
///
/// The same check is available for custom atomic steps (`FencedScript`) and as a Redis
/// Function library (`functionLibrary`) for servers where users prefer FCALL.
public struct FencedStore: Sendable {
    let client: any RedisCommandExecutor

    /// A fenced store on `client`'s server or cluster.
    public init(on client: any RedisCommandExecutor) {
        self.client = client
    }

    /// Writes `value` to `key` if `token` is at least the highest token `key` has seen.
    /// - Throws: `CoordinationError.staleToken` when refused; client errors.
    public func set(_ key: RedisKey, _ value: RedisArgument, token: Int64) async throws {
        let reply = try await client.run(Self.setScript, keys: [key], arguments: [RedisArgument(Int(token)), value])
        guard case .array(let items?) = reply, items.count == 2,
              case .integer(let accepted) = items[0], case .integer(let highest) = items[1]
        else { throw CoordinationError.unexpectedReply("fenced set: \(reply)") }
        if accepted != 1 { throw CoordinationError.staleToken(presented: token, highest: highest) }
    }

    /// The value last written to `key`, or nil.
    public func get(_ key: RedisKey) async throws -> [UInt8]? {
        let reply = try await client.execute(RedisCommand("HGET", [key, "value"]))
        if case .bulkString(let bytes) = reply { return bytes }
        return nil
    }

    /// The highest token that wrote `key` (0 if none).
    public func highestToken(_ key: RedisKey) async throws -> Int64 {
        let reply = try await client.execute(RedisCommand("HGET", [key, "token"]))
        guard case .bulkString(let bytes?) = reply else { return 0 }
        return Int64(String(decoding: bytes, as: UTF8.self)) ?? 0
    }

    /// The fenced write, written once for the script and the function: `keys[1]` the fenced
    /// hash, `args[1]` the token, `args[2]` the value. `{1, token}` when written, `{0, highest}`
    /// when refused.
    static let setBody = """
        local highest = tonumber(redis.call('HGET', keys[1], 'token')) or 0
        local token = tonumber(args[1])
        if token == nil then return redis.error_reply('ERR fencing token is not a number') end
        if token < highest then return {0, highest} end
        redis.call('HSET', keys[1], 'value', args[2], 'token', args[1])
        return {1, token}
        """

    static let setScript = RedisScript("local keys, args = KEYS, ARGV\n" + setBody)

    /// A Redis Function library (`FUNCTION LOAD`) with `roost_fenced_set` (keys: the fenced
    /// hash; arguments: token, value; the same replies as `set`'s script) for Redis 7 and Roost.
    public static let functionLibrary = "#!lua name=roost_fencing\n"
        + "redis.register_function('roost_fenced_set', function(keys, args)\n" + setBody + "\nend)\n"
}

/// A custom atomic step guarded by a fencing token: the script runs only if its token is at
/// least the highest token recorded in the fence hash, and records it.
///
/// `KEYS[1]` is the fence hash (field `token`) and `ARGV[1]` the token; the body sees the
/// caller's keys from `KEYS[2]` and arguments from `ARGV[2]` on. All keys must share a hash
/// tag on a cluster.
public struct FencedScript: Sendable {
    /// The composed script (fence check, then the body).
    public let script: RedisScript

    /// A fenced script around a Lua `body`.
    public init(_ body: String) {
        script = RedisScript("""
            local highest = tonumber(redis.call('HGET', KEYS[1], 'token')) or 0
            local token = tonumber(ARGV[1])
            if token == nil then return redis.error_reply('ERR fencing token is not a number') end
            if token < highest then return redis.error_reply('STALE fencing token ' .. ARGV[1] .. ' is below ' .. highest) end
            redis.call('HSET', KEYS[1], 'token', ARGV[1])
            """ + "\n" + body)
    }

    /// Runs the script with `token` against the fence hash `fence`.
    /// - Throws: `CoordinationError.staleToken` when refused; the body's errors as
    ///   `RedisServerError`; client errors.
    public func run(on client: any RedisCommandExecutor, fence: RedisKey, token: Int64,
                    keys: [RedisKey] = [], arguments: [RedisArgument] = []) async throws -> RESPValue {
        do {
            return try await client.run(script, keys: [fence] + keys, arguments: [RedisArgument(Int(token))] + arguments)
        } catch let error as RedisServerError where error.prefix == "STALE" {
            let highest = Int64(error.message.split(separator: " ").last.map(String.init) ?? "") ?? 0
            throw CoordinationError.staleToken(presented: token, highest: highest)
        }
    }
}
