import NIOCore

/// An error reply. `bytes` is the text after the `-`, code included (`ERR …`, `WRONGTYPE …`),
/// exactly as sent: errors that quote a client's argument carry its raw bytes, as Redis's do.
///
/// All fixed error texts live here, byte-identical to Redis 7.0's.
public struct RedisError: Error, Sendable, Hashable {
    /// The error text as sent to the client, without the leading `-` and the CRLF.
    public let bytes: [UInt8]

    /// The error text decoded as UTF-8 (lossy where `bytes` quote a non-UTF-8 argument).
    public var message: String { String(decoding: bytes, as: UTF8.self) }

    public init(_ message: String) { bytes = Array(message.utf8) }

    /// An error whose text is `bytes` as given (no `ERR` added, no CR or LF replaced).
    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// An `ERR`-coded error, built from a formatted message as Redis's `addReplyErrorFormat` does:
    /// CR and LF become spaces so the reply stays one line. A message that starts with `-`
    /// carries its own code.
    public static func format(_ text: String) -> RedisError { format(bytes: Array(text.utf8)) }

    /// `format(_:)` for a text that quotes client bytes: `"unknown command '\(bytes: name)'"`.
    public static func format(_ text: ErrorText) -> RedisError { format(bytes: text.bytes) }

    private static func format(bytes text: [UInt8]) -> RedisError {
        var out: [UInt8]
        if text.first == UInt8(ascii: "-") {
            out = Array(text.dropFirst())
        } else {
            out = Array("ERR ".utf8)
            out.reserveCapacity(4 + text.count)
            out.append(contentsOf: text)
        }
        for i in out.indices where out[i] == UInt8(ascii: "\r") || out[i] == UInt8(ascii: "\n") {
            out[i] = UInt8(ascii: " ")
        }
        return RedisError(bytes: out)
    }

    /// A count that must not be negative (SPOP, ZPOPMIN…), from `getPositiveLongFromObjectOrReply`,
    /// also for a count that is not an integer.
    public static let mustBePositive = RedisError("ERR value is out of range, must be positive")
    /// A multi-key command's numkeys below 1 (SINTERCARD, LMPOP, ZMPOP…).
    public static let numkeysPositive = RedisError("ERR numkeys should be greater than 0")
    /// A COUNT option below 1 (LMPOP, ZMPOP…).
    public static let countPositive = RedisError("ERR count should be greater than 0")
    /// A count too large to work with (HRANDFIELD, ZRANDMEMBER with a huge negative count).
    public static let valueOutOfRange = RedisError("ERR value is out of range")
    public static let wrongType = RedisError("WRONGTYPE Operation against a key holding the wrong kind of value")
    public static let syntax = RedisError("ERR syntax error")
    public static let notInteger = RedisError("ERR value is not an integer or out of range")
    public static let notFloat = RedisError("ERR value is not a valid float")
    public static let overflow = RedisError("ERR increment or decrement would overflow")
    public static let noSuchKey = RedisError("ERR no such key")
    public static let outOfRange = RedisError("ERR index out of range")
    /// A number that must fit a C `int` (SELECT, MOVE, SWAPDB indexes).
    public static let intOutOfRange = RedisError("ERR value is out of range, value must between -2147483648 and 2147483647")
    public static let dbIndexOutOfRange = RedisError("ERR DB index is out of range")
    public static let noAuth = RedisError("NOAUTH Authentication required.")
    public static let wrongPass = RedisError("WRONGPASS invalid username-password pair or user is disabled.")
    public static let execAbort = RedisError("EXECABORT Transaction discarded because of previous errors.")
    public static let bitOffset = RedisError("ERR bit offset is not an integer or out of range")
    public static let stringTooLong = RedisError("ERR string exceeds maximum allowed size (proto-max-bulk-len)")

    /// "invalid expire time in '<command>' command", for the SET and EXPIRE families.
    public static func invalidExpireTime(_ command: String) -> RedisError {
        RedisError("ERR invalid expire time in '\(command)' command")
    }

    public static func wrongArity(_ fullName: String) -> RedisError {
        RedisError("ERR wrong number of arguments for '\(fullName)' command")
    }
}

/// The text of a formatted error, built by string interpolation; `\(bytes:)` splices a client's
/// bytes in unchanged, where `String` would replace invalid UTF-8.
public struct ErrorText: ExpressibleByStringInterpolation, Sendable {
    /// The text so far.
    public var bytes: [UInt8]

    public init(stringLiteral value: String) { bytes = Array(value.utf8) }

    public init(stringInterpolation: Interpolation) { bytes = stringInterpolation.bytes }

    /// Collects literal segments and interpolated values as bytes.
    public struct Interpolation: StringInterpolationProtocol {
        var bytes: [UInt8]

        public init(literalCapacity: Int, interpolationCount: Int) {
            bytes = []
            bytes.reserveCapacity(literalCapacity + 16 * interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) { bytes.append(contentsOf: literal.utf8) }

        /// Any value, as `String(describing:)` writes it.
        public mutating func appendInterpolation<T>(_ value: T) {
            bytes.append(contentsOf: String(describing: value).utf8)
        }

        /// Raw bytes, unchanged.
        public mutating func appendInterpolation<S: Sequence<UInt8>>(bytes value: S) {
            bytes.append(contentsOf: value)
        }

        /// An argument as C's `%s` prints it: up to its first NUL byte, at most `limit` bytes.
        public mutating func appendInterpolation(cString value: ByteBuffer, limit: Int = .max) {
            bytes.append(contentsOf: Engine.cBytes(value, limit: limit))
        }
    }
}
