#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A point-in-time RDB image of the whole keyspace, written to a file while clients keep
/// writing: no `fork()`, and no pause longer than one slice.
///
/// ## What the keyspace looks like
/// A database's `KeyTable` is a struct over two arrays (entries and bucket heads); collection
/// values are classes changed in place, and a hash is a handle to a buffer changed in place.
/// Copying the table when the snapshot starts is O(1), but the first write afterwards would
/// copy the whole entries array (and retain every key and value): tens of milliseconds for a
/// million keys, on the engine lock. And the collections would still change under the copy.
///
/// ## The scheme (Dragonfly's "serialise before the first change", by entry index)
/// - When the snapshot starts (under the engine lock), each non-empty database is *pinned*:
///   its table stops reusing freed entry slots and stops compacting, so every entry keeps its
///   index until the snapshot is done. The snapshot notes `limit`, the table's entry count:
///   entries at `limit` or above were added after the start and are not part of the image.
/// - A background thread walks each table by entry index, `cursor` from 0 to `limit`, in
///   slices of at most `sliceKeys` slots (or `sliceBytes` of output), each slice under the engine
///   lock; between slices it drops the lock, checksums and writes the slice's bytes to the
///   file, then rests as long as the slice held the lock. A client waits at most one slice,
///   and commands keep at least half of the engine's time.
/// - Before any change to a key (an overwrite, an in-place change of a collection, a deletion
///   or expiry, a TTL change), the engine calls `preserve`. If the key sits at an index in
///   `cursor..<limit` not yet preserved, its current value (still the value at the start, since
///   this is its first change) and TTL are serialised now, and the index goes into `early` so
///   that the walk skips it. Keys below `cursor` are already in the image; keys at `limit` or
///   above are new. Early records of the database being walked go straight into the stream;
///   those of a later database wait in its `pending` buffer until its section starts.
/// - A freed slot stays free while pinned, so a key deleted and then re-added lands at `limit`
///   or above and the walk never mistakes it for a key of the image.
/// - FLUSHDB/FLUSHALL hand the database's old tables to the walk (`detach`): the image goes on
///   from them, and the emptied database needs no more hooks. SWAPDB swaps which database each
///   walk follows (`databasesSwapped`).
///
/// - Under the lock, a slice only copies string values (value types: the copy stays the value
///   at the start whatever is written to the key afterwards) and serialises collections (classes
///   changed in place, which `preserve` must copy before any change); the strings are encoded
///   after the lock is let go, so a slice of small keys holds the lock for the walk alone.
///
/// Extra memory is the serialised bytes of one slice plus the old values of keys changed
/// before the walk reached them; a key is copied (as bytes) at most once per snapshot. The
/// write path costs one extra table probe per changed key while a snapshot runs, and nothing
/// otherwise (the engine checks an empty array).
///
/// Every property is touched with the engine's lock held, except `fileDescriptor`,
/// `checksum` and the immutable settings, which the thread reads alone.
// @unchecked: the mutable state is only used under the engine's lock (see above).
final class RDBSnapshot: @unchecked Sendable {
    /// Who asked for the image.
    enum Purpose: Sendable {
        /// BGSAVE, a save point, or any RDB file.
        case backgroundSave
        /// The base file of an append-only file rewrite (`aof-base` is 1).
        case appendOnlyBase
    }

    /// What a finished snapshot wrote.
    struct Summary: Sendable {
        /// Keys in the image.
        let keys: Int
        /// Bytes of the file.
        let bytes: Int
        /// Milliseconds from the start to the last byte fsynced.
        let milliseconds: Int64
    }

    /// One database's walk.
    final class DatabaseWalk {
        /// The database index written in SELECTDB.
        let index: Int
        /// The database whose table is walked; nil once finished, or detached by a flush.
        var source: Database?
        /// The tables a flush took away from `source`, walked instead.
        var detachedKeys: KeyTable<Value>?
        var detachedExpires: KeyTable<Int64>?
        /// Entry indices at or past this were added after the start.
        let limit: Int32
        /// The next entry index the walk serialises.
        var cursor: Int32 = 0
        /// Indices in `cursor..<limit` serialised early by `preserve`.
        var early: Set<Int32> = []
        /// Early records waiting for this database's section.
        var pending: [UInt8] = []
        var started = false
        /// RESIZEDB's figures.
        let keyCount: Int
        let expireCount: Int

        init(_ db: Database) {
            index = db.index
            keyCount = db.keys.count
            expireCount = db.expires.count
            limit = db.keys.entryEnd
            if keyCount > 0 {
                source = db
                db.keys.snapshotPins += 1
            }
        }

        var finished: Bool { source == nil && detachedKeys == nil }

        func entry(at i: Int32) -> (key: ByteString, value: Value)? {
            if let detachedKeys { return detachedKeys.entry(at: i) }
            return source?.keys.entry(at: i)
        }

        func expiry(of key: ByteString) -> Int64? {
            if let detachedExpires { return detachedExpires.isEmpty ? nil : detachedExpires[key] }
            guard let source, !source.expires.isEmpty else { return nil }
            return source.expires[key]
        }

        /// Ends the walk: unpins the table it followed and lets go of detached tables.
        func finish() {
            if let source { source.keys.snapshotPins -= 1 }
            source = nil
            detachedKeys = nil
            detachedExpires = nil
            early = []
            pending = []
        }
    }

    /// Slots walked per lock hold.
    static let sliceKeys = 1000
    /// Output bytes after which a slice ends early.
    static let sliceBytes = 1 << 20

    let purpose: Purpose
    let fileDescriptor: Int32
    let checksum: Bool
    private let compress: Bool
    private let listMaxListpackSize: Int
    /// `rdb-key-save-delay` when the snapshot started.
    private let keySaveDelay: Int64
    private var writer: RDBWriter
    private var walks: [DatabaseWalk]
    private var current = 0
    /// Set by `abandon`; the thread stops at its next slice.
    private(set) var abandoned = false
    /// Keys serialised so far, and keys in the image.
    private(set) var keysWritten = 0
    let keysTotal: Int
    /// Unix milliseconds at the start.
    let startedAt: Int64
    /// Called once, with the engine's lock held, on the snapshot's thread.
    let completion: (Result<Summary, RDBFileError>) -> Void

    /// Starts the image: header, aux fields and function libraries go into the stream, every
    /// non-empty database is pinned. Call with the engine's lock held.
    init(engine: Engine, fileDescriptor: Int32, purpose: Purpose,
         completion: @escaping (Result<Summary, RDBFileError>) -> Void) {
        let configuration = engine.configuration
        self.purpose = purpose
        self.fileDescriptor = fileDescriptor
        self.checksum = configuration.rdbChecksum
        self.compress = configuration.rdbCompression
        self.listMaxListpackSize = configuration.listMaxListpackSize
        self.keySaveDelay = configuration.rdbKeySaveDelay
        self.completion = completion
        self.startedAt = Engine.clock()
        writer = RDBWriter(compress: compress, listMaxListpackSize: listMaxListpackSize)
        writer.appendHeader(creationTime: startedAt / 1000, usedMemory: engine.usedMemory,
                            aofBase: purpose == .appendOnlyBase)
        for library in engine.functionScripting?.libraries.values.sorted(by: { $0.name < $1.name }) ?? [] {
            writer.appendFunctionLibrary(code: library.code)
        }
        walks = engine.databases.map { DatabaseWalk($0) }
        keysTotal = walks.reduce(0) { $0 + $1.keyCount }
    }

    // MARK: Hooks (engine lock held)

    private func walk(attachedTo db: Database) -> DatabaseWalk? {
        for w in walks where w.source === db { return w }
        return nil
    }

    /// Called before `key` in `db` changes in any way: serialises its value and TTL now if the
    /// walk has not reached it yet.
    func preserve(_ db: Database, _ key: ByteString) {
        guard let w = walk(attachedTo: db), w.detachedKeys == nil,
              let i = db.keys.entryIndex(of: key), i >= w.cursor, i < w.limit, !w.early.contains(i),
              let entry = db.keys.entry(at: i) else { return }
        w.early.insert(i)
        let expiresAt = db.expires.isEmpty ? nil : db.expires[key]
        if w.started {
            writer.appendKey(entry.key, entry.value, expiresAt: expiresAt)
        } else {
            var side = RDBWriter(compress: compress, listMaxListpackSize: listMaxListpackSize)
            side.appendKey(entry.key, entry.value, expiresAt: expiresAt)
            w.pending.append(contentsOf: side.takeBytes())
        }
        keysWritten += 1
    }

    /// Called before `db` is emptied: the walk goes on from its current tables.
    func detach(_ db: Database) {
        guard let w = walk(attachedTo: db) else { return }
        w.detachedKeys = db.keys
        w.detachedExpires = db.expires
        w.source = nil
    }

    /// Called when two databases trade contents: each walk follows its table.
    func databasesSwapped(_ a: Database, _ b: Database) {
        let wa = walk(attachedTo: a), wb = walk(attachedTo: b)
        wa?.source = b
        wb?.source = a
    }

    /// Stops the snapshot: the thread writes nothing more, and the completion reports
    /// `ECANCELED`.
    func abandon() {
        abandoned = true
        for w in walks { w.finish() }
    }

    // MARK: The walk

    /// A string key the walk reached: its value is a value type, so a copy taken under the lock
    /// stays the value at the start of the snapshot, and is encoded after the lock is let go.
    struct DeferredKey {
        let key: ByteString
        let value: Value
        let expiresAt: Int64?
    }

    /// Serialises the next slice. Returns the bytes to write, the string keys to encode after
    /// them (outside the lock), and whether they end the image (EOF included; the checksum is
    /// the caller's). A slice ends where a database's walk does when keys were deferred, so
    /// that they land in their database's section. Call with the engine's lock held.
    func step() -> (bytes: [UInt8], deferred: [DeferredKey], done: Bool) {
        var visited = 0
        var deferred: [DeferredKey] = []
        while current < walks.count {
            let w = walks[current]
            if w.finished && !w.started {
                current += 1
                continue
            }
            if !w.started {
                writer.appendDatabaseStart(index: w.index, keys: w.keyCount, expires: w.expireCount)
                writer.append(records: w.pending)
                w.pending = []
                w.started = true
            }
            while w.cursor < w.limit {
                let i = w.cursor
                w.cursor += 1
                visited += 1
                if !w.early.isEmpty && w.early.remove(i) != nil { continue }
                if let entry = w.entry(at: i) {
                    if case .string = entry.value {
                        deferred.append(DeferredKey(key: entry.key, value: entry.value, expiresAt: w.expiry(of: entry.key)))
                    } else {
                        writer.appendKey(entry.key, entry.value, expiresAt: w.expiry(of: entry.key))
                    }
                    keysWritten += 1
                }
                if visited >= Self.sliceKeys || writer.bytes.count >= Self.sliceBytes {
                    return (writer.takeBytes(), deferred, false)
                }
            }
            w.finish()
            current += 1
            if !deferred.isEmpty { return (writer.takeBytes(), deferred, false) }
        }
        writer.appendEOF()
        return (writer.takeBytes(), [], true)
    }

    /// Encodes deferred string keys; called without the engine's lock.
    func encode(_ deferred: [DeferredKey]) -> [UInt8] {
        var side = RDBWriter(compress: compress, listMaxListpackSize: listMaxListpackSize)
        for item in deferred { side.appendKey(item.key, item.value, expiresAt: item.expiresAt) }
        return side.takeBytes()
    }

    /// Lets go of every table; called by the engine when the snapshot ends.
    func release() {
        for w in walks { w.finish() }
    }

    // MARK: The thread

    /// Runs the walk on a new thread: slices under `engine`'s lock, writes and the checksum
    /// outside it, then fsync, then `completion` under the lock. Returns false (and calls
    /// nothing) when no thread could be created.
    func start(on engine: Engine) -> Bool {
        SnapshotThread.spawn { [self] in
            let result = self.writeAll(engine)
            engine.withLock {
                engine.snapshotEnded(self)
                self.completion(result)
            }
        }
    }

    private func writeAll(_ engine: Engine) -> Result<Summary, RDBFileError> {
        var crc: UInt64 = 0
        var total = 0
        while true {
            var held: Int64 = 0
            var keys = 0
            let (sliceBytes, deferred, done, stopped) = engine.withLock { () -> ([UInt8], [DeferredKey], Bool, Bool) in
                if abandoned { return ([], [], true, true) }
                let begin = Engine.clockMicroseconds()
                let before = keysWritten
                let slice = step()
                keys = keysWritten - before
                held = Engine.clockMicroseconds() - begin
                return (slice.bytes, slice.deferred, slice.done, false)
            }
            var bytes = sliceBytes
            if !deferred.isEmpty { bytes += encode(deferred) }
            if keySaveDelay != 0 && keys > 0 {
                // Redis's `debugDelay` after each key, here once for the slice's keys.
                let nanoseconds = keySaveDelay > 0 ? keySaveDelay * 1000 : -keySaveDelay
                var pause = timespec(tv_sec: Int(nanoseconds * Int64(keys) / 1_000_000_000),
                                     tv_nsec: Int(nanoseconds * Int64(keys) % 1_000_000_000))
                nanosleep(&pause, nil)
            }
            if stopped { return .failure(RDBFileError(operation: "snapshot", path: "", code: ECANCELED)) }
            if checksum { crc = CRC64.checksum(bytes, continuing: crc) }
            if let error = RDBFile.writeAll(bytes, to: fileDescriptor) { return .failure(error) }
            total += bytes.count
            if done { break }
            // A mutex is not fair: without a rest the thread would take the lock back at once,
            // slice after slice. Resting as long as it held the lock leaves commands at least
            // half of the engine while a snapshot runs (benchmarks: GET/SET fell to a fifth).
            if held > 0 { usleep(UInt32(min(held, 20_000))) }
        }
        var trailer: [UInt8] = []
        RDBBlobs.appendLittleEndian(crc, bytes: 8, to: &trailer)
        if let error = RDBFile.writeAll(trailer, to: fileDescriptor) { return .failure(error) }
        total += 8
        guard fsync(fileDescriptor) == 0 else { return .failure(RDBFileError(operation: "fsync", path: "", code: errno)) }
        let keys = engine.withLock { keysWritten }
        return .success(Summary(keys: keys, bytes: total, milliseconds: Engine.clock() - startedAt))
    }
}

/// A detached POSIX thread running one closure: the engine opens no event loop of its own.
enum SnapshotThread {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Runs `body` on a new thread. Returns false when none could be created.
    static func spawn(_ body: @escaping @Sendable () -> Void) -> Bool {
        let box = Unmanaged.passRetained(Body(body)).toOpaque()
        #if canImport(Darwin)
        var thread: pthread_t?
        #else
        var thread = pthread_t()
        #endif
        let rc = pthread_create(&thread, nil, { argument in
            let body = Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue()
            body.run()
            return nil
        }, box)
        if rc != 0 {
            Unmanaged<Body>.fromOpaque(box).release()
            return false
        }
        #if canImport(Darwin)
        pthread_detach(thread!)
        #else
        pthread_detach(thread)
        #endif
        return true
    }
}
