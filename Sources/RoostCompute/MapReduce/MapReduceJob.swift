/// A MapReduce job's description: how one split is mapped to key/value pairs, how the values
/// of one key are combined on the map side (optional), which reduce partition a key goes to,
/// and how the values of one key are reduced to its output.
///
///     let wordCount = MapReduceJob<RedisListSplit, [UInt8], Int, Int>(
///         "word-count",
///         mapRecord: { line, output in
///             for word in line.split(whereSeparator: isSpace) { output.emit(Array(word), 1) }
///         },
///         combine: +,
///         reduce: { _, counts in counts.reduce(0, +) })
///     registry.register(wordCount)                                   // in worker processes
///     let run = try await mapReduce.submit(wordCount, input: RedisListInput(key: "lines"))
///     for try await (word, count) in run.output() { … }             // sorted by key bytes
///
/// Workers find the job by `name` and `version` in their `MapReduceRegistry`; submitter and
/// workers must agree on the types. `map` and `reduce` must be deterministic: a task may run
/// more than once (a lost worker, a backup of a straggler) and exactly one run's output is
/// committed.
///
/// Map output is combined in memory per task (with `combine`, one value per key; without,
/// the list of values) and written once per partition as one compact blob, sorted by key.
/// `combine` must be associative and commutative; with it, `reduce` gets each key's values
/// already folded into one.
public struct MapReduceJob<Split: MapReduceSplit, Key: MapReduceCodable & Hashable, Value: MapReduceCodable,
                           Output: MapReduceCodable>: Sendable {
    /// The job's name, unique in a registry together with `version`.
    public let name: String
    /// The functions' version: bump it when they change.
    public let version: Int
    /// The partitioner (default: `.stableHash`).
    public let partitioner: MapReducePartitioner
    let map: @Sendable (Split, MapReduceInputContext, inout MapOutput<Key, Value>) async throws -> Void
    let combine: (@Sendable (Value, Value) -> Value)?
    let reduce: @Sendable (Key, [Value]) throws -> Output

    /// A job whose `map` reads its whole split itself (the fastest form: it can keep its own
    /// tables and emit once per distinct key).
    public init(_ name: String, version: Int = 1, partitioner: MapReducePartitioner = .stableHash,
                map: @escaping @Sendable (Split, MapReduceInputContext, inout MapOutput<Key, Value>) async throws -> Void,
                combine: (@Sendable (Value, Value) -> Value)? = nil,
                reduce: @escaping @Sendable (Key, [Value]) throws -> Output) {
        self.name = name
        self.version = version
        self.partitioner = partitioner
        self.map = map
        self.combine = combine
        self.reduce = reduce
    }

    /// A job whose `mapRecord` is called with each record of the split in turn.
    public init(_ name: String, version: Int = 1, partitioner: MapReducePartitioner = .stableHash,
                mapRecord: @escaping @Sendable (Split.Record, inout MapOutput<Key, Value>) throws -> Void,
                combine: (@Sendable (Value, Value) -> Value)? = nil,
                reduce: @escaping @Sendable (Key, [Value]) throws -> Output) {
        self.init(name, version: version, partitioner: partitioner, map: { split, context, output in
            try await split.read(context) { record in try mapRecord(record, &output) }
        }, combine: combine, reduce: reduce)
    }
}

/// Where `map` emits its pairs. With a combiner each key keeps one value (folded as pairs
/// arrive); without, the list of its values.
public struct MapOutput<Key: MapReduceCodable & Hashable, Value: MapReduceCodable> {
    let combine: (@Sendable (Value, Value) -> Value)?
    var combined: [Key: Value] = [:]
    var lists: [Key: [Value]] = [:]
    /// How many pairs were emitted.
    public private(set) var emitted = 0

    init(combine: (@Sendable (Value, Value) -> Value)?) {
        self.combine = combine
    }

    /// Emits `value` for `key`.
    public mutating func emit(_ key: Key, _ value: Value) {
        emitted += 1
        if let combine {
            if let index = combined.index(forKey: key) {
                combined.values[index] = combine(combined.values[index], value)
            } else {
                combined[key] = value
            }
        } else {
            lists[key, default: []].append(value)
        }
    }

    /// The intermediate blobs, one per partition (sorted by key bytes).
    func blobs(partitions: Int, partitioner: MapReducePartitioner) -> [[UInt8]] {
        // Every key encoded once into one buffer, with its partition; sorted by memcmp there.
        var keyBytes: [UInt8] = []
        var groups = [[EncodedKey]](repeating: [], count: partitions)
        func add(_ key: Key, value: Int) {
            let start = keyBytes.count
            key.mapReduceEncode(into: &keyBytes)
            let encoded = EncodedKey(start: start, end: keyBytes.count, value: value)
            let partition = keyBytes.withUnsafeBytes { partitioner.partition(of: encoded.bytes(in: $0), among: partitions) }
            groups[partition].append(encoded)
        }
        let combinedValues = Array(combined.values)
        for (index, key) in combined.keys.enumerated() { add(key, value: index) }
        let listValues = Array(lists.values)
        for (index, key) in lists.keys.enumerated() { add(key, value: combinedValues.count + index) }
        var scratch: [UInt8] = []
        return keyBytes.withUnsafeBytes { raw in
            groups.map { group in
                var blob: [UInt8] = []
                func appendValue(_ value: Value) {
                    scratch.removeAll(keepingCapacity: true)
                    value.mapReduceEncode(into: &scratch)
                    ShuffleBlob.appendFramed(scratch, to: &blob)
                }
                for key in group.sorted(by: { ShuffleBlob.compare($0.bytes(in: raw), $1.bytes(in: raw)) < 0 }) {
                    ShuffleBlob.appendFramed(key.bytes(in: raw), to: &blob)
                    if key.value < combinedValues.count {
                        Varint.append(unsigned: 1, to: &blob)
                        appendValue(combinedValues[key.value])
                    } else {
                        let values = listValues[key.value - combinedValues.count]
                        Varint.append(unsigned: UInt64(values.count), to: &blob)
                        for value in values { appendValue(value) }
                    }
                }
                return blob
            }
        }
    }
}

/// A key encoded in a shared buffer (`MapOutput.blobs`): its bytes' range there and where its
/// values are.
private struct EncodedKey {
    var start: Int
    var end: Int
    var value: Int

    @inline(__always)
    func bytes(in buffer: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[start..<end])
    }
}

extension MapReduceJob {
    /// Runs `map` over `split` (its JSON) and returns one intermediate blob per partition.
    func runMap(split encoded: [UInt8], partitions: Int, context: MapReduceInputContext) async throws -> MapTaskOutput {
        let split: Split
        do {
            split = try TaskCoding.decode(Split.self, from: encoded)
        } catch {
            throw MapReduceError.undecodable("the split of job \(name) as \(Split.self): \(error)")
        }
        var output = MapOutput<Key, Value>(combine: combine)
        try await map(split, context, &output)
        return MapTaskOutput(blobs: output.blobs(partitions: partitions, partitioner: partitioner), bytesIn: split.byteCount,
                             records: output.emitted)
    }

    /// Merges the intermediate blobs of one partition (each sorted by key bytes), reduces each
    /// key (in key-byte order) and returns the output blob. With a combiner each key's values
    /// are folded first, in the blobs' order; without, `reduce` gets them all in that order.
    func runReduce(blobs: [[UInt8]]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(blobs.reduce(0) { $0 + $1.count })
        var scratch: [UInt8] = []
        var values: [Value] = []
        try ShuffleBlob.mergeGroups(blobs) { keyBytes, encodedValues in
            values.removeAll(keepingCapacity: true)
            for encoded in encodedValues { values.append(try Value(mapReduceBytes: encoded)) }
            if let combine, values.count > 1 {
                let folded = values.dropFirst().reduce(values[0], combine)
                values.removeAll(keepingCapacity: true)
                values.append(folded)
            }
            scratch.removeAll(keepingCapacity: true)
            try reduce(try Key(mapReduceBytes: keyBytes), values).mapReduceEncode(into: &scratch)
            ShuffleBlob.appendFramed(keyBytes, to: &out)
            ShuffleBlob.appendFramed(scratch, to: &out)
        }
        return out
    }
}

/// What one map attempt produced.
struct MapTaskOutput: Sendable {
    /// One intermediate blob per partition.
    var blobs: [[UInt8]]
    /// The split's size, as far as it is known.
    var bytesIn: Int64
    /// How many pairs map emitted.
    var records: Int
}
