/// An error reply. `message` is the text after the `-`, code included (`ERR …`, `WRONGTYPE …`).
///
/// All fixed error texts live here, byte-identical to Redis 7.0's.
public struct RedisError: Error, Sendable, Hashable {
    public let message: String

    public init(_ message: String) { self.message = message }

    /// An `ERR`-coded error, built from a formatted message as Redis's `addReplyErrorFormat` does:
    /// CR and LF become spaces so the reply stays one line.
    public static func format(_ text: String) -> RedisError {
        var t = text
        if t.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) {
            t = String(t.unicodeScalars.map { $0 == "\r" || $0 == "\n" ? " " : Character($0) })
        }
        return RedisError(t.hasPrefix("-") ? String(t.dropFirst()) : "ERR " + t)
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
