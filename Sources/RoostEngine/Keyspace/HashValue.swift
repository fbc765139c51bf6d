#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A hash: field-value pairs, in one of Redis's two encodings.
///
/// - `listpack`: small hashes live in ONE contiguous byte buffer of entries, field then value,
///   each entry a LEB128 length followed by its bytes, in insertion order (an update rewrites the
///   value in place, as Redis's listpack does). Lookups scan the buffer; that is what Redis does
///   too, and the thresholds keep it short.
/// - `hashtable`: once a hash passes `hash-max-listpack-entries` fields or a field or value
///   longer than `hash-max-listpack-value` bytes is stored, it moves to a `KeyTable` (with SCAN's
///   reverse-binary cursor) and never moves back.
public final class HashValue {
    /// The listpack entries (unused once converted).
    var packed: [UInt8]
    /// The number of field-value pairs in `packed`.
    var packedCount: Int
    /// The hash table, once converted.
    var table: FieldTable?

    /// The hashtable encoding's storage, boxed so that a listpack hash stays small.
    final class FieldTable {
        var entries = KeyTable<ByteString>()
    }

    /// An empty listpack-encoded hash.
    public init() {
        packed = []
        packedCount = 0
        table = nil
    }

    /// The number of fields.
    public var count: Int { table?.entries.count ?? packedCount }

    /// Whether the hash is in the listpack encoding.
    public var isListpack: Bool { table == nil }

    /// The name OBJECT ENCODING reports.
    public var encodingName: StaticString { table == nil ? "listpack" : "hashtable" }

    /// An independent copy in the same encoding.
    public func duplicate() -> HashValue {
        let copy = HashValue()
        copy.packed = packed
        copy.packedCount = packedCount
        if let table {
            let t = FieldTable()
            t.entries = table.entries
            copy.table = t
        }
        return copy
    }

    // MARK: - Listpack entries

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

    /// The position of `field` in the listpack: where its entry starts, and where its value's
    /// entry starts and ends.
    func packedFind(_ field: [UInt8]) -> (fieldStart: Int, valueStart: Int, valueEnd: Int)? {
        packed.withUnsafeBytes { p -> (Int, Int, Int)? in
            var offset = 0
            let n = field.count
            return field.withUnsafeBytes { f -> (Int, Int, Int)? in
                while offset < p.count {
                    let (fs, fe) = Self.readEntry(p, offset)
                    let (_, ve) = Self.readEntry(p, fe)
                    if fe - fs == n && Self.equal(p, fs, f) {
                        return (offset, fe, ve)
                    }
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

    /// Calls `body` with each pair, in the encoding's order, until it returns false.
    public func forEach(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Bool) {
        if let table {
            var stop = false
            table.entries.forEach { field, value in
                if stop { return }
                field.withUnsafeBytes { f in value.withUnsafeBytes { v in if !body(f, v) { stop = true } } }
            }
            return
        }
        packed.withUnsafeBytes { p in
            var offset = 0
            while offset < p.count {
                let (fs, fe) = Self.readEntry(p, offset)
                let (vs, ve) = Self.readEntry(p, fe)
                if !body(UnsafeRawBufferPointer(rebasing: p[fs..<fe]), UnsafeRawBufferPointer(rebasing: p[vs..<ve])) {
                    return
                }
                offset = ve
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
        if let table { return table.entries[ByteString(field)]?.bytes }
        guard let (_, vs, ve) = packedFind(field) else { return nil }
        return packed.withUnsafeBytes { p in
            let (s, _) = Self.readEntry(p, vs)
            return Array(p[s..<ve])
        }
    }

    /// Whether `field` is present.
    public func contains(_ field: [UInt8]) -> Bool {
        if let table { return table.entries.contains(ByteString(field)) }
        return packedFind(field) != nil
    }

    // MARK: - Writes

    /// Moves to the hashtable encoding (no-op if already there).
    public func convertToTable() {
        if table != nil { return }
        let t = FieldTable()
        forEach { f, v in
            t.entries.set(ByteString(bytes: f), ByteString(bytes: v))
            return true
        }
        table = t
        packed = []
        packedCount = 0
    }

    /// Redis's `hashTypeTryConversion`: converts when any of `lengths` (the fields and values
    /// about to be written) exceeds `maxValue`.
    public func convertIfAnyLonger(than maxValue: Int, _ lengths: some Sequence<Int>) {
        if table != nil { return }
        for length in lengths where length > maxValue {
            convertToTable()
            return
        }
    }

    /// Makes room for `bytes` more listpack bytes, with a little slack for later growth.
    public func reserveListpack(adding bytes: Int) {
        guard table == nil else { return }
        let needed = packed.count + bytes
        if packed.capacity < needed { packed.reserveCapacity(needed + (packed.count >> 3)) }
    }

    /// Redis's `hashTypeSet`: stores `value` under `field`, converting to a hash table when
    /// either is longer than `maxValue` or the field count passes `maxEntries`. Returns whether
    /// the field was new.
    @discardableResult
    public func set(_ field: [UInt8], _ value: [UInt8], maxEntries: Int, maxValue: Int) -> Bool {
        if table == nil && (field.count > maxValue || value.count > maxValue) { convertToTable() }
        if let table {
            return table.entries.set(ByteString(field), ByteString(value)) == nil
        }
        if let (_, vs, ve) = packedFind(field) {
            var entry: [UInt8] = []
            entry.reserveCapacity(Self.entrySize(value.count))
            Self.appendEntry(value, to: &entry)
            packed.replaceSubrange(vs..<ve, with: entry)
            return false
        }
        reserveListpack(adding: Self.entrySize(field.count) + Self.entrySize(value.count))
        Self.appendEntry(field, to: &packed)
        Self.appendEntry(value, to: &packed)
        packedCount += 1
        if packedCount > maxEntries { convertToTable() }
        return true
    }

    /// Removes `field`. Returns whether it was present.
    @discardableResult
    public func remove(_ field: [UInt8]) -> Bool {
        if let table { return table.entries.remove(ByteString(field)) != nil }
        guard let (fs, _, ve) = packedFind(field) else { return false }
        packed.removeSubrange(fs..<ve)
        packedCount -= 1
        return true
    }

    // MARK: - Random access and scanning

    /// A random pair (Redis's `hashTypeRandomElement`). The hash must not be empty.
    public func randomPair<G: RandomNumberGenerator>(using generator: inout G) -> (field: ByteString, value: ByteString) {
        if let table, let e = table.entries.randomEntry(using: &generator) { return (e.key, e.value) }
        let index = Int.random(in: 0..<max(packedCount, 1), using: &generator)
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
    /// Redis counts them), at most `count * 10` steps were taken, or the scan completes. Returns the next cursor. Only for the hashtable encoding.
    public func scanTable(cursor: UInt64, count: Int, _ body: (ByteString, ByteString) -> Void) -> UInt64 {
        guard let table else { return 0 }
        var v = cursor
        var collected = 0
        var iterations = count * 10
        repeat {
            v = table.entries.scan(cursor: v, count: 1) { f, value in
                body(f, value)
                collected += 2
            }
            iterations -= 1
        } while v != 0 && iterations > 0 && collected < count
        return v
    }
}
