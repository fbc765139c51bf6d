import RoostRESP

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A stream entry id: milliseconds and a sequence number, ordered as one 128-bit number.
public struct StreamID: Hashable, Comparable, Sendable {
    public var ms: UInt64
    public var seq: UInt64

    public init(ms: UInt64, seq: UInt64) {
        self.ms = ms
        self.seq = seq
    }

    public static let zero = StreamID(ms: 0, seq: 0)
    public static let max = StreamID(ms: .max, seq: .max)

    public static func < (a: StreamID, b: StreamID) -> Bool {
        a.ms != b.ms ? a.ms < b.ms : a.seq < b.seq
    }

    /// The next id (Redis's `streamIncrID`); wraps to 0-0 after the largest, which callers check.
    public var incremented: StreamID {
        if seq == .max { return ms == .max ? .zero : StreamID(ms: ms + 1, seq: 0) }
        return StreamID(ms: ms, seq: seq + 1)
    }

    /// The previous id (Redis's `streamDecrID`); wraps to the largest below 0-0.
    public var decremented: StreamID {
        if seq == 0 { return ms == 0 ? .max : StreamID(ms: ms - 1, seq: .max) }
        return StreamID(ms: ms, seq: seq - 1)
    }

    /// `ms-seq` as text.
    public var text: [UInt8] {
        var out = Array(String(ms).utf8)
        out.append(UInt8(ascii: "-"))
        out.append(contentsOf: String(seq).utf8)
        return out
    }

    /// The 16-byte big-endian form Redis uses as a radix-tree key (and RDB writes).
    var bigEndianBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: ms >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: seq >> UInt64(shift))) }
        return out
    }

    init?(bigEndian b: [UInt8]) {
        guard b.count == 16 else { return nil }
        var ms: UInt64 = 0
        var seq: UInt64 = 0
        for i in 0..<8 { ms = ms << 8 | UInt64(b[i]) }
        for i in 8..<16 { seq = seq << 8 | UInt64(b[i]) }
        self.init(ms: ms, seq: seq)
    }
}

/// A parsed id argument (Redis's `streamGenericParseIDOrReply`).
struct ParsedStreamID {
    var id: StreamID
    /// False for the `ms-*` form of XADD.
    var seqGiven: Bool
}

extension StreamID {
    /// Parses `-`, `+`, `ms` (sequence `missingSeq`) and `ms-seq`; with `strict`, `-` and `+`
    /// are refused; with `allowAutoSeq`, `ms-*` is accepted (sequence not given).
    /// - Throws: `ERR Invalid stream ID specified as stream command argument`.
    static func parse(_ bytes: [UInt8], missingSeq: UInt64 = 0, strict: Bool = false,
                      allowAutoSeq: Bool = false) throws(RedisError) -> ParsedStreamID {
        if bytes.count > 127 || bytes.contains(0) { throw .invalidStreamID }
        if bytes == [UInt8(ascii: "-")] {
            if strict { throw .invalidStreamID }
            return ParsedStreamID(id: .zero, seqGiven: true)
        }
        if bytes == [UInt8(ascii: "+")] {
            if strict { throw .invalidStreamID }
            return ParsedStreamID(id: .max, seqGiven: true)
        }
        let dash = bytes.firstIndex(of: UInt8(ascii: "-"))
        guard let ms = parseUnsigned(Array(bytes[..<(dash ?? bytes.count)])) else { throw .invalidStreamID }
        guard let dash else { return ParsedStreamID(id: StreamID(ms: ms, seq: missingSeq), seqGiven: true) }
        let rest = Array(bytes[(dash + 1)...])
        if allowAutoSeq && rest == [UInt8(ascii: "*")] {
            return ParsedStreamID(id: StreamID(ms: ms, seq: 0), seqGiven: false)
        }
        guard let seq = parseUnsigned(rest) else { throw .invalidStreamID }
        return ParsedStreamID(id: StreamID(ms: ms, seq: seq), seqGiven: true)
    }

    /// Redis's `string2ull`: a canonical non-negative 64-bit integer, else whatever C's
    /// `strtoull` accepts in full without a range error.
    static func parseUnsigned(_ bytes: [UInt8]) -> UInt64? {
        if let v = RedisInteger.parse(bytes) { return v < 0 ? nil : UInt64(v) }
        if bytes.isEmpty { return nil }
        var text = bytes
        text.append(0)
        return text.withUnsafeBufferPointer { buffer -> UInt64? in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { start in
                var end: UnsafeMutablePointer<CChar>?
                errno = 0
                let value = strtoull(start, &end, 10)
                guard errno != EINVAL && errno != ERANGE, let end, end.pointee == 0 else { return nil }
                return UInt64(value)
            }
        }
    }
}
