import Logging
import RoostClient
import RoostCoordination
import RoostRESP

/// A cache of computed results on the server, shared by every process connected to it, with
/// single flight across processes and stale-while-revalidate.
///
///     let cache = ResultCache("reports", on: client)
///     let report = try await cache.memoize(key: "2026-q4", ttl: .seconds(60), staleFor: .seconds(600)) {
///         try await buildReport()                     // runs once, however many callers ask
///     }
///
/// - **Single flight.** Of concurrent callers of one key, in any processes, one holds the
///   entry's computing lease and computes; the others wait (without polling: they listen on the
///   entry's shard channel) and get its value. The lease is renewed while the computation runs;
///   if its holder dies or stalls, the lease runs out on the server's clock and a waiting caller
///   takes over. If the computation throws, its caller gets the error and a waiting caller
///   takes over.
/// - **Stale-while-revalidate.** A value stays fresh for `ttl`, then is kept `staleFor` more:
///   a stale value is returned at once to every caller but one, which refreshes it (and gets the
///   new value).
/// - **Bounded memory.** Every key expires (value: `ttl + staleFor`; lease: `leaseTime`), so
///   under `maxmemory` with a `volatile-lru`, `volatile-lfu` or `allkeys-*` policy the server
///   evicts entries as it needs; an evicted entry is computed again by its next caller.
/// - Writes are fenced: a caller whose lease ran out (and was taken over) cannot overwrite a
///   later caller's value.
///
/// Keys of entry `k` in cache `c` (hash tag: `c:k`): `roost:cache:{c:k}:value` (string:
/// freshness, token, JSON value), `:lease` (string: the computing caller, with a TTL), `:fence`
/// (the token counter); channel `roost:cache:{c:k}:events`.
public struct ResultCache: Sendable {
    /// The cache's name (the namespace of its keys).
    public let name: String
    /// How long a computing caller's lease lasts without renewal: how soon another caller takes
    /// over from one that died. Renewed every third of it.
    public var leaseTime: Duration
    let client: any CoordinationClient
    let logger: Logger

    /// The cache `name` on `client`'s server or cluster.
    public init(_ name: String, on client: any CoordinationClient, leaseTime: Duration = .seconds(10),
                logger: Logger = Logger(label: "roost.compute.cache")) {
        self.name = name
        self.client = client
        self.leaseTime = max(leaseTime, .milliseconds(30))
        self.logger = logger
    }

    /// What a caller found for an entry.
    enum Found: Sendable {
        /// A value to return.
        case value([UInt8])
        /// The caller holds the lease under `token`: compute (and store).
        case compute(token: Int64)
    }

    /// The value for `key`, computed by `compute` only if no fresh (or stale, within
    /// `staleFor`) value is cached and no other caller is computing it (see the type's
    /// documentation).
    /// - Parameters:
    ///   - ttl: how long a computed value is fresh.
    ///   - staleFor: how long after that it may still be returned while one caller refreshes it.
    ///   - timeout: how long to wait for another caller's computation (nil: as long as it takes).
    /// - Throws: what `compute` throws (to its caller only), `CoordinationError.timedOut`,
    ///   `ComputeError.undecodableResult` when the cached value does not decode as `Value`,
    ///   encoding and client errors.
    public func memoize<Value: Codable & Sendable>(key: String, ttl: Duration, staleFor: Duration = .zero,
                                                   timeout: Duration? = nil,
                                                   _ compute: () async throws -> Value) async throws -> Value {
        let entry = CacheEntryKeys(cache: name, key: key)
        let owner = Self.ownerID()
        let leaseMilliseconds = RedisArgument(Int(leaseTime.computeMilliseconds))
        let found = try await NoticeWaiter.wait(on: client, channel: entry.events, timeout: timeout) { _ -> Check<Found> in
            let reply = try await client.evaluate(CacheScripts.lookup, keys: entry.all,
                                                  arguments: [RedisArgument(owner), leaseMilliseconds])
            guard case .array(.some(let parts)) = reply, parts.count == 4, case .integer(let outcome) = parts[0] else {
                throw ComputeError.unexpectedReply("cache lookup: \(reply)")
            }
            switch outcome {
            case 0, 2:
                guard let stored = parts[1].computeBytes else { throw ComputeError.unexpectedReply("cache lookup: \(reply)") }
                return .done(.value(stored))
            case 1, 3:
                guard case .integer(let token) = parts[2] else { throw ComputeError.unexpectedReply("cache lookup: \(reply)") }
                return .done(.compute(token: token))
            default:
                guard case .integer(let left) = parts[3] else { throw ComputeError.unexpectedReply("cache lookup: \(reply)") }
                return .notYet(recheckAfter: .milliseconds(max(left, 1)))
            }
        }
        switch found {
        case .value(let stored):
            do {
                return try TaskCoding.decode(Value.self, from: Self.payload(of: stored))
            } catch {
                throw ComputeError.undecodableResult(name: key, message: "\(error)")
            }
        case .compute(let token):
            return try await computeHoldingLease(entry, owner: owner, token: token, ttl: ttl, staleFor: staleFor, compute)
        }
    }

    /// Runs `compute` while renewing the lease, then stores its value; on an error (or
    /// cancellation) releases the lease so that a waiting caller takes over.
    private func computeHoldingLease<Value: Codable & Sendable>(
        _ entry: CacheEntryKeys, owner: String, token: Int64, ttl: Duration, staleFor: Duration,
        _ compute: () async throws -> Value
    ) async throws -> Value {
        let value: Value
        do {
            value = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await self.renew(entry, owner: owner) }
                defer { group.cancelAll() }
                return try await compute()
            }
        } catch {
            // Releasing must not be cancelled with the caller.
            await Task { [client] in
                _ = try? await client.evaluate(CacheScripts.release, keys: entry.all,
                                               arguments: [RedisArgument(owner), RedisArgument(entry.events)])
            }.value
            throw error
        }
        let fresh = max(ttl.computeMilliseconds, 1)
        let stored = try await client.evaluate(CacheScripts.store, keys: entry.all, arguments: [
            RedisArgument(owner), RedisArgument(Int(token)), RedisArgument(bytes: try TaskCoding.encode(value)),
            RedisArgument(Int(fresh)), RedisArgument(Int(fresh + max(staleFor.computeMilliseconds, 0))),
            RedisArgument(entry.events),
        ])
        if stored != .integer(1) {
            logger.debug("a later computation stored this entry first", metadata: ["cache": "\(name)", "token": "\(token)"])
        }
        return value
    }

    /// Renews the lease every third of `leaseTime` until cancelled or the lease is lost.
    private func renew(_ entry: CacheEntryKeys, owner: String) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: leaseTime / 3)
                let reply = try await client.evaluate(CacheScripts.renew, keys: entry.all, arguments: [
                    RedisArgument(owner), RedisArgument(Int(leaseTime.computeMilliseconds)),
                ])
                if reply != .integer(1) { return }
            } catch {
                if Task.isCancelled { return }
                logger.warning("renewing a cache lease failed", metadata: ["cache": "\(name)", "error": "\(error)"])
            }
        }
    }

    /// The state of the entry for `key`, as the server sees it now; nil when nothing is stored.
    /// - Throws: client errors.
    public func state(of key: String) async throws -> CacheEntryState? {
        let entry = CacheEntryKeys(cache: name, key: key)
        let reply = try await client.evaluate(CacheScripts.inspect, keys: entry.all)
        guard case .array(.some(let parts)) = reply, parts.count == 3, let now = parts[1].computeString.flatMap({ Int64($0) })
        else { throw ComputeError.unexpectedReply("cache inspect: \(reply)") }
        guard let stored = parts[0].computeBytes else { return nil }
        let freshUntil = Int64(String(decoding: stored.prefix { $0 != UInt8(ascii: " ") }, as: UTF8.self)) ?? 0
        return CacheEntryState(isFresh: freshUntil > now, isBeingComputed: parts[2] == .integer(1))
    }

    /// Whether a caller holds the computing lease of `key`'s entry now (computing it, or
    /// refreshing a stale value).
    /// - Throws: client errors.
    public func isBeingComputed(_ key: String) async throws -> Bool {
        try await client.exists(CacheEntryKeys(cache: name, key: key).lease) == 1
    }

    /// Removes the value for `key` (a computation under way still stores its value).
    /// - Throws: client errors.
    public func invalidate(_ key: String) async throws {
        _ = try await client.del([CacheEntryKeys(cache: name, key: key).value])
    }

    /// The value's bytes after the `<fresh until> <token>\n` header.
    static func payload(of stored: [UInt8]) -> [UInt8] {
        guard let newline = stored.firstIndex(of: UInt8(ascii: "\n")) else { return stored }
        return Array(stored[(newline + 1)...])
    }

    /// A random id for one caller: 128 bits as hex.
    static func ownerID() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(generator.next() as UInt64, radix: 16) + "-" + String(generator.next() as UInt64, radix: 16)
    }
}

/// An entry of a `ResultCache`, as the server sees it.
public struct CacheEntryState: Sendable, Hashable {
    /// Whether the value is still fresh (else it is stale: kept for stale-while-revalidate).
    public var isFresh: Bool
    /// Whether a caller holds the entry's computing lease.
    public var isBeingComputed: Bool

    /// A state with these properties (for comparing in tests).
    public init(isFresh: Bool, isBeingComputed: Bool) {
        self.isFresh = isFresh
        self.isBeingComputed = isBeingComputed
    }
}

/// The keys and channel of one cache entry.
struct CacheEntryKeys: Sendable {
    let value, lease, fence: RedisKey
    let events: String

    init(cache: String, key: String) {
        let base = "roost:cache:{\(cache):\(key)}:"
        value = RedisKey(base + "value")
        lease = RedisKey(base + "lease")
        fence = RedisKey(base + "fence")
        events = base + "events"
    }

    var all: [RedisKey] { [value, lease, fence] }
}
