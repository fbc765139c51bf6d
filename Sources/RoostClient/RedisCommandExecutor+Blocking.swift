import NIOCore
import RoostRESP

/// Which end of a sorted set a pop takes from.
public enum RedisSortedSetEnd: String, Sendable, Hashable {
    /// The lowest scores (`MIN`).
    case min = "MIN"
    /// The highest scores (`MAX`).
    case max = "MAX"
}

/// A blocking command's timeout: the argument sent to the server and the client's own deadline
/// for the reply.
struct RedisBlockingTimeout {
    /// What the client waits for a reply when the server waits for ever.
    static let forever = Duration.seconds(100 * 365 * 24 * 3600)
    /// How much longer than the server's timeout the client waits for the reply.
    static let margin = Duration.seconds(10)

    /// Seconds as Redis reads a timeout: `0` for ever, else whole milliseconds as a decimal.
    let argument: RedisArgument
    /// The per-request timeout: the server's timeout plus `margin`, or `forever`.
    let requestTimeout: Duration

    /// `nil` and zero wait for ever. Sub-millisecond parts round up to the next millisecond, and
    /// a negative timeout (a deadline already past) waits 1 ms: sending 0 would wait for ever.
    init(_ timeout: Duration?) {
        guard let timeout, timeout != .zero, timeout < .seconds(1_000_000_000_000) else {
            argument = "0"
            requestTimeout = Self.forever
            return
        }
        var milliseconds: Int64 = 1
        if timeout > .zero {
            let (seconds, attoseconds) = timeout.components
            let attosecondsPerMillisecond: Int64 = 1_000_000_000_000_000
            milliseconds = seconds * 1000 + (attoseconds + attosecondsPerMillisecond - 1) / attosecondsPerMillisecond
        }
        let fraction = milliseconds % 1000
        if fraction == 0 {
            argument = RedisArgument(Int(milliseconds / 1000))
        } else {
            let digits = String(fraction)
            argument = RedisArgument("\(milliseconds / 1000).\(String(repeating: "0", count: 3 - digits.count))\(digits)")
        }
        requestTimeout = .milliseconds(milliseconds) + Self.margin
    }
}

extension RedisCommandExecutor {
    /// Sends a blocking command whose `timeout` argument is already in `command`, allowing the
    /// client `timeout.requestTimeout` for the reply.
    private func executeBlocking(_ command: RedisCommand, _ timeout: RedisBlockingTimeout) async throws -> RESPValue {
        try await execute(command, timeout: timeout.requestTimeout)
    }

    /// `BLMOVE source destination from to timeout`: moves the element at `fromEnd` of `source`
    /// to `toEnd` of `destination` and returns it, waiting up to `timeout` for `source` to have
    /// one; nil after the timeout.
    ///
    /// - `timeout`: `nil` or zero waits for ever; sub-second timeouts are sent as fractional
    ///   seconds (millisecond precision, rounded up); a negative timeout waits 1 ms.
    /// - On a `RedisClient` (and so on each node of a `RedisClusterClient`) the command runs on a
    ///   dedicated connection: no pooled connection is held while it waits, and a caller that
    ///   loops keeps reusing the same dedicated connection. On a `RedisConnection` it blocks that
    ///   connection, and cancelling abandons the reply (an element already moved stays in
    ///   `destination`).
    /// - Cancelling the task unblocks the command on the server (`CLIENT UNBLOCK`); the
    ///   connection stays usable. If the server had already moved the element, it is returned
    ///   in spite of the cancellation, so it is never dropped; otherwise the call throws
    ///   `RedisClientError` `.cancelled` and nothing was moved.
    /// - If the connection drops while the command waits, the call throws
    ///   `RedisClientError` `.connectionClosed` and the command is not sent again: the server may
    ///   have moved an element whose reply was lost. The element is then in `destination`, never
    ///   lost, which makes `BLMOVE` into a processing list the at-least-once way to take work:
    ///   after such an error, look at (or let a reaper look at) `destination`. The next call
    ///   opens a new connection, with the configured backoff.
    /// - Throws: `RedisServerError` (`WRONGTYPE`…), `RedisClientError` (`.cancelled`,
    ///   `.connectionClosed`, `.timeout` when no reply came within the timeout plus 10 s).
    public func blmove(from source: RedisKey, to destination: RedisKey, _ fromEnd: RedisListEnd, _ toEnd: RedisListEnd,
                       timeout: Duration?) async throws -> ByteBuffer? {
        let timeout = RedisBlockingTimeout(timeout)
        return try ByteBuffer?(fromRESP: await executeBlocking(RedisCommand("BLMOVE", [
            source, destination, RedisArgument(fromEnd.rawValue), RedisArgument(toEnd.rawValue), timeout.argument,
        ]), timeout))
    }

    /// `BRPOPLPUSH source destination timeout`: `blmove(from: source, to: destination, .right,
    /// .left, timeout:)` for servers before 6.2; the same rules apply (see `blmove`).
    public func brpoplpush(from source: RedisKey, to destination: RedisKey, timeout: Duration?) async throws -> ByteBuffer? {
        let timeout = RedisBlockingTimeout(timeout)
        return try ByteBuffer?(fromRESP: await executeBlocking(
            RedisCommand("BRPOPLPUSH", [source, destination, timeout.argument]), timeout))
    }

    /// `BLPOP keys… timeout`: the first non-empty list's key and its head, waiting up to
    /// `timeout`; nil after the timeout. Timeouts and cancellation as for `blmove`. If the
    /// connection drops while it waits, the call throws `.connectionClosed` and an element the
    /// server popped is lost with the reply: pops are at-most-once; use `blmove` when an element
    /// must not be lost.
    public func blpop(_ keys: [RedisKey], timeout: Duration?) async throws -> (key: ByteBuffer, element: ByteBuffer)? {
        try await blockingPop("BLPOP", keys, RedisBlockingTimeout(timeout))
    }

    /// `BRPOP keys… timeout`: as `blpop`, from the tails.
    public func brpop(_ keys: [RedisKey], timeout: Duration?) async throws -> (key: ByteBuffer, element: ByteBuffer)? {
        try await blockingPop("BRPOP", keys, RedisBlockingTimeout(timeout))
    }

    /// `BLPOP` with the timeout in seconds (0 or less waits for ever); see `blpop(_:timeout:)`.
    public func blpop(_ keys: [RedisKey], timeout seconds: Double) async throws -> (key: ByteBuffer, element: ByteBuffer)? {
        try await blpop(keys, timeout: Self.duration(seconds: seconds))
    }

    /// `BRPOP` with the timeout in seconds (0 or less waits for ever); see `blpop(_:timeout:)`.
    public func brpop(_ keys: [RedisKey], timeout seconds: Double) async throws -> (key: ByteBuffer, element: ByteBuffer)? {
        try await brpop(keys, timeout: Self.duration(seconds: seconds))
    }

    private static func duration(seconds: Double) -> Duration? {
        seconds > 0 ? .milliseconds(Int64((seconds * 1000).rounded(.up))) : nil
    }

    private func blockingPop(_ name: String, _ keys: [RedisKey], _ timeout: RedisBlockingTimeout) async throws -> (key: ByteBuffer, element: ByteBuffer)? {
        let reply = try await executeBlocking(RedisCommand(name, keys + [timeout.argument]), timeout)
        guard let pair = try [ByteBuffer]?(fromRESP: reply) else { return nil }
        guard pair.count == 2 else { throw RESPDecodingError(expected: "[key, element]", actual: "\(pair.count) elements") }
        return (pair[0], pair[1])
    }

    /// `BLMPOP timeout numkeys keys… LEFT|RIGHT [COUNT count]`: up to `count` elements (1 when
    /// nil) from `end` of the first non-empty list, with its key, waiting up to `timeout`; nil
    /// after the timeout. Rules as for `blpop` (at-most-once when the connection drops).
    public func blmpop(_ keys: [RedisKey], from end: RedisListEnd, count: Int? = nil,
                       timeout: Duration?) async throws -> (key: ByteBuffer, elements: [ByteBuffer])? {
        let timeout = RedisBlockingTimeout(timeout)
        var arguments = [timeout.argument, RedisArgument(keys.count)] + keys + [RedisArgument(end.rawValue)]
        if let count { arguments += ["COUNT", RedisArgument(count)] }
        let reply = try await executeBlocking(RedisCommand("BLMPOP", arguments), timeout)
        guard !reply.isNull else { return nil }
        guard let parts = reply.elements, parts.count == 2 else { throw reply.mismatch("[key, [element…]]") }
        return (try ByteBuffer(fromRESP: parts[0]), try [ByteBuffer](fromRESP: parts[1]))
    }

    /// `BZPOPMIN keys… timeout`: the member with the lowest score of the first non-empty sorted
    /// set, with its key and score, waiting up to `timeout`; nil after the timeout. Rules as for
    /// `blpop` (at-most-once when the connection drops).
    public func bzpopmin(_ keys: [RedisKey], timeout: Duration?) async throws -> (key: ByteBuffer, member: ByteBuffer, score: Double)? {
        try await blockingSortedSetPop("BZPOPMIN", keys, RedisBlockingTimeout(timeout))
    }

    /// `BZPOPMAX keys… timeout`: as `bzpopmin`, the highest score.
    public func bzpopmax(_ keys: [RedisKey], timeout: Duration?) async throws -> (key: ByteBuffer, member: ByteBuffer, score: Double)? {
        try await blockingSortedSetPop("BZPOPMAX", keys, RedisBlockingTimeout(timeout))
    }

    private func blockingSortedSetPop(_ name: String, _ keys: [RedisKey],
                                      _ timeout: RedisBlockingTimeout) async throws -> (key: ByteBuffer, member: ByteBuffer, score: Double)? {
        let reply = try await executeBlocking(RedisCommand(name, keys + [timeout.argument]), timeout)
        guard !reply.isNull else { return nil }
        guard let parts = reply.elements, parts.count == 3 else { throw reply.mismatch("[key, member, score]") }
        return (try ByteBuffer(fromRESP: parts[0]), try ByteBuffer(fromRESP: parts[1]), try Double(fromRESP: parts[2]))
    }

    /// `BZMPOP timeout numkeys keys… MIN|MAX [COUNT count]`: up to `count` members (1 when nil)
    /// with their scores from `end` of the first non-empty sorted set, with its key, waiting up
    /// to `timeout`; nil after the timeout. Rules as for `blpop` (at-most-once when the
    /// connection drops).
    public func bzmpop(_ keys: [RedisKey], _ end: RedisSortedSetEnd, count: Int? = nil,
                       timeout: Duration?) async throws -> (key: ByteBuffer, members: [(member: ByteBuffer, score: Double)])? {
        let timeout = RedisBlockingTimeout(timeout)
        var arguments = [timeout.argument, RedisArgument(keys.count)] + keys + [RedisArgument(end.rawValue)]
        if let count { arguments += ["COUNT", RedisArgument(count)] }
        let reply = try await executeBlocking(RedisCommand("BZMPOP", arguments), timeout)
        guard !reply.isNull else { return nil }
        guard let parts = reply.elements, parts.count == 2, let entries = parts[1].elements else {
            throw reply.mismatch("[key, [[member, score]…]]")
        }
        // Pairs as nested arrays (as Redis 7 sends them), or flat member, score, member, score.
        var members: [(member: ByteBuffer, score: Double)] = []
        if entries.allSatisfy({ $0.elements?.count == 2 }) {
            for entry in entries {
                let pair = entry.elements ?? []
                members.append((try ByteBuffer(fromRESP: pair[0]), try Double(fromRESP: pair[1])))
            }
        } else {
            guard entries.count % 2 == 0 else { throw reply.mismatch("[key, [[member, score]…]]") }
            for index in stride(from: 0, to: entries.count, by: 2) {
                members.append((try ByteBuffer(fromRESP: entries[index]), try Double(fromRESP: entries[index + 1])))
            }
        }
        return (try ByteBuffer(fromRESP: parts[0]), members)
    }
}
