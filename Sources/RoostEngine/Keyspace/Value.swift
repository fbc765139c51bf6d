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
    case stream(StreamValue)

    /// The name TYPE reports.
    public var typeName: StaticString {
        switch self {
        case .string: return "string"
        case .list: return "list"
        case .hash: return "hash"
        case .set: return "set"
        case .zset: return "zset"
        case .stream: return "stream"
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
        case .stream(let s): return s.encodingName
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
        case .stream(let s): return .stream(s.duplicate())
        }
    }
}

/// A string value, kept in the encoding Redis would pick so that OBJECT ENCODING agrees.
public enum StringValue {
    /// A value that is a canonical 64-bit integer (Redis's `int` encoding).
    case int(Int64)
    /// Up to 7 bytes, kept in the word itself (bytes in memory order, the count in the top
    /// byte): no allocation and no reference count, so GET and SET of small values touch no
    /// memory beyond the key table. OBJECT ENCODING calls it `embstr`, which it is in Redis.
    case short(UInt64)
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
        } else {
            self = StringValue(embedding: bytes)
        }
    }

    /// `embstr` up to 44 bytes (inline up to 7), `raw` beyond: a value created in one piece.
    public init(embedding bytes: [UInt8]) {
        if bytes.count <= StringValue.shortCapacity {
            var word = UInt64(bytes.count) << 56
            for (i, byte) in bytes.enumerated() { word |= UInt64(byte) << (8 * UInt64(i)) }
            self = .short(word)
        } else if bytes.count <= StringValue.embstrLimit {
            self = .embstr(bytes)
        } else {
            self = .raw(bytes)
        }
    }

    /// The longest value kept inline.
    public static let shortCapacity = 7

    /// Calls `body` with the bytes of a non-integer value without copying them out; integers
    /// are formatted first.
    @inline(__always)
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch self {
        case .short(var word):
            let count = Int(word >> 56)
            return try Swift.withUnsafeBytes(of: &word) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        case .embstr(let b), .raw(let b):
            return try b.withUnsafeBytes(body)
        case .int(let i):
            return try RedisIntegerBridge.bytes(i).withUnsafeBytes(body)
        }
    }

    /// The bytes of the value.
    
    public var bytes: [UInt8] {
        switch self {
        case .int(let i): return RedisIntegerBridge.bytes(i)
        case .short: return withUnsafeBytes { Array($0) }
        case .embstr(let b), .raw(let b): return b
        }
    }

    /// The length in bytes.
    
    public var count: Int {
        switch self {
        case .int(let i): return RedisIntegerBridge.bytes(i).count
        case .short(let word): return Int(word >> 56)
        case .embstr(let b), .raw(let b): return b.count
        }
    }

    public var encodingName: StaticString {
        switch self {
        case .int: return "int"
        case .short, .embstr: return "embstr"
        case .raw: return "raw"
        }
    }
}
