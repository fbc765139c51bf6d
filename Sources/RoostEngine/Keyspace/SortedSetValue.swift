#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One member of a sorted set with its score.
public struct SortedSetEntry: Sendable {
    /// The member's bytes.
    public var member: ByteString
    /// The member's score (never NaN).
    public var score: Double

    /// An entry for `member` with `score`.
    public init(member: ByteString, score: Double) {
        self.member = member
        self.score = score
    }
}

/// Three-way `memcmp` ordering of two members, shorter first on a common prefix.
@inline(__always)
func compareMembers(_ a: ByteString, _ b: ByteString) -> Int { ByteString.compare(a, b) }

/// Whether (`s1`, `m1`) sorts before (`s2`, `m2`): by score, then by member bytes.
@inline(__always)
func entryPrecedes(_ s1: Double, _ m1: ByteString, _ s2: Double, _ m2: ByteString) -> Bool {
    s1 < s2 || (s1 == s2 && compareMembers(m1, m2) < 0)
}

/// A sorted set: members ordered by score, then by member bytes (`memcmp`).
///
/// Kept in one of Redis's two encodings so that OBJECT ENCODING agrees:
/// - `listpack`: a compact sorted array, for small sets of short members;
/// - `skiplist`: a skip list with span counts (O(log n) insert, delete, rank and access by
///   rank) beside a member→score hash table.
///
/// Ranks are 0-based throughout. The class is mutated in place by the command family.
public final class SortedSetValue {
    /// The sorted entries while in the listpack encoding; empty otherwise.
    private var packed: [SortedSetEntry]
    /// The ordered view in the skiplist encoding.
    private var list: SortedSetSkipList?
    /// Member → score in the skiplist encoding.
    private var dict: KeyTable<Double>

    /// An empty set in the listpack encoding.
    public init() {
        packed = []
        list = nil
        dict = KeyTable()
    }

    /// An empty set in the encoding Redis's `zsetTypeCreate` picks for the expected size and
    /// longest member.
    public init(sizeHint: Int, maxMemberLength: Int, maxEntries: Int, maxValue: Int) {
        packed = []
        dict = KeyTable()
        if sizeHint <= maxEntries && maxMemberLength <= maxValue {
            list = nil
        } else {
            list = SortedSetSkipList()
        }
    }

    /// Whether the set is in the listpack encoding.
    public var isListpack: Bool { list == nil }

    /// The number of members.
    public var count: Int { list?.length ?? packed.count }

    /// The name OBJECT ENCODING reports.
    public var encodingName: StaticString { list == nil ? "listpack" : "skiplist" }

    /// An independent copy in the same encoding.
    public func duplicate() -> SortedSetValue {
        let copy = SortedSetValue()
        if list == nil {
            copy.packed = packed
        } else {
            copy.list = SortedSetSkipList()
            copy.dict = dict
            forEach { copy.list?.insert($0.score, $0.member) }
        }
        return copy
    }

    // MARK: - Lookups

    private func packedIndex(_ member: ByteString) -> Int? {
        packed.firstIndex { $0.member == member }
    }

    /// The score of `member`, if present.
    public func score(_ member: ByteString) -> Double? {
        if list != nil { return dict[member] }
        guard let i = packedIndex(member) else { return nil }
        return packed[i].score
    }

    /// The 0-based rank of `member` in ascending order, if present.
    public func rank(_ member: ByteString) -> Int? {
        if let list {
            guard let s = dict[member] else { return nil }
            return list.rank(s, member).map { $0 - 1 }
        }
        return packedIndex(member)
    }

    /// The entry at 0-based `rank` (which must be valid).
    public func entry(at rank: Int) -> SortedSetEntry {
        if let list, let node = list.node(atRank: rank + 1) {
            return SortedSetEntry(member: node.member, score: node.score)
        }
        return packed[rank]
    }

    /// The entries with ranks in `ranks`, in ascending order.
    public func entries(_ ranks: Range<Int>) -> [SortedSetEntry] {
        if ranks.isEmpty { return [] }
        guard let list else { return Array(packed[ranks]) }
        var out: [SortedSetEntry] = []
        out.reserveCapacity(ranks.count)
        var node = list.node(atRank: ranks.lowerBound + 1)
        while let n = node, out.count < ranks.count {
            out.append(SortedSetEntry(member: n.member, score: n.score))
            node = n.levels[0].next
        }
        return out
    }

    /// Calls `body` on every entry in ascending order.
    public func forEach(_ body: (SortedSetEntry) throws -> Void) rethrows {
        if let list {
            var node = list.header.levels[0].next
            while let n = node {
                try body(SortedSetEntry(member: n.member, score: n.score))
                node = n.levels[0].next
            }
        } else {
            for e in packed { try body(e) }
        }
    }

    /// The number of leading entries for which `isBefore` holds, assuming it holds for a prefix
    /// of the order (a binary search in the listpack, a span walk in the skip list).
    public func countWhile(_ isBefore: (SortedSetEntry) -> Bool) -> Int {
        if let list { return list.countWhile(isBefore) }
        var lo = 0
        var hi = packed.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if isBefore(packed[mid]) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// A random entry (the set must not be empty).
    public func randomEntry<G: RandomNumberGenerator>(using g: inout G) -> SortedSetEntry {
        entry(at: Int.random(in: 0..<count, using: &g))
    }

    // MARK: - Changes

    /// What `add` did.
    public enum AddOutcome {
        /// A new member was added.
        case added
        /// An existing member's score changed.
        case updated
        /// The member already had that score.
        case unchanged
        /// Refused: NX on an existing member, XX on a missing one, or GT/LT.
        case refused
        /// An increment produced NaN; nothing changed.
        case nan
    }

    /// Redis's `zsetAdd`: adds or updates `member`, honouring the ZADD flags. Returns the
    /// outcome and the member's resulting score. Converts to the skiplist encoding when the new
    /// member no longer fits the listpack limits.
    public func add(
        _ member: ByteString, _ score: Double, incr: Bool = false, nx: Bool = false, xx: Bool = false,
        gt: Bool = false, lt: Bool = false, maxEntries: Int, maxValue: Int
    ) -> (AddOutcome, Double) {
        var score = score
        if let current = self.score(member) {
            if nx { return (.refused, current) }
            if incr {
                score += current
                if score.isNaN { return (.nan, current) }
            }
            if (lt && score >= current) || (gt && score <= current) { return (.refused, current) }
            if score != current {
                _ = remove(member)
                insertNew(member, score)
                return (.updated, score)
            }
            return (.unchanged, score)
        }
        if xx { return (.refused, score) }
        if list == nil && (packed.count + 1 > maxEntries || member.count > maxValue) {
            convertToSkipList()
        }
        insertNew(member, score)
        return (.added, score)
    }

    /// Inserts a member known to be absent, in the current encoding.
    private func insertNew(_ member: ByteString, _ score: Double) {
        if let list {
            list.insert(score, member)
            _ = dict.set(member, score)
            return
        }
        var lo = 0
        var hi = packed.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if entryPrecedes(packed[mid].score, packed[mid].member, score, member) { lo = mid + 1 } else { hi = mid }
        }
        // A listpack keeps the score as text (Redis's `d2string`), which writes -0 as 0.
        packed.insert(SortedSetEntry(member: member, score: score == 0 ? 0 : score), at: lo)
    }

    /// Inserts or replaces `member`, converting the encoding as `zsetAdd` would.
    public func set(_ member: ByteString, _ score: Double, maxEntries: Int, maxValue: Int) {
        _ = add(member, score, maxEntries: maxEntries, maxValue: maxValue)
    }

    /// Removes `member`. Returns whether it was present.
    public func remove(_ member: ByteString) -> Bool {
        if let list {
            guard let s = dict.remove(member) else { return false }
            list.delete(s, member)
            return true
        }
        guard let i = packedIndex(member) else { return false }
        packed.remove(at: i)
        return true
    }

    /// Removes the entries with ranks in `ranks`.
    public func removeRanks(_ ranks: Range<Int>) {
        if ranks.isEmpty { return }
        if list == nil {
            packed.removeSubrange(ranks)
            return
        }
        for e in entries(ranks) { _ = remove(e.member) }
    }

    /// Switches to the skiplist encoding.
    public func convertToSkipList() {
        guard list == nil else { return }
        let l = SortedSetSkipList()
        var d = KeyTable<Double>()
        for e in packed {
            l.insert(e.score, e.member)
            _ = d.set(e.member, e.score)
        }
        list = l
        dict = d
        packed = []
    }

    /// Redis's `zsetConvertToListpackIfNeeded`: back to the listpack encoding when the set is
    /// small enough and `maxMemberLength` fits.
    public func convertToListpackIfFits(maxMemberLength: Int, maxEntries: Int, maxValue: Int) {
        guard list != nil, count <= maxEntries, maxMemberLength <= maxValue else { return }
        var out: [SortedSetEntry] = []
        out.reserveCapacity(count)
        forEach { out.append(SortedSetEntry(member: $0.member, score: $0.score == 0 ? 0 : $0.score)) }
        list = nil
        dict = KeyTable()
        packed = out
    }

    /// Scans the member table from `cursor` (skiplist encoding only), as Redis's `dictScan`.
    public func scanMembers(cursor: UInt64, count: Int, _ body: (ByteString, Double) -> Void) -> UInt64 {
        dict.scan(cursor: cursor, count: count, body)
    }
}

/// A node of `SortedSetSkipList`.
final class SortedSetSkipNode {
    /// One level's forward link and how many level-0 steps it crosses.
    struct Level {
        var next: SortedSetSkipNode?
        var span: Int
    }

    let member: ByteString
    let score: Double
    var levels: [Level]

    init(level: Int, score: Double, member: ByteString) {
        self.member = member
        self.score = score
        levels = Array(repeating: Level(next: nil, span: 0), count: level)
    }
}

/// Redis's skip list (Pugh's, allowing equal scores, ordered by score then member, with spans
/// so that ranks are found in O(log n)). Ranks here are 1-based, as in Redis.
final class SortedSetSkipList {
    static let maxLevel = 32
    let header = SortedSetSkipNode(level: SortedSetSkipList.maxLevel, score: 0, member: ByteString([]))
    var level = 1
    var length = 0
    private var rng = SystemRandomNumberGenerator()
    private var bits: UInt64 = 0
    private var bitsLeft = 0
    /// Scratch space for `insert` and `delete`: the last node visited on each level, and the
    /// rank reached there.
    private var update: [SortedSetSkipNode] = []
    private var rankBuffer: [Int] = Array(repeating: 0, count: SortedSetSkipList.maxLevel)

    init() {
        update = Array(repeating: header, count: SortedSetSkipList.maxLevel)
    }

    deinit {
        // Unlink iteratively: releasing a long chain recursively would exhaust the stack.
        var node = header.levels[0].next
        header.levels.removeAll()
        while let n = node {
            node = n.levels[0].next
            n.levels.removeAll()
        }
    }

    private func randomLevel() -> Int {
        var lvl = 1
        while lvl < SortedSetSkipList.maxLevel {
            if bitsLeft < 2 {
                bits = rng.next()
                bitsLeft = 64
            }
            let two = bits & 3
            bits >>= 2
            bitsLeft -= 2
            if two != 0 { break }  // p = 1/4
            lvl += 1
        }
        return lvl
    }

    func insert(_ score: Double, _ member: ByteString) {
        var x = header
        for i in stride(from: level - 1, through: 0, by: -1) {
            rankBuffer[i] = i == level - 1 ? 0 : rankBuffer[i + 1]
            while let f = x.levels[i].next, entryPrecedes(f.score, f.member, score, member) {
                rankBuffer[i] += x.levels[i].span
                x = f
            }
            update[i] = x
        }
        let lvl = randomLevel()
        if lvl > level {
            for i in level..<lvl {
                rankBuffer[i] = 0
                update[i] = header
                header.levels[i].span = length
            }
            level = lvl
        }
        let node = SortedSetSkipNode(level: lvl, score: score, member: member)
        for i in 0..<lvl {
            node.levels[i].next = update[i].levels[i].next
            update[i].levels[i].next = node
            node.levels[i].span = update[i].levels[i].span - (rankBuffer[0] - rankBuffer[i])
            update[i].levels[i].span = rankBuffer[0] - rankBuffer[i] + 1
        }
        if lvl < level {
            for i in lvl..<level { update[i].levels[i].span += 1 }
        }
        length += 1
    }

    func delete(_ score: Double, _ member: ByteString) {
        var x = header
        for i in stride(from: level - 1, through: 0, by: -1) {
            while let f = x.levels[i].next, entryPrecedes(f.score, f.member, score, member) { x = f }
            update[i] = x
        }
        guard let target = x.levels[0].next, target.score == score, target.member == member else { return }
        for i in 0..<level {
            if update[i].levels[i].next === target {
                update[i].levels[i].span += target.levels[i].span - 1
                update[i].levels[i].next = target.levels[i].next
            } else {
                update[i].levels[i].span -= 1
            }
        }
        while level > 1 && header.levels[level - 1].next == nil { level -= 1 }
        length -= 1
    }

    /// The 1-based rank of the entry, or nil.
    func rank(_ score: Double, _ member: ByteString) -> Int? {
        var r = 0
        var x = header
        for i in stride(from: level - 1, through: 0, by: -1) {
            while let f = x.levels[i].next, f.score < score || (f.score == score && compareMembers(f.member, member) <= 0) {
                r += x.levels[i].span
                x = f
            }
            if x !== header && x.member == member { return r }
        }
        return nil
    }

    /// The node at 1-based `rank`, or nil.
    func node(atRank rank: Int) -> SortedSetSkipNode? {
        var traversed = 0
        var x = header
        for i in stride(from: level - 1, through: 0, by: -1) {
            while let f = x.levels[i].next, traversed + x.levels[i].span <= rank {
                traversed += x.levels[i].span
                x = f
            }
            if traversed == rank { return x === header ? nil : x }
        }
        return nil
    }

    /// How many leading entries satisfy `isBefore` (which holds for a prefix of the order).
    func countWhile(_ isBefore: (SortedSetEntry) -> Bool) -> Int {
        var r = 0
        var x = header
        for i in stride(from: level - 1, through: 0, by: -1) {
            while let f = x.levels[i].next, isBefore(SortedSetEntry(member: f.member, score: f.score)) {
                r += x.levels[i].span
                x = f
            }
        }
        return r
    }
}
