@testable import RoostEngine
import RoostFuzzing
import Testing

/// The arena skip list and the skiplist-encoded `SortedSetValue`, checked against a sorted array.
@Suite struct SortedSetSkipListTests {
    /// The model: entries sorted by score, then member bytes.
    struct Model {
        var entries: [(score: Double, member: ByteString)] = []

        func index(of member: ByteString) -> Int? { entries.firstIndex { $0.member == member } }

        func insertionPoint(_ score: Double, _ member: ByteString) -> Int {
            entries.firstIndex { !entryPrecedes($0.score, $0.member, score, member) } ?? entries.count
        }

        mutating func set(_ member: ByteString, _ score: Double) {
            if let i = index(of: member) { entries.remove(at: i) }
            entries.insert((score, member), at: insertionPoint(score, member))
        }
    }

    func member(_ i: Int, long: Bool) -> ByteString {
        // Long members live in a heap array: they exercise the member's reference counting.
        ByteString(long ? "member-with-a-long-name-\(i)-padding" : "m\(i)")
    }

    func checkList(_ list: SortedSetSkipList, _ model: Model) {
        #expect(list.validate() == nil, "\(list.validate() ?? "")")
        #expect(list.length == model.entries.count)
        var walked: [(Double, ByteString)] = []
        var n = list.first
        while n != SortedSetSkipList.header {
            walked.append((list.arena.score(n), list.arena.member(n)))
            n = list.arena.next(n, 0)
        }
        #expect(walked.map(\.0) == model.entries.map(\.score))
        #expect(walked.map(\.1) == model.entries.map(\.member))
    }

    @Test func randomOperationsMatchSortedArray() {
        for seed in UInt64(1)...6 {
            var g = SplitMix64(seed: seed)
            let list = SortedSetSkipList()
            var model = Model()
            let long = seed % 2 == 0
            for step in 0..<3000 {
                let m = member(Int.random(in: 0..<400, using: &g), long: long)
                // Few distinct scores, so that equal scores (ordered by member) are common.
                let score = Double(Int.random(in: -20...20, using: &g)) / 2
                switch Int.random(in: 0..<10, using: &g) {
                case 0..<4:
                    if let i = model.index(of: m) {
                        let old = model.entries[i].score
                        if old != score { #expect(list.updateScore(m, from: old, to: score)) }
                    } else {
                        list.insert(score, m)
                    }
                    model.set(m, score)
                case 4..<6:
                    if let i = model.index(of: m) {
                        let old = model.entries[i].score
                        #expect(list.delete(old, m))
                        model.entries.remove(at: i)
                    } else {
                        #expect(!list.delete(score, m))
                    }
                case 6..<8:
                    // Rank, and node by rank.
                    if let i = model.index(of: m) {
                        #expect(list.rank(model.entries[i].score, m) == i + 1)
                        let n = list.node(atRank: i + 1)
                        #expect(list.arena.member(n) == m)
                    } else {
                        #expect(list.rank(score, m) == nil)
                    }
                    #expect(list.node(atRank: model.entries.count + 1) == SortedSetSkipList.header)
                default:
                    // Counts by score and by (score, member), as the range commands use them.
                    let below = model.entries.filter { $0.score < score }.count
                    #expect(list.countScoresWhile { $0 < score } == below)
                    let before = model.entries.filter { entryPrecedes($0.score, $0.member, score, m) }.count
                    #expect(list.countWhile { a, n in a.precedes(n, score, m) } == before)
                }
                if step % 500 == 0 { checkList(list, model) }
            }
            checkList(list, model)
        }
    }

    @Test func updateInPlaceAndMoving() {
        let list = SortedSetSkipList()
        var model = Model()
        for i in 0..<100 {
            list.insert(Double(i * 10), member(i, long: false))
            model.set(member(i, long: false), Double(i * 10))
        }
        let bytes = list.arenaBytes
        // Stays between its neighbours: the score changes in place.
        #expect(list.updateScore(member(50, long: false), from: 500, to: 505))
        model.set(member(50, long: false), 505)
        // Moves to the front, to the back, and next to an equal score ordered by member.
        #expect(list.updateScore(member(50, long: false), from: 505, to: -1))
        model.set(member(50, long: false), -1)
        #expect(list.updateScore(member(3, long: false), from: 30, to: 10_000))
        model.set(member(3, long: false), 10_000)
        #expect(list.updateScore(member(7, long: false), from: 70, to: 200))
        model.set(member(7, long: false), 200)
        #expect(!list.updateScore(member(7, long: false), from: 70, to: 1))
        #expect(!list.updateScore(ByteString("absent"), from: 0, to: 1))
        #expect(list.arenaBytes == bytes)
        checkList(list, model)
        #expect(list.rank(200, member(7, long: false)) == model.index(of: member(7, long: false)).map { $0 + 1 })
    }

    @Test func freeListReuseAfterManyDeletes() {
        let list = SortedSetSkipList()
        var model = Model()
        var g = SplitMix64(seed: 42)
        for i in 0..<5000 {
            let s = Double(Int.random(in: 0..<1000, using: &g))
            list.insert(s, member(i, long: true))
            model.set(member(i, long: true), s)
        }
        let grown = list.arenaBytes
        // Levels are drawn with p = 1/4: 5000 nodes reach level 4 but not the maximum.
        #expect(list.level >= 4 && list.level < 16)
        // Delete most, then insert as many again: the records are reused, the arena does not grow
        // beyond what the level draws need.
        for round in 0..<3 {
            var victims = model.entries
            victims.shuffle(using: &g)
            for e in victims.prefix(4500) { #expect(list.delete(e.score, e.member)) }
            let gone = Set(victims.prefix(4500).map(\.member))
            model.entries.removeAll { gone.contains($0.member) }
            checkList(list, model)
            for i in 0..<4500 {
                let m = member(10_000 * (round + 1) + i, long: true)
                let s = Double(Int.random(in: 0..<1000, using: &g))
                list.insert(s, m)
                model.set(m, s)
            }
            checkList(list, model)
        }
        // Levels are drawn afresh, so a few records of a rarer level may be new; the bulk is reused.
        #expect(list.arenaBytes < grown + grown / 4)
        // Delete everything: the list is empty and its levels drop back.
        for e in model.entries { #expect(list.delete(e.score, e.member)) }
        model.entries = []
        checkList(list, model)
        #expect(list.level == 1 && list.first == SortedSetSkipList.header)
    }

    @Test func sortedSetValueInSkiplistEncoding() {
        var g = SplitMix64(seed: 7)
        let z = SortedSetValue(sizeHint: 1000, maxMemberLength: 0, maxEntries: 128, maxValue: 64)
        #expect(!z.isListpack)
        var model = Model()
        for _ in 0..<4000 {
            let m = member(Int.random(in: 0..<300, using: &g), long: false)
            let s = Double(Int.random(in: -50...50, using: &g))
            switch Int.random(in: 0..<6, using: &g) {
            case 0, 1:
                let (outcome, result) = z.add(m, s, maxEntries: 128, maxValue: 64)
                let old = model.index(of: m).map { model.entries[$0].score }
                #expect(result == s)
                #expect(outcome == (old == nil ? .added : old == s ? .unchanged : .updated))
                model.set(m, s)
            case 2:
                let old = model.index(of: m).map { model.entries[$0].score }
                let (outcome, result) = z.add(m, s, incr: true, maxEntries: 128, maxValue: 64)
                let new = (old ?? 0) + s
                #expect(result == new)
                #expect(outcome == (old == nil ? .added : s == 0 ? .unchanged : .updated))
                model.set(m, new)
            case 3:
                let present = model.index(of: m)
                #expect(z.remove(m) == (present != nil))
                if let present { model.entries.remove(at: present) }
            case 4:
                #expect(z.rank(m) == model.index(of: m))
                #expect(z.score(m) == model.index(of: m).map { model.entries[$0].score })
            default:
                let lo = Int.random(in: 0...model.entries.count, using: &g)
                let hi = Int.random(in: lo...model.entries.count, using: &g)
                let got = z.entries(lo..<hi)
                #expect(got.map(\.member) == model.entries[lo..<hi].map(\.member))
                #expect(got.map(\.score) == model.entries[lo..<hi].map(\.score))
                #expect(z.countScoresWhile { $0 < s } == model.entries.filter { $0.score < s }.count)
            }
        }
        #expect(z.count == model.entries.count)
        var all: [ByteString] = []
        z.forEach { all.append($0.member) }
        #expect(all == model.entries.map(\.member))
        if !model.entries.isEmpty {
            #expect(z.entry(at: model.entries.count - 1).member == model.entries.last?.member)
        }
        // Range by rank removal and the copy keep the order.
        let copy = z.duplicate()
        z.removeRanks(0..<(model.entries.count / 2))
        model.entries.removeFirst(model.entries.count / 2)
        #expect(z.entries(0..<z.count).map(\.member) == model.entries.map(\.member))
        #expect(copy.count >= z.count)
    }

    @Test func forwardScoreRangesInBothEncodings() {
        var g = SplitMix64(seed: 11)
        for maxEntries in [128, 4] {
            let z = SortedSetValue()
            var model = Model()
            for i in 0..<100 {
                let s = Double(Int.random(in: 0..<30, using: &g))
                _ = z.add(member(i, long: false), s, maxEntries: maxEntries, maxValue: 64)
                model.set(member(i, long: false), s)
            }
            #expect(z.isListpack == (maxEntries == 128))
            for _ in 0..<300 {
                let lo = Double(Int.random(in: -2..<32, using: &g))
                let hi = Double(Int.random(in: -2..<32, using: &g))
                let offset = Int.random(in: 0..<5, using: &g) == 0 ? Int.random(in: 0..<120, using: &g) : 0
                let limit = Int.random(in: -1..<15, using: &g)
                let inRange = model.entries.filter { $0.score > lo && $0.score <= hi }
                let expected = inRange.dropFirst(offset).prefix(limit < 0 ? Int.max : limit)
                let got = z.entriesForward(from: { $0 <= lo }, while: { $0 <= hi }, offset: offset, limit: limit)
                #expect(got.map(\.member) == expected.map(\.member))
                #expect(got.map(\.score) == expected.map(\.score))
            }
        }
    }

    @Test func arenaIsRebuiltWhenMostlyFree() {
        let z = SortedSetValue(sizeHint: 1000, maxMemberLength: 0, maxEntries: 128, maxValue: 64)
        var g = SplitMix64(seed: 5)
        var model = Model()
        for i in 0..<20_000 {
            let s = Double(Int.random(in: 0..<5000, using: &g))
            _ = z.add(member(i, long: i % 3 == 0), s, maxEntries: 128, maxValue: 64)
            model.entries.append((s, member(i, long: i % 3 == 0)))
        }
        model.entries.sort { entryPrecedes($0.score, $0.member, $1.score, $1.member) }
        let peak = z.skipListArenaBytes ?? 0
        var victims = model.entries
        victims.shuffle(using: &g)
        for e in victims.prefix(19_000) { #expect(z.remove(e.member)) }
        let gone = Set(victims.prefix(19_000).map(\.member))
        model.entries.removeAll { gone.contains($0.member) }
        let after = z.skipListArenaBytes ?? 0
        #expect(after > 0 && after < peak / 4, "arena \(after) of \(peak)")
        #expect(z.entries(0..<z.count).map(\.member) == model.entries.map(\.member))
        #expect(z.entries(0..<z.count).map(\.score) == model.entries.map(\.score))
        for e in model.entries.prefix(100) { #expect(z.rank(e.member) == model.index(of: e.member)) }
    }

    @Test func lexRangesOnEqualScores() {
        // Every member with score 0: lexicographic ranges are member-order prefixes.
        let z = SortedSetValue(sizeHint: 1000, maxMemberLength: 0, maxEntries: 128, maxValue: 64)
        var names: [ByteString] = []
        var g = SplitMix64(seed: 9)
        for _ in 0..<500 {
            let len = Int.random(in: 0...6, using: &g)
            let bytes = (0..<len).map { _ in UInt8.random(in: 0...3, using: &g) * 0x55 }
            let m = ByteString(bytes)
            if z.score(m) == nil { names.append(m) }
            _ = z.add(m, 0, maxEntries: 128, maxValue: 64)
        }
        names.sort { compareMembers($0, $1) < 0 }
        for probe in names.prefix(50) {
            #expect(z.countWhile { compareMembers($0.member, probe) < 0 } == names.firstIndex(of: probe))
            #expect(z.countWhile { compareMembers($0.member, probe) <= 0 } == names.firstIndex(of: probe).map { $0 + 1 })
        }
        #expect(z.entries(0..<z.count).map(\.member) == names)
    }
}
