import NIOCore
import RoostRESP

/// A type that can be built from a server reply.
///
/// Error replies never reach a decoder: the connection turns them into `RedisServerError`.
/// A reply of the wrong shape throws `RESPDecodingError` naming the expected and actual types;
/// null replies decode only into `Optional`.
public protocol RESPDecodable: Sendable {
    /// Decodes `value`.
    /// - Throws: `RESPDecodingError` when `value` does not have the expected shape.
    init(fromRESP value: RESPValue) throws
}

extension RESPValue {
    /// A short name for the reply's type, for error messages.
    public var typeDescription: String {
        switch self {
        case .simpleString: return "simple string"
        case .error, .blobError: return "error"
        case .integer: return "integer"
        case .bulkString(nil), .array(nil), .null: return "null"
        case .bulkString: return "bulk string"
        case .array: return "array"
        case .double: return "double"
        case .boolean: return "boolean"
        case .bigNumber: return "big number"
        case .verbatim: return "verbatim string"
        case .map, .attribute: return "map"
        case .set: return "set"
        case .push: return "push"
        }
    }

    /// Whether the reply is a null of any RESP version.
    public var isNull: Bool {
        switch self {
        case .null, .bulkString(nil), .array(nil): return true
        default: return false
        }
    }

    /// The bytes of a string-like reply, or nil.
    var stringBytes: [UInt8]? {
        switch self {
        case .simpleString(let b), .bulkString(.some(let b)), .bigNumber(let b): return b
        case .verbatim(_, let text): return text
        default: return nil
        }
    }

    /// The elements of an aggregate reply (maps flattened to key, value, key, value…), or nil.
    var elements: [RESPValue]? {
        switch self {
        case .array(.some(let a)), .set(let a), .push(let a): return a
        case .map(let pairs), .attribute(let pairs): return pairs.flatMap { [$0.0, $0.1] }
        default: return nil
        }
    }

    /// Decodes the reply as `T`.
    public func decode<T: RESPDecodable>(as type: T.Type = T.self) throws -> T {
        try T(fromRESP: self)
    }

    func mismatch(_ expected: String) -> RESPDecodingError {
        RESPDecodingError(expected: expected, actual: typeDescription)
    }
}

extension RESPValue: RESPDecodable {
    /// The reply itself.
    public init(fromRESP value: RESPValue) throws { self = value }
}

extension Int64: RESPDecodable {
    /// An integer reply, or a string reply holding a decimal integer.
    public init(fromRESP value: RESPValue) throws {
        switch value {
        case .integer(let i): self = i
        default:
            guard let bytes = value.stringBytes, let i = RedisInteger.parse(bytes) else {
                throw value.mismatch("Int")
            }
            self = i
        }
    }
}

extension Int: RESPDecodable {
    /// An integer reply, or a string reply holding a decimal integer.
    public init(fromRESP value: RESPValue) throws {
        self = Int(try Int64(fromRESP: value))
    }
}

extension Double: RESPDecodable {
    /// A double or integer reply, or a string reply holding a number (`inf`, `-inf`, `nan` too).
    public init(fromRESP value: RESPValue) throws {
        switch value {
        case .double(let d): self = d
        case .integer(let i): self = Double(i)
        default:
            guard let bytes = value.stringBytes else { throw value.mismatch("Double") }
            let text = String(decoding: bytes, as: UTF8.self).lowercased()
            switch text {
            case "inf", "+inf": self = .infinity
            case "-inf": self = -.infinity
            case "nan": self = .nan
            default:
                guard let d = Double(text) else {
                    throw RESPDecodingError(expected: "Double", actual: "string '\(text)'")
                }
                self = d
            }
        }
    }
}

extension String: RESPDecodable {
    /// A string-like reply (simple, bulk, verbatim, big number) as UTF-8 (invalid bytes
    /// replaced), or an integer or double reply in decimal.
    public init(fromRESP value: RESPValue) throws {
        switch value {
        case .integer(let i): self = String(i)
        case .double(let d): self = String(d)
        default:
            guard let bytes = value.stringBytes else { throw value.mismatch("String") }
            self = String(decoding: bytes, as: UTF8.self)
        }
    }
}

extension Array: RESPDecodable where Element: RESPDecodable {
    /// An array, set or push reply, element by element; a bulk string decodes into `[UInt8]`.
    public init(fromRESP value: RESPValue) throws {
        // `[UInt8]` is a byte string, not an array of integers.
        if Element.self == UInt8.self, let bytes = value.stringBytes, let typed = bytes as? [Element] {
            self = typed
            return
        }
        guard let elements = value.elements else { throw value.mismatch("Array") }
        self = try elements.map { try Element(fromRESP: $0) }
    }
}

extension UInt8: RESPDecodable {
    /// An integer reply between 0 and 255.
    public init(fromRESP value: RESPValue) throws {
        guard let v = UInt8(exactly: try Int64(fromRESP: value)) else { throw value.mismatch("UInt8") }
        self = v
    }
}

extension ByteBuffer: RESPDecodable {
    /// A string-like reply's bytes.
    public init(fromRESP value: RESPValue) throws {
        guard let bytes = value.stringBytes else { throw value.mismatch("ByteBuffer") }
        self = ByteBuffer(bytes: bytes)
    }
}

extension Bool: RESPDecodable {
    /// A RESP3 boolean, or an integer reply 0 or 1 (as `EXISTS`, `EXPIRE`… send in RESP2).
    public init(fromRESP value: RESPValue) throws {
        switch value {
        case .boolean(let b): self = b
        case .integer(0): self = false
        case .integer(1): self = true
        default: throw value.mismatch("Bool")
        }
    }
}

extension Optional: RESPDecodable where Wrapped: RESPDecodable {
    /// `nil` for a null reply of either RESP version, else the wrapped type.
    public init(fromRESP value: RESPValue) throws {
        self = value.isNull ? nil : try Wrapped(fromRESP: value)
    }
}

extension Dictionary: RESPDecodable where Key: RESPDecodable, Value: RESPDecodable {
    /// A RESP3 map, or a RESP2 flat array of alternating keys and values (as `HGETALL` sends).
    public init(fromRESP value: RESPValue) throws {
        guard let elements = value.elements, elements.count % 2 == 0 else {
            throw value.mismatch("Dictionary")
        }
        self.init(minimumCapacity: elements.count / 2)
        var i = 0
        while i < elements.count {
            self[try Key(fromRESP: elements[i])] = try Value(fromRESP: elements[i + 1])
            i += 2
        }
    }
}

extension Set: RESPDecodable where Element: RESPDecodable {
    /// A RESP3 set or a RESP2 array.
    public init(fromRESP value: RESPValue) throws {
        guard let elements = value.elements else { throw value.mismatch("Set") }
        self.init(try elements.map { try Element(fromRESP: $0) })
    }
}

/// The `OK` status reply.
public struct RedisOK: RESPDecodable, Hashable {
    /// Accepts only `+OK`.
    public init(fromRESP value: RESPValue) throws {
        guard case .simpleString(let s) = value, s == Array("OK".utf8) else {
            throw RESPDecodingError(expected: "OK", actual: value.typeDescription)
        }
    }
}
