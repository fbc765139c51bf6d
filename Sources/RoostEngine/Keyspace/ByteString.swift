import NIOCore

/// An immutable byte string: the type of keys, and of values inside data types.
///
/// Keys and values are bytes, never `String`. The representation is private so that it can
/// become more compact without touching the command families.
public struct ByteString: Hashable, Sendable, Comparable, CustomStringConvertible {
    var storage: [UInt8]

    public init(_ bytes: [UInt8]) { storage = bytes }
    public init<S: Sequence>(bytes: S) where S.Element == UInt8 { storage = Array(bytes) }
    public init(_ buffer: ByteBuffer) {
        storage = buffer.withUnsafeReadableBytes { Array($0) }
    }
    /// The UTF-8 bytes of `string`.
    public init(_ string: String) { storage = Array(string.utf8) }

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }
    /// The bytes, as an array.
    public var bytes: [UInt8] { storage }

    
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes(body)
    }

    
    public func hash(into hasher: inout Hasher) {
        storage.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    
    public static func == (lhs: ByteString, rhs: ByteString) -> Bool {
        lhs.storage.count == rhs.storage.count && lhs.storage.withUnsafeBytes { a in
            rhs.storage.withUnsafeBytes { b in a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 }
        }
    }

    /// Byte-wise comparison, as Redis's `memcmp`-based ordering.
    
    public static func < (lhs: ByteString, rhs: ByteString) -> Bool {
        lhs.storage.lexicographicallyPrecedes(rhs.storage)
    }

    public var description: String { String(decoding: storage, as: UTF8.self) }
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
