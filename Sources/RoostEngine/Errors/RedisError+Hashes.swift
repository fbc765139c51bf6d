/// Error texts of the hash commands, as Redis 7.0's `t_hash.c` writes them.
extension RedisError {
    /// HINCRBY on a field whose value is not an integer.
    public static let hashValueNotInteger = RedisError("ERR hash value is not an integer")
    /// HINCRBYFLOAT on a field whose value is not a float.
    public static let hashValueNotFloat = RedisError("ERR hash value is not a float")
    /// HINCRBYFLOAT with an infinite increment.
    public static let valueNaNOrInfinity = RedisError("ERR value is NaN or Infinity")
    /// HRANDFIELD with a count of `LONG_MIN` (`getRangeLongFromObjectOrReply`'s message).
    public static let randomCountOutOfRange = RedisError(
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
}
