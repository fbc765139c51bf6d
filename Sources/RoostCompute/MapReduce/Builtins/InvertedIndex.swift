/// An inverted index of files as a MapReduce job (`BuiltinJobs.invertedIndexFiles`): for
/// each word, the documents (files) it occurs in and how often.
///
/// A word is what word count counts (`WordTally`): a maximal run of bytes that are not ASCII
/// whitespace, case-sensitive, bytes as they are. Each map task counts its split in one
/// `WordTally` and emits each distinct word once with its document and count; postings of the
/// same word are merged (the combiner on the map side, then reduce).
///
/// The output format (`lines`): one line per word, sorted by the word's bytes (unsigned,
/// a prefix before the longer word):
///
///     word<TAB>file1:count,file2:count\n
///
/// with the documents in the order the files were given, each listed once with its number of
/// occurrences of the word, and the files named as given.
public enum InvertedIndex {
    /// The split type of the index job; its parameters are reserved for options (empty).
    public typealias Split = DocumentSplit<[String: String]>

    /// A word's postings: `(document, count)` pairs in ascending document order, one per
    /// document. Encoded as varints: document, count, document, count….
    public struct Postings: MapReduceCodable, Hashable, Sendable {
        /// The documents and counts, by ascending document.
        public private(set) var entries: [(document: Int, count: Int)]

        /// The postings `entries`, which must be in ascending document order with each
        /// document once.
        public init(_ entries: [(document: Int, count: Int)]) {
            self.entries = entries
        }

        /// The union of two postings (counts of a document in both are added).
        public func merged(with other: Postings) -> Postings {
            var result: [(document: Int, count: Int)] = []
            result.reserveCapacity(entries.count + other.entries.count)
            var left = 0, right = 0
            while left < entries.count || right < other.entries.count {
                if right == other.entries.count || (left < entries.count && entries[left].document < other.entries[right].document) {
                    result.append(entries[left])
                    left += 1
                } else if left == entries.count || other.entries[right].document < entries[left].document {
                    result.append(other.entries[right])
                    right += 1
                } else {
                    result.append((entries[left].document, entries[left].count + other.entries[right].count))
                    left += 1
                    right += 1
                }
            }
            return Postings(result)
        }

        /// Varints: document, count, ….
        public func mapReduceEncode(into bytes: inout [UInt8]) {
            for (document, count) in entries {
                Varint.append(unsigned: UInt64(document), to: &bytes)
                Varint.append(unsigned: UInt64(count), to: &bytes)
            }
        }

        /// Decodes the varints of `mapReduceEncode`.
        public init(mapReduceBytes bytes: UnsafeRawBufferPointer) throws {
            var offset = 0
            var entries: [(document: Int, count: Int)] = []
            while offset < bytes.count {
                let document = try Varint.read(bytes, at: &offset)
                let count = try Varint.read(bytes, at: &offset)
                entries.append((Int(document), Int(count)))
            }
            self.init(entries)
        }

        /// Equal entries.
        public static func == (lhs: Postings, rhs: Postings) -> Bool {
            lhs.entries.elementsEqual(rhs.entries) { $0 == $1 }
        }

        /// Hashes the entries.
        public func hash(into hasher: inout Hasher) {
            for (document, count) in entries {
                hasher.combine(document)
                hasher.combine(count)
            }
        }
    }

    /// Maps one split: each distinct word with its count in the split's document.
    static func map(_ split: Split, _ output: inout MapOutput<[UInt8], Postings>) throws {
        var tally = WordTally()
        try split.file.read(chunkSize: FileSplit.recordSize) { tally.add($0) }
        tally.forEach { word, count in output.emit(Array(word), Postings([(split.document, count)])) }
    }

    /// The job's output in the index's format (see `InvertedIndex`), `names` naming the
    /// documents.
    public static func lines(_ pairs: [(key: [UInt8], value: Postings)], names: [String]) -> [UInt8] {
        var out: [UInt8] = []
        for (word, postings) in pairs.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            out += word
            out.append(0x09)
            for (index, entry) in postings.entries.enumerated() {
                if index > 0 { out.append(0x2C) }
                out += Array("\(names[entry.document]):\(entry.count)".utf8)
            }
            out.append(0x0A)
        }
        return out
    }
}

extension BuiltinJobs {
    /// An inverted index of files (`InvertedIndex`): word bytes → postings.
    public static let invertedIndexFiles = MapReduceJob<InvertedIndex.Split, [UInt8], InvertedIndex.Postings,
                                                        InvertedIndex.Postings>(
        "roost.inverted-index.files",
        map: { split, _, output in try InvertedIndex.map(split, &output) },
        combine: { $0.merged(with: $1) },
        reduce: { _, postings in postings.dropFirst().reduce(postings.first ?? InvertedIndex.Postings([])) { $0.merged(with: $1) } })
}
