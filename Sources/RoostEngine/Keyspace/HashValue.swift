#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A hash: field-value pairs, in one of Redis's two encodings.
///
/// - `listpack`: small hashes live in ONE contiguous byte buffer (a `Listpack`) of entries, field
///   then value, each entry a LEB128 length followed by its bytes, in insertion order (an update
///   rewrites the value in place, as Redis's listpack does). Lookups scan the buffer; that is
///   what Redis does too, and the thresholds keep it short.
/// - `hashtable`: once a hash passes `hash-max-listpack-entries` fields or a field or value
///   longer than `hash-max-listpack-value` bytes is stored, it moves to a `KeyTable` (with SCAN's
///   reverse-binary cursor) and never moves back.
///
/// `HashValue` is a one-word handle (no object of its own), so a small hash costs its key
/// table entry and one exact-size buffer. The handle has reference semantics for changes that
/// fit (they write through to the shared buffer or table), but a change that needs a bigger
/// buffer, or a conversion, moves the handle to new storage: whoever mutates a hash must store
/// the handle back where it came from (see `identity`), as `HashCommands.commit` does.
public struct HashValue {
    /// The representation: both cases are class references, so this is one word.
    enum Storage {
        case listpack(Listpack)
        case table(FieldTable)
    }

    var storage: Storage

    /// The hashtable encoding's storage.
    final class FieldTable {
        var entries = KeyTable<ByteString>()
    }

    /// An empty listpack-encoded hash, with room for `listpackCapacity` bytes of entries.
    public init(listpackCapacity: Int = 0) {
        storage = .listpack(Listpack.make(capacity: listpackCapacity))
    }

    /// Identifies the storage: it changes exactly when a mutation moved the handle to a new
    /// buffer or table, which must then be stored back into the keyspace.
    public var identity: ObjectIdentifier {
        switch storage {
        case .listpack(let lp): return ObjectIdentifier(lp)
        case .table(let t): return ObjectIdentifier(t)
        }
    }

    /// The number of fields.
    public var count: Int {
        switch storage {
        case .listpack(let lp): return lp.pairCount
        case .table(let t): return t.entries.count
        }
    }

    /// Whether the hash is in the listpack encoding.
    public var isListpack: Bool {
        if case .listpack = storage { return true }
        return false
    }

    /// The name OBJECT ENCODING reports.
    public var encodingName: StaticString { isListpack ? "listpack" : "hashtable" }

    /// An independent copy in the same encoding.
    public func duplicate() -> HashValue {
        var copy = HashValue()
        switch storage {
        case .listpack(let lp):
            copy.storage = .listpack(lp.copy(capacity: lp.used))
        case .table(let t):
            let c = FieldTable()
            c.entries = t.entries
            copy.storage = .table(c)
        }
        return copy
    }

    // MARK: - Iteration

    /// Calls `body` with each pair, in the encoding's order, until it returns false.
    public func forEach(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Bool) {
        switch storage {
        case .table(let t):
            var stop = false
            t.entries.forEach { field, value in
                if stop { return }
                field.withUnsafeBytes { f in value.withUnsafeBytes { v in if !body(f, v) { stop = true } } }
            }
        case .listpack(let lp):
            lp.withBytes { p in
                var offset = 0
                while offset < p.count {
                    let (fs, fe) = Listpack.readEntry(p, offset)
                    let (vs, ve) = Listpack.readEntry(p, fe)
                    if !body(UnsafeRawBufferPointer(rebasing: p[fs..<fe]), UnsafeRawBufferPointer(rebasing: p[vs..<ve])) {
                        return
                    }
                    offset = ve
                }
            }
        }
    }

    /// All pairs, in the encoding's order.
    public var pairs: [(field: ByteString, value: ByteString)] {
        var out: [(field: ByteString, value: ByteString)] = []
        out.reserveCapacity(count)
        forEach { f, v in
            out.append((ByteString(bytes: f), ByteString(bytes: v)))
            return true
        }
        return out
    }

    // MARK: - Reads

    /// The value of `field`, or nil.
    public func value(_ field: [UInt8]) -> [UInt8]? {
        switch storage {
        case .table(let t):
            return t.entries[ByteString(field)]?.bytes
        case .listpack(let lp):
            guard let (_, vs, ve) = lp.find(field) else { return nil }
            return lp.withBytes { p in
                let (s, _) = Listpack.readEntry(p, vs)
                return Array(p[s..<ve])
            }
        }
    }

    /// Whether `field` is present.
    public func contains(_ field: [UInt8]) -> Bool {
        switch storage {
        case .table(let t): return t.entries.contains(ByteString(field))
        case .listpack(let lp): return lp.find(field) != nil
        }
    }

    // MARK: - Writes

    /// Moves to the hashtable encoding (no-op if already there).
    public mutating func convertToTable() {
        guard isListpack else { return }
        let t = FieldTable()
        forEach { f, v in
            t.entries.set(ByteString(bytes: f), ByteString(bytes: v))
            return true
        }
        storage = .table(t)
    }

    /// Redis's `LISTPACK_MAX_SAFETY_SIZE`: a listpack never grows past 1 GB.
    static let listpackSafetyLimit = 1 << 30

    /// Redis's `hashTypeTryConversion`: converts when any of `lengths` (the fields and values
    /// about to be written) exceeds `maxValue`, or when together they would take the listpack
    /// past its safety limit (`lpSafeToAdd`).
    public mutating func convertIfAnyLonger(than maxValue: Int, _ lengths: some Sequence<Int>) {
        var longest = 0
        var sum = 0
        for length in lengths {
            longest = max(longest, length)
            sum += length
        }
        convertIfAnyLonger(than: maxValue, longest: longest, total: sum)
    }

    /// The same, given the longest length and the sum of all of them.
    public mutating func convertIfAnyLonger(than maxValue: Int, longest: Int, total: Int) {
        guard case .listpack(let lp) = storage else { return }
        if longest > maxValue || lp.used + total > Self.listpackSafetyLimit { convertToTable() }
    }

    /// Makes room for `bytes` more listpack bytes, exactly (as Redis's listpack, which is
    /// reallocated to its exact size by each insertion): no slack is kept for later writes.
    public mutating func reserveListpack(adding bytes: Int) {
        guard case .listpack(let lp) = storage else { return }
        let needed = lp.used + bytes
        if lp.capacity < needed { storage = .listpack(lp.copy(capacity: needed)) }
    }

    /// Moves the listpack to an exact-size buffer when it has more than a malloc granule of
    /// unused room (after deletions, or when a write reserved more than it used).
    public mutating func shrinkToFit() {
        guard case .listpack(let lp) = storage, lp.capacity - lp.used > 16 else { return }
        storage = .listpack(lp.copy(capacity: lp.used))
    }

    /// Redis's `hashTypeSet`: stores `value` under `field`, converting to a hash table when
    /// either is longer than `maxValue` or the field count passes `maxEntries`. Returns whether
    /// the field was new.
    @discardableResult
    public mutating func set(_ field: [UInt8], _ value: [UInt8], maxEntries: Int, maxValue: Int) -> Bool {
        if case .listpack(let lp) = storage, field.count > maxValue || value.count > maxValue
            || lp.used + field.count + value.count > Self.listpackSafetyLimit {
            convertToTable()
        }
        switch storage {
        case .table(let t):
            return t.entries.set(ByteString(field), ByteString(value)) == nil
        case .listpack(var lp):
            var entry: [UInt8] = []
            if let (_, vs, ve) = lp.find(field) {
                Listpack.appendEntry(value, to: &entry)
                if let grown = lp.replace(vs..<ve, with: entry) { storage = .listpack(grown) }
                return false
            }
            entry.reserveCapacity(Listpack.entrySize(field.count) + Listpack.entrySize(value.count))
            Listpack.appendEntry(field, to: &entry)
            Listpack.appendEntry(value, to: &entry)
            let end = lp.used
            if let grown = lp.replace(end..<end, with: entry) {
                lp = grown
                storage = .listpack(grown)
            }
            lp.pairCount += 1
            if lp.pairCount > maxEntries { convertToTable() }
            return true
        }
    }

    /// Removes `field`. Returns whether it was present.
    @discardableResult
    public mutating func remove(_ field: [UInt8]) -> Bool {
        switch storage {
        case .table(let t):
            return t.entries.remove(ByteString(field)) != nil
        case .listpack(let lp):
            guard let (fs, _, ve) = lp.find(field) else { return false }
            if let grown = lp.replace(fs..<ve, with: []) { storage = .listpack(grown) }
            lp.pairCount -= 1
            return true
        }
    }

    // MARK: - Random access and scanning

    /// A random pair (Redis's `hashTypeRandomElement`). The hash must not be empty.
    public func randomPair<G: RandomNumberGenerator>(using generator: inout G) -> (field: ByteString, value: ByteString) {
        if case .table(let t) = storage, let e = t.entries.randomEntry(using: &generator) { return (e.key, e.value) }
        let index = Int.random(in: 0..<max(count, 1), using: &generator)
        var i = 0
        var out = (field: ByteString([]), value: ByteString([]))
        forEach { f, v in
            if i == index {
                out = (ByteString(bytes: f), ByteString(bytes: v))
                return false
            }
            i += 1
            return true
        }
        return out
    }

    /// One step of HSCAN over the hash table: visits buckets from `cursor` (each step at least
    /// one non-empty bucket) until `count` fields and values were collected (two per pair, as
    /// Redis counts them), at most `count * 10` steps were taken, or the scan completes.
    /// Returns the next cursor. Only for the hashtable encoding.
    public func scanTable(cursor: UInt64, count: Int, _ body: (ByteString, ByteString) -> Void) -> UInt64 {
        guard case .table(let t) = storage else { return 0 }
        var v = cursor
        var collected = 0
        var iterations = count > Int.max / 10 ? Int.max : count * 10
        repeat {
            v = t.entries.scan(cursor: v, count: 1) { f, value in
                body(f, value)
                collected += 2
            }
            iterations -= 1
        } while v != 0 && iterations > 0 && collected < count
        return v
    }
}

extension HashValue {
    /// An O(1) estimate of the bytes the hash holds, for `used_memory` (see `MemoryFootprint`).
    var memoryFootprint: Int {
        switch storage {
        case .listpack(let lp):
            return MemoryFootprint.mallocBytes(16 + MemoryLayout<ListpackHeader>.stride + lp.capacity)
        case .table(let t):
            return MemoryFootprint.objectBytes(fields: 32) + t.entries.tableBytes
                + t.entries.sampledEntryBytes { field, value in field.heapBytes + value.heapBytes }
        }
    }
}

/// The bookkeeping at the head of a listpack buffer.
struct ListpackHeader {
    /// Bytes of entries in use.
    var used: UInt32
    /// Field-value pairs stored.
    var pairCount: UInt32
}

/// A hash's listpack: one allocation holding an 8-byte header and the entries, each a LEB128
/// length and its bytes, fields and values alternating.
typealias Listpack = ManagedBuffer<ListpackHeader, UInt8>

extension ManagedBuffer where Header == ListpackHeader, Element == UInt8 {
    /// A new empty listpack with room for `capacity` bytes.
    static func make(capacity: Int) -> Listpack {
        Listpack.create(minimumCapacity: capacity) { _ in ListpackHeader(used: 0, pairCount: 0) }
    }

    /// Bytes of entries in use.
    var used: Int { Int(header.used) }

    /// Field-value pairs stored.
    var pairCount: Int {
        get { Int(header.pairCount) }
        set { header.pairCount = UInt32(newValue) }
    }

    /// A new buffer with the same entries and room for `capacity` bytes.
    func copy(capacity: Int) -> Listpack {
        let n = used
        let out = Listpack.make(capacity: Swift.max(capacity, n))
        out.header = header
        withUnsafeMutablePointerToElements { src in
            out.withUnsafeMutablePointerToElements { dst in dst.update(from: src, count: n) }
        }
        return out
    }

    /// Calls `body` with the entries' bytes.
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        let n = used
        return withUnsafeMutablePointerToElements { body(UnsafeRawBufferPointer(start: $0, count: n)) }
    }

    /// Replaces the bytes in `range` with `bytes`: in place when they fit (returning nil),
    /// otherwise into a new buffer of exactly the new size that it returns (the caller must keep
    /// it instead).
    func replace(_ range: Range<Int>, with bytes: [UInt8]) -> Listpack? {
        let oldUsed = used
        let newUsed = oldUsed - range.count + bytes.count
        if newUsed <= capacity {
            withUnsafeMutablePointerToElements { p in
                let tail = oldUsed - range.upperBound
                if tail > 0 && range.count != bytes.count {
                    memmove(p + range.lowerBound + bytes.count, p + range.upperBound, tail)
                }
                bytes.withUnsafeBufferPointer { b in
                    if let base = b.baseAddress { (p + range.lowerBound).update(from: base, count: b.count) }
                }
            }
            header.used = UInt32(newUsed)
            return nil
        }
        let out = Listpack.make(capacity: newUsed)
        out.header = ListpackHeader(used: UInt32(newUsed), pairCount: header.pairCount)
        withUnsafeMutablePointerToElements { src in
            out.withUnsafeMutablePointerToElements { dst in
                dst.update(from: src, count: range.lowerBound)
                bytes.withUnsafeBufferPointer { b in
                    if let base = b.baseAddress { (dst + range.lowerBound).update(from: base, count: b.count) }
                }
                (dst + range.lowerBound + bytes.count).update(from: src + range.upperBound, count: oldUsed - range.upperBound)
            }
        }
        return out
    }

    /// The position of `field`: where its entry starts, and where its value's entry starts and ends.
    func find(_ field: [UInt8]) -> (fieldStart: Int, valueStart: Int, valueEnd: Int)? {
        withBytes { p -> (Int, Int, Int)? in
            field.withUnsafeBytes { f -> (Int, Int, Int)? in
                var offset = 0
                while offset < p.count {
                    let (fs, fe) = Self.readEntry(p, offset)
                    let (_, ve) = Self.readEntry(p, fe)
                    if fe - fs == f.count && Self.equal(p, fs, f) { return (offset, fe, ve) }
                    offset = ve
                }
                return nil
            }
        }
    }

    /// Whether the `f.count` bytes of `p` at `start` equal `f`.
    static func equal(_ p: UnsafeRawBufferPointer, _ start: Int, _ f: UnsafeRawBufferPointer) -> Bool {
        guard f.count > 0 else { return true }
        guard let a = p.baseAddress, let b = f.baseAddress else { return false }
        return memcmp(a + start, b, f.count) == 0
    }

    /// Bytes an entry of `length` bytes takes: its LEB128 length prefix and the bytes.
    static func entrySize(_ length: Int) -> Int {
        var n = 1
        var v = length >> 7
        while v != 0 { n += 1; v >>= 7 }
        return n + length
    }

    /// Reads the entry at `offset`: returns the start and end of its bytes.
    static func readEntry(_ p: UnsafeRawBufferPointer, _ offset: Int) -> (start: Int, end: Int) {
        var length = 0
        var shift = 0
        var i = offset
        while true {
            let b = p[i]
            length |= Int(b & 0x7F) << shift
            i += 1
            if b < 0x80 { break }
            shift += 7
        }
        return (i, i + length)
    }

    /// Appends an entry holding `bytes` to `out`.
    static func appendEntry<C: Collection>(_ bytes: C, to out: inout [UInt8]) where C.Element == UInt8 {
        var v = bytes.count
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        out.append(contentsOf: bytes)
    }
}
