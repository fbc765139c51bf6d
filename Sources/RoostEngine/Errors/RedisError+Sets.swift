/// Error texts of the set family, byte-identical to Redis 7.0's `t_set.c`.
extension RedisError {
    /// SRANDMEMBER's count below `-LONG_MAX`.
    public static let srandmemberCountRange = RedisError(
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    /// SINTERCARD's numkeys larger than the arguments that follow it.
    public static let tooManyKeys = RedisError("ERR Number of keys can't be greater than number of args")
    /// SINTERCARD's LIMIT that is negative or not an integer.
    public static let negativeLimit = RedisError("ERR LIMIT can't be negative")
}
