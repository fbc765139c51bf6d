/// The keyspace operations every family uses: lookups with lazy expiry, writes that keep WATCH
/// informed, and expiry bookkeeping.
extension Engine {
    /// Whether `key` has an expiry time that has passed. As in Redis, a key is expired only
    /// once the clock is strictly past its expiry time.
    func isExpired(_ db: Database, _ key: ByteString) -> Bool {
        if db.expires.isEmpty { return false }
        guard let when = db.expires[key] else { return false }
        // Nothing expires while the append-only file is replayed: its DELs say when keys went.
        return now > when && !aof.loading
    }

    /// Deletes `key` if its time has passed. Returns whether it was expired: while CLIENT PAUSE
    /// is in force an expired key is kept (reads see it as missing), as in Redis 7.0.
    @discardableResult
    public func expireIfNeeded(_ db: Database, _ key: ByteString) -> Bool {
        guard isExpired(db, key) else { return false }
        if clientPause != nil && isPaused { return true }
        let started = monitorsLatency ? Engine.clockMicroseconds() : 0
        removeCharged(db, key)
        db.expires.remove(key)
        if monitorsLatency { sampleLatency("expire-del", since: started) }
        statistics.expiredKeys += 1
        notify(.expired, "expired", key, db)
        // An expiry is no change for the save points, as in Redis.
        signalModifiedKey(db, key, countsChange: false)
        propagateDeletion(db, key)
        return true
    }

    /// The value of `key` for a read: expires it if due, counts a hit or a miss and refreshes
    /// its access time.
    public func lookupRead(_ db: Database, _ key: ByteString) -> Value? {
        let expired = expireIfNeeded(db, key)
        guard !expired, let value = touchedValue(db, key) else {
            statistics.keyspaceMisses += 1
            notify(.keyMiss, "keymiss", key, db)
            return nil
        }
        statistics.keyspaceHits += 1
        // A write command may change what it read (SORT converts a sorted set's encoding).
        if runningWriteCommand, !value.isString { noteWrite(db, key, value) }
        return value
    }

    /// The value of `key` for a write: expires it if due and refreshes its access time, without
    /// counting hits or misses.
    public func lookupWrite(_ db: Database, _ key: ByteString) -> Value? {
        let expired = expireIfNeeded(db, key)
        guard !expired, let value = touchedValue(db, key) else { return nil }
        noteWrite(db, key, value)
        return value
    }

    /// The value of `key`, its access data refreshed as the policy wants: the LRU clock, or
    /// under an LFU policy Redis's `updateLFU`.
    @inline(__always)
    func touchedValue(_ db: Database, _ key: ByteString) -> Value? {
        if configuration.evictionPolicy.isLFU {
            return db.keys.value(key, updatingClock: { updatedLFU($0) })
        }
        return db.keys.value(key, touching: accessClock)
    }

    /// The value of `key` for a read that Redis flags NOTOUCH (TYPE, EXISTS, TTL): expires it if
    /// due and counts a hit or a miss, but leaves its access time alone.
    public func lookupReadNoTouch(_ db: Database, _ key: ByteString) -> Value? {
        let expired = expireIfNeeded(db, key)
        guard !expired, let value = db.keys[key] else {
            statistics.keyspaceMisses += 1
            notify(.keyMiss, "keymiss", key, db)
            return nil
        }
        statistics.keyspaceHits += 1
        return value
    }

    /// The value of `key` without touching statistics or access time (OBJECT, TYPE-like probes
    /// that Redis flags NOTOUCH); still expires the key if due.
    public func lookupQuiet(_ db: Database, _ key: ByteString) -> Value? {
        if expireIfNeeded(db, key) { return nil }
        return db.keys[key]
    }

    /// Stores `value` at `key`. Clears any TTL unless `keepTTL`. Informs WATCH, and clients
    /// blocked on `key` (as Redis's `dbAdd` does), whichever family or command stored it.
    public func setKey(_ db: Database, _ key: ByteString, _ value: Value, keepTTL: Bool = false) {
        store(db, key, value)
        if !keepTTL && !db.expires.isEmpty { db.expires.remove(key) }
        signalModifiedKey(db, key)
        signalKeyAsReady(db, key)
    }

    /// Replaces the value of an existing key in place, keeping its TTL. Informs WATCH.
    public func updateKey(_ db: Database, _ key: ByteString, _ value: Value) {
        store(db, key, value)
        signalModifiedKey(db, key)
    }

    /// Deletes `key`. Returns whether it existed. Informs WATCH.
    @discardableResult
    public func deleteKey(_ db: Database, _ key: ByteString) -> Bool {
        guard removeCharged(db, key) != nil else { return false }
        if !db.expires.isEmpty { db.expires.remove(key) }
        signalModifiedKey(db, key)
        // Blocked XREADGROUP clients learn that their stream is gone (`signalDeletedKeyAsReady`).
        signalKeyAsReady(db, key)
        return true
    }

    /// Sets the absolute expiry of an existing key, in Unix milliseconds.
    public func setExpire(_ db: Database, _ key: ByteString, at when: Int64) {
        if !snapshots.isEmpty { preserveForSnapshots(db, key) }
        db.expires.set(key, when)
    }

    /// Removes the expiry of `key`. Returns whether it had one.
    @discardableResult
    public func removeExpire(_ db: Database, _ key: ByteString) -> Bool {
        if !snapshots.isEmpty { preserveForSnapshots(db, key) }
        return db.expires.remove(key) != nil
    }

    /// The absolute expiry of `key` in Unix milliseconds, if it has one.
    public func expireTime(_ db: Database, _ key: ByteString) -> Int64? {
        db.expires[key]
    }

    /// Tells WATCH and client-side caching that `key` in `db` changed. A change that does not
    /// count (an expiry, an eviction) is no client's doing.
    public func signalModifiedKey(_ db: Database, _ key: ByteString, countsChange: Bool = true) {
        if countsChange { saveState.dirty += 1 }
        if !tracking.table.isEmpty || !tracking.prefixes.isEmpty {
            invalidateTrackedKey(key, modifierID: countsChange ? tracking.currentClientID : 0)
        }
        if watchers.isEmpty { return }
        touchWatchedKey(db, key)
    }

    /// Tells WATCH that every key of `db` is gone (FLUSHDB, FLUSHALL), counts the keys as
    /// changes, and hands the tables to running snapshots. Call before emptying it.
    public func signalFlushedDatabase(_ db: Database) {
        saveState.dirty += Int64(db.keys.count)
        if !snapshots.isEmpty { detachFromSnapshots(db) }
        if watchers.isEmpty { return }
        touchAllWatchedKeys(emptied: db, replacedWith: nil)
    }

    /// Tells WATCH that databases `a` and `b` traded contents (SWAPDB). Call before swapping.
    public func signalSwappedDatabases(_ a: Int, _ b: Int) {
        if watchers.isEmpty { return }
        touchAllWatchedKeys(emptied: databases[a], replacedWith: databases[b])
        touchAllWatchedKeys(emptied: databases[b], replacedWith: databases[a])
    }

    /// Redis 7.0's `touchAllWatchedKeysInDb`: every watch on `emptied` whose key exists there, or
    /// in `replacedWith`, is broken, except that a key already expired when watched which is now
    /// simply gone (or stays expired) is no change, and a missing key replaced by an expired one
    /// only becomes "expired when watched".
    func touchAllWatchedKeys(emptied: Database, replacedWith: Database?) {
        for (watched, clients) in watchers where watched.database == emptied.index {
            let key = watched.key
            let existsInEmptied = emptied.keys.contains(key)
            let existsInReplacement = replacedWith?.keys.contains(key) ?? false
            if !existsInEmptied && !existsInReplacement { continue }
            for client in clients {
                guard let expiredWhenWatched = client.watchedKeys[watched] else { continue }
                if expiredWhenWatched {
                    guard let replacement = replacedWith, existsInReplacement else {
                        client.watchedKeys[watched] = false
                        continue
                    }
                    if isExpired(replacement, key) { continue }
                } else if !existsInEmptied, let replacement = replacedWith, isExpired(replacement, key) {
                    client.watchedKeys[watched] = true
                    continue
                }
                TransactionCommands.markDirty(engine: self, client: client)
            }
        }
    }

    func touchWatchedKey(_ db: Database, _ key: ByteString) {
        let watched = WatchedKey(database: db.index, key: key)
        guard let clients = watchers[watched] else { return }
        for client in clients {
            guard let expiredWhenWatched = client.watchedKeys[watched] else { continue }
            if expiredWhenWatched {
                // Watched while already expired: its deletion is no logical change. Redis 7.0
                // stops at such a watcher while the key still exists.
                if !db.keys.contains(key) {
                    client.watchedKeys[watched] = false
                    continue
                }
                break
            }
            TransactionCommands.markDirty(engine: self, client: client)
        }
    }

    /// One pass of the active expiry cycle, as Redis's `activeExpireCycle` does it: in each
    /// database, sample keys with a TTL and delete those whose time has passed, repeating while
    /// more than 10% of a sample was expired (Redis 7's acceptable stale share at the default
    /// effort) and the time budget allows. `active-expire-effort` scales the work as in Redis:
    /// each step of effort above 1 samples 5 more keys a round, accepts 1% fewer stale keys
    /// and gives the cycle 2% more of the time budget.
    /// A busy script keeps the keyspace to itself: no cycle runs while one is.
    public func activeExpireCycle(budgetMicroseconds: Int64 = 25_000) {
        if busyScript != nil || (clientPause != nil && isPaused) { return }
        now = Engine.clock()
        // Like Redis's eviction time proc, go on with an eviction that ran out of time.
        if configuration.maxMemory > 0 { _ = performEvictions(budgetMicroseconds: budgetMicroseconds) } else { _ = usedMemory }
        if tracking.clientCount != 0 { limitTrackingTable() }
        let start = Engine.clockMicroseconds()
        defer { if monitorsLatency { sampleLatency("expire-cycle", since: start) } }
        let effort = Swift.min(Swift.max(configuration.activeExpireEffort, 1), 10) - 1
        let keysPerRound = 20 + 5 * effort, acceptableStale = 10 - effort
        let budget = budgetMicroseconds * Int64(25 + 2 * effort) / 25
        var totalSampled = 0, totalExpired = 0
        defer { recordExpireCycle(since: start, sampled: totalSampled, expired: totalExpired) }
        for db in databases where activeExpireEnabled && !db.expires.isEmpty {
            var rounds = 0
            while true {
                var sampled = 0
                var expired: [ByteString] = []
                db.expiryCursor = db.expires.scan(cursor: db.expiryCursor, count: keysPerRound) { key, when in
                    sampled += 1
                    if now > when { expired.append(key) }
                }
                for key in expired { expireIfNeeded(db, key) }
                totalSampled += sampled
                totalExpired += expired.count
                rounds += 1
                if db.expiryCursor == 0 || sampled == 0 || expired.count * 100 / sampled <= acceptableStale { break }
                if rounds % 16 == 0 && Engine.clockMicroseconds() - start > budget {
                    statistics.expiredTimeCapReached += 1
                    return
                }
            }
        }
    }
}
