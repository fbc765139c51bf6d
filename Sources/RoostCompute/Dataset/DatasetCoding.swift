import Foundation

/// A key and a value: the element of a keyed `Dataset` (what `reduceByKey`, `groupByKey` and
/// `join` work on).
public struct Pair<Key: Codable & Sendable, Value: Codable & Sendable>: Codable, Sendable {
    /// The key.
    public var key: Key
    /// The value.
    public var value: Value

    /// The pair of `key` and `value`.
    public init(_ key: Key, _ value: Value) {
        self.key = key
        self.value = value
    }
}

extension Pair: Equatable where Key: Equatable, Value: Equatable {}
extension Pair: Hashable where Key: Hashable, Value: Hashable {}

/// The two values `join` found for one key: one from each side (`join` makes them).
public struct Joined<Left: Codable & Sendable, Right: Codable & Sendable>: Codable, Sendable {
    /// The value of the dataset `join` was called on.
    public var left: Left
    /// The value of the other dataset.
    public var right: Right
}

extension Joined: Equatable where Left: Equatable, Right: Equatable {}
extension Joined: Hashable where Left: Hashable, Right: Hashable {}

/// A type whose dataset bytes are built from its parts' bytes, so a worker can take a pair
/// apart (or build one) without knowing the parts' types.
protocol DatasetStructural {
    func datasetEncode(into bytes: inout [UInt8])
    static func datasetDecode(_ bytes: UnsafeRawBufferPointer) throws -> Self
}

/// A value of two parts, encoded as `len first` then the second part's bytes.
protocol DatasetTwoParts: DatasetStructural {
    associatedtype First: Codable & Sendable
    associatedtype Second: Codable & Sendable
    var parts: (First, Second) { get }
    init(parts: (First, Second))
}

extension DatasetTwoParts {
    func datasetEncode(into bytes: inout [UInt8]) {
        ShuffleBlob.appendFramed(DatasetCoding.encode(parts.0), to: &bytes)
        DatasetCoding.encode(parts.1, into: &bytes)
    }

    static func datasetDecode(_ bytes: UnsafeRawBufferPointer) throws -> Self {
        let (first, rest) = try DatasetCoding.split(bytes)
        return Self(parts: (try DatasetCoding.decode(First.self, from: first), try DatasetCoding.decode(Second.self, from: rest)))
    }
}

extension Pair: DatasetTwoParts {
    var parts: (Key, Value) { (key, value) }
    init(parts: (Key, Value)) { self.init(parts.0, parts.1) }
}

extension Joined: DatasetTwoParts {
    var parts: (Left, Right) { (left, right) }
    init(parts: (Left, Right)) { self.init(left: parts.0, right: parts.1) }
}

/// `len element` after `len element` (the groups of `groupByKey`).
extension Array: DatasetStructural where Element: Codable {
    func datasetEncode(into bytes: inout [UInt8]) {
        for element in self { ShuffleBlob.appendFramed(DatasetCoding.encode(element), to: &bytes) }
    }

    static func datasetDecode(_ bytes: UnsafeRawBufferPointer) throws -> [Element] {
        try DatasetCoding.elements(bytes).map { try $0.withUnsafeBytes { try DatasetCoding.decode(Element.self, from: $0) } }
    }
}

/// How a dataset's elements, keys and values travel as bytes. `MapReduceCodable` types use their
/// compact bytes (strings their UTF-8, integers a varint, byte arrays themselves); `Pair`,
/// `Joined` and arrays are built from their parts' bytes; any other `Codable` value is JSON
/// with sorted keys. Keys must encode deterministically (equal keys give equal bytes), so a key
/// type should not hold a `Set` or a `Dictionary`.
enum DatasetCoding {
    static func encode<Value: Codable>(_ value: Value) -> [UInt8] {
        var bytes: [UInt8] = []
        encode(value, into: &bytes)
        return bytes
    }

    static func encode<Value: Codable>(_ value: Value, into bytes: inout [UInt8]) {
        if let compact = value as? any MapReduceCodable {
            compact.mapReduceEncode(into: &bytes)
        } else if let structural = value as? any DatasetStructural {
            structural.datasetEncode(into: &bytes)
        } else {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            // A `Codable` value that cannot encode is a programming error in its `encode(to:)`.
            guard let data = try? encoder.encode(value) else { preconditionFailure("\(Value.self) does not encode as JSON") }
            bytes.append(contentsOf: data)
        }
    }

    static func decode<Value: Codable>(_ type: Value.Type, from bytes: UnsafeRawBufferPointer) throws -> Value {
        if let compact = Value.self as? any MapReduceCodable.Type {
            return try compact.init(mapReduceBytes: bytes) as! Value  // the same type, opened
        }
        if let structural = Value.self as? any DatasetStructural.Type {
            return try structural.datasetDecode(bytes) as! Value  // the same type, opened
        }
        do {
            return try JSONDecoder().decode(Value.self, from: Data(bytes))
        } catch {
            throw DatasetError.undecodable("\(Value.self): \(error)")
        }
    }

    static func decode<Value: Codable>(_ type: Value.Type, from bytes: [UInt8]) throws -> Value {
        try bytes.withUnsafeBytes { try decode(type, from: $0) }
    }

    /// A pair's bytes cut into its key's and its value's.
    static func split(_ bytes: UnsafeRawBufferPointer) throws -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer) {
        var offset = 0
        let first = try ShuffleBlob.readFramed(bytes, at: &offset)
        return (first, UnsafeRawBufferPointer(rebasing: bytes[offset...]))
    }

    /// The framed byte strings of `bytes`, in order.
    static func elements(_ bytes: UnsafeRawBufferPointer) throws -> [[UInt8]] {
        var offset = 0
        var result: [[UInt8]] = []
        while offset < bytes.count { result.append(Array(try ShuffleBlob.readFramed(bytes, at: &offset))) }
        return result
    }

    static func elements(_ bytes: [UInt8]) throws -> [[UInt8]] {
        try bytes.withUnsafeBytes { try elements($0) }
    }
}
