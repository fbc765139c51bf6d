/// Error texts of the string family, byte-identical to Redis 7.0's.
extension RedisError {
    /// SETRANGE with a negative offset.
    public static let offsetOutOfRange = RedisError("ERR offset is out of range")
    /// DECRBY of the smallest 64-bit integer, whose negation overflows.
    public static let decrementOverflow = RedisError("ERR decrement would overflow")
    /// INCRBYFLOAT whose result is not finite.
    public static let incrementNaNOrInfinity = RedisError("ERR increment would produce NaN or Infinity")
    /// LCS on a key that holds another type.
    public static let lcsWrongType = RedisError("ERR The specified keys must contain string values")
    /// LCS with both IDX and LEN.
    public static let lcsIdxAndLen = RedisError("ERR If you want both the length and indexes, please just use IDX.")
    /// LCS on inputs whose lengths do not fit its 32-bit table.
    public static let lcsTooLong = RedisError("ERR String too long for LCS")
    /// LCS whose table would exceed proto-max-bulk-len.
    public static let lcsTableTooLarge =
        RedisError("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
}
