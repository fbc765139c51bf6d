/// The one MapReduce job, `roost.dataset`, that runs every stage of every `Dataset` plan by
/// the names of its functions (see `Dataflow` for how plans become stages).
///
/// Keys and values are bytes. A key starts with a header the partitioner and reduce read:
/// `partition` (4 bytes, big-endian: map chooses the partition itself, by hash or by range),
/// the operation (1 byte), the framed name of its function (empty when it has none), then the
/// operation's own bytes (the element key, a split index, a sort direction). Every reduce
/// output is a sequence of framed elements, so a later stage reads any stage's output alike.
enum DatasetJob {
    static let name = "roost.dataset"

    static func make(_ functions: DatasetFunctions) -> MapReduceJob<DatasetSplit, [UInt8], [UInt8], [UInt8]> {
        MapReduceJob(name, partitioner: .custom { key, partitions in
            key.count < 4 ? 0 : Int(key.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }) % partitions
        }, map: { split, context, output in
            try await DatasetMapper(functions: functions, split: split).run(context, &output)
        }, reduce: { key, values in
            try DatasetReducer(functions: functions).reduce(key, values)
        })
    }

    enum Operation: UInt8 {
        case collect, count, reduceByKey, groupByKey, join, sort, sample
    }

    static func key(partition: Int, _ operation: Operation, function: String = "", _ rest: [UInt8] = []) -> [UInt8] {
        let partition = UInt32(partition)
        var key: [UInt8] = [UInt8(partition >> 24), UInt8(truncatingIfNeeded: partition >> 16),
                            UInt8(truncatingIfNeeded: partition >> 8), UInt8(truncatingIfNeeded: partition), operation.rawValue]
        ShuffleBlob.appendFramed(Array(function.utf8), to: &key)
        key += rest
        return key
    }

    static func bigEndian(_ value: Int) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: UInt32(value) >> (24 - 8 * UInt32($0))) }
    }
}

/// The narrow steps of one stage input, run one element at a time.
struct NarrowChain {
    let steps: [NarrowBody]

    init(_ references: [DatasetFunctionReference], functions: DatasetFunctions) throws {
        steps = try references.map { try functions.narrow($0) }
    }

    /// Calls `sink` with each element (encoded) the steps make of `element`.
    func run(_ element: [UInt8], _ sink: ([UInt8]) throws -> Void) throws {
        guard let first = steps.first else { return try sink(element) }
        try apply(0, try element.withUnsafeBytes { try first.decode($0) }, sink)
    }

    private func apply(_ index: Int, _ value: Any, _ sink: ([UInt8]) throws -> Void) throws {
        let step = steps[index]
        try step.apply(value) { output in
            if index + 1 < steps.count { try apply(index + 1, output, sink) } else { try sink(try step.encode(output)) }
        }
    }
}

/// The map side of a stage: read the split, run the input's narrow steps, emit for the stage's operation.
struct DatasetMapper {
    let functions: DatasetFunctions
    let split: DatasetSplit

    func run(_ context: MapReduceInputContext, _ output: inout MapOutput<[UInt8], [UInt8]>) async throws {
        let chain = try NarrowChain(split.stage.inputs[split.input].narrow, functions: functions)
        let partitions = split.stage.partitions
        func hashed(_ key: [UInt8]) -> Int { key.withUnsafeBytes { Int(MapReducePartitioner.fnv1a($0) % UInt64(partitions)) } }
        switch split.stage.operation {
        case .collect(let limit):
            var list: [UInt8] = []
            var count = 0
            try await read(context, chain) { element in
                guard count < limit ?? .max else { return }
                ShuffleBlob.appendFramed(element, to: &list)
                count += 1
            }
            let partition = split.index * partitions / max(split.count, 1)
            output.emit(DatasetJob.key(partition: partition, .collect, DatasetJob.bigEndian(split.index)), list)
        case .count:
            var count = 0
            try await read(context, chain) { _ in count += 1 }
            var bytes: [UInt8] = []
            count.mapReduceEncode(into: &bytes)
            output.emit(DatasetJob.key(partition: 0, .count), bytes)
        case .reduceByKey(let reference):
            let reducer = try functions.reducer(named: reference.name, signature: reference.signature)
            var folded: [[UInt8]: Any] = [:]
            try await readPairs(context, chain) { key, value in
                let value = try reducer.decode(value)
                if let index = folded.index(forKey: key) {
                    folded.values[index] = try reducer.combine(folded.values[index], value)
                } else {
                    folded[key] = value
                }
            }
            for (key, value) in folded {
                output.emit(DatasetJob.key(partition: hashed(key), .reduceByKey, function: reference.name, key), try reducer.encode(value))
            }
        case .groupByKey:
            var pairs: [([UInt8], [UInt8])] = []
            try await readPairs(context, chain) { key, value in pairs.append((key, Array(value))) }
            for (key, value) in pairs { output.emit(DatasetJob.key(partition: hashed(key), .groupByKey, key), value) }
        case .join:
            var pairs: [([UInt8], [UInt8])] = []
            try await readPairs(context, chain) { key, value in pairs.append((key, [UInt8(split.input)] + value)) }
            for (key, value) in pairs { output.emit(DatasetJob.key(partition: hashed(key), .join, key), value) }
        case .sort(let reference, let ascending, let boundaries):
            let route = try functions.sortKey(named: reference.name, signature: reference.signature).router(boundaries, ascending, partitions)
            var elements: [[UInt8]] = []
            try await read(context, chain) { elements.append($0) }
            for element in elements {
                let partition = try element.withUnsafeBytes { try route($0) }
                output.emit(DatasetJob.key(partition: partition, .sort, function: reference.name, [ascending ? 1 : 0]), element)
            }
        case .sample(let reference, let perSplit, let sampled):
            let sortKey = try functions.sortKey(named: reference.name, signature: reference.signature)
            // A reservoir sample, seeded by the split: the same keys on every attempt.
            var generator = SplitMix(seed: UInt64(split.index))
            var reservoir: [[UInt8]] = []
            var seen = 0
            try await read(context, chain) { element in
                seen += 1
                if reservoir.count < perSplit {
                    reservoir.append(element)
                } else {
                    let slot = Int(generator.next() % UInt64(seen))
                    if slot < perSplit { reservoir[slot] = element }
                }
            }
            var rest: [UInt8] = []
            sampled.mapReduceEncode(into: &rest)
            for element in reservoir {
                output.emit(DatasetJob.key(partition: 0, .sample, function: reference.name, rest), try element.withUnsafeBytes { try sortKey.key($0) })
            }
        }
    }

    /// Reads the split through `chain`, handing each resulting element to `body`.
    private func read(_ context: MapReduceInputContext, _ chain: NarrowChain, _ body: ([UInt8]) throws -> Void) async throws {
        try await split.read(context) { element in try chain.run(element, body) }
    }

    /// Reads the split's pairs through `chain`: each element's key bytes and value bytes.
    private func readPairs(_ context: MapReduceInputContext, _ chain: NarrowChain,
                           _ body: ([UInt8], UnsafeRawBufferPointer) throws -> Void) async throws {
        try await read(context, chain) { element in
            try element.withUnsafeBytes { bytes in
                let (key, value) = try DatasetCoding.split(bytes)
                try body(Array(key), value)
            }
        }
    }
}

/// The reduce side of a stage: one key's values to a sequence of framed elements.
struct DatasetReducer {
    let functions: DatasetFunctions

    func reduce(_ key: [UInt8], _ values: [[UInt8]]) throws -> [UInt8] {
        guard key.count > 4, let operation = DatasetJob.Operation(rawValue: key[4]) else {
            throw DatasetError.undecodable("a dataset shuffle key without its header")
        }
        var offset = 5
        let (function, rest) = try key.withUnsafeBytes { bytes in
            (String(decoding: try ShuffleBlob.readFramed(bytes, at: &offset), as: UTF8.self), Array(bytes[offset...]))
        }
        var out: [UInt8] = []
        switch operation {
        case .collect:
            for value in values { out += value }
        case .count:
            let total = try values.reduce(0) { sum, value in sum + (try value.withUnsafeBytes { try Int(mapReduceBytes: $0) }) }
            var bytes: [UInt8] = []
            total.mapReduceEncode(into: &bytes)
            ShuffleBlob.appendFramed(bytes, to: &out)
        case .reduceByKey:
            let reducer = try functions.reducer(named: function)
            guard var folded = try values.first.map({ first in try first.withUnsafeBytes { try reducer.decode($0) } }) else { return [] }
            for value in values.dropFirst() { folded = try reducer.combine(folded, try value.withUnsafeBytes { try reducer.decode($0) }) }
            var pair: [UInt8] = []
            ShuffleBlob.appendFramed(rest, to: &pair)
            pair += try reducer.encode(folded)
            ShuffleBlob.appendFramed(pair, to: &out)
        case .groupByKey:
            var pair: [UInt8] = []
            ShuffleBlob.appendFramed(rest, to: &pair)
            for value in values { ShuffleBlob.appendFramed(value, to: &pair) }
            ShuffleBlob.appendFramed(pair, to: &out)
        case .join:
            let left = values.filter { $0.first == 0 }.map { $0.dropFirst() }
            let right = values.filter { $0.first == 1 }.map { $0.dropFirst() }
            for leftValue in left {
                for rightValue in right {
                    var pair: [UInt8] = []
                    ShuffleBlob.appendFramed(rest, to: &pair)
                    ShuffleBlob.appendFramed(Array(leftValue), to: &pair)
                    pair += rightValue
                    ShuffleBlob.appendFramed(pair, to: &out)
                }
            }
        case .sort:
            for element in try functions.sortKey(named: function).sort(values, rest.first == 1) {
                ShuffleBlob.appendFramed(element, to: &out)
            }
        case .sample:
            let partitions = try rest.withUnsafeBytes { try Int(mapReduceBytes: $0) }
            for boundary in try functions.sortKey(named: function).boundaries(values, partitions) {
                ShuffleBlob.appendFramed(boundary, to: &out)
            }
        }
        return out
    }
}

/// SplitMix64: a small seeded generator, the same sequence in every process.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xbf58_476d_1ce4_e5b9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94d0_49bb_1331_11eb
        return mixed ^ (mixed >> 31)
    }
}
