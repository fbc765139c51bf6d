import NIOCore

/// An immutable byte string: the type of keys, and of values inside data types.
///
/// Keys and values are bytes, never `String`. Up to 23 bytes are stored inline, with no heap
/// allocation (most keys, fields and members are that short); longer strings live in an array.
/// The representation is private so that it can change without touching the command families.
public struct ByteString: Hashable, Sendable, Comparable, CustomStringConvertible {
    enum Representation: Sendable {
        /// Bytes `0..<count` of the three words in memory order; the last byte holds the count.
        /// Unused bytes are zero, so two small strings are equal exactly when their words are.
        case small(UInt64, UInt64, UInt64)
        case large([UInt8])
    }

    /// The longest string stored inline.
    public static let inlineCapacity = 23

    var representation: Representation

    public init(_ bytes: [UInt8]) {
        if bytes.count <= Self.inlineCapacity {
            self = bytes.withUnsafeBytes { ByteString(copying: $0) }
        } else {
            representation = .large(bytes)
        }
    }

    public init<S: Sequence>(bytes: S) where S.Element == UInt8 { self.init(Array(bytes)) }

    public init(_ buffer: ByteBuffer) {
        self = buffer.withUnsafeReadableBytes { ByteString(copying: $0) }
    }

    /// The UTF-8 bytes of `string`.
    public init(_ string: String) { self.init(Array(string.utf8)) }

    /// A copy of `bytes`: inline when short enough, else in a new array.
    public init(copying bytes: UnsafeRawBufferPointer) {
        guard bytes.count <= Self.inlineCapacity else {
            representation = .large(Array(bytes))
            return
        }
        var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &words) { raw in
            if let source = bytes.baseAddress, bytes.count > 0 {
                raw.baseAddress!.copyMemory(from: source, byteCount: bytes.count)
            }
            raw[Self.inlineCapacity] = UInt8(bytes.count)
        }
        representation = .small(words.0, words.1, words.2)
    }

    public var count: Int {
        switch representation {
        case .small(_, _, let c):
            // Memory byte 23 is the last byte of the third word in memory order.
            return Int(c.littleEndian >> 56)
        case .large(let array): return array.count
        }
    }

    public var isEmpty: Bool { count == 0 }

    /// The bytes, as an array (allocates for inline strings; prefer `withUnsafeBytes`).
    public var bytes: [UInt8] {
        switch representation {
        case .small: return withUnsafeBytes { Array($0) }
        case .large(let array): return array
        }
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch representation {
        case .small(let a, let b, let c):
            var words = (a, b, c)
            let n = count
            return try Swift.withUnsafeBytes(of: &words) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        case .large(let array):
            return try array.withUnsafeBytes(body)
        }
    }

    public func hash(into hasher: inout Hasher) {
        withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    public static func == (lhs: ByteString, rhs: ByteString) -> Bool {
        switch (lhs.representation, rhs.representation) {
        case let (.small(a0, a1, a2), .small(b0, b1, b2)):
            return a0 == b0 && a1 == b1 && a2 == b2
        case let (.large(a), .large(b)):
            return a.count == b.count && a.withUnsafeBytes { x in
                b.withUnsafeBytes { y in memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 }
            }
        default:
            // A given length always has the same representation.
            return false
        }
    }

    /// Byte-wise comparison, as Redis's `memcmp`-based ordering.
    public static func < (lhs: ByteString, rhs: ByteString) -> Bool { compare(lhs, rhs) < 0 }

    /// Three-way `memcmp` order: negative, zero or positive; a proper prefix sorts first.
    public static func compare(_ lhs: ByteString, _ rhs: ByteString) -> Int {
        lhs.withUnsafeBytes { a in
            rhs.withUnsafeBytes { b in
                let common = min(a.count, b.count)
                if common > 0 {
                    let order = memcmp(a.baseAddress!, b.baseAddress!, common)
                    if order != 0 { return Int(order) }
                }
                return a.count - b.count
            }
        }
    }

    public var description: String { withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
}

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension ByteBuffer {
    /// Whether the readable bytes equal `literal`, ignoring ASCII case. `literal` must be lowercase.
    
    public func equalsCaseInsensitive(_ literal: StaticString) -> Bool {
        guard readableBytes == literal.utf8CodeUnitCount else { return false }
        return withUnsafeReadableBytes { bytes in
            let lit = literal.utf8Start
            for i in 0..<bytes.count {
                var c = bytes[i]
                if c >= 65 && c <= 90 { c |= 0x20 }
                if c != lit[i] { return false }
            }
            return true
        }
    }

    /// The readable bytes as a `ByteString`.
    public var byteString: ByteString { ByteString(self) }
    /// The readable bytes as an array.
    public var bytesArray: [UInt8] { withUnsafeReadableBytes { Array($0) } }
    /// The readable bytes decoded as UTF-8, for error messages and cold paths.
    public var text: String { String(decoding: readableBytesView, as: UTF8.self) }
}
