/// A file split is a MapReduce split whose records are line-aligned chunks of 1 MiB.
extension FileSplit: MapReduceSplit {
    /// Reads the split's lines in chunks (see `read(chunkSize:_:)`).
    public func read(_ context: MapReduceInputContext, _ body: (UnsafeRawBufferPointer) throws -> Void) async throws {
        try read(chunkSize: Self.recordSize, body)
    }

    /// The split's length.
    public var byteCount: Int64 { length }

    /// The size of the chunks a split hands to `map`.
    public static let recordSize = 1 << 20
}

extension BuiltinJobs {
    /// Word count over files, cut into `FileSplit`s: word bytes → count.
    ///
    /// Each map task counts its whole split in one `WordTally` and emits each distinct word once
    /// with its count (the combiner's work is done by the tally); reduce adds the counts. A word
    /// is what `WordTally` counts: a maximal run of bytes that are not ASCII whitespace.
    public static let wordCountFiles = MapReduceJob<FileSplit, [UInt8], Int, Int>(
        "roost.word-count.files",
        map: { split, _, output in
            var tally = WordTally()
            try split.read(chunkSize: FileSplit.recordSize) { tally.add($0) }
            tally.forEach { word, count in output.emit(Array(word), count) }
        },
        combine: { $0 + $1 }, reduce: { _, counts in counts.reduce(0, +) })
}
