import RoostClient
import RoostRESP

/// A count-down latch shared by every process that names it: `wait` returns once `countDown`
/// has been called `count` times, by anyone.
///
///     let ready = CountDownLatch("shards-loaded", on: client)
///     try await ready.trySetCount(8)        // once, by the coordinator
///     try await ready.countDown()           // by each of 8 workers
///     try await ready.wait(timeout: .seconds(60))
///
/// Waiters do not poll: the count-down that opens the latch publishes a notice.
///
/// Keys (hash tag `{name}`): `roost:latch:{name}` (the remaining count; absent when open) and
/// the shard channel `roost:latch:{name}:opened`.
public struct CountDownLatch: Sendable {
    /// The latch's name.
    public let name: String
    let client: any CoordinationClient
    let key: RedisKey
    let channel: String

    /// A latch named `name` on `client`'s server or cluster.
    public init(_ name: String, on client: any CoordinationClient) {
        self.name = name
        self.client = client
        self.key = RedisKey("roost:latch:{\(name)}")
        self.channel = "roost:latch:{\(name)}:opened"
    }

    /// Arms the latch with `count` if it is open (count 0).
    /// - Returns: false when it is already armed (the count is left as it is).
    @discardableResult
    public func trySetCount(_ count: Int) async throws -> Bool {
        guard count > 0 else { throw CoordinationError.invalidArgument("a latch count must be positive, not \(count)") }
        let reply = try await client.execute(RedisCommand("SET", [key, RedisArgument(count), "NX"]))
        return reply != .null && reply != .bulkString(nil)
    }

    /// Counts down by one; the count-down that reaches zero opens the latch and wakes every
    /// waiter. Counting down an open latch does nothing.
    /// - Returns: the remaining count.
    @discardableResult
    public func countDown() async throws -> Int {
        let reply = try await client.run(Self.countDownScript, keys: [key], arguments: [RedisArgument(channel)])
        guard case .integer(let remaining) = reply else { throw CoordinationError.unexpectedReply("latch count down: \(reply)") }
        return Int(remaining)
    }

    /// The remaining count (0 when open).
    public func count() async throws -> Int {
        let reply = try await client.execute(RedisCommand("GET", [key]))
        guard case .bulkString(let bytes?) = reply else { return 0 }
        return Int(String(decoding: bytes, as: UTF8.self)) ?? 0
    }

    /// Returns once the latch is open, waiting up to `timeout` (nil: for ever).
    /// - Throws: `CoordinationError.timedOut`, `CancellationError`, client errors.
    public func wait(timeout: Duration? = nil) async throws {
        try await NoticeWaiter.wait(on: client, channel: channel, timeout: timeout) { _ in
            try await count() == 0 ? .done(()) : .notYet(recheckAfter: nil)
        }
    }

    /// Decrements `KEYS[1]` if armed; at zero deletes it and publishes on `ARGV[1]`.
    static let countDownScript = RedisScript("""
        if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
        local remaining = redis.call('DECR', KEYS[1])
        if remaining <= 0 then
          redis.call('DEL', KEYS[1])
          redis.call('SPUBLISH', ARGV[1], 'open')
          return 0
        end
        return remaining
        """)
}
