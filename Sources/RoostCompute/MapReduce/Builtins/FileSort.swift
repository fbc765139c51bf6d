/// A distributed sort of the lines of files as a MapReduce job (`BuiltinJobs.sortFiles`): the
/// output of `LC_ALL=C sort`, lines in unsigned bytewise order, duplicates kept.
///
/// The submitter reads a sample of the input (`sample`) and cuts the key space into ranges of
/// about equal size (`MapReducePartitioner.rangeBoundaries`); the boundaries travel with each
/// split, since the registered job is the same for every run. Map puts each line's range in
/// front of its key (`Key`), and the job's partitioner reads it back, so each reduce partition
/// holds one contiguous range and the partitions' outputs, concatenated, are the sorted input.
/// Each distinct line is one key with its number of occurrences (the combiner adds them).
public enum FileSort {
    /// The parameters of one sort: the range boundaries.
    public struct Parameters: Codable, Hashable, Sendable {
        /// The ascending boundaries of the ranges (`MapReducePartitioner.range`).
        public var boundaries: [[UInt8]]

        /// The parameters with `boundaries`.
        public init(boundaries: [[UInt8]]) {
            self.boundaries = boundaries
        }
    }

    /// The split type of the sort job.
    public typealias Split = DocumentSplit<Parameters>

    /// A line (without its `\n`) and its range. Encoded as the range (4 bytes big-endian) and
    /// then the line's bytes, so key bytes sort by range and then by line.
    public struct Key: MapReduceCodable, Hashable, Sendable {
        /// The line's range: its reduce partition.
        public var range: Int
        /// The line's bytes.
        public var line: [UInt8]

        /// The line `line` in range `range`.
        public init(range: Int, line: [UInt8]) {
            self.range = range
            self.line = line
        }

        /// The range (4 bytes, big-endian), then the line.
        public func mapReduceEncode(into bytes: inout [UInt8]) {
            for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: range >> shift)) }
            bytes += line
        }

        /// Hashes the range and the line's bytes at once (not byte by byte, as `[UInt8]` does).
        public func hash(into hasher: inout Hasher) {
            hasher.combine(range)
            line.withUnsafeBytes { hasher.combine(bytes: $0) }
        }

        /// Decodes `mapReduceEncode`'s bytes.
        public init(mapReduceBytes bytes: UnsafeRawBufferPointer) throws {
            guard bytes.count >= 4 else { throw MapReduceError.undecodable("a sort key takes at least 4 bytes") }
            self.init(range: bytes[0..<4].reduce(0) { $0 << 8 | Int($1) }, line: Array(bytes[4...]))
        }
    }

    /// The sort job's partitioner: the range at the front of the key.
    static let rangeInKey = MapReducePartitioner.custom { key, partitions in
        min(key.prefix(4).reduce(0) { $0 << 8 | Int($1) }, partitions - 1)
    }

    /// Maps one split: each distinct line with its range and count.
    static func map(_ split: Split, _ output: inout MapOutput<Key, Int>) throws {
        let ranges = MapReducePartitioner.range(split.parameters.boundaries)
        let count = split.parameters.boundaries.count + 1
        try split.forEachLine { line in
            output.emit(Key(range: ranges.partition(of: line, among: count), line: Array(line)), 1)
        }
    }

    /// A sample of the lines of `splits` for `MapReducePartitioner.rangeBoundaries`: the whole
    /// lines in the first `bytesPerSplit` bytes of each split (at least one line per split).
    /// - Throws: `FileSplitError` when a file cannot be read.
    public static func sample(_ splits: [FileSplit], bytesPerSplit: Int = 64 << 10) throws -> [[UInt8]] {
        struct Enough: Error {}
        var sample: [[UInt8]] = []
        for split in splits {
            do {
                try split.read(chunkSize: bytesPerSplit) { chunk in
                    DocumentSplit<Parameters>.forEachLine(in: chunk) { sample.append(Array($0)) }
                    throw Enough()
                }
            } catch is Enough {}
        }
        return sample
    }

    /// The sorted output: each line `count` times, each with a `\n` (also a file's last line
    /// that had none), in the order of `pairs` (the job's output order), or reversed.
    public static func lines(_ pairs: [(key: Key, value: Int)], reverse: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        for (key, count) in reverse ? Array(pairs.reversed()) : pairs {
            for _ in 0..<count {
                out += key.line
                out.append(0x0A)
            }
        }
        return out
    }
}

extension BuiltinJobs {
    /// The distributed sort of files' lines (`FileSort`): line → occurrences, range partitioned.
    public static let sortFiles = MapReduceJob<FileSort.Split, FileSort.Key, Int, Int>(
        "roost.sort.files", partitioner: FileSort.rangeInKey,
        map: { split, _, output in try FileSort.map(split, &output) },
        combine: { $0 + $1 }, reduce: { _, counts in counts.reduce(0, +) })
}
