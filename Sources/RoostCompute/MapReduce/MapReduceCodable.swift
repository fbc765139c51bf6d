import Foundation

/// A key, value or output of a MapReduce job, as the bytes that travel between map and reduce
/// tasks (and the bytes a stable partitioner hashes).
///
/// Byte arrays, strings and integers encode compactly (the bytes themselves; a zigzag varint);
/// any other `Codable` type conforms with an empty extension and encodes as JSON with sorted
/// keys, so equal values give equal bytes:
///
///     struct Point: Codable, Hashable, MapReduceCodable { var x, y: Int }
///
/// Keys must encode injectively (equal keys ⇔ equal bytes): the shuffle groups and sorts keys
/// by their bytes.
public protocol MapReduceCodable: Sendable {
    /// Appends the value's bytes to `bytes`.
    func mapReduceEncode(into bytes: inout [UInt8])
    /// The value whose bytes are exactly `bytes`.
    /// - Throws: `MapReduceError.undecodable` when they are not such a value.
    init(mapReduceBytes bytes: UnsafeRawBufferPointer) throws
}

extension MapReduceCodable where Self: Codable {
    /// JSON with sorted keys.
    public func mapReduceEncode(into bytes: inout [UInt8]) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // A `Codable` value that cannot encode is a programming error in its `encode(to:)`.
        guard let data = try? encoder.encode(self) else { preconditionFailure("\(Self.self) does not encode as JSON") }
        bytes.append(contentsOf: data)
    }

    /// Decodes JSON.
    public init(mapReduceBytes bytes: UnsafeRawBufferPointer) throws {
        do {
            self = try JSONDecoder().decode(Self.self, from: Data(bytes))
        } catch {
            throw MapReduceError.undecodable("\(Self.self): \(error)")
        }
    }
}

extension Array: MapReduceCodable where Element == UInt8 {
    /// The bytes themselves.
    public func mapReduceEncode(into bytes: inout [UInt8]) { bytes.append(contentsOf: self) }
    /// The bytes themselves.
    public init(mapReduceBytes bytes: UnsafeRawBufferPointer) { self.init(bytes) }
}

extension String: MapReduceCodable {
    /// The UTF-8 bytes.
    public func mapReduceEncode(into bytes: inout [UInt8]) { bytes.append(contentsOf: utf8) }
    /// The UTF-8 bytes (invalid sequences become U+FFFD).
    public init(mapReduceBytes bytes: UnsafeRawBufferPointer) { self = String(decoding: bytes, as: UTF8.self) }
}

extension Int: MapReduceCodable {
    /// A zigzag varint.
    public func mapReduceEncode(into bytes: inout [UInt8]) { Varint.append(Int64(self), to: &bytes) }
    /// A zigzag varint.
    public init(mapReduceBytes bytes: UnsafeRawBufferPointer) throws { self = Int(try Varint.decodeWhole(bytes)) }
}

extension Int64: MapReduceCodable {
    /// A zigzag varint.
    public func mapReduceEncode(into bytes: inout [UInt8]) { Varint.append(self, to: &bytes) }
    /// A zigzag varint.
    public init(mapReduceBytes bytes: UnsafeRawBufferPointer) throws { self = try Varint.decodeWhole(bytes) }
}

extension Double: MapReduceCodable {
    /// The IEEE 754 bits, little-endian.
    public func mapReduceEncode(into bytes: inout [UInt8]) {
        let bits = bitPattern
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
    }

    /// The IEEE 754 bits, little-endian.
    public init(mapReduceBytes bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count == 8 else { throw MapReduceError.undecodable("a Double takes 8 bytes, not \(bytes.count)") }
        self = Double(bitPattern: (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[$1]) << UInt64(8 * $1) })
    }
}

/// LEB128 varints (unsigned lengths, zigzag for signed values): the framing of intermediate
/// and output blobs.
enum Varint {
    static func append(unsigned value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    static func append(_ value: Int64, to bytes: inout [UInt8]) {
        append(unsigned: UInt64(bitPattern: (value << 1) ^ (value >> 63)), to: &bytes)
    }

    /// Reads an unsigned varint at `offset`, advancing it.
    static func read(_ bytes: UnsafeRawBufferPointer, at offset: inout Int) throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while offset < bytes.count {
            let byte = bytes[offset]
            offset += 1
            value |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { return value }
            shift += 7
            if shift > 63 { break }
        }
        throw MapReduceError.undecodable("a truncated or overlong varint")
    }

    /// A zigzag varint that fills `bytes` exactly.
    static func decodeWhole(_ bytes: UnsafeRawBufferPointer) throws -> Int64 {
        var offset = 0
        let raw = try read(bytes, at: &offset)
        guard offset == bytes.count else { throw MapReduceError.undecodable("trailing bytes after an integer") }
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }
}
