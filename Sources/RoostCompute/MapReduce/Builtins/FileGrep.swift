/// `grep -Hn` over files as a MapReduce job (`BuiltinJobs.grepFiles`): the matching lines of
/// each file with their line numbers.
///
/// **Line numbers across byte-range splits.** A map task reads one split, which starts at a
/// byte offset, so it cannot know how many lines come before it. Instead each map task emits
/// one *split record* (its document, its start offset and how many lines it read) and, for
/// each matching line, a *match* keyed by (document, split start, the line's 1-based number
/// within the split). Splits read every line of a file exactly once, each line in the split
/// holding its first byte (`FileSplit`), so a line's number in its file is its number within
/// its split plus the lines read by the file's splits that start before its split. `lines`
/// computes that after the job, from the split records; the keys sort the matches in file
/// order (document, split start, line), which is `grep`'s order.
public enum FileGrep {
    /// What to look for.
    public struct Pattern: Codable, Hashable, Sendable {
        /// The pattern's text: bytes for a fixed string, UTF-8 for a regular expression.
        public var text: [UInt8]
        /// A fixed string matched byte for byte (true), or a Swift `Regex` (false).
        public var fixed: Bool
        /// Case-insensitive: ASCII letters only for a fixed string, Unicode case folding for a
        /// regular expression.
        public var ignoreCase: Bool

        /// The pattern `text`.
        public init(_ text: [UInt8], fixed: Bool, ignoreCase: Bool = false) {
            self.text = text
            self.fixed = fixed
            self.ignoreCase = ignoreCase
        }

        /// A test of one line (without its `\n`).
        ///
        /// A fixed string is searched for in the line's bytes. A regular expression uses Swift
        /// `Regex` syntax (`Regex(_:)`, close to Perl/PCRE) and is matched, unanchored, against
        /// the line decoded as UTF-8 (invalid bytes read as U+FFFD).
        /// - Throws: the regular expression's syntax error.
        public func matcher() throws -> (UnsafeRawBufferPointer) -> Bool {
            if fixed {
                let needle = ignoreCase ? text.map(Self.lowercased) : text
                let ignoreCase = ignoreCase
                return { line in Self.contains(line, needle, ignoreCase: ignoreCase) }
            }
            let source = String(decoding: text, as: UTF8.self)
            let regex = ignoreCase ? try Regex(source).ignoresCase() : try Regex(source)
            return { line in String(decoding: line, as: UTF8.self).contains(regex) }
        }

        @inline(__always)
        static func lowercased(_ byte: UInt8) -> UInt8 { (0x41...0x5A).contains(byte) ? byte | 0x20 : byte }

        /// Whether `needle` occurs in `line` (with ASCII case folding when `ignoreCase`; the
        /// needle is then already lowercased).
        static func contains(_ line: UnsafeRawBufferPointer, _ needle: [UInt8], ignoreCase: Bool) -> Bool {
            guard !needle.isEmpty else { return true }
            guard line.count >= needle.count else { return false }
            let first = needle[0]
            for start in 0...(line.count - needle.count) {
                let byte = ignoreCase ? lowercased(line[start]) : line[start]
                guard byte == first else { continue }
                var index = 1
                while index < needle.count {
                    let other = ignoreCase ? lowercased(line[start + index]) : line[start + index]
                    if other != needle[index] { break }
                    index += 1
                }
                if index == needle.count { return true }
            }
            return false
        }
    }

    /// A key of the grep job: a split record (`isSplitRecord`, `line` = the lines the split
    /// read) or a match (`line` = its 1-based number within the split). Encoded as 25 bytes,
    /// big-endian, so key bytes sort split records first, then by document, split and line.
    public struct Key: MapReduceCodable, Hashable, Comparable, Sendable {
        /// A split record (true) or a match.
        public var isSplitRecord: Bool
        /// The file's index in the job's files.
        public var document: Int
        /// The split's start offset in the file.
        public var split: Int64
        /// The lines the split read, or the match's line number within the split.
        public var line: Int

        /// Encodes the fields big-endian: 1 + 8 + 8 + 8 bytes.
        public func mapReduceEncode(into bytes: inout [UInt8]) {
            bytes.append(isSplitRecord ? 0 : 1)
            for value in [UInt64(document), UInt64(split), UInt64(line)] {
                for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
            }
        }

        /// Decodes the 25 bytes of `mapReduceEncode`.
        public init(mapReduceBytes bytes: UnsafeRawBufferPointer) throws {
            guard bytes.count == 25 else { throw MapReduceError.undecodable("a grep key takes 25 bytes, not \(bytes.count)") }
            func field(_ index: Int) -> UInt64 { (0..<8).reduce(0) { $0 << 8 | UInt64(bytes[1 + 8 * index + $1]) } }
            self.init(isSplitRecord: bytes[0] == 0, document: Int(field(0)), split: Int64(field(1)), line: Int(field(2)))
        }

        /// The key's fields.
        public init(isSplitRecord: Bool, document: Int, split: Int64, line: Int) {
            self.isSplitRecord = isSplitRecord
            self.document = document
            self.split = split
            self.line = line
        }

        /// The order of the encoded bytes.
        public static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.isSplitRecord ? 0 : 1, lhs.document, lhs.split, lhs.line)
                < (rhs.isSplitRecord ? 0 : 1, rhs.document, rhs.split, rhs.line)
        }
    }

    /// The split type of the grep job.
    public typealias Split = DocumentSplit<Pattern>

    /// Maps one split: its split record, and a match (value: the line's bytes) per matching line.
    static func map(_ split: Split, _ output: inout MapOutput<Key, [UInt8]>) throws {
        let matches = try split.parameters.matcher()
        var lines = 0
        try split.forEachLine { line in
            lines += 1
            if matches(line) {
                output.emit(Key(isSplitRecord: false, document: split.document, split: split.file.start, line: lines), Array(line))
            }
        }
        output.emit(Key(isSplitRecord: true, document: split.document, split: split.file.start, line: lines), [])
    }

    /// The job's output as `grep -Hn` prints it: `name:number:line\n` for each match, in the
    /// order of `names` (the documents' names) and then of lines; with `countOnly`, as
    /// `grep -Hc`: `name:count\n` for every document, matches or not.
    public static func lines(_ pairs: [(key: Key, value: [UInt8])], names: [String], countOnly: Bool = false) -> [UInt8] {
        let sorted = pairs.sorted { $0.key < $1.key }
        // The lines before each split: the running sum over the document's earlier splits.
        var before: [Key: Int] = [:]
        var running: [Int: Int] = [:]
        var counts = [Int](repeating: 0, count: names.count)
        var out: [UInt8] = []
        for (key, line) in sorted {
            if key.isSplitRecord {
                before[Key(isSplitRecord: true, document: key.document, split: key.split, line: 0)] = running[key.document, default: 0]
                running[key.document, default: 0] += key.line
                continue
            }
            counts[key.document] += 1
            guard !countOnly else { continue }
            let number = before[Key(isSplitRecord: true, document: key.document, split: key.split, line: 0), default: 0] + key.line
            out += Array("\(names[key.document]):\(number):".utf8) + line
            out.append(0x0A)
        }
        guard countOnly else { return out }
        return names.enumerated().flatMap { document, name in Array("\(name):\(counts[document])\n".utf8) }
    }
}

extension BuiltinJobs {
    /// Grep over files (`FileGrep`): the split records and matching lines, keyed for
    /// `FileGrep.lines`.
    public static let grepFiles = MapReduceJob<FileGrep.Split, FileGrep.Key, [UInt8], [UInt8]>(
        "roost.grep.files",
        map: { split, _, output in try FileGrep.map(split, &output) },
        reduce: { _, values in values.first ?? [] })
}
