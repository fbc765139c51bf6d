import RoostClient
import RoostRESP

/// The answer of a rate limiter to one request.
public struct RateLimitDecision: Sendable, Hashable {
    /// Whether the request may go ahead (its cost was taken).
    public var allowed: Bool
    /// When refused: how long until the same request would be allowed. Zero when allowed.
    public var retryAfter: Duration
    /// How many more unit requests would be allowed right now.
    public var remaining: Int
}

/// A rate limiter shared by every process that names it, exact under concurrency: each
/// decision is one script on the server, timed by the server's clock.
///
/// Two algorithms:
/// - `.tokenBucket(rate:per:burst:)`: the generic cell rate algorithm (GCRA). Requests are
///   spaced `period / rate` apart on average, with up to `burst` at once. One key holding one
///   number per limiter.
/// - `.slidingWindow(limit:window:)`: at most `limit` requests in *any* window of length
///   `window`, kept as a log of request times (one sorted-set entry per allowed request).
///
///     let api = RateLimiter("partner-api", .tokenBucket(rate: 100, per: .seconds(1), burst: 20), on: client)
///     try await api.acquire()                      // waits until allowed
///     if try await api.tryAcquire().allowed { … }  // or decides now
///
/// Keys (hash tag `{name}`): `roost:ratelimit:{name}` (GCRA: the theoretical arrival time; sliding
/// window: the log and `…:seq`).
public struct RateLimiter: Sendable {
    /// How the limit is defined.
    public enum Algorithm: Sendable, Hashable {
        /// `rate` requests per `period` on average, up to `burst` at once (default: `rate`).
        case tokenBucket(rate: Int, per: Duration, burst: Int? = nil)
        /// At most `limit` requests in any window of length `window`.
        case slidingWindow(limit: Int, window: Duration)
    }

    /// The limiter's name.
    public let name: String
    /// Its algorithm and limits.
    public let algorithm: Algorithm
    let client: any RedisCommandExecutor
    let key: RedisKey

    /// A limiter named `name` on `client`'s server or cluster. Every process using the name
    /// must use the same algorithm and limits.
    public init(_ name: String, _ algorithm: Algorithm, on client: any RedisCommandExecutor) {
        self.name = name
        self.algorithm = algorithm
        self.client = client
        self.key = RedisKey("roost:ratelimit:{\(name)}")
    }

    /// Decides now whether a request costing `cost` units may go ahead, taking them if so.
    /// - Throws: `CoordinationError.invalidArgument` for a cost the limit can never allow.
    public func tryAcquire(cost: Int = 1) async throws -> RateLimitDecision {
        let reply: RESPValue
        switch algorithm {
        case .tokenBucket(let rate, let period, let burst):
            let burst = burst ?? rate
            guard rate > 0, burst > 0, cost > 0, cost <= burst else {
                throw CoordinationError.invalidArgument("token bucket rate \(rate), burst \(burst), cost \(cost)")
            }
            let interval = Double(period.wholeMicroseconds) / 1000 / Double(rate)
            reply = try await client.run(Self.gcraScript, keys: [key], arguments: [
                RedisArgument(interval), RedisArgument(interval * Double(burst)), RedisArgument(cost),
            ])
        case .slidingWindow(let limit, let window):
            guard limit > 0, cost > 0, cost <= limit else {
                throw CoordinationError.invalidArgument("sliding window limit \(limit), cost \(cost)")
            }
            reply = try await client.run(Self.slidingWindowScript, keys: [key, RedisKey("roost:ratelimit:{\(name)}:seq")],
                                         arguments: [RedisArgument(Int(window.wholeMilliseconds)), RedisArgument(limit), RedisArgument(cost)])
        }
        guard case .array(let items?) = reply, items.count == 3, case .integer(let allowed) = items[0],
              case .integer(let retryMicros) = items[1], case .integer(let remaining) = items[2]
        else { throw CoordinationError.unexpectedReply("rate limiter: \(reply)") }
        return RateLimitDecision(allowed: allowed == 1, retryAfter: .microseconds(retryMicros), remaining: Int(remaining))
    }

    /// Waits until a request costing `cost` is allowed, up to `timeout` (nil: for ever), and
    /// takes it. Between tries it sleeps exactly as long as the server said the request must
    /// wait, so waiting costs one round trip per contended slot, not a polling loop.
    /// - Throws: `CoordinationError.timedOut`, `CancellationError`, client errors.
    public func acquire(cost: Int = 1, timeout: Duration? = nil) async throws {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while true {
            let decision = try await tryAcquire(cost: cost)
            if decision.allowed { return }
            let wakeAt = ContinuousClock.now + decision.retryAfter
            if let deadline, wakeAt > deadline { throw CoordinationError.timedOut }
            try await Task.sleep(until: wakeAt, clock: .continuous)
        }
    }

    /// GCRA. `ARGV`: emission interval ms, burst tolerance ms (interval × burst), cost. The key
    /// holds the theoretical arrival time in server ms. Returns `{allowed, retry µs, remaining}`.
    static let gcraScript = RedisScript("""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
        local interval, tolerance, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
        local tat = tonumber(redis.call('GET', KEYS[1])) or now
        if tat < now then tat = now end
        local newTat = tat + interval * cost
        local allowAt = newTat - tolerance
        if allowAt > now then
          local remaining = math.floor((tolerance - (tat - now)) / interval)
          return {0, math.ceil((allowAt - now) * 1000), math.max(remaining, 0)}
        end
        redis.call('SET', KEYS[1], string.format('%.3f', newTat), 'PX', math.max(math.ceil(newTat - now), 1))
        return {1, 0, math.max(math.floor((tolerance - (newTat - now)) / interval), 0)}
        """)

    /// Sliding-window log. `ARGV`: window ms, limit, cost. `KEYS[1]` the log (member: sequence
    /// number, score: server µs), `KEYS[2]` the sequence. Returns `{allowed, retry µs, remaining}`.
    static let slidingWindowScript = RedisScript("""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local window, limit, cost = tonumber(ARGV[1]) * 1000, tonumber(ARGV[2]), tonumber(ARGV[3])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
        local used = redis.call('ZCARD', KEYS[1])
        if used + cost > limit then
          -- Allowed once enough of the oldest entries leave the window.
          local oldest = redis.call('ZRANGE', KEYS[1], used + cost - limit - 1, used + cost - limit - 1, 'WITHSCORES')
          return {0, math.max(tonumber(oldest[2]) + window - now, 1), limit - used}
        end
        for _ = 1, cost do
          local seq = redis.call('INCR', KEYS[2])
          redis.call('ZADD', KEYS[1], now, seq)
        end
        local ttl = math.ceil(window / 1000)
        redis.call('PEXPIRE', KEYS[1], ttl)
        redis.call('PEXPIRE', KEYS[2], ttl)
        return {1, 0, limit - used - cost}
        """)
}

extension Duration {
    /// Whole microseconds, truncated.
    var wholeMicroseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
