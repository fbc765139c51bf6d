/// The MapReduce jobs every `roost worker` runs, for inputs kept in Redis and for files
/// (word count, grep, inverted index and sort; see `Builtins/`).
///
/// A word is a maximal run of bytes that are not ASCII whitespace (space, \t, \n, \v, \f, \r),
/// counted case-sensitively, bytes as they are.
public enum BuiltinJobs {
    /// Word count over a Redis list (each element some text): word bytes → count.
    public static let wordCountList = MapReduceJob<RedisListSplit, [UInt8], Int, Int>(
        "roost.word-count.list",
        mapRecord: { element, output in countWords(element, into: &output) },
        combine: { $0 + $1 }, reduce: { _, counts in counts.reduce(0, +) })

    /// Word count over the values of a Redis hash: word bytes → count.
    public static let wordCountHash = MapReduceJob<RedisHashSplit, [UInt8], Int, Int>(
        "roost.word-count.hash",
        mapRecord: { entry, output in countWords(entry.value, into: &output) },
        combine: { $0 + $1 }, reduce: { _, counts in counts.reduce(0, +) })

    /// Word count over the field values of the entries of a Redis stream: word bytes → count.
    public static let wordCountStream = MapReduceJob<RedisStreamSplit, [UInt8], Int, Int>(
        "roost.word-count.stream",
        mapRecord: { entry, output in for field in entry.fields { countWords(field.value, into: &output) } },
        combine: { $0 + $1 }, reduce: { _, counts in counts.reduce(0, +) })

    /// Registers every built-in job in `registry`.
    public static func register(in registry: MapReduceRegistry) {
        registry.register(wordCountList)
        registry.register(wordCountHash)
        registry.register(wordCountStream)
        registry.register(wordCountFiles)
        registry.register(grepFiles)
        registry.register(invertedIndexFiles)
        registry.register(sortFiles)
    }

    /// Whether `byte` is ASCII whitespace as word counting sees it.
    @inline(__always)
    public static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0d).contains(byte)
    }

    /// Emits `(word, 1)` for each word of `text`.
    public static func countWords(_ text: [UInt8], into output: inout MapOutput<[UInt8], Int>) {
        var start: Int?
        for (index, byte) in text.enumerated() {
            if isSpace(byte) {
                if let first = start { output.emit(Array(text[first..<index]), 1) }
                start = nil
            } else if start == nil {
                start = index
            }
        }
        if let first = start { output.emit(Array(text[first...]), 1) }
    }
}
