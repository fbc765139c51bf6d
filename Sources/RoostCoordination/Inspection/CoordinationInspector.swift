import RoostClient
import RoostRESP

/// Read-only views of the coordination objects on a server, for dashboards and tools: who holds
/// each lock, read-write lock, semaphore permit and leadership, with the lease left on the
/// server's clock, the fencing token and the waiters.
///
///     let inspector = CoordinationInspector(client: client)
///     for lock in try await inspector.snapshot().locks {
///         print(lock.name, lock.holder?.owner ?? "free", lock.waiters.count)
///     }
///
/// - Each object is read by one script (one round trip, one atomic view of its keys); it never
///   writes, so inspecting changes no lock's state.
/// - `names()` finds objects with `SCAN … MATCH` per key prefix (every master of a cluster), so
///   it costs time in proportion to the keyspace: call it now and then and reuse its result.
/// - What the server does not store is not shown: reentrancy (counted in the holding task), a
///   semaphore's or a barrier's size (each caller passes it), when a non-fair lock's waiters
///   arrived (only fair locks queue by arrival).
public struct CoordinationInspector: Sendable {
    let client: any CoordinationClient

    /// An inspector of the objects on `client`'s server or cluster.
    public init(client: any CoordinationClient) {
        self.client = client
    }

    // MARK: - Discovery

    /// The names of the locks, read-write locks, semaphores, elections, armed latches and
    /// barriers that have keys on the server (every master of a cluster), each list sorted.
    /// Fencing counters never expire, so an object once used stays listed (idle).
    /// - Throws: client errors.
    public func names() async throws -> CoordinationNames {
        var names = CoordinationNames()
        names.locks = try await client.scanHashTags(prefix: "roost:lock:").sorted()
        names.readWriteLocks = try await client.scanHashTags(prefix: "roost:rwlock:").sorted()
        names.semaphores = try await client.scanHashTags(prefix: "roost:semaphore:").sorted()
        names.elections = try await client.scanHashTags(prefix: "roost:leader:").sorted()
        names.latches = try await client.scanHashTags(prefix: "roost:latch:").sorted()
        names.barriers = try await client.scanHashTags(prefix: "roost:barrier:").sorted()
        return names
    }

    // MARK: - Snapshots

    /// Every object `names()` finds, read one by one; idle ones (free, nobody waiting) only
    /// with `includeIdle`.
    /// - Throws: client errors.
    public func snapshot(includeIdle: Bool = false) async throws -> CoordinationSnapshot {
        try await snapshot(of: names(), includeIdle: includeIdle)
    }

    /// The objects in `names` (from an earlier `names()`), read concurrently, each in one round
    /// trip; idle ones only with `includeIdle`.
    /// - Throws: client errors.
    public func snapshot(of names: CoordinationNames, includeIdle: Bool = false) async throws -> CoordinationSnapshot {
        var snapshot = CoordinationSnapshot()
        snapshot.locks = try await Self.each(names.locks) { try await lock($0) }.filter { includeIdle || !$0.isIdle }
        snapshot.readWriteLocks = try await Self.each(names.readWriteLocks) { try await readWriteLock($0) }
            .filter { includeIdle || !$0.isIdle }
        snapshot.semaphores = try await Self.each(names.semaphores) { try await semaphore($0) }.filter { includeIdle || !$0.isIdle }
        snapshot.elections = try await Self.each(names.elections) { try await election($0) }.filter { includeIdle || !$0.isIdle }
        snapshot.latches = try await Self.each(names.latches) { try await latch($0) }.compactMap { $0 }
        snapshot.barriers = try await Self.each(names.barriers) { try await barrier($0) }.filter { includeIdle || $0.arrived > 0 }
        return snapshot
    }

    /// `read` of each name, concurrently, in the order of `names`.
    private static func each<T: Sendable>(_ names: [String], _ read: @escaping @Sendable (String) async throws -> T) async throws -> [T] {
        try await withThrowingTaskGroup(of: (Int, T).self) { group in
            for (index, name) in names.enumerated() { group.addTask { (index, try await read(name)) } }
            var found: [(Int, T)] = []
            for try await item in group { found.append(item) }
            return found.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// Lock `name`'s holder, last token and waiters.
    /// - Throws: client errors, `CoordinationError.unexpectedReply`.
    public func lock(_ name: String) async throws -> LockSnapshot {
        let (holder, lastToken, waiters) = try await readLock(prefix: "roost:lock", name)
        let fair = waiters.contains { $0.waitedMilliseconds != nil }
        return LockSnapshot(name: name, holder: holder, lastToken: lastToken, fair: fair,
                            waiters: fair ? waiters.sorted { ($0.waitedMilliseconds ?? -1) > ($1.waitedMilliseconds ?? -1) } : waiters)
    }

    /// Election `name`'s leader (its token is the term) and waiting candidates.
    /// - Throws: client errors, `CoordinationError.unexpectedReply`.
    public func election(_ name: String) async throws -> ElectionSnapshot {
        let (leader, lastTerm, candidates) = try await readLock(prefix: "roost:leader", name)
        return ElectionSnapshot(name: name, leader: leader, lastTerm: lastTerm, candidates: candidates)
    }

    /// Reads the lock-shaped keys under `prefix:{name}` (locks and elections).
    private func readLock(prefix: String, _ name: String) async throws -> (LeaseHolder?, Int64, [CoordinationWaiter]) {
        let base = "\(prefix):{\(name)}"
        let reply = try await client.run(Self.lockScript, keys: [RedisKey(base), RedisKey(base + ":fence"), RedisKey(base + ":waiters"),
                                                                 RedisKey(base + ":queue")], arguments: [])
        guard case .array(let items?) = reply, items.count == 3, case .integer(let last) = items[1] else {
            throw CoordinationError.unexpectedReply("inspect \(prefix): \(reply)")
        }
        return (try Self.holder(items[0]), last, try Self.entries(items[2]).map(Self.waiter))
    }

    /// Read-write lock `name`'s writer, readers and waiting writers.
    /// - Throws: client errors, `CoordinationError.unexpectedReply`.
    public func readWriteLock(_ name: String) async throws -> ReadWriteLockSnapshot {
        let base = "roost:rwlock:{\(name)}"
        let reply = try await client.run(Self.readWriteScript, keys: [RedisKey(base + ":writer"), RedisKey(base + ":readers"),
                                                                      RedisKey(base + ":writers-waiting"), RedisKey(base + ":fence"),
                                                                      RedisKey(base + ":reader-tokens")], arguments: [])
        guard case .array(let items?) = reply, items.count == 4, case .integer(let last) = items[3] else {
            throw CoordinationError.unexpectedReply("inspect rwlock: \(reply)")
        }
        return ReadWriteLockSnapshot(name: name, writer: try Self.holder(items[0]), readers: try Self.entries(items[1]).map(Self.holder),
                                     writersWaiting: try Self.entries(items[2]).map(Self.waiter), lastToken: last)
    }

    /// Semaphore `name`'s permits in use and waiters.
    /// - Throws: client errors, `CoordinationError.unexpectedReply`.
    public func semaphore(_ name: String) async throws -> SemaphoreSnapshot {
        let base = "roost:semaphore:{\(name)}"
        let reply = try await client.run(Self.semaphoreScript, keys: [RedisKey(base), RedisKey(base + ":tokens"), RedisKey(base + ":waiters")],
                                         arguments: [])
        guard case .array(let items?) = reply, items.count == 3, case .integer(let last) = items[2] else {
            throw CoordinationError.unexpectedReply("inspect semaphore: \(reply)")
        }
        return SemaphoreSnapshot(name: name, holders: try Self.entries(items[0]).map(Self.holder),
                                 waiters: try Self.entries(items[1]).map(Self.waiter), lastToken: last)
    }

    /// Latch `name`'s remaining count, nil when it is open.
    /// - Throws: client errors.
    public func latch(_ name: String) async throws -> LatchSnapshot? {
        let reply = try await client.execute(RedisCommand("GET", [RedisKey("roost:latch:{\(name)}")]))
        guard let remaining = Self.number(reply) else { return nil }
        return LatchSnapshot(name: name, remaining: remaining)
    }

    /// Barrier `name`'s generation and arrivals in the current round.
    /// - Throws: client errors, `CoordinationError.unexpectedReply`.
    public func barrier(_ name: String) async throws -> BarrierSnapshot {
        let reply = try await client.execute(RedisCommand("HMGET", [RedisKey("roost:barrier:{\(name)}"), "generation", "arrived"]))
        guard case .array(let items?) = reply, items.count == 2 else { throw CoordinationError.unexpectedReply("inspect barrier: \(reply)") }
        return BarrierSnapshot(name: name, generation: Self.number(items[0]) ?? 0, arrived: Self.number(items[1]) ?? 0)
    }

    // MARK: - Replies

    /// An integer or a bulk string holding one; nil otherwise.
    private static func number(_ value: RESPValue) -> Int64? {
        switch value {
        case .integer(let number): return number
        case .bulkString(let bytes?): return Int64(String(decoding: bytes, as: UTF8.self))
        default: return nil
        }
    }

    /// The entries `{id, ms left, token, ms waited or -1}` of a script's list.
    private static func entries(_ value: RESPValue) throws -> [(String, Int64, Int64, Int64)] {
        guard case .array(let items?) = value else { throw CoordinationError.unexpectedReply("inspect entries: \(value)") }
        return try items.map { item in
            guard case .array(let parts?) = item, parts.count == 4, case .bulkString(let id?) = parts[0],
                  case .integer(let left) = parts[1], case .integer(let token) = parts[2], case .integer(let waited) = parts[3]
            else { throw CoordinationError.unexpectedReply("inspect entry: \(item)") }
            return (String(decoding: id, as: UTF8.self), left, token, waited)
        }
    }

    private static func holder(_ entry: (String, Int64, Int64, Int64)) -> LeaseHolder {
        LeaseHolder(owner: entry.0, token: entry.2, leaseLeftMilliseconds: entry.1)
    }

    private static func waiter(_ entry: (String, Int64, Int64, Int64)) -> CoordinationWaiter {
        CoordinationWaiter(id: entry.0, interestLeftMilliseconds: entry.1, waitedMilliseconds: entry.3 >= 0 ? entry.3 : nil)
    }

    /// A hash holder `{owner, token, pttl}`, or `{}` when free.
    private static func holder(_ value: RESPValue) throws -> LeaseHolder? {
        guard case .array(let parts?) = value else { throw CoordinationError.unexpectedReply("inspect holder: \(value)") }
        if parts.isEmpty { return nil }
        guard parts.count == 3, case .bulkString(let owner?) = parts[0], case .integer(let token) = parts[1],
              case .integer(let pttl) = parts[2]
        else { throw CoordinationError.unexpectedReply("inspect holder: \(value)") }
        return LeaseHolder(owner: String(decoding: owner, as: UTF8.self), token: token, leaseLeftMilliseconds: pttl)
    }
}
