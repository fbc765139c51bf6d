/// RDB lengths and strings, as Redis writes them in RDB files and DUMP payloads: a length is
/// 6, 14, 32 or 64 bits by its two top bits; a string is a length and bytes, a small integer
/// (`0xC0`-`0xC2`), or an LZF blob (`0xC3`, compressed length, original length, data).
public enum RDBString {
    /// The RDB version Redis 7.0 writes (and the highest it reads).
    public static let version: UInt16 = 10

    /// Appends `length` in Redis's `rdbSaveLen` encoding.
    public static func appendLength(_ length: Int, to out: inout [UInt8]) {
        let n = UInt64(length)
        if n < 1 << 6 {
            out.append(UInt8(n))
        } else if n < 1 << 14 {
            out.append(0x40 | UInt8(n >> 8))
            out.append(UInt8(n & 0xff))
        } else if n <= UInt64(UInt32.max) {
            out.append(0x80)
            for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: n >> UInt64(shift))) }
        } else {
            out.append(0x81)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: n >> UInt64(shift))) }
        }
    }

    /// Appends `s` as Redis's `rdbSaveRawString` does: as an integer when it is the canonical
    /// text of one that fits 32 bits, LZF-compressed when `compress` is on, it is longer than 20
    /// bytes and compression saves at least 4 bytes, else verbatim.
    public static func appendString(_ s: [UInt8], to out: inout [UInt8], compress: Bool = true) {
        if s.count <= 11, let encoded = integerEncoding(s) {
            out.append(contentsOf: encoded)
            return
        }
        if compress && s.count > 20, let packed = LZF.compress(s, limit: s.count - 4) {
            out.append(0xC3)
            appendLength(packed.count, to: &out)
            appendLength(s.count, to: &out)
            out.append(contentsOf: packed)
            return
        }
        appendLength(s.count, to: &out)
        out.append(contentsOf: s)
    }

    /// Redis's `rdbTryIntegerEncoding`: the 2-, 3- or 5-byte form of a string that is exactly the
    /// decimal text of an integer in the 32-bit range.
    static func integerEncoding(_ s: [UInt8]) -> [UInt8]? {
        guard !s.isEmpty, let value = Int64(String(decoding: s, as: UTF8.self)),
              Array(String(value).utf8) == s else { return nil }
        if value >= Int64(Int8.min) && value <= Int64(Int8.max) {
            return [0xC0, UInt8(truncatingIfNeeded: value)]
        }
        if value >= Int64(Int16.min) && value <= Int64(Int16.max) {
            return [0xC1, UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8)]
        }
        if value >= Int64(Int32.min) && value <= Int64(Int32.max) {
            return [0xC2] + (0..<4).map { UInt8(truncatingIfNeeded: value >> Int64($0 * 8)) }
        }
        return nil
    }

    /// Reads RDB values from a buffer; every read returns nil at the end of the buffer or on a
    /// malformed value, like Redis's loaders failing.
    public struct Reader {
        /// The bytes read.
        public let bytes: [UInt8]
        /// The offset of the next byte to read.
        public var position: Int

        /// A reader at the start of `bytes`.
        public init(_ bytes: [UInt8]) {
            self.bytes = bytes
            position = 0
        }

        /// One byte (an opcode or type).
        public mutating func byte() -> UInt8? {
            guard position < bytes.count else { return nil }
            defer { position += 1 }
            return bytes[position]
        }

        private mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
            guard count >= 0, count <= bytes.count - position else { return nil }
            defer { position += count }
            return bytes[position..<(position + count)]
        }

        /// A length (`rdbLoadLenByRef`); `encoded` marks a special string encoding, whose number
        /// is then `value`.
        public mutating func length() -> (value: UInt64, encoded: Bool)? {
            guard let first = byte() else { return nil }
            switch first >> 6 {
            case 0: return (UInt64(first & 0x3f), false)
            case 1:
                guard let second = byte() else { return nil }
                return (UInt64(first & 0x3f) << 8 | UInt64(second), false)
            case 3: return (UInt64(first & 0x3f), true)
            default:
                let width: Int
                switch first {
                case 0x80: width = 4
                case 0x81: width = 8
                default: return nil
                }
                guard let raw = take(width) else { return nil }
                return (raw.reduce(0) { $0 << 8 | UInt64($1) }, false)
            }
        }

        /// A plain length, ignoring the encoded marker as Redis's `rdbLoadLen` does.
        public mutating func plainLength() -> UInt64? { length()?.value }

        /// A string (`rdbGenericLoadStringObject`): verbatim, integer-encoded (given back as its
        /// decimal text) or LZF-compressed.
        public mutating func string() -> [UInt8]? {
            guard let (len, encoded) = length() else { return nil }
            if !encoded {
                guard len <= UInt64(Int.max), let raw = take(Int(len)) else { return nil }
                return Array(raw)
            }
            switch len {
            case 0, 1, 2:
                let width = 1 << Int(len)
                guard let raw = take(width) else { return nil }
                var value: Int64
                switch width {
                case 1: value = Int64(Int8(bitPattern: raw[raw.startIndex]))
                case 2: value = Int64(Int16(bitPattern: UInt16(raw[raw.startIndex]) | UInt16(raw[raw.startIndex + 1]) << 8))
                default:
                    let u = raw.reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                    value = Int64(Int32(bitPattern: u))
                }
                return Array(String(value).utf8)
            case 3:
                guard let compressed = plainLength(), let original = plainLength(),
                      compressed <= UInt64(Int.max), original <= UInt64(Int.max),
                      let packed = take(Int(compressed)) else { return nil }
                // Redis compares lzf_decompress's count (0 on failure) with the stored length.
                let plain = LZF.decompress(packed, limit: Int(original)) ?? []
                guard plain.count == Int(original) else { return nil }
                return plain
            default:
                return nil
            }
        }
    }
}
