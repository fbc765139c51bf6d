#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Word counts over raw bytes: the kernel of the word-count MapReduce job.
///
/// A word is a maximal run of bytes that are not ASCII whitespace (space, `\t`, `\n`, `\v`,
/// `\f`, `\r`). Words are counted case-sensitively, as the bytes they are, in any encoding (no
/// decoding, no `String`). `add(_:)` takes a chunk of text that must not cut a word in two;
/// `FileSplit.read(chunkSize:_:)` hands out such chunks.
///
/// An open-addressing table of 16-byte slots holds each word with its count: a word of up to 8
/// bytes sits in its slot, a longer one in an arena of bytes that the slot points into. So
/// counting does not allocate per word, and a short word's lookup touches one cache line.
/// `WordTally` is a value: copies share their storage until one of them changes. A word's
/// count can go up to 2^48 - 1.
public struct WordTally: Sendable {
    private(set) var storage: WordTallyStorage

    /// An empty tally.
    public init() { storage = WordTallyStorage(capacity: 1024, arenaCapacity: 4 * 1024) }

    /// The number of different words.
    public var distinctWords: Int { storage.occupied }

    /// The number of words counted, repeats included.
    public var totalWords: Int { storage.total }

    /// Counts the words of `text`, which must not begin or end in the middle of a word that
    /// goes on in another chunk.
    public mutating func add(_ text: UnsafeRawBufferPointer) {
        guard let base = text.baseAddress, text.count > 0 else { return }
        makeUnique()
        storage.countWords(base.assumingMemoryBound(to: UInt8.self), text.count)
    }

    /// Counts the words of `text` (see `add(_:)` for buffers).
    public mutating func add(_ text: [UInt8]) {
        text.withUnsafeBytes { add($0) }
    }

    /// Adds `count` (> 0) occurrences of the word `word` (non-empty, without whitespace; not
    /// checked).
    public mutating func add(word: [UInt8], count: Int = 1) {
        precondition(!word.isEmpty && count > 0, "a word is non-empty and counted at least once")
        makeUnique()
        word.withUnsafeBufferPointer { storage.add($0.baseAddress!, $0.count, count: count) }
    }

    /// Adds every count of `other` to this tally.
    public mutating func merge(_ other: WordTally) {
        makeUnique()
        let target = storage
        other.forEach { word, count in
            target.add(word.baseAddress!.assumingMemoryBound(to: UInt8.self), word.count, count: count)
        }
    }

    /// The tally split into `count` (> 0) tallies by word: word `w` goes to tally
    /// `WordTally.partition(ofHash: WordTally.hash(w), into: count)`, so every process that
    /// partitions a tally sends each word to the same partition.
    public func partitioned(into count: Int) -> [WordTally] {
        precondition(count > 0, "partition into at least one tally")
        let parts = (0..<count).map { _ in
            WordTallyStorage(capacity: 1024, arenaCapacity: 4 * 1024)
        }
        forEach { word, wordCount in
            let part = Self.partition(ofHash: Self.hash(word), into: count)
            parts[part].add(word.baseAddress!.assumingMemoryBound(to: UInt8.self), word.count, count: wordCount)
        }
        return parts.map { WordTally(storage: $0) }
    }

    /// How many times `word` was counted (0 when never).
    public func count(of word: [UInt8]) -> Int {
        word.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
            return storage.count(of: base, bytes.count)
        }
    }

    /// Calls `body` with each word and its count, in no particular order. The word's buffer is
    /// only valid during the call.
    public func forEach(_ body: (_ word: UnsafeRawBufferPointer, _ count: Int) throws -> Void) rethrows {
        let source = storage
        for index in 0..<source.capacity where source.slots[index].meta != 0 {
            try source.withWord(at: index) { try body($0, source.slots[index].count) }
        }
    }

    /// Every word with its count.
    public var counts: [[UInt8]: Int] {
        var result: [[UInt8]: Int] = [:]
        result.reserveCapacity(distinctWords)
        forEach { word, count in result[Array(word)] = count }
        return result
    }

    private init(storage: WordTallyStorage) { self.storage = storage }

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }
}

extension WordTally {
    /// The 64-bit hash of `word`'s bytes, which decides its partition. It is defined here once
    /// and is the same in every process and on every platform:
    ///
    ///     h = 0
    ///     for each 8-byte piece p of the word (the last one may be shorter), taken as a
    ///     big-endian integer: h = (rotl(h, 23) ^ p) &* 0x9E3779B97F4A7C15
    ///     h ^= length in bytes
    ///     h = fmix64(h)   (MurmurHash3's finalizer)
    ///
    /// One multiplication per 8 bytes, and three to finish: cheap for short words.
    public static func hash(_ word: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0
        var piece: UInt64 = 0
        for (index, byte) in word.enumerated() {
            if index & 7 == 0, index > 0 {
                hash = foldHash(hash, piece)
                piece = 0
            }
            piece = piece << 8 | UInt64(byte)
        }
        return finishHash(foldHash(hash, piece), length: word.count)
    }

    @inline(__always)
    static func foldHash(_ hash: UInt64, _ piece: UInt64) -> UInt64 {
        ((hash << 23 | hash >> 41) ^ piece) &* 0x9E37_79B9_7F4A_7C15
    }

    @inline(__always)
    static func finishHash(_ hash: UInt64, length: Int) -> UInt64 {
        var hash = hash ^ UInt64(truncatingIfNeeded: length)
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash = hash &* 0xc4ce_b9fe_1a85_ec53
        return hash ^ hash >> 33
    }

    /// The 64-bit hash of `word`'s bytes (see `hash(_:)` for buffers).
    public static func hash(_ word: [UInt8]) -> UInt64 {
        word.withUnsafeBytes { hash($0) }
    }

    /// The partition, in `0..<count`, of a word whose `hash(_:)` is `hash`: `hash % count`.
    @inlinable
    public static func partition(ofHash hash: UInt64, into count: Int) -> Int {
        Int(hash % UInt64(count))
    }

    /// Whether `byte` separates words: space, `\t`, `\n`, `\v`, `\f` or `\r`.
    @inlinable
    public static func isWhitespace(_ byte: UInt8) -> Bool {
        byte <= 0x20 && (UInt64(0x1_0000_3E00) >> UInt64(byte)) & 1 != 0
    }
}

/// One word's entry in the table: 16 bytes.
struct WordSlot {
    /// A word of up to 8 bytes: the word as a big-endian number (its `WordTally` piece).
    /// A longer word: the arena offset of its bytes, or of its 8-byte length followed by its
    /// bytes when it is `WordSlot.longLength` bytes or longer.
    var word: UInt64
    /// `count << 16 | min(length, longLength)`; 0 marks an empty slot (words are never empty).
    var meta: UInt64

    static let longLength: UInt64 = 0xFFFF

    var count: Int { Int(truncatingIfNeeded: meta >> 16) }
    var lengthField: UInt64 { meta & Self.longLength }
}

/// The table and the arena of a `WordTally`.
///
/// `@unchecked Sendable`: `WordTally` mutates its storage only when it holds the only
/// reference to it (it copies it first otherwise), so storage reachable from two places is
/// never written.
final class WordTallyStorage: @unchecked Sendable {
    /// The table, `capacity` slots, a power of two.
    private(set) var slots: UnsafeMutablePointer<WordSlot>
    private(set) var capacity: Int
    /// How many slots hold a word.
    private(set) var occupied = 0
    /// The sum of the counts.
    private(set) var total = 0
    /// The bytes of the words longer than 8 bytes, back to back, and 8 spare bytes past
    /// `arenaCapacity` (so that an 8-byte load from any word's last piece stays inside).
    private var arena: UnsafeMutablePointer<UInt8>
    private var arenaCapacity: Int
    private var arenaUsed = 0

    init(capacity: Int, arenaCapacity: Int) {
        self.capacity = capacity
        self.arenaCapacity = arenaCapacity
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: WordSlot(word: 0, meta: 0), count: capacity)
        arena = .allocate(capacity: arenaCapacity + 8)
        arena.initialize(repeating: 0, count: arenaCapacity + 8)
    }

    deinit {
        slots.deallocate()
        arena.deallocate()
    }

    func copy() -> WordTallyStorage {
        let copy = WordTallyStorage(capacity: capacity, arenaCapacity: arenaCapacity)
        copy.slots.update(from: slots, count: capacity)
        copy.arena.update(from: arena, count: arenaUsed)
        copy.occupied = occupied
        copy.total = total
        copy.arenaUsed = arenaUsed
        return copy
    }

    /// Calls `body` with the bytes of the word in slot `index` (which holds one).
    func withWord<Result>(at index: Int, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try withWord(of: slots[index], body)
    }

    /// Calls `body` with the bytes of the word of `slot`.
    private func withWord<Result>(of slot: WordSlot, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        let field = slot.lengthField
        if field <= 8 {
            var aligned = (slot.word << (64 - 8 * field)).bigEndian
            return try withUnsafeBytes(of: &aligned) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<Int(field)])) }
        }
        let start = Int(slot.word)
        if field < WordSlot.longLength {
            return try body(UnsafeRawBufferPointer(start: arena + start, count: Int(field)))
        }
        let length = UnsafeRawPointer(arena + start).loadUnaligned(as: Int.self)
        return try body(UnsafeRawBufferPointer(start: arena + start + 8, count: length))
    }

    /// The table index where a word of hash `hash` is first looked for: its top bits (the
    /// partition takes the hash modulo the number of partitions, so the two do not correlate).
    @inline(__always)
    private static func home(_ hash: UInt64, _ shift: UInt64) -> Int {
        Int(truncatingIfNeeded: hash >> shift)
    }

    private var shift: UInt64 { UInt64(64 - capacity.trailingZeroBitCount) }

    /// The 8 bytes at `bytes` as a big-endian integer (an unaligned load).
    @inline(__always)
    private static func piece(_ bytes: UnsafePointer<UInt8>) -> UInt64 {
        UInt64(bigEndian: UnsafeRawPointer(bytes).loadUnaligned(as: UInt64.self))
    }

    /// Counts the words of `count` bytes at `base`: the hot loop.
    ///
    /// It finds a word's end a byte at a time, then hashes it 8 bytes at a time (unaligned
    /// loads; the last piece read whole when 8 bytes are there to read), and finds its slot.
    func countWords(_ base: UnsafePointer<UInt8>, _ count: Int) {
        var words = 0
        var index = 0
        while index < count {
            if WordTally.isWhitespace(base[index]) {
                index &+= 1
                continue
            }
            let start = index
            index &+= 1
            while index < count, !WordTally.isWhitespace(base[index]) { index &+= 1 }
            let length = index &- start
            let word = base + start
            var hash: UInt64 = 0
            var offset = 0
            while length &- offset > 8 {
                hash = WordTally.foldHash(hash, Self.piece(word + offset))
                offset &+= 8
            }
            let piece: UInt64
            if start &+ offset &+ 8 <= count {
                piece = Self.piece(word + offset) >> UInt64(64 &- 8 &* (length &- offset))
            } else {
                var bytes: UInt64 = 0
                for position in offset..<length { bytes = bytes << 8 | UInt64(word[position]) }
                piece = bytes
            }
            hash = WordTally.finishHash(WordTally.foldHash(hash, piece), length: length)
            words &+= 1
            add(word, length, hash: hash, lastPiece: piece, count: 1)
        }
        total &+= words
    }

    /// Adds `count` occurrences of the `length` bytes at `word` (not counted in `total`);
    /// `hash` is their `WordTally.hash` and `lastPiece` the last piece it took.
    @inline(__always)
    private func add(_ word: UnsafePointer<UInt8>, _ length: Int, hash: UInt64, lastPiece: UInt64, count: Int) {
        let mask = capacity &- 1
        var probe = Self.home(hash, shift)
        let field = min(UInt64(length), WordSlot.longLength)
        let increment = UInt64(count) << 16
        if length <= 8 {
            while true {
                let slot = slots + probe
                let meta = slot.pointee.meta
                if meta == 0 {
                    slot.pointee = WordSlot(word: lastPiece, meta: increment | field)
                    inserted()
                    return
                }
                if meta & WordSlot.longLength == field, slot.pointee.word == lastPiece {
                    slot.pointee.meta = meta &+ increment
                    return
                }
                probe = (probe &+ 1) & mask
            }
        }
        while true {
            let slot = slots + probe
            let meta = slot.pointee.meta
            if meta == 0 {
                let start = store(word, length)
                slots[probe] = WordSlot(word: UInt64(start), meta: increment | field)
                inserted()
                return
            }
            if meta & WordSlot.longLength == field, storedEqual(slot.pointee.word, word, length, lastPiece: lastPiece) {
                slot.pointee.meta = meta &+ increment
                return
            }
            probe = (probe &+ 1) & mask
        }
    }

    /// Whether the long word stored at arena offset `start` is the `length` bytes at `word`.
    @inline(__always)
    private func storedEqual(_ start: UInt64, _ word: UnsafePointer<UInt8>, _ length: Int, lastPiece: UInt64) -> Bool {
        var stored = UnsafePointer(arena + Int(start))
        if UInt64(length) >= WordSlot.longLength {
            guard UnsafeRawPointer(stored).loadUnaligned(as: Int.self) == length else { return false }
            stored += 8
        }
        var offset = 0
        while length &- offset > 8 {
            if Self.piece(stored + offset) != Self.piece(word + offset) { return false }
            offset &+= 8
        }
        return Self.piece(stored + offset) >> UInt64(64 &- 8 &* (length &- offset)) == lastPiece
    }

    /// Adds `count` occurrences of the `length` (> 0) bytes at `word`.
    func add(_ word: UnsafePointer<UInt8>, _ length: Int, count: Int) {
        let (hash, lastPiece) = Self.hashAndLastPiece(word, length)
        add(word, length, hash: hash, lastPiece: lastPiece, count: count)
        total += count
    }

    /// The count of the `length` (> 0) bytes at `word`.
    func count(of word: UnsafePointer<UInt8>, _ length: Int) -> Int {
        let (hash, lastPiece) = Self.hashAndLastPiece(word, length)
        let mask = capacity - 1
        let field = min(UInt64(length), WordSlot.longLength)
        var probe = Self.home(hash, shift)
        while true {
            let slot = slots[probe]
            if slot.meta == 0 { return 0 }
            if slot.lengthField == field {
                let equal = length <= 8 ? slot.word == lastPiece : storedEqual(slot.word, word, length, lastPiece: lastPiece)
                if equal { return slot.count }
            }
            probe = (probe + 1) & mask
        }
    }

    /// `WordTally.hash` of the `length` bytes at `word`, and the last piece it took.
    private static func hashAndLastPiece(_ word: UnsafePointer<UInt8>, _ length: Int) -> (UInt64, UInt64) {
        var hash: UInt64 = 0
        var piece: UInt64 = 0
        for index in 0..<length {
            if index & 7 == 0, index > 0 {
                hash = WordTally.foldHash(hash, piece)
                piece = 0
            }
            piece = piece << 8 | UInt64(word[index])
        }
        return (WordTally.finishHash(WordTally.foldHash(hash, piece), length: length), piece)
    }

    /// Copies a long word into the arena; returns where it starts.
    private func store(_ word: UnsafePointer<UInt8>, _ length: Int) -> Int {
        let prefix = UInt64(length) >= WordSlot.longLength ? 8 : 0
        let needed = prefix + length
        if arenaUsed + needed > arenaCapacity {
            var grown = arenaCapacity * 2
            while arenaUsed + needed > grown { grown *= 2 }
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown + 8)
            bigger.initialize(repeating: 0, count: grown + 8)
            bigger.update(from: arena, count: arenaUsed)
            arena.deallocate()
            arena = bigger
            arenaCapacity = grown
        }
        let start = arenaUsed
        if prefix > 0 { UnsafeMutableRawPointer(arena + start).storeBytes(of: length, as: Int.self) }
        (arena + start + prefix).update(from: word, count: length)
        arenaUsed += needed
        return start
    }

    /// Notes a new word; grows the table when it is more than 80% full.
    private func inserted() {
        occupied += 1
        if occupied * 5 > capacity * 4 { growTable() }
    }

    private func growTable() {
        let old = self.slots
        let oldCapacity = capacity
        capacity *= 2
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: WordSlot(word: 0, meta: 0), count: capacity)
        let mask = capacity - 1
        let shift = self.shift
        for index in 0..<oldCapacity where old[index].meta != 0 {
            let field = old[index].lengthField
            let hash = field <= 8
                ? WordTally.finishHash(WordTally.foldHash(0, old[index].word), length: Int(field))
                : withWord(of: old[index]) { WordTally.hash($0) }
            var probe = Self.home(hash, shift)
            while slots[probe].meta != 0 { probe = (probe + 1) & mask }
            slots[probe] = old[index]
        }
        old.deallocate()
    }
}
