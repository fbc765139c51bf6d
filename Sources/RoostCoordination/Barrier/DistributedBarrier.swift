import RoostClient
import RoostRESP

/// A cyclic barrier shared by every process that names it: `parties` callers of `arrive` wait
/// for each other, then all go on together, and the barrier is ready for the next round.
///
///     let step = DistributedBarrier("epoch", parties: 4, on: client)
///     try await step.arrive(timeout: .seconds(30))
///
/// A caller that times out withdraws its arrival (if the round has not tripped yet), so the
/// round still needs `parties` live arrivals.
///
/// Keys (hash tag `{name}`): `roost:barrier:{name}` (hash: `generation`, `arrived`) and the
/// shard channel `roost:barrier:{name}:tripped`.
public struct DistributedBarrier: Sendable {
    /// The barrier's name.
    public let name: String
    /// How many callers each round waits for.
    public let parties: Int
    let client: any CoordinationClient
    let key: RedisKey
    let channel: String

    /// A barrier named `name` for `parties` callers on `client`'s server or cluster.
    public init(_ name: String, parties: Int, on client: any CoordinationClient) {
        self.name = name
        self.parties = max(parties, 1)
        self.client = client
        self.key = RedisKey("roost:barrier:{\(name)}")
        self.channel = "roost:barrier:{\(name)}:tripped"
    }

    /// Arrives and waits until `parties` callers have arrived in this round, up to `timeout`.
    /// - Returns: the round (generation) that tripped.
    /// - Throws: `CoordinationError.timedOut` (the arrival is withdrawn), `CancellationError`
    ///   (likewise), client errors.
    @discardableResult
    public func arrive(timeout: Duration? = nil) async throws -> Int {
        let reply = try await client.run(Self.arriveScript, keys: [key], arguments: [RedisArgument(parties), RedisArgument(channel)])
        guard case .array(let items?) = reply, items.count == 2, case .integer(let generation) = items[0],
              case .integer(let tripped) = items[1]
        else { throw CoordinationError.unexpectedReply("barrier arrive: \(reply)") }
        if tripped == 1 { return Int(generation) }
        do {
            return try await NoticeWaiter.wait(on: client, channel: channel, timeout: timeout) { _ in
                try await currentGeneration() > generation ? .done(Int(generation)) : .notYet(recheckAfter: nil)
            }
        } catch {
            let withdrawn = try? await client.run(Self.withdrawScript, keys: [key], arguments: [RedisArgument(Int(generation))])
            // The round tripped while we were giving up: it counted us, so we passed.
            if withdrawn == .integer(0) { return Int(generation) }
            throw error
        }
    }

    /// The number of rounds that have tripped.
    public func currentGeneration() async throws -> Int64 {
        let reply = try await client.execute(RedisCommand("HGET", [key, "generation"]))
        guard case .bulkString(let bytes?) = reply else { return 0 }
        return Int64(String(decoding: bytes, as: UTF8.self)) ?? 0
    }

    /// Counts an arrival; the last of `ARGV[1]` parties trips the round (publishing on
    /// `ARGV[2]`). Returns `{round, tripped}`.
    static let arriveScript = RedisScript("""
        local generation = tonumber(redis.call('HGET', KEYS[1], 'generation')) or 0
        local arrived = redis.call('HINCRBY', KEYS[1], 'arrived', 1)
        if arrived >= tonumber(ARGV[1]) then
          redis.call('HSET', KEYS[1], 'arrived', 0, 'generation', generation + 1)
          redis.call('SPUBLISH', ARGV[2], generation + 1)
          return {generation, 1}
        end
        return {generation, 0}
        """)

    /// Withdraws an arrival in round `ARGV[1]` if that round has not tripped: 1, else 0.
    static let withdrawScript = RedisScript("""
        local generation = tonumber(redis.call('HGET', KEYS[1], 'generation')) or 0
        if generation == tonumber(ARGV[1]) then
          redis.call('HINCRBY', KEYS[1], 'arrived', -1)
          return 1
        end
        return 0
        """)
}
