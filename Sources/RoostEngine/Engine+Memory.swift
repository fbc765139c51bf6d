import CLua

/// A key the running command may change in place, and the bytes charged for it when it was
/// looked up.
struct PendingCharge {
    let database: Database
    let key: ByteString
    var charged: Int
}

/// `used_memory`: an engine-side byte count, Redis's `zmalloc` counter in spirit, readable in
/// O(1) (one pass over the databases).
///
/// Each database keeps `chargedBytes`, the sum over its keys of `charge(key, value)` (the key's
/// heap bytes and `Value.memoryFootprint`). The sum cannot drift:
/// - a store adds the new value's charge and subtracts what was charged for the value it
///   replaces; a deletion (DEL, expiry, eviction, RENAME, MOVE…) subtracts what was charged;
/// - a value changed in place was looked up with `lookupWrite` (or stored as a collection in the
///   same command): the key and its charge at that moment are noted in `pendingCharges`, and
///   `settleCharges`, run when each command ends, charges the difference. Until then the
///   charge of a noted key is the noted one, and that is what a deletion subtracts;
/// - FLUSHDB and FLUSHALL zero the database's count, SWAPDB swaps the counts.
/// The key tables' own arrays (entries, buckets, the expires table) are counted from their
/// capacities when `used_memory` is read, so they need no bookkeeping.
extension Engine {
    /// The charge of `key` holding `value`.
    @inline(__always)
    static func charge(_ key: ByteString, _ value: Value) -> Int {
        key.heapBytes + value.memoryFootprint
    }

    /// Stores `value` at `key` (no TTL or WATCH work), charging it and refreshing the key's
    /// access data: the LRU clock, or under LFU a new key's initial counter and an overwritten
    /// key's `updateLFU` (Redis's SET looks the key up for writing, then keeps its LFU data).
    @inline(__always)
    func store(_ db: Database, _ key: ByteString, _ value: Value) {
        if !snapshots.isEmpty { preserveForSnapshots(db, key) }
        keyspaceMemoryStale = true
        let old: Value?
        if configuration.evictionPolicy.isLFU {
            let lookedUp = !pendingCharges.isEmpty && pendingIndex(db, key) != nil
            let initial = lfuInitialClock
            old = db.keys.set(key, value) { prior in prior.map { lookedUp ? $0 : updatedLFU($0) } ?? initial }
        } else {
            let clock = accessClock
            old = db.keys.set(key, value) { _ in clock }
        }
        if old == nil { notify(.new, "new", key, db) }
        let charge = Engine.charge(key, value)
        db.chargedBytes += charge
        let inPlace = !value.isString
        if let old {
            if !pendingCharges.isEmpty, let i = pendingIndex(db, key) {
                db.chargedBytes -= pendingCharges[i].charged
                if inPlace {
                    pendingCharges[i].charged = charge
                } else {
                    pendingCharges.swapAt(i, pendingCharges.count - 1)
                    pendingCharges.removeLast()
                }
                return
            }
            db.chargedBytes -= Engine.charge(key, old)
        }
        // A collection is filled after it is stored (LPUSH on a new key): charge it again later.
        if inPlace { appendPending(db, key, charge) }
    }

    /// Removes `key` from the key table, subtracting what was charged for it. Returns its value.
    @inline(__always)
    @discardableResult
    func removeCharged(_ db: Database, _ key: ByteString) -> Value? {
        if !snapshots.isEmpty { preserveForSnapshots(db, key) }
        guard let old = db.keys.remove(key) else { return nil }
        keyspaceMemoryStale = true
        if !pendingCharges.isEmpty, let i = pendingIndex(db, key) {
            db.chargedBytes -= pendingCharges[i].charged
            pendingCharges.swapAt(i, pendingCharges.count - 1)
            pendingCharges.removeLast()
        } else {
            db.chargedBytes -= Engine.charge(key, old)
        }
        return old
    }

    /// Notes that the running command may change `value`, stored at `key`, in place.
    @inline(__always)
    func noteWrite(_ db: Database, _ key: ByteString, _ value: Value) {
        if !snapshots.isEmpty { preserveForSnapshots(db, key) }
        if !pendingCharges.isEmpty && pendingIndex(db, key) != nil { return }
        appendPending(db, key, Engine.charge(key, value))
    }

    private func appendPending(_ db: Database, _ key: ByteString, _ charge: Int) {
        // A command touching very many keys settles as it goes, keeping the searches short.
        if pendingCharges.count >= 64 { settleCharges() }
        pendingCharges.append(PendingCharge(database: db, key: key, charged: charge))
    }

    @inline(__always)
    func pendingIndex(_ db: Database, _ key: ByteString) -> Int? {
        pendingCharges.firstIndex { $0.database === db && $0.key == key }
    }

    /// Charges the keys the command noted for what they hold now.
    func settleCharges() {
        keyspaceMemoryStale = true
        for p in pendingCharges {
            guard let value = p.database.keys[p.key] else { continue }
            p.database.chargedBytes += Engine.charge(p.key, value) - p.charged
        }
        pendingCharges.removeAll(keepingCapacity: true)
    }

    /// The bytes `used_memory` reports before any key is stored (`used_memory_startup`): the
    /// heap an idle `roost server` holds, measured once as glibc's `mallinfo2().uordblks`
    /// (391 KB, 2026-12; Redis 7.0 reports 0.96 MB). A constant, not a per-call measurement:
    /// `mallinfo2` walks the heap (150 ms on a fragmented one).
    static let startupMemory = 400_000

    /// The bytes charged for keys and values in every database (`used_memory_dataset`).
    public var datasetMemory: Int {
        if !pendingCharges.isEmpty { settleCharges() }
        var total = 0
        for db in databases { total += db.chargedBytes }
        return total
    }

    /// The bytes both Lua states hold (`lua_gc(LUA_GCCOUNT)`, in KB).
    var luaMemory: Int {
        var total = 0
        if let lua = scripting { total += Int(lua_gc(lua.L, LUA_GCCOUNT, 0)) * 1024 }
        if let lua = functionScripting { total += Int(lua_gc(lua.L, LUA_GCCOUNT, 0)) * 1024 }
        return total
    }

    /// `used_memory`: the start-up baseline, the key tables, the keys and values, and Lua.
    /// Also moves `used_memory_peak`. Read before every command while `maxmemory` is set: one
    /// pass over the databases.
    public var usedMemory: Int {
        if !pendingCharges.isEmpty { settleCharges() }
        if keyspaceMemoryStale {
            var total = 0
            for db in databases { total += db.chargedBytes + db.keys.tableBytes + db.expires.tableBytes }
            keyspaceMemory = total
            keyspaceMemoryStale = false
        }
        var used = Engine.startupMemory + keyspaceMemory
        if scripting != nil || functionScripting != nil { used += luaMemory }
        if used > peakMemory { peakMemory = used }
        return used
    }

    /// The charges recomputed from scratch over every key, per database; equal to each
    /// `Database.chargedBytes` once the running command has settled. For tests.
    public func recountedCharges() -> [Int] {
        databases.map { db in
            var total = 0
            db.keys.forEach { key, value in total += Engine.charge(key, value) }
            return total
        }
    }
}
