/// Seeded text for the tests of the built-in file jobs (grep, index, sort): lines of words from
/// a small vocabulary (with `needle`, `Needle` and `NEEDLE` among them), empty lines, lines
/// repeated, tabs, a `\r` before some newlines, and bytes that are not UTF-8 (never NUL, which
/// makes `grep` call a file binary).
public enum LineCorpus {
    /// `lines` lines, each ending with `\n` unless `trailingNewline` is false for the last.
    public static func text(lines: Int, seed: UInt64, trailingNewline: Bool = true) -> [UInt8] {
        var random = SplitMix64(seed: seed)
        let vocabulary: [[UInt8]] = ["needle", "Needle", "NEEDLE", "hay", "haystack", "nee", "dle", "a", "b", "zebra"].map { Array($0.utf8) }
            + (0..<40).map { _ in (0..<(1 + random.below(8))).map { _ in UInt8(0x61 + random.below(26)) } }
        var text: [UInt8] = []
        var previous: [UInt8] = []
        for index in 0..<lines {
            var line: [UInt8] = []
            if random.chance(1, in: 12) {
                line = []
            } else if random.chance(1, in: 10) {
                line = previous
            } else {
                for word in 0..<(1 + random.below(10)) {
                    if word > 0 { line.append(random.chance(1, in: 6) ? 0x09 : 0x20) }
                    if random.chance(1, in: 15) {
                        line += (0..<(1 + random.below(6))).map { _ in UInt8(0x80 + random.below(0x80)) }
                    } else {
                        line += random.pick(vocabulary)
                    }
                }
                if random.chance(1, in: 10) { line.append(0x0D) }
            }
            previous = line
            text += line
            if trailingNewline || index < lines - 1 { text.append(0x0A) }
        }
        return text
    }
}
