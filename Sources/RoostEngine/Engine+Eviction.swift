import NIOCore

/// Eviction under `maxmemory`, as Redis 7.0's `performEvictions` does it, and the LRU/LFU
/// access data it ranks keys by.
///
/// Each key-table entry's 32-bit `accessClock` holds, like Redis's 24-bit `robj.lru`:
/// - under an LRU (or non-LFU) policy, the 24-bit seconds clock of the last access;
/// - under an LFU policy, 16 bits of minutes of the last decrement and an 8-bit logarithmic
///   access counter (`updatedLFU`). Switching policy at runtime reinterprets the bits, as Redis
///   does: the data takes some time to adjust.
extension Engine {
    /// Redis's `LFU_INIT_VAL`: a new key's counter, so that it is not evicted at once.
    static let lfuInitialCounter: UInt32 = 5

    /// Minutes, 16 bits wide (Redis's `LFUGetTimeInMinutes`).
    var lfuMinutes: UInt32 { UInt32(truncatingIfNeeded: (now / 60_000) & 0xFFFF) }

    /// A new key's LFU data.
    var lfuInitialClock: UInt32 { lfuMinutes << 8 | Engine.lfuInitialCounter }

    /// The counter of `clock`, decremented by one per `lfu-decay-time` minutes elapsed since its
    /// last decrement (Redis's `LFUDecrAndReturn`). OBJECT FREQ reports it.
    func lfuDecayedCounter(_ clock: UInt32) -> UInt32 {
        let last = clock >> 8
        let counter = clock & 0xFF
        let minutes = lfuMinutes
        let elapsed = minutes >= last ? minutes - last : 65535 - last + minutes
        let decay = configuration.lfuDecayTime
        let periods = decay > 0 ? Int(elapsed) / decay : 0
        if periods == 0 { return counter }
        return periods > Int(counter) ? 0 : counter - UInt32(periods)
    }

    /// Redis's `LFULogIncr`: the counter goes up by one with probability
    /// 1 / ((counter - LFU_INIT_VAL) × lfu-log-factor + 1), saturating at 255.
    func lfuIncremented(_ counter: UInt32) -> UInt32 {
        if counter >= 255 { return 255 }
        let base = Double(counter > Engine.lfuInitialCounter ? counter - Engine.lfuInitialCounter : 0)
        let p = 1.0 / (base * Double(configuration.lfuLogFactor) + 1)
        return Double.random(in: 0..<1, using: &lfuRandom) < p ? counter + 1 : counter
    }

    /// Redis's `updateLFU`: decay, then a logarithmic increment, stamped with the minutes now.
    func updatedLFU(_ clock: UInt32) -> UInt32 {
        lfuMinutes << 8 | lfuIncremented(lfuDecayedCounter(clock))
    }

    /// Idle seconds of a key whose LRU clock is `clock` (Redis's `estimateObjectIdleTime`).
    func idleSeconds(_ clock: UInt32) -> UInt32 {
        let now = accessClock
        return now >= clock ? now - clock : now + (0xFF_FFFF - clock)
    }

    // MARK: Evicting

    /// Redis's `performEvictions`: while used memory is over `maxmemory`, evicts keys as the
    /// policy says. Returns false when it cannot get under the limit (noeviction, or nothing
    /// left to evict): the caller then refuses `denyoom` commands. Stopping at the time limit
    /// of `maxmemory-eviction-tenacity` is not a failure; the next command goes on evicting.
    /// A busy script's keyspace is left alone.
    func performEvictions(budgetMicroseconds: Int64? = nil) -> Bool {
        // Nothing is evicted while CLIENT PAUSE is in force, as Redis's `isSafeToPerformEvictions`.
        if busyScript != nil || (clientPause != nil && isPaused) { return true }
        let limit = configuration.maxMemory
        var used = usedMemory
        if used <= limit {
            if let since = evictionExceededSince {
                statistics.totalEvictionExceededTime += Engine.clock() - since
                evictionExceededSince = nil
            }
            return true
        }
        if evictionExceededSince == nil { evictionExceededSince = Engine.clock() }
        let policy = configuration.evictionPolicy
        if policy == .noEviction { return false }
        let start = Engine.clockMicroseconds()
        defer { if monitorsLatency { sampleLatency("eviction-cycle", since: start) } }
        let budget = budgetMicroseconds ?? evictionTimeLimitMicroseconds
        var evicted = 0
        while used > limit {
            guard let (db, key) = evictionCandidate(policy) else { return false }
            // As Redis measures each deletion's delta, without recounting everything.
            used -= evict(db, key)
            evicted += 1
            if evicted % 16 == 0 {
                used = usedMemory
                if Engine.clockMicroseconds() - start > budget { break }
            }
        }
        return true
    }

    /// Redis's `evictionTimeLimitUs`: 50 µs per step of tenacity up to 10, then 15% more per
    /// step, and no limit at 100.
    var evictionTimeLimitMicroseconds: Int64 {
        let tenacity = configuration.maxMemoryEvictionTenacity
        if tenacity <= 10 { return 50 * Int64(tenacity) }
        if tenacity < 100 {
            var limit = 500.0
            for _ in 10..<tenacity { limit *= 1.15 }
            return Int64(limit)
        }
        return .max
    }

    /// Deletes `key` as an eviction: WATCH is told, `evicted_keys` counts it. Returns the bytes
    /// freed: its charge and its key-table entries.
    @discardableResult
    func evict(_ db: Database, _ key: ByteString) -> Int {
        let before = db.chargedBytes
        let started = monitorsLatency ? Engine.clockMicroseconds() : 0
        removeCharged(db, key)
        if monitorsLatency { sampleLatency("eviction-del", since: started) }
        var freed = before - db.chargedBytes + db.keys.entryStride
        if !db.expires.isEmpty && db.expires.remove(key) != nil { freed += db.expires.entryStride }
        statistics.evictedKeys += 1
        propagateDeletion(db, key)
        notify(.evicted, "evicted", key, db)
        signalModifiedKey(db, key, countsChange: false)
        return freed
    }

    /// The key the policy evicts next, or nil when it may evict none.
    func evictionCandidate(_ policy: EvictionPolicy) -> (Database, ByteString)? {
        switch policy {
        case .noEviction:
            return nil
        case .allKeysRandom, .volatileRandom:
            for _ in 0..<databases.count {
                evictionPool.nextRandomDatabase = (evictionPool.nextRandomDatabase + 1) % databases.count
                let db = databases[evictionPool.nextRandomDatabase]
                if policy == .allKeysRandom {
                    if let e = db.keys.randomEntry(using: &lfuRandom) { return (db, e.key) }
                } else if let e = db.expires.randomEntry(using: &lfuRandom) {
                    return (db, e.key)
                }
            }
            return nil
        case .allKeysLRU, .volatileLRU, .allKeysLFU, .volatileLFU, .volatileTTL:
            while true {
                var keys = 0
                for db in databases {
                    if policy.isVolatile {
                        keys += db.expires.count
                        populateEvictionPool(db, policy)
                    } else {
                        keys += db.keys.count
                        populateEvictionPool(db, policy)
                    }
                }
                if keys == 0 { return nil }
                // Best candidates last; one that is gone since it was sampled is skipped.
                while let candidate = evictionPool.popBest() {
                    let db = databases[candidate.database]
                    let present = policy.isVolatile ? db.expires.contains(candidate.key) : db.keys.contains(candidate.key)
                    if present { return (db, candidate.key) }
                }
            }
        }
    }

    /// Redis's `evictionPoolPopulate`: samples `maxmemory-samples` keys of `db` (with a TTL for
    /// volatile policies) and offers each to the pool with its score: idle time (LRU),
    /// 255 minus the counter (LFU), or how soon it expires (volatile-ttl).
    func populateEvictionPool(_ db: Database, _ policy: EvictionPolicy) {
        let samples = configuration.maxMemorySamples
        if policy.isVolatile {
            db.expires.sample(samples, using: &lfuRandom) { key, when, _ in
                let score: UInt64
                switch policy {
                case .volatileTTL:
                    score = UInt64.max - UInt64(bitPattern: when)
                default:
                    guard let clock = db.keys.accessClock(key) else { return }
                    score = evictionScore(clock, policy)
                }
                evictionPool.offer(score: score, key: key, database: db.index)
            }
        } else {
            db.keys.sample(samples, using: &lfuRandom) { key, _, clock in
                evictionPool.offer(score: evictionScore(clock, policy), key: key, database: db.index)
            }
        }
    }

    /// Higher is evicted first.
    func evictionScore(_ clock: UInt32, _ policy: EvictionPolicy) -> UInt64 {
        policy.isLFU ? UInt64(255 - lfuDecayedCounter(clock)) : UInt64(idleSeconds(clock)) * 1000
    }

    // MARK: Refusing commands

    /// Whether a script command's declared flags make it `denyoom`, as Redis's
    /// `getCommandFlags` decides for EVAL, EVALSHA and FCALL: a script with a shebang (or a
    /// function) denies OOM unless it declares `no-writes` or `allow-oom`.
    func scriptDeniesOOM(_ resolved: ResolvedCommand, _ arguments: [ByteBuffer]) -> Bool {
        guard let flags = declaredScriptFlags(resolved, arguments) else { return false }
        return !flags.contains(.allowOOM) && !flags.contains(.noWrites)
    }

    /// The flags a script command's script declares (a shebang, a function's flags), or nil
    /// when it declares none or is not a script command.
    func declaredScriptFlags(_ resolved: ResolvedCommand, _ arguments: [ByteBuffer]) -> ScriptFlags? {
        guard resolved.spec.runsScripts, arguments.count > 1 else { return nil }
        switch resolved.spec.name {
        case "eval", "eval_ro":
            return (try? ScriptFlags.parseShebang(arguments[1].bytesArray)) ?? nil
        case "evalsha", "evalsha_ro":
            return scripting?.scripts[arguments[1].text.lowercased()]?.flags
        case "fcall", "fcall_ro":
            return functionScripting?.functions[arguments[1].text]?.flags
        default:
            return nil
        }
    }

    /// Whether a transaction's queued commands include a `denyoom` one (Redis's
    /// `mstate.cmd_flags & CMD_DENYOOM`).
    func transactionDeniesOOM(_ transaction: Transaction) -> Bool {
        transaction.commands.contains { arguments in
            guard case .success(let r) = resolve(arguments) else { return false }
            return r.spec.flags.contains(.denyoom) || scriptDeniesOOM(r, arguments)
        }
    }

    /// Redis's `scriptVerifyOOM`: a script that started while out of memory may not run a
    /// `denyoom` command before its first write, unless it declares `allow-oom`.
    func scriptCallDeniedForMemory(_ spec: CommandSpec, client: Client) -> Bool {
        let isEval = scripting.map { $0.scriptClient === client } ?? false
        let isFunction = functionScripting.map { $0.scriptClient === client } ?? false
        guard isEval || isFunction else { return false }
        if scriptHasWritten || !spec.flags.contains(.denyoom) { return false }
        let flags: ScriptFlags?
        if isEval, let lua = scripting, let run = lua.run {
            flags = lua.scripts[run.sha]?.flags
        } else if let lua = functionScripting, let run = lua.run {
            flags = lua.functions[run.sha]?.flags
        } else {
            flags = nil
        }
        return !(flags?.contains(.allowOOM) ?? false)
    }
}

/// Redis's eviction pool: the 16 best eviction candidates seen by sampling, kept across
/// evictions so that each eviction compares more than one sample's worth of keys.
struct EvictionPool {
    struct Candidate {
        var score: UInt64
        var key: ByteString
        var database: Int
    }

    static let size = 16
    /// Ascending by score: the best candidate is last.
    private(set) var candidates: [Candidate] = []
    /// The database the random policies try next, round robin.
    var nextRandomDatabase = 0

    init() { candidates.reserveCapacity(Self.size) }

    /// Adds a candidate if the pool has room or it beats the worst one.
    mutating func offer(score: UInt64, key: ByteString, database: Int) {
        var k = 0
        while k < candidates.count && candidates[k].score < score { k += 1 }
        if k == 0 && candidates.count == Self.size { return }
        if candidates.count == Self.size {
            // Full: drop the worst, the new one goes just below the first better one.
            candidates.removeFirst()
            k -= 1
        }
        candidates.insert(Candidate(score: score, key: key, database: database), at: k)
    }

    /// Removes and returns the best candidate.
    mutating func popBest() -> Candidate? { candidates.popLast() }

    /// Forgets every candidate (FLUSHALL, a policy change).
    mutating func removeAll() { candidates.removeAll(keepingCapacity: true) }
}
