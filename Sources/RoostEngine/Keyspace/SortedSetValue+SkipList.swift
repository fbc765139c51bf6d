/// Redis's skip list (Pugh's, allowing equal scores, ordered by score then member bytes, with
/// spans so that ranks are found in O(log n)), kept in one arena so that a search does no
/// reference counting. Ranks here are 1-based, as in Redis.
///
/// Every node is a record in one raw buffer, addressed by its offset in 8-byte words (an
/// `Int32`, 0 being the header, which also stands for "no node" in a forward link):
///
///     +0   score (Double)
///     +8   level count L (Int32)
///     +12  member slot (Int32): the index of the node's member in a separate array
///     +16  L levels: forward link (Int32) and span (Int32)
///
/// so a search, which reads scores and links and only rarely a member (on equal scores),
/// touches 24 bytes for most nodes. A deleted node goes on a free
/// list for its level count and is reused by the next insertion drawing that level; an update of
/// a score keeps the node, and keeps it in place when its position does not change (Redis's
/// `zslUpdateScore`). The arena only grows; `SortedSetValue` rebuilds a list whose live records
/// fill less than a quarter of it.
final class SortedSetSkipList {
    /// A node: its record's offset in 8-byte words.
    typealias Node = Int32

    static let maxLevel = 32
    /// The header, whose forward links start the list; as a link target, "none".
    static let header: Node = 0
    private static let emptyMember = ByteString(copying: UnsafeRawBufferPointer(start: nil, count: 0))

    @inline(__always)
    private static func recordSize(_ levels: Int) -> Int { 16 &+ levels &<< 3 }

    /// Typed access to the records of an arena whose base address is `base`. Made afresh after
    /// any allocation, which may move the buffer.
    struct Arena {
        let base: UnsafeMutableRawPointer
        let members: UnsafeMutablePointer<ByteString>

        @inline(__always) func address(_ n: Node) -> UnsafeMutableRawPointer { base + (Int(n) &<< 3) }
        @inline(__always) func score(_ n: Node) -> Double { address(n).load(as: Double.self) }
        @inline(__always) func setScore(_ n: Node, _ s: Double) { address(n).storeBytes(of: s, as: Double.self) }
        @inline(__always) func levelCount(_ n: Node) -> Int { Int(address(n).load(fromByteOffset: 8, as: Int32.self)) }
        @inline(__always) func next(_ n: Node, _ i: Int) -> Node {
            address(n).load(fromByteOffset: 16 &+ i &<< 3, as: Int32.self)
        }
        @inline(__always) func setNext(_ n: Node, _ i: Int, _ to: Node) {
            address(n).storeBytes(of: to, toByteOffset: 16 &+ i &<< 3, as: Int32.self)
        }
        @inline(__always) func span(_ n: Node, _ i: Int) -> Int {
            Int(address(n).load(fromByteOffset: 20 &+ i &<< 3, as: Int32.self))
        }
        @inline(__always) func setSpan(_ n: Node, _ i: Int, _ s: Int) {
            address(n).storeBytes(of: Int32(truncatingIfNeeded: s), toByteOffset: 20 &+ i &<< 3, as: Int32.self)
        }
        @inline(__always) func memberPointer(_ n: Node) -> UnsafeMutablePointer<ByteString> {
            members + Int(address(n).load(fromByteOffset: 12, as: Int32.self))
        }
        @inline(__always) func member(_ n: Node) -> ByteString { memberPointer(n).pointee }

        /// Whether node `f` sorts before (`score`, `member`).
        @inline(__always) func precedes(_ f: Node, _ score: Double, _ member: ByteString) -> Bool {
            let fs = self.score(f)
            if fs != score { return fs < score }
            return compareMembers(memberPointer(f).pointee, member) < 0
        }
    }

    @exclusivity(unchecked) private var base: UnsafeMutableRawPointer
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private var used: Int
    /// The bytes of the records in the list (the header included).
    @exclusivity(unchecked) private var liveBytes: Int
    /// The members, by slot; every record owns one slot for its life (free records hold an
    /// empty member).
    @exclusivity(unchecked) private var members: UnsafeMutablePointer<ByteString>
    @exclusivity(unchecked) private var memberCapacity: Int
    @exclusivity(unchecked) private var memberCount: Int
    /// Per level count, the first free record (0 when none); free records chain through level 0.
    @exclusivity(unchecked) private var freeHeads: UnsafeMutablePointer<Node>
    /// Scratch space for searches: the last node visited on each level, and the rank reached there.
    @exclusivity(unchecked) private var update: UnsafeMutablePointer<Node>
    @exclusivity(unchecked) private var rankBuffer: UnsafeMutablePointer<Int>
    /// The highest level in use (at least 1).
    @exclusivity(unchecked) private(set) var level = 1
    /// The number of nodes, the header aside.
    @exclusivity(unchecked) private(set) var length = 0
    /// SplitMix64 state for level draws, seeded from the system generator (whose every call is a
    /// system call on Linux).
    private var rngState: UInt64 = {
        var system = SystemRandomNumberGenerator()
        return system.next()
    }()
    @exclusivity(unchecked) private var bits: UInt64 = 0
    @exclusivity(unchecked) private var bitsLeft = 0

    init() {
        let size = Self.recordSize(Self.maxLevel)
        capacity = 4096
        base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        used = 0
        liveBytes = size
        memberCapacity = 64
        members = .allocate(capacity: memberCapacity)
        memberCount = 0
        freeHeads = .allocate(capacity: Self.maxLevel + 1)
        freeHeads.initialize(repeating: 0, count: Self.maxLevel + 1)
        update = .allocate(capacity: Self.maxLevel)
        update.initialize(repeating: 0, count: Self.maxLevel)
        rankBuffer = .allocate(capacity: Self.maxLevel)
        rankBuffer.initialize(repeating: 0, count: Self.maxLevel)
        initializeRecord(at: 0, level: Self.maxLevel, score: 0, member: Self.emptyMember)
        used = size
    }

    deinit {
        members.deinitialize(count: memberCount)
        members.deallocate()
        base.deallocate()
        freeHeads.deallocate()
        update.deallocate()
        rankBuffer.deallocate()
    }

    @inline(__always) var arena: Arena { Arena(base: base, members: members) }

    /// The first node in order, or the header (0) when the list is empty.
    var first: Node { arena.next(Self.header, 0) }

    /// The bytes the arena holds (live and free records, members aside).
    var arenaBytes: Int { used }

    /// The bytes allocated for the list: the arena, the member slots and the work buffers.
    var allocatedBytes: Int {
        capacity + memberCapacity * MemoryLayout<ByteString>.stride + (Self.maxLevel + 1) * 8 + Self.maxLevel * 16 + 64
    }

    /// The member at `offset` (0-based) of the member slots in use, for sampling.
    func memberSlot(_ offset: Int) -> ByteString? { offset < memberCount ? members[offset] : nil }
    /// The member slots in use.
    var memberSlotCount: Int { memberCount }

    /// Whether live records fill less than a quarter of a sizeable arena.
    var isSparse: Bool { used > 1 << 16 && liveBytes * 4 < used }

    private func initializeRecord(at offset: Int, level: Int, score: Double, member: ByteString) {
        let p = base + offset
        p.storeBytes(of: score, as: Double.self)
        p.storeBytes(of: Int32(level), toByteOffset: 8, as: Int32.self)
        if memberCount == memberCapacity {
            let grown = UnsafeMutablePointer<ByteString>.allocate(capacity: memberCapacity * 2)
            grown.moveInitialize(from: members, count: memberCount)
            members.deallocate()
            members = grown
            memberCapacity *= 2
        }
        (members + memberCount).initialize(to: member)
        p.storeBytes(of: Int32(truncatingIfNeeded: memberCount), toByteOffset: 12, as: Int32.self)
        memberCount += 1
        for i in 0..<level {
            p.storeBytes(of: Int32(0), toByteOffset: 16 + i * 8, as: Int32.self)
            p.storeBytes(of: Int32(0), toByteOffset: 20 + i * 8, as: Int32.self)
        }
    }

    /// A node of `lvl` levels holding (`score`, `member`): a free record of that size, or a new one.
    private func allocate(level lvl: Int, score: Double, member: ByteString) -> Node {
        liveBytes += Self.recordSize(lvl)
        let head = freeHeads[lvl]
        if head != 0 {
            let a = arena
            freeHeads[lvl] = a.next(head, 0)
            a.setScore(head, score)
            a.memberPointer(head).pointee = member
            return head
        }
        let size = Self.recordSize(lvl)
        if used + size > capacity {
            var newCapacity = capacity * 2
            while newCapacity < used + size { newCapacity *= 2 }
            precondition(newCapacity >> 3 <= Int(Int32.max), "sorted set arena too large")
            let grown = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
            grown.copyMemory(from: base, byteCount: used)
            base.deallocate()
            base = grown
            capacity = newCapacity
        }
        let offset = used
        initializeRecord(at: offset, level: lvl, score: score, member: member)
        used += size
        return Node(truncatingIfNeeded: offset >> 3)
    }

    /// Puts `n` on its free list, dropping its member's storage.
    private func free(_ n: Node) {
        let a = arena
        a.memberPointer(n).pointee = Self.emptyMember
        let lvl = a.levelCount(n)
        liveBytes -= Self.recordSize(lvl)
        a.setNext(n, 0, freeHeads[lvl])
        freeHeads[lvl] = n
    }

    private func randomLevel() -> Int {
        var lvl = 1
        while lvl < Self.maxLevel {
            if bitsLeft < 2 {
                rngState &+= 0x9E37_79B9_7F4A_7C15
                var z = rngState
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                bits = z ^ (z >> 31)
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

    /// Fills `update` (and `rankBuffer` when `ranks`) with the last node before (`score`,
    /// `member`) on each level; returns the level-0 one.
    @inline(__always)
    private func search(_ score: Double, _ member: ByteString, ranks: Bool) -> Node {
        let a = arena
        var x = Self.header
        var rank = 0
        var i = level - 1
        while i >= 0 {
            while true {
                let f = a.next(x, i)
                if f == 0 || !a.precedes(f, score, member) { break }
                if ranks { rank &+= a.span(x, i) }
                x = f
            }
            update[i] = x
            if ranks { rankBuffer[i] = rank }
            i -= 1
        }
        return x
    }

    /// Links `n` (of `lvl` levels) after the nodes `search(ranks: true)` left in `update`.
    private func link(_ n: Node, level lvl: Int) {
        let a = arena
        if lvl > level {
            for i in level..<lvl {
                rankBuffer[i] = 0
                update[i] = Self.header
                a.setSpan(Self.header, i, length)
            }
            level = lvl
        }
        let rank0 = rankBuffer[0]
        for i in 0..<lvl {
            let u = update[i]
            a.setNext(n, i, a.next(u, i))
            a.setNext(u, i, n)
            let crossed = rank0 - rankBuffer[i]
            a.setSpan(n, i, a.span(u, i) - crossed)
            a.setSpan(u, i, crossed + 1)
        }
        if lvl < level {
            for i in lvl..<level { a.setSpan(update[i], i, a.span(update[i], i) + 1) }
        }
        length += 1
    }

    /// Unlinks `t`, whose predecessors `search` left in `update`.
    private func unlink(_ t: Node) {
        let a = arena
        for i in 0..<level {
            let u = update[i]
            if a.next(u, i) == t {
                a.setSpan(u, i, a.span(u, i) + a.span(t, i) - 1)
                a.setNext(u, i, a.next(t, i))
            } else {
                a.setSpan(u, i, a.span(u, i) - 1)
            }
        }
        while level > 1 && a.next(Self.header, level - 1) == 0 { level -= 1 }
        length -= 1
    }

    /// Inserts (`score`, `member`), which must not be present.
    func insert(_ score: Double, _ member: ByteString) {
        _ = search(score, member, ranks: true)
        let lvl = randomLevel()
        let n = allocate(level: lvl, score: score, member: member)
        link(n, level: lvl)
    }

    /// Deletes (`score`, `member`). Returns whether it was present.
    @discardableResult
    func delete(_ score: Double, _ member: ByteString) -> Bool {
        let x = search(score, member, ranks: false)
        let a = arena
        let t = a.next(x, 0)
        guard t != 0, a.score(t) == score, a.memberPointer(t).pointee == member else { return false }
        unlink(t)
        free(t)
        return true
    }

    /// Moves `member` from score `old` to `new`: in place when its neighbours still bracket it,
    /// else unlinked and relinked reusing the node. Returns false (changing nothing) when
    /// (`old`, `member`) is not in the list.
    @discardableResult
    func updateScore(_ member: ByteString, from old: Double, to new: Double) -> Bool {
        let prev = search(old, member, ranks: false)
        let a = arena
        let t = a.next(prev, 0)
        guard t != 0, a.score(t) == old, a.memberPointer(t).pointee == member else { return false }
        let after = a.next(t, 0)
        if (prev == Self.header || a.precedes(prev, new, member))
            && (after == 0 || entryPrecedes(new, member, a.score(after), a.memberPointer(after).pointee)) {
            a.setScore(t, new)
            return true
        }
        unlink(t)
        _ = search(new, member, ranks: true)
        a.setScore(t, new)
        link(t, level: a.levelCount(t))
        return true
    }

    /// The 1-based rank of (`score`, `member`), or nil.
    func rank(_ score: Double, _ member: ByteString) -> Int? {
        let a = arena
        var r = 0
        var x = Self.header
        var i = level - 1
        while i >= 0 {
            while true {
                let f = a.next(x, i)
                if f == 0 { break }
                let fs = a.score(f)
                if fs > score || (fs == score && compareMembers(a.memberPointer(f).pointee, member) > 0) { break }
                r += a.span(x, i)
                x = f
            }
            if x != Self.header && a.memberPointer(x).pointee == member { return r }
            i -= 1
        }
        return nil
    }

    /// The node at 1-based `rank`, or the header (0) when there is none.
    func node(atRank rank: Int) -> Node {
        let a = arena
        var traversed = 0
        var x = Self.header
        var i = level - 1
        while i >= 0 {
            while true {
                let f = a.next(x, i)
                if f == 0 || traversed + a.span(x, i) > rank { break }
                traversed += a.span(x, i)
                x = f
            }
            if traversed == rank { return x }
            i -= 1
        }
        return Self.header
    }

    /// How many leading nodes satisfy `isBefore` (which holds for a prefix of the order).
    func countWhile(_ isBefore: (Arena, Node) -> Bool) -> Int {
        let a = arena
        var r = 0
        var x = Self.header
        var i = level - 1
        while i >= 0 {
            while true {
                let f = a.next(x, i)
                if f == 0 || !isBefore(a, f) { break }
                r += a.span(x, i)
                x = f
            }
            i -= 1
        }
        return r
    }

    /// The last node whose score satisfies `isBefore` (a prefix of the order), or the header,
    /// and its 1-based rank (0 for the header).
    func lastWhere(_ isBefore: (Double) -> Bool) -> (rank: Int, node: Node) {
        let a = arena
        var r = 0
        var x = Self.header
        var i = level - 1
        while i >= 0 {
            while true {
                let f = a.next(x, i)
                if f == 0 || !isBefore(a.score(f)) { break }
                r += a.span(x, i)
                x = f
            }
            i -= 1
        }
        return (r, x)
    }

    /// How many leading nodes have a score for which `isBefore` holds (a prefix of the order).
    func countScoresWhile(_ isBefore: (Double) -> Bool) -> Int {
        countWhile { a, n in isBefore(a.score(n)) }
    }

    /// Checks the structure (links, order, spans, free lists); for tests. Returns a description
    /// of the first problem, or nil.
    func validate() -> String? {
        let a = arena
        var count = 0
        var n = a.next(Self.header, 0)
        var prev = Self.header
        while n != 0 {
            if prev != Self.header && !a.precedes(prev, a.score(n), a.member(n)) { return "order broken at node \(n)" }
            count += 1
            prev = n
            n = a.next(n, 0)
        }
        if count != length { return "length \(length), walked \(count)" }
        for i in 0..<Self.maxLevel {
            if i >= level {
                if a.next(Self.header, i) != 0 { return "level \(i) above \(level) in use" }
                continue
            }
            // Each link on level i must cross exactly its span of level-0 steps.
            var x = Self.header
            var rankX = 0
            while true {
                let f = a.next(x, i)
                var steps = 0
                var y = x
                if f == 0 { break }  // A last link's span is never read.
                while y != f {
                    y = a.next(y, 0)
                    if y == 0 { return "level \(i) link skips past the end" }
                    steps += 1
                }
                if a.span(x, i) != steps { return "span at level \(i) after rank \(rankX): \(a.span(x, i)) vs \(steps)" }
                rankX += steps
                x = f
            }
        }
        for lvl in 1...Self.maxLevel {
            var f = freeHeads[lvl]
            while f != 0 {
                if a.levelCount(f) != lvl { return "free record \(f) of \(a.levelCount(f)) levels on list \(lvl)" }
                if !a.memberPointer(f).pointee.isEmpty { return "free record \(f) keeps its member" }
                f = a.next(f, 0)
            }
        }
        return nil
    }
}
