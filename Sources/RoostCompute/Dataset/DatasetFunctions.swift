import NIOConcurrencyHelpers

/// A named function a `Dataset` plan refers to. Closures cannot travel between processes, so a
/// plan holds only names: the driver and every worker register the same functions under the
/// same names (`DatasetFunctions`), the way a Spark program ships the same code to its executors.
///
/// The handles are `MapFunction`, `FilterFunction`, `FlatMapFunction`, `ReduceFunction` and
/// `SortKeyFunction`; each carries its function, and its types, which the worker checks.
public protocol DatasetFunction: Sendable {
    /// The function's name, unique in a registry.
    var name: String { get }
    /// The type-erased definition a registry keeps.
    var definition: DatasetFunctionDefinition { get }
}

/// A registered function with its types erased (what `DatasetFunctions` keeps by name).
public struct DatasetFunctionDefinition: Sendable {
    /// The function's name.
    public let name: String
    /// Its kind and types, as `map(Swift.String -> Swift.Int)`; a worker runs a step only when
    /// the registered function's signature is the one in the plan.
    public let signature: String
    let body: Body

    enum Body: Sendable {
        case narrow(NarrowBody)
        case reduce(ReduceBody)
        case sortKey(SortKeyBody)
    }

    var reference: DatasetFunctionReference { DatasetFunctionReference(name: name, signature: signature) }

    /// A map, filter or flatMap step: `apply` hands each output of one input to its `emit`.
    static func narrow<Input: Codable & Sendable, Output: Codable & Sendable>(
        _ name: String, _ signature: String, apply: @escaping @Sendable (Input, (Output) throws -> Void) throws -> Void
    ) -> DatasetFunctionDefinition {
        DatasetFunctionDefinition(
            name: name, signature: signature,
            body: .narrow(NarrowBody(decode: { try DatasetCoding.decode(Input.self, from: $0) },
                                     apply: { value, emit in try apply(try cast(value, name)) { try emit($0) } },
                                     encode: { DatasetCoding.encode(try cast($0, name) as Output) })))
    }
}

/// A map, filter or flatMap step: decode an element, hand on what the function made of it, encode.
struct NarrowBody: Sendable {
    let decode: @Sendable (UnsafeRawBufferPointer) throws -> Any
    let apply: @Sendable (Any, (Any) throws -> Void) throws -> Void
    let encode: @Sendable (Any) throws -> [UInt8]
}

/// A reducer of `reduceByKey`: decode a value, fold two values, encode the folded value.
struct ReduceBody: Sendable {
    let decode: @Sendable (UnsafeRawBufferPointer) throws -> Any
    let combine: @Sendable (Any, Any) throws -> Any
    let encode: @Sendable (Any) throws -> [UInt8]
}

/// A sort key of `sortBy`, with what range partitioning needs of it.
struct SortKeyBody: Sendable {
    /// An element's encoded key (for the sample).
    let key: @Sendable (UnsafeRawBufferPointer) throws -> [UInt8]
    /// `partitions - 1` boundaries (encoded keys) cutting a sample of encoded keys into equal shares.
    let boundaries: @Sendable (_ sample: [[UInt8]], _ partitions: Int) throws -> [[UInt8]]
    /// The partition function for `boundaries`: the number of boundaries below the element's
    /// key (from the last partition down, descending).
    let router: @Sendable (_ boundaries: [[UInt8]], _ ascending: Bool, _ partitions: Int) throws
        -> @Sendable (UnsafeRawBufferPointer) throws -> Int
    /// Elements sorted by key, equal keys by their bytes.
    let sort: @Sendable (_ elements: [[UInt8]], _ ascending: Bool) throws -> [[UInt8]]
}

/// What a plan stores of a function: its name and signature.
struct DatasetFunctionReference: Codable, Hashable, Sendable {
    var name: String
    var signature: String
}

private func typeName(_ type: Any.Type) -> String { String(reflecting: type) }

/// Casts a value a worker decoded to the type its function takes.
private func cast<Value>(_ value: Any, _ name: String) throws -> Value {
    guard let value = value as? Value else {
        throw DatasetError.signatureMismatch(name: name, expected: typeName(Value.self), registered: typeName(type(of: value)))
    }
    return value
}

/// `(Input) throws -> Output`, applied to each element by `Dataset.map`.
///
///     static let parse = MapFunction("parse") { (line: String) in Record(line) }
public struct MapFunction<Input: Codable & Sendable, Output: Codable & Sendable>: DatasetFunction {
    /// The function's name.
    public let name: String
    /// The type-erased definition.
    public let definition: DatasetFunctionDefinition

    /// The function `body` under `name`.
    public init(_ name: String, _ body: @escaping @Sendable (Input) throws -> Output) {
        self.name = name
        definition = .narrow(name, "map(\(typeName(Input.self)) -> \(typeName(Output.self)))") { (input: Input, emit: (Output) throws -> Void) in
            try emit(body(input))
        }
    }
}

/// `(Element) throws -> Bool`, the elements `Dataset.filter` keeps.
public struct FilterFunction<Element: Codable & Sendable>: DatasetFunction {
    /// The function's name.
    public let name: String
    /// The type-erased definition.
    public let definition: DatasetFunctionDefinition

    /// The predicate `body` under `name`.
    public init(_ name: String, _ body: @escaping @Sendable (Element) throws -> Bool) {
        self.name = name
        definition = .narrow(name, "filter(\(typeName(Element.self)))") { (element: Element, emit: (Element) throws -> Void) in
            if try body(element) { try emit(element) }
        }
    }
}

/// `(Input) throws -> [Output]`, whose results `Dataset.flatMap` concatenates.
public struct FlatMapFunction<Input: Codable & Sendable, Output: Codable & Sendable>: DatasetFunction {
    /// The function's name.
    public let name: String
    /// The type-erased definition.
    public let definition: DatasetFunctionDefinition

    /// The function `body` under `name`.
    public init(_ name: String, _ body: @escaping @Sendable (Input) throws -> [Output]) {
        self.name = name
        definition = .narrow(name, "flatMap(\(typeName(Input.self)) -> [\(typeName(Output.self))])") {
            (input: Input, emit: (Output) throws -> Void) in
            for output in try body(input) { try emit(output) }
        }
    }
}

/// `(Value, Value) throws -> Value`, which `Dataset.reduceByKey` folds each key's values with.
/// It must be associative and commutative: values are folded on the map side first, in no
/// particular order.
public struct ReduceFunction<Value: Codable & Sendable>: DatasetFunction {
    /// The function's name.
    public let name: String
    /// The type-erased definition.
    public let definition: DatasetFunctionDefinition

    /// The reducer `body` under `name`.
    public init(_ name: String, _ body: @escaping @Sendable (Value, Value) throws -> Value) {
        self.name = name
        definition = DatasetFunctionDefinition(
            name: name, signature: "reduce(\(typeName(Value.self)))",
            body: .reduce(ReduceBody(decode: { try DatasetCoding.decode(Value.self, from: $0) },
                                     combine: { try body(try cast($0, name), try cast($1, name)) },
                                     encode: { DatasetCoding.encode(try cast($0, name) as Value) })))
    }
}

/// `(Element) throws -> Key`, the key `Dataset.sortBy` orders elements by.
public struct SortKeyFunction<Element: Codable & Sendable, Key: Comparable & Codable & Sendable>: DatasetFunction {
    /// The function's name.
    public let name: String
    /// The type-erased definition.
    public let definition: DatasetFunctionDefinition

    /// The key function `body` under `name`.
    public init(_ name: String, _ body: @escaping @Sendable (Element) throws -> Key) {
        self.name = name
        let key: @Sendable (UnsafeRawBufferPointer) throws -> Key = { try body(try DatasetCoding.decode(Element.self, from: $0)) }
        definition = DatasetFunctionDefinition(
            name: name, signature: "sortKey(\(typeName(Element.self)) -> \(typeName(Key.self)))",
            body: .sortKey(SortKeyBody(
                key: { DatasetCoding.encode(try key($0)) },
                boundaries: { sample, partitions in
                    let keys = try sample.map { try DatasetCoding.decode(Key.self, from: $0) }.sorted()
                    guard !keys.isEmpty else { return [] }
                    return (1..<max(partitions, 1)).map { DatasetCoding.encode(keys[$0 * keys.count / partitions]) }
                },
                router: { encoded, ascending, partitions in
                    let boundaries = try encoded.map { try DatasetCoding.decode(Key.self, from: $0) }
                    return { element in
                        let key = try key(element)
                        // The number of boundaries below `key`: monotonic in the key.
                        var low = 0
                        var high = boundaries.count
                        while low < high {
                            let middle = (low + high) / 2
                            if boundaries[middle] < key { low = middle + 1 } else { high = middle }
                        }
                        return ascending ? low : partitions - 1 - low
                    }
                },
                sort: { elements, ascending in
                    let keyed = try elements.map { element in (key: try element.withUnsafeBytes { try key($0) }, bytes: element) }
                    return keyed.sorted { lhs, rhs in
                        if lhs.key != rhs.key { return ascending ? lhs.key < rhs.key : rhs.key < lhs.key }
                        return lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
                    }.map(\.bytes)
                })))
    }
}

/// The dataset functions a process can run, by name: the driver checks a plan against it before
/// submitting, and a worker runs the plan's steps with it. Driver and workers register the same
/// functions (the same code) under the same names.
///
///     enum WordCount {
///         static let words = FlatMapFunction("words") { (line: String) in line.split(separator: " ").map(String.init) }
///         static let one = MapFunction("one") { (word: String) in Pair(word, 1) }
///         static let sum = ReduceFunction("sum") { (a: Int, b: Int) in a + b }
///     }
///     let functions = DatasetFunctions(WordCount.words, WordCount.one, WordCount.sum)
///     registry.register(functions)                           // in worker processes
public final class DatasetFunctions: Sendable {
    private let definitions = NIOLockedValueBox<[String: DatasetFunctionDefinition]>([:])

    /// A registry of `functions`.
    public init(_ functions: any DatasetFunction...) {
        register(functions)
    }

    /// Registers `functions` (replacing earlier functions of the same names).
    public func register(_ functions: any DatasetFunction...) {
        register(functions)
    }

    /// Registers `functions` (replacing earlier functions of the same names).
    public func register(_ functions: [any DatasetFunction]) {
        definitions.withLockedValue { table in
            for function in functions { table[function.name] = function.definition }
        }
    }

    /// The names registered, sorted.
    public var registered: [String] { definitions.withLockedValue { $0.keys.sorted() } }

    /// The definition `reference` names, checked to have its signature.
    /// - Throws: `DatasetError.unknownFunction`, `.signatureMismatch`.
    func definition(_ reference: DatasetFunctionReference) throws -> DatasetFunctionDefinition {
        guard let definition = definitions.withLockedValue({ $0[reference.name] }) else {
            throw DatasetError.unknownFunction(name: reference.name)
        }
        guard definition.signature == reference.signature else {
            throw DatasetError.signatureMismatch(name: reference.name, expected: reference.signature, registered: definition.signature)
        }
        return definition
    }

    /// The definition named `name`, whatever its signature (the reduce side, whose map side checked it).
    /// - Throws: `DatasetError.unknownFunction`.
    func definition(named name: String) throws -> DatasetFunctionDefinition {
        guard let definition = definitions.withLockedValue({ $0[name] }) else { throw DatasetError.unknownFunction(name: name) }
        return definition
    }

    func narrow(_ reference: DatasetFunctionReference) throws -> NarrowBody {
        guard case .narrow(let body) = try definition(reference).body else { throw Self.mismatch(reference.name, "a map, filter or flatMap") }
        return body
    }

    /// The reducer `name`, checked to have `signature` when it is given (the map side; the
    /// reduce side trusts the map side's check).
    func reducer(named name: String, signature: String? = nil) throws -> ReduceBody {
        guard case .reduce(let body) = try body(name, signature) else { throw Self.mismatch(name, "a reducer") }
        return body
    }

    /// The sort key `name`, checked to have `signature` when it is given.
    func sortKey(named name: String, signature: String? = nil) throws -> SortKeyBody {
        guard case .sortKey(let body) = try body(name, signature) else { throw Self.mismatch(name, "a sort key") }
        return body
    }

    private func body(_ name: String, _ signature: String?) throws -> DatasetFunctionDefinition.Body {
        guard let signature else { return try definition(named: name).body }
        return try definition(DatasetFunctionReference(name: name, signature: signature)).body
    }

    private static func mismatch(_ name: String, _ expected: String) -> DatasetError {
        DatasetError.signatureMismatch(name: name, expected: expected, registered: "another kind")
    }
}

extension MapReduceRegistry {
    /// Registers the job that runs `Dataset` stages (`roost.dataset`) with `functions`: a worker
    /// with it runs the stages of any plan whose functions `functions` has.
    public func register(_ functions: DatasetFunctions) {
        register(DatasetJob.make(functions))
    }
}
