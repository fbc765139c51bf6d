/// Fixed error texts of SORT, as Redis 7.0 words them.
extension RedisError {
    /// A numeric SORT met an element or BY value that is not a number.
    public static let sortScoreConversion = RedisError("ERR One or more scores can't be converted into double")
}
