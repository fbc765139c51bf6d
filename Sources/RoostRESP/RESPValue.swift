import NIOCore

/// A decoded RESP2 or RESP3 value, as a client or a test sees a reply.
public indirect enum RESPValue: Hashable, Sendable {
    case simpleString([UInt8])
    case error([UInt8])
    case integer(Int64)
    case bulkString([UInt8]?)
    case array([RESPValue]?)
    /// RESP3 `_`.
    case null
    case double(Double)
    case boolean(Bool)
    case bigNumber([UInt8])
    case verbatim(format: [UInt8], text: [UInt8])
    case map([(RESPValue, RESPValue)])
    case set([RESPValue])
    case push([RESPValue])
    case attribute([(RESPValue, RESPValue)])
    case blobError([UInt8])

    public static func == (lhs: RESPValue, rhs: RESPValue) -> Bool {
        switch (lhs, rhs) {
        case let (.simpleString(a), .simpleString(b)), let (.error(a), .error(b)),
             let (.bigNumber(a), .bigNumber(b)), let (.blobError(a), .blobError(b)):
            return a == b
        case let (.integer(a), .integer(b)): return a == b
        case let (.bulkString(a), .bulkString(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case (.null, .null): return true
        case let (.double(a), .double(b)): return a == b || (a.isNaN && b.isNaN)
        case let (.boolean(a), .boolean(b)): return a == b
        case let (.verbatim(f1, t1), .verbatim(f2, t2)): return f1 == f2 && t1 == t2
        case let (.map(a), .map(b)), let (.attribute(a), .attribute(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.set(a), .set(b)), let (.push(a), .push(b)): return a == b
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .simpleString(let a), .error(let a), .bigNumber(let a), .blobError(let a): hasher.combine(a)
        case .integer(let i): hasher.combine(i)
        case .bulkString(let b): hasher.combine(b)
        case .array(let a): hasher.combine(a)
        case .null: hasher.combine(0)
        case .double(let d): hasher.combine(d)
        case .boolean(let b): hasher.combine(b)
        case .verbatim(let f, let t): hasher.combine(f); hasher.combine(t)
        case .map(let m), .attribute(let m): hasher.combine(m.count)
        case .set(let s), .push(let s): hasher.combine(s)
        }
    }
}

/// Parses RESP2 and RESP3 replies incrementally.
public struct RESPValueParser: Sendable {
    public struct Error: Swift.Error, Hashable, Sendable {
        public let message: String
    }

    public init() {}

    /// Parses one whole value from `buffer`, or returns `nil` (consuming nothing) when the value is
    /// not complete yet.
    public func parse(_ buffer: inout ByteBuffer) throws(Error) -> RESPValue? {
        var copy = buffer
        guard let value = try parseValue(&copy, depth: 0) else { return nil }
        buffer = copy
        return value
    }

    /// The number of bytes the first complete value in `buffer` spans, or `nil` if incomplete.
    public func frameLength(_ buffer: ByteBuffer) throws(Error) -> Int? {
        var copy = buffer
        guard try parseValue(&copy, depth: 0) != nil else { return nil }
        return copy.readerIndex - buffer.readerIndex
    }

    private func line(_ buffer: inout ByteBuffer) -> [UInt8]? {
        let view = buffer.readableBytesView
        guard let cr = view.firstIndex(of: UInt8(ascii: "\r")), cr + 1 < view.endIndex else { return nil }
        let bytes = Array(view[view.startIndex..<cr])
        buffer.moveReaderIndex(to: cr + 2)
        return bytes
    }

    private func integer(_ bytes: [UInt8]) throws(Error) -> Int64 {
        guard let value = RedisInteger.parse(bytes) else {
            throw Error(message: "invalid integer '\(String(decoding: bytes, as: UTF8.self))'")
        }
        return value
    }

    private func blob(_ buffer: inout ByteBuffer, length: Int64) throws(Error) -> [UInt8]? {
        guard length >= 0 else { throw Error(message: "negative length") }
        guard buffer.readableBytes >= Int(length) + 2 else { return nil }
        let bytes = buffer.readBytes(length: Int(length))!
        buffer.moveReaderIndex(forwardBy: 2)
        return bytes
    }

    private func elements(_ buffer: inout ByteBuffer, count: Int64, depth: Int) throws(Error) -> [RESPValue]? {
        guard count >= 0 else { throw Error(message: "negative length") }
        var out: [RESPValue] = []
        out.reserveCapacity(Int(min(count, 1024)))
        for _ in 0..<count {
            guard let v = try parseValue(&buffer, depth: depth + 1) else { return nil }
            out.append(v)
        }
        return out
    }

    private func parseValue(_ buffer: inout ByteBuffer, depth: Int) throws(Error) -> RESPValue? {
        guard depth < 1000 else { throw Error(message: "nesting too deep") }
        guard let type = buffer.readableBytesView.first else { return nil }
        var rest = buffer
        rest.moveReaderIndex(forwardBy: 1)
        guard let header = line(&rest) else { return nil }
        let result: RESPValue?
        switch type {
        case UInt8(ascii: "+"): result = .simpleString(header)
        case UInt8(ascii: "-"): result = .error(header)
        case UInt8(ascii: ":"): result = .integer(try integer(header))
        case UInt8(ascii: "$"):
            let n = try integer(header)
            if n == -1 { result = .bulkString(nil) } else {
                guard let b = try blob(&rest, length: n) else { return nil }
                result = .bulkString(b)
            }
        case UInt8(ascii: "*"):
            let n = try integer(header)
            if n == -1 { result = .array(nil) } else {
                guard let e = try elements(&rest, count: n, depth: depth) else { return nil }
                result = .array(e)
            }
        case UInt8(ascii: "_"): result = .null
        case UInt8(ascii: "#"): result = .boolean(header == [UInt8(ascii: "t")])
        case UInt8(ascii: ","):
            let text = String(decoding: header, as: UTF8.self)
            switch text {
            case "inf": result = .double(.infinity)
            case "-inf": result = .double(-.infinity)
            case "nan": result = .double(.nan)
            default:
                guard let d = Double(text) else { throw Error(message: "invalid double '\(text)'") }
                result = .double(d)
            }
        case UInt8(ascii: "("): result = .bigNumber(header)
        case UInt8(ascii: "!"):
            guard let b = try blob(&rest, length: try integer(header)) else { return nil }
            result = .blobError(b)
        case UInt8(ascii: "="):
            guard let b = try blob(&rest, length: try integer(header)) else { return nil }
            guard b.count >= 4 else { throw Error(message: "short verbatim string") }
            result = .verbatim(format: Array(b[0..<3]), text: Array(b[4...]))
        case UInt8(ascii: "%"), UInt8(ascii: "|"):
            let n = try integer(header)
            guard let e = try elements(&rest, count: n * 2, depth: depth) else { return nil }
            var pairs: [(RESPValue, RESPValue)] = []
            var i = 0
            while i < e.count { pairs.append((e[i], e[i + 1])); i += 2 }
            if type == UInt8(ascii: "|") {
                // An attribute decorates the value that follows it.
                guard let next = try parseValue(&rest, depth: depth + 1) else { return nil }
                _ = pairs
                result = next
            } else {
                result = .map(pairs)
            }
        case UInt8(ascii: "~"):
            guard let e = try elements(&rest, count: try integer(header), depth: depth) else { return nil }
            result = .set(e)
        case UInt8(ascii: ">"):
            guard let e = try elements(&rest, count: try integer(header), depth: depth) else { return nil }
            result = .push(e)
        default:
            throw Error(message: "unknown RESP type byte \(type)")
        }
        buffer = rest
        return result
    }
}
