// Blocking commands: the engine side of BLPOP, BLMOVE, BLMPOP and, later, BZPOPMIN and friends.
//
// The infrastructure knows nothing about data types. A family uses it in three steps:
//
// 1. A blocking command that finds nothing to serve (and `client.denyBlocking` is not set)
//    calls `engine.block(client, keys:, deadline:, serve:)` and writes no reply. `serve` is the
//    family's own routine: given a key that became ready, it looks at the key's value and
//    either writes the full reply to `client.reply` (and makes any changes, through the usual
//    keyspace calls) and returns `true`, or returns `false` when the value cannot serve this
//    client (wrong type, nothing left), so that the client keeps waiting.
// 2. Every command that adds data a waiter might take calls `engine.signalKeyAsReady(db, key)`.
//    That is cheap when nobody waits on the key.
// 3. After each top-level command (EXEC and scripts count as one), dispatch calls
//    `serveReadyKeys()`, which, as Redis's `handleClientsBlockedOnKeys`, takes the ready keys in
//    the order they became ready and offers each to its waiters in FIFO order until the key is
//    gone. Serving may make more keys ready (BLMOVE pushes onto another list); those are served
//    in the same pass.
//
// A served, timed-out or CLIENT UNBLOCKed client's reply is handed to its own connection through
// `scheduleDelivery` / `takeDeliveries`, as PUBLISH does. While `client.blocked` is set the
// server must not feed the client's connection further commands; it resumes once the delivery
// arrives.
//
// `Engine.setKey` signals the key as ready whenever a key gets a new value, as Redis's `dbAdd`
// does, so RENAME, COPY, MOVE, SORT … STORE and every family's creation of a key are covered
// without their help; SWAPDB checks every waited key (`signalWaitedKeysThatExist`).
//
// Scripts must run their commands with `client.denyBlocking` set, as EXEC does, so that a
// blocking command (BLMPOP is allowed in scripts) answers at once.
//
// Timeouts: `deadline` is absolute Unix milliseconds, 0 for none. The server calls
// `expireBlockedClients(now:)` from a timer set at `client.blocked!.deadline` (and on every
// background cycle); a timed-out client gets a null array, as Redis sends.

/// What a blocked client waits for, kept in `Client.blocked`.
public struct BlockedWait {
    /// The index of the database the keys belong to.
    public let database: Int
    /// The keys waited on, without repeats, in the order given.
    public let keys: [ByteString]
    /// Absolute Unix milliseconds at which the wait times out; 0 waits forever.
    public let deadline: Int64
    /// Whether `serve` is also offered a key that was deleted (XREADGROUP answers UNBLOCKED).
    let servesMissingKey: Bool
    /// Tries to serve the client from a ready key; see the file's documentation.
    let serve: (Engine, Client, Database, ByteString) -> Bool
    /// The blocked command and how long its call took, for its latency histogram once served.
    var command: ObjectIdentifier?
    var callMicroseconds: Int64 = 0
}

/// The engine's wait queues, one per (database, key), and the keys made ready by the running
/// command.
struct BlockingRegistry {
    /// Waiting clients per key, in the order they blocked.
    var waiters: [WatchedKey: [Client]] = [:]
    /// Keys that received data during the current command, in order, without repeats.
    var readyKeys: [WatchedKey] = []
    var readySet: Set<WatchedKey> = []
    /// Every blocked client by id.
    var blocked: [Int64: Client] = [:]
}

extension Engine {
    /// The number of clients waiting in a blocking command (INFO `blocked_clients`).
    public var blockedClientCount: Int { blocking.blocked.count }

    /// Parses a blocking command's timeout argument, in seconds with millisecond resolution,
    /// as Redis's `getTimeoutFromObjectOrReply`, and returns the absolute deadline in Unix
    /// milliseconds, or 0 for "wait forever".
    static func parseBlockingTimeout(_ argument: [UInt8], now: Int64) throws(RedisError) -> Int64 {
        guard let seconds = parseLongDouble(argument) else { throw .timeoutNotFloat }
        // Rounded up, as Redis 7.0 does: any positive timeout waits at least a millisecond.
        let scaled = (seconds * 1000).rounded(.up)
        // C converts out-of-range values to the smallest 64-bit integer, which reads as negative.
        let ms: Int64
        if scaled.isNaN || scaled >= 9.223372036854775808e18 || scaled < -9.223372036854775808e18 {
            ms = Int64.min
        } else {
            ms = Int64(scaled)
        }
        if ms < 0 { throw .timeoutNegative }
        if ms == 0 { return 0 }
        let (sum, overflow) = ms.addingReportingOverflow(now)
        return overflow ? Int64.max : sum
    }

    /// Parses bytes as C's `strtold` does for Redis's `string2ld`: no leading space, nothing
    /// left over, no NaN, no overflow.
    static func parseLongDouble(_ bytes: [UInt8]) -> Float80? {
        if bytes.isEmpty || bytes.count >= 5 * 1024 || bytes.contains(0) { return nil }
        let first = bytes[0]
        if first == 32 || (first >= 9 && first <= 13) { return nil }
        var text = bytes
        text.append(0)
        return text.withUnsafeBufferPointer { buffer -> Float80? in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { start in
                var end: UnsafeMutablePointer<CChar>?
                errno = 0
                let value = strtold(start, &end)
                guard let end, end.pointee == 0 else { return nil }
                if errno == ERANGE && (value.isInfinite || value == 0) { return nil }
                if errno == EINVAL || value.isNaN { return nil }
                return value
            }
        }
    }

    /// Blocks `client` on `keys` of its selected database until one can serve it, the deadline
    /// passes, or CLIENT UNBLOCK. Writes no reply. Repeated keys are waited on once.
    func block(_ client: Client, keys: [ByteString], deadline: Int64, servesMissingKey: Bool = false,
               serve: @escaping (Engine, Client, Database, ByteString) -> Bool) {
        var unique: [ByteString] = []
        var seen = Set<ByteString>()
        for key in keys where seen.insert(key).inserted { unique.append(key) }
        let database = client.database.index
        client.blocked = BlockedWait(database: database, keys: unique, deadline: deadline,
                                     servesMissingKey: servesMissingKey, serve: serve)
        for key in unique {
            blocking.waiters[WatchedKey(database: database, key: key), default: []].append(client)
        }
        blocking.blocked[client.id] = client
    }

    /// Takes `client` out of every wait queue and clears its wait. Its reply, if any, must be
    /// written already; it is scheduled for delivery when `deliver` is set.
    func unblock(_ client: Client, deliver: Bool = true) {
        guard let wait = client.blocked else { return }
        for key in wait.keys {
            let watched = WatchedKey(database: wait.database, key: key)
            guard var queue = blocking.waiters[watched] else { continue }
            queue.removeAll { $0 === client }
            blocking.waiters[watched] = queue.isEmpty ? nil : queue
        }
        client.blocked = nil
        blocking.blocked.removeValue(forKey: client.id)
        if deliver { scheduleDelivery(to: client) }
    }

    /// Records that `key` in `db` received data a blocked client may take. Cheap when nobody
    /// waits on it. Call after the data is stored.
    public func signalKeyAsReady(_ db: Database, _ key: ByteString) {
        if blocking.waiters.isEmpty { return }
        let watched = WatchedKey(database: db.index, key: key)
        guard blocking.waiters[watched] != nil, blocking.readySet.insert(watched).inserted else { return }
        blocking.readyKeys.append(watched)
    }

    /// Marks every waited key that now holds a value as ready, for SWAPDB, which brings in whole
    /// databases, as Redis's `scanDatabaseForReadyKeys` does. (Every other way a key gets a value
    /// goes through `setKey`, which signals it.) Cost: one lookup per waited key.
    func signalWaitedKeysThatExist() {
        let waited = blocking.waiters.keys.sorted { ($0.database, $0.key) < ($1.database, $1.key) }
        for watched in waited where !blocking.readySet.contains(watched) {
            let db = databases[watched.database]
            if db.keys.contains(watched.key) && !isExpired(db, watched.key) { signalKeyAsReady(db, watched.key) }
        }
    }

    /// Serves the clients waiting on keys that became ready, as Redis's
    /// `handleClientsBlockedOnKeys`. Dispatch calls it after each top-level command.
    func serveReadyKeys() {
        while !blocking.readyKeys.isEmpty {
            let ready = blocking.readyKeys
            blocking.readyKeys.removeAll()
            blocking.readySet.removeAll()
            for watched in ready {
                let db = databases[watched.database]
                guard var remaining = blocking.waiters[watched]?.count else { continue }
                expireIfNeeded(db, watched.key)
                if !db.keys.contains(watched.key) {
                    // A deleted key is offered only to the waits that answer it; the rest stay put.
                    for client in blocking.waiters[watched] ?? [] where client.blocked?.servesMissingKey == true {
                        if let wait = client.blocked, served(client, wait, db, watched.key) { unblock(client) }
                    }
                    continue
                }
                while remaining > 0 {
                    remaining -= 1
                    expireIfNeeded(db, watched.key)
                    guard db.keys.contains(watched.key),
                          let client = blocking.waiters[watched]?.first else { break }
                    guard let wait = client.blocked else {
                        blocking.waiters[watched]?.removeFirst()
                        continue
                    }
                    // The serve pops in place: charge the value again afterwards (used_memory).
                    if let value = db.keys[watched.key] { noteWrite(db, watched.key, value) }
                    if served(client, wait, db, watched.key) {
                        unblock(client)
                    } else if var queue = blocking.waiters[watched] {
                        // Not servable from this value: to the back, as Redis rotates it.
                        queue.append(queue.removeFirst())
                        blocking.waiters[watched] = queue
                    }
                }
            }
        }
    }

    /// Times out every blocked client whose deadline is before `now` (Unix milliseconds): each
    /// gets a null array. Call with the lock held, then send `takeDeliveries()`.
    public func expireBlockedClients(now: Int64) {
        if blocking.blocked.isEmpty { return }
        if !postponedClients.isEmpty { endClientPauseIfDue() }
        let due = blocking.blocked.values.filter { c in
            guard c.postponedCommand == nil, let deadline = c.blocked?.deadline else { return false }
            return deadline != 0 && deadline < now
        }.sorted { ($0.blocked?.deadline ?? 0, $0.id) < ($1.blocked?.deadline ?? 0, $1.id) }
        for client in due {
            client.reply.nullArray()
            unblock(client)
        }
    }

    /// The earliest deadline among blocked clients, in Unix milliseconds, or nil when none waits
    /// with a timeout.
    public var earliestBlockingDeadline: Int64? {
        blocking.blocked.values.compactMap { c in c.blocked.flatMap { $0.deadline == 0 ? nil : $0.deadline } }.min()
    }

    /// CLIENT UNBLOCK: ends `client`'s wait with a null array (`error` false, as on timeout) or
    /// the UNBLOCKED error. Returns whether the client was blocked.
    func unblockByRequest(_ client: Client, error: Bool) -> Bool {
        guard client.blocked != nil, client.postponedCommand == nil else { return false }
        if error { client.reply.error(.unblockedByClientCommand) } else { client.reply.nullArray() }
        unblock(client)
        return true
    }

    /// Drops a disconnecting client from every wait queue.
    func removeBlockedClient(_ client: Client) {
        removePostponedClient(client)
        unblock(client, deliver: false)
    }
}

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
