/// A value stored under a key. Each data type's representation lives beside its command family.
///
/// Collections are classes: a command mutates the value it looked up in place, with no copy and
/// no store back into the key table. The exception is `HashValue`, a one-word handle to its
/// buffer (so that a small hash is one allocation): a hash command stores the handle back when
/// a change moved it to new storage. COPY takes a `duplicate()`.
public enum Value {
    case string(StringValue)
    case list(ListValue)
    case hash(HashValue)
    case set(SetValue)
    case zset(SortedSetValue)

    /// The name TYPE reports.
    public var typeName: StaticString {
        switch self {
        case .string: return "string"
        case .list: return "list"
        case .hash: return "hash"
        case .set: return "set"
        case .zset: return "zset"
        }
    }

    /// The name OBJECT ENCODING reports.
    public var encodingName: StaticString {
        switch self {
        case .string(let s): return s.encodingName
        case .list(let l): return l.encodingName
        case .hash(let h): return h.encodingName
        case .set(let s): return s.encodingName
        case .zset(let z): return z.encodingName
        }
    }

    /// An independent copy, for COPY: collections are deep-copied in their current encoding.
    public func duplicate() -> Value {
        switch self {
        case .string: return self
        case .list(let l): return .list(l.duplicate())
        case .hash(let h): return .hash(h.duplicate())
        case .set(let s): return .set(s.duplicate())
        case .zset(let z): return .zset(z.duplicate())
        }
    }
}

/// A string value, kept in the encoding Redis would pick so that OBJECT ENCODING agrees.
public enum StringValue {
    /// A value that is a canonical 64-bit integer (Redis's `int` encoding).
    case int(Int64)
    /// Up to 44 bytes, created in one piece (`embstr`).
    case embstr([UInt8])
    /// Longer values, or values modified in place (`raw`).
    case raw([UInt8])

    /// Redis's `embstr` limit.
    public static let embstrLimit = 44

    /// Encodes `bytes` as Redis's `tryObjectEncoding` would for a value stored by SET.
    
    public init(encoding bytes: [UInt8]) {
        if bytes.count <= 20, let i = RedisIntegerBridge.parse(bytes) {
            self = .int(i)
        } else if bytes.count <= StringValue.embstrLimit {
            self = .embstr(bytes)
        } else {
            self = .raw(bytes)
        }
    }

    /// The bytes of the value.
    
    public var bytes: [UInt8] {
        switch self {
        case .int(let i): return RedisIntegerBridge.bytes(i)
        case .embstr(let b), .raw(let b): return b
        }
    }

    /// The length in bytes.
    
    public var count: Int {
        switch self {
        case .int(let i): return RedisIntegerBridge.bytes(i).count
        case .embstr(let b), .raw(let b): return b.count
        }
    }

    public var encodingName: StaticString {
        switch self {
        case .int: return "int"
        case .embstr: return "embstr"
        case .raw: return "raw"
        }
    }
}
