import RoostCompute
import RoostTestSupport
import Testing

/// The six bytes that separate words.
private let whitespace: [UInt8] = [0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D]

/// The obvious word count, to check WordTally against.
private func referenceCounts(_ text: [UInt8]) -> [[UInt8]: Int] {
    var counts: [[UInt8]: Int] = [:]
    for word in text.split(whereSeparator: { whitespace.contains($0) }) { counts[Array(word), default: 0] += 1 }
    return counts
}

/// The expected output of `lines`, from a dictionary.
private func referenceLines(_ counts: [[UInt8]: Int], top: Int? = nil) -> [UInt8] {
    let sorted = counts.sorted { x, y in
        x.value != y.value ? x.value > y.value : x.key.lexicographicallyPrecedes(y.key)
    }
    return sorted.prefix(top ?? sorted.count).flatMap { Array("\($0.value)\t".utf8) + $0.key + [0x0A] }
}

/// Random bytes: words of every length around the 8-byte pieces, from a small vocabulary (so
/// that words repeat) or of random bytes (non-UTF-8 and control bytes included), separated by
/// runs of all six whitespace bytes.
private func randomText(_ random: inout SplitMix64) -> [UInt8] {
    let vocabulary: [[UInt8]] = (0..<20).map { _ in
        (0..<(1 + random.below(20))).map { _ in UInt8(0x21 + random.below(200)) }.map { $0 == 0x20 ? 0x41 : $0 }
    }
    var text: [UInt8] = []
    for _ in 0..<random.below(300) {
        for _ in 0..<random.below(3) { text.append(random.pick(whitespace)) }
        if random.chance(3, in: 4) {
            text += random.pick(vocabulary)
        } else {
            for _ in 0..<(1 + random.below(random.chance(1, in: 10) ? 100 : 18)) {
                var byte = UInt8(truncatingIfNeeded: random.next())
                while whitespace.contains(byte) { byte = UInt8(truncatingIfNeeded: random.next()) }
                text.append(byte)
            }
        }
    }
    if random.chance(1, in: 2) { text.append(random.pick(whitespace)) }
    return text
}

/// Random text and its tally, counted in one piece.
private func randomTally(_ random: inout SplitMix64) -> ([UInt8], WordTally) {
    let text = randomText(&random)
    var tally = WordTally()
    tally.add(text)
    return (text, tally)
}

/// `text` cut into pieces at whitespace bytes, as FileSplit hands out chunks (no word cut).
private func piecesAtWhitespace(_ text: [UInt8], _ random: inout SplitMix64) -> [[UInt8]] {
    var pieces: [[UInt8]] = []
    var start = 0
    for index in text.indices where whitespace.contains(text[index]) && random.chance(1, in: 5) {
        pieces.append(Array(text[start...index]))
        start = index + 1
    }
    pieces.append(Array(text[start...]))
    return pieces
}

/// The hash as its documentation defines it, written independently of WordTally's loops.
private func documentedHash(_ word: [UInt8]) -> UInt64 {
    var hash: UInt64 = 0
    var index = 0
    repeat {
        let piece = word[index..<min(index + 8, word.count)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        hash = ((hash << 23) | (hash >> 41)) ^ piece
        hash = hash &* 0x9E37_79B9_7F4A_7C15
        index += 8
    } while index < word.count
    hash ^= UInt64(word.count)
    hash ^= hash >> 33
    hash = hash &* 0xff51_afd7_ed55_8ccd
    hash ^= hash >> 33
    hash = hash &* 0xc4ce_b9fe_1a85_ec53
    return hash ^ (hash >> 33)
}

@Suite("Word tallies")
struct WordTallyTests {
    @Test func countsMatchANaiveCountOnRandomBytes() {
        for item in 0..<400 {
            var random = SplitMix64.forItem(item, of: 0x7A11_0001)
            let text = randomText(&random)
            var tally = WordTally()
            for piece in piecesAtWhitespace(text, &random) { tally.add(piece) }
            let expected = referenceCounts(text)
            #expect(tally.counts == expected, "item \(item)")
            #expect(tally.distinctWords == expected.count)
            #expect(tally.totalWords == expected.values.reduce(0, +))
            for (word, count) in expected.prefix(5) { #expect(tally.count(of: word) == count) }
            #expect(tally.count(of: Array("not-there\u{1}".utf8)) == 0)
        }
    }

    @Test func everyWhitespaceByteSeparatesAndNoOtherByteDoes() {
        let separators: [UInt8] = Array(" a\tb\nc\u{0B}d\u{0C}e\rf".utf8)
        var tally = WordTally()
        tally.add(separators)
        #expect(tally.counts == [[0x61]: 1, [0x62]: 1, [0x63]: 1, [0x64]: 1, [0x65]: 1, [0x66]: 1])
        // NUL, other control bytes, DEL, NBSP's bytes and invalid UTF-8 are word bytes.
        let others: [UInt8] = [0x00, 0x01, 0x08, 0x0E, 0x1C, 0x1F, 0x7F, 0x85, 0xA0, 0xC2, 0xFF]
        var joined = WordTally()
        joined.add(others)
        #expect(joined.counts == [others: 1])
        for byte in 0...255 {
            #expect(WordTally.isWhitespace(UInt8(byte)) == whitespace.contains(UInt8(byte)))
        }
        // Case-sensitive: these are three words.
        var cased = WordTally()
        cased.add(Array("Word word WORD word".utf8))
        #expect(cased.counts == [Array("Word".utf8): 1, Array("word".utf8): 2, Array("WORD".utf8): 1])
    }

    @Test func longWordsAndGrowthKeepTheirCounts() throws {
        var random = SplitMix64(seed: 0x7A11_0002)
        var text: [UInt8] = []
        var expected: [[UInt8]: Int] = [:]
        // Enough distinct words to grow the table and the arena several times, some longer
        // than the 65,535 bytes a slot's length field holds.
        for index in 0..<30_000 {
            let length = index % 1000 == 0 ? 65_530 + random.below(20) : 1 + random.below(24)
            let word = (0..<length).map { _ in UInt8(0x21 + random.below(94)) }
            let times = 1 + random.below(3)
            for _ in 0..<times { text += word + [0x20] }
            expected[word, default: 0] += times
        }
        var tally = WordTally()
        for piece in piecesAtWhitespace(text, &random) { tally.add(piece) }
        #expect(tally.counts == expected)
        #expect(try WordTally(serialized: tally.serialized()).counts == expected)
    }

    @Test func mergeAddsCountsAndCopiesStayIndependent() {
        for item in 0..<100 {
            var random = SplitMix64.forItem(item, of: 0x7A11_0003)
            let first = randomText(&random), second = randomText(&random)
            var a = WordTally(), b = WordTally()
            a.add(first)
            b.add(second)
            let before = a
            a.merge(b)
            #expect(a.counts == referenceCounts(first + [0x0A] + second), "item \(item)")
            #expect(before.counts == referenceCounts(first))
            var doubled = b
            doubled.merge(b)
            #expect(doubled.counts == referenceCounts(second + [0x20] + second))
            #expect(b.counts == referenceCounts(second))
        }
    }

    @Test func partitionsSplitByTheStableHash() {
        for item in 0..<100 {
            var random = SplitMix64.forItem(item, of: 0x7A11_0004)
            let (_, tally) = randomTally(&random)
            let count = 1 + random.below(7)
            let parts = tally.partitioned(into: count)
            #expect(parts.count == count)
            var union: [[UInt8]: Int] = [:]
            for (index, part) in parts.enumerated() {
                for (word, wordCount) in part.counts {
                    #expect(WordTally.partition(ofHash: WordTally.hash(word), into: count) == index)
                    #expect(union.updateValue(wordCount, forKey: word) == nil)
                }
            }
            #expect(union == tally.counts, "item \(item)")
        }
    }

    @Test func theHashIsTheDocumentedFunction() {
        var random = SplitMix64(seed: 0x7A11_0005)
        for _ in 0..<2000 {
            let word = (0..<(1 + random.below(40))).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            #expect(WordTally.hash(word) == documentedHash(word))
        }
        // Pinned, so that a change that would send words to other partitions than other
        // processes do is caught.
        #expect(WordTally.hash(Array("the".utf8)) == documentedHash(Array("the".utf8)))
        #expect(WordTally.hash(Array("the".utf8)) == 0x6743_a9ce_be87_043e)
        #expect(WordTally.hash(Array("abcdefghij".utf8)) == 0x11ca_bcd4_ea69_c2b6)
    }

    @Test func serializationRoundTripsAndRejectsBadBytes() throws {
        for item in 0..<100 {
            var random = SplitMix64.forItem(item, of: 0x7A11_0006)
            var tally = WordTally()
            tally.add(randomText(&random))
            let bytes = tally.serialized()
            let back = try WordTally(serialized: bytes)
            #expect(back.counts == tally.counts && back.totalWords == tally.totalWords)
            if bytes.count > 5 {
                #expect(throws: WordTallyError.self) { try WordTally(serialized: Array(bytes.dropLast())) }
            }
            #expect(throws: WordTallyError.self) { try WordTally(serialized: bytes + [0]) }
        }
        #expect(throws: WordTallyError.self) { try WordTally(serialized: []) }
        #expect(throws: WordTallyError.self) { try WordTally(serialized: Array("RWT\u{2}".utf8) + [0]) }
        // One word "a" with a count of 0.
        #expect(throws: WordTallyError.self) { try WordTally(serialized: [0x52, 0x57, 0x54, 0x01, 1, 1, 0x61, 0]) }
        // An empty word.
        #expect(throws: WordTallyError.self) { try WordTally(serialized: [0x52, 0x57, 0x54, 0x01, 1, 0, 1]) }
        #expect(try WordTally(serialized: WordTally().serialized()).distinctWords == 0)
    }

    @Test func linesSortByCountThenBytes() {
        for item in 0..<200 {
            var random = SplitMix64.forItem(item, of: 0x7A11_0007)
            let (text, tally) = randomTally(&random)
            let counts = referenceCounts(text)
            #expect(tally.lines() == referenceLines(counts), "item \(item)")
            let top = random.below(10)
            #expect(tally.lines(top: top) == referenceLines(counts, top: top), "item \(item) top \(top)")
        }
        var tally = WordTally()
        tally.add(Array("b a\u{0}  a b c ab a\u{80} a a\u{80}".utf8))
        // "a\u{80}" is encoded as 0x61 0xC2 0x80 here; bytes compare unsigned.
        #expect(String(decoding: tally.lines(), as: UTF8.self) == "2\ta\n2\ta\u{80}\n2\tb\n1\ta\u{0}\n1\tab\n1\tc\n")
    }
}
