// roost-wordcount-bench: the corpus and the single-threaded baseline of benchmarks/wordcount.sh.
//
//     roost-wordcount-bench corpus --output FILE [--size 256M] [--seed 13] [--vocabulary 50000]
//     roost-wordcount-bench count FILE... [--output FILE] [--top K]
//
// `corpus` writes a deterministic Zipf corpus (see ZipfCorpus): whole lines, as many as fit in
// --size bytes (K, M and G are powers of 1024).
//
// `count` is the single-threaded Swift baseline: it reads each file with FileSplit in 1 MiB
// line-aligned chunks, counts them with one WordTally on one thread, and writes
// `WordTally.lines` (what `roost wordcount` writes) to --output or standard output. On standard
// error it prints `RESULT bytes=<input bytes> count_seconds=<reading and counting>
// total_seconds=<from start to output written> cpu_seconds=<user+system of the whole run>`.
import ArgumentParser
import Glibc
import RoostCompute

@main
struct WordCountBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roost-wordcount-bench",
        abstract: "The corpus and the single-threaded baseline of benchmarks/wordcount.sh.",
        subcommands: [Corpus.self, Count.self]
    )
}

/// A size such as 256M, 1G, 4096 (K, M, G are powers of 1024).
func parseSize(_ text: String) throws -> Int {
    let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
    var digits = text.uppercased()
    var unit = 1
    if let last = digits.last, let factor = units[last] {
        unit = factor
        digits.removeLast()
    }
    guard let value = Int(digits), value > 0 else { throw ValidationError("not a size: \(text)") }
    return value * unit
}

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// Writes all of `bytes` to `descriptor`.
func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { buffer in
        var written = 0
        while written < buffer.count {
            let result = write(descriptor, buffer.baseAddress! + written, buffer.count - written)
            if result < 0 {
                if errno == EINTR { continue }
                throw ValidationError("write failed: \(String(cString: strerror(errno)))")
            }
            written += result
        }
    }
}

func openForWriting(_ path: String) throws -> Int32 {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { throw ValidationError("\(path): \(String(cString: strerror(errno)))") }
    return descriptor
}

extension WordCountBenchmark {
    struct Corpus: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a deterministic Zipf corpus.")

        @Option(help: "The file to write.")
        var output: String

        @Option(help: "The largest size in bytes (K, M, G suffixes): whole lines up to it.")
        var size: String = "256M"

        @Option(help: "The generator's seed.")
        var seed: UInt64 = 13

        @Option(help: "The number of distinct words.")
        var vocabulary: Int = 50_000

        @Option(help: "Zipf's exponent.")
        var exponent: Double = 1.0

        func run() throws {
            let limit = try parseSize(size)
            guard vocabulary > 0, vocabulary <= 1_000_000 else { throw ValidationError("--vocabulary must be in 1…1000000") }
            var corpus = ZipfCorpus(seed: seed, vocabularySize: vocabulary, exponent: exponent)
            let descriptor = try openForWriting(output)
            defer { close(descriptor) }
            var block: [UInt8] = []
            block.reserveCapacity(1 << 20 + 4096)
            var line: [UInt8] = []
            var written = 0
            while true {
                line.removeAll(keepingCapacity: true)
                corpus.appendLine(to: &line)
                if written + block.count + line.count > limit { break }
                block.append(contentsOf: line)
                if block.count >= 1 << 20 {
                    try writeAll(descriptor, block)
                    written += block.count
                    block.removeAll(keepingCapacity: true)
                }
            }
            try writeAll(descriptor, block)
        }
    }

    struct Count: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Count words on one thread (the Swift baseline).")

        @Argument(help: "The files to count.")
        var files: [String]

        @Option(help: "Write the counts here instead of standard output.")
        var output: String?

        @Option(help: "Only the K most frequent words.")
        var top: Int?

        func run() throws {
            let started = monotonicSeconds()
            var tally = WordTally()
            var bytes: Int64 = 0
            for split in try FileSplit.splits(of: files, targetSize: Int64.max) {
                try split.read(chunkSize: 1 << 20) { chunk in
                    bytes += Int64(chunk.count)
                    tally.add(chunk)
                }
            }
            let counted = monotonicSeconds()
            let lines = tally.lines(top: top)
            if let output {
                let descriptor = try openForWriting(output)
                defer { close(descriptor) }
                try writeAll(descriptor, lines)
            } else {
                try writeAll(1, lines)
            }
            let finished = monotonicSeconds()
            let report = "RESULT bytes=\(bytes) count_seconds=\(counted - started) total_seconds=\(finished - started) "
                + "cpu_seconds=\(cpuSeconds())\n"
            try writeAll(2, Array(report.utf8))
        }
    }
}
