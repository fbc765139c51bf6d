#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RoostEngine

/// A deterministic text corpus whose word frequencies follow Zipf's law: the word of rank k
/// (1-based) is drawn with probability proportional to 1 / k^exponent.
///
/// The vocabulary is `vocabularySize` distinct lowercase words of 2 to 10 letters, drawn from
/// the seed and ordered by length, so that the frequent words are the short ones (as in
/// natural text). Lines hold 10 to 15 words separated by single spaces and end in `\n`. The
/// same seed, vocabulary size, exponent and size give the same bytes on every machine.
struct ZipfCorpus {
    var vocabulary: [[UInt8]]
    /// `cumulative[k]`: the sum of the weights of ranks 1…k+1.
    private var cumulative: [Double]
    private var random: SplitMix64

    init(seed: UInt64, vocabularySize: Int, exponent: Double) {
        var random = SplitMix64(seed: seed)
        var seen = Set<[UInt8]>()
        var words: [[UInt8]] = []
        while words.count < vocabularySize {
            let length = 2 + Int(random.next() % 9)
            let word = (0..<length).map { _ in UInt8(0x61 + random.next() % 26) }
            if seen.insert(word).inserted { words.append(word) }
        }
        vocabulary = words.enumerated().sorted { ($0.element.count, $0.offset) < ($1.element.count, $1.offset) }
            .map(\.element)
        self.random = random
        var sum = 0.0
        cumulative = (1...vocabularySize).map { rank in
            sum += 1 / pow(Double(rank), exponent)
            return sum
        }
    }

    /// The rank (0-based) of the next word drawn.
    mutating func nextRank() -> Int {
        let target = Double(random.next() >> 11) * 0x1p-53 * cumulative[cumulative.count - 1]
        var low = 0, high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] > target { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// Appends the next line (10 to 15 words and a newline) to `out`.
    mutating func appendLine(to out: inout [UInt8]) {
        let words = 10 + Int(random.next() % 6)
        for index in 0..<words {
            if index > 0 { out.append(0x20) }
            out.append(contentsOf: vocabulary[nextRank()])
        }
        out.append(0x0A)
    }
}
