/// Fixed error texts of the bit commands (SETBIT, BITPOS, BITOP, BITFIELD), as Redis 7.0 words them.
extension RedisError {
    /// SETBIT's value argument is neither 0 nor 1.
    public static let bitValue = RedisError("ERR bit is not an integer or out of range")
    /// BITPOS's bit argument is neither 0 nor 1.
    public static let bitposBit = RedisError("ERR The bit argument must be 1 or 0.")
    /// BITOP NOT with more than one source key.
    public static let bitopNotArity = RedisError("ERR BITOP NOT must be called with a single source key.")
    /// A BITFIELD type that is not i1..i64 or u1..u63.
    public static let bitfieldType = RedisError(
        "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")
    /// BITFIELD OVERFLOW with a mode other than WRAP, SAT or FAIL.
    public static let bitfieldOverflowType = RedisError("ERR Invalid OVERFLOW type specified")
    /// BITFIELD_RO given SET or INCRBY.
    public static let bitfieldReadOnly = RedisError("ERR BITFIELD_RO only supports the GET subcommand")
}
