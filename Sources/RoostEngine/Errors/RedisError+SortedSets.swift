/// Error replies of the sorted-set commands, byte-identical to Redis 7.0's.
extension RedisError {
    /// ZADD with both XX and NX.
    public static let zaddXXNX = RedisError("ERR XX and NX options at the same time are not compatible")
    /// ZADD combining GT, LT and NX.
    public static let zaddGTLTNX = RedisError("ERR GT, LT, and/or NX options at the same time are not compatible")
    /// ZADD INCR with more than one score-member pair.
    public static let zaddIncrPairs = RedisError("ERR INCR option supports a single increment-element pair")
    /// An increment that produced NaN.
    public static let scoreNaN = RedisError("ERR resulting score is not a number (NaN)")
    /// A score range bound that does not parse.
    public static let scoreRange = RedisError("ERR min or max is not a float")
    /// A lexicographic range bound that does not parse.
    public static let lexRange = RedisError("ERR min or max not valid string range item")
    /// LIMIT given for a range by rank.
    public static let limitNeedsByScoreOrLex = RedisError(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
    /// WITHSCORES given for a range by lex.
    public static let withScoresByLex = RedisError("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
    /// A weight that does not parse.
    public static let weightNotFloat = RedisError("ERR weight value is not a float")
    /// ZINTERCARD's LIMIT below 0.
    public static let limitNegative = RedisError("ERR LIMIT can't be negative")

    /// "at least 1 input key is needed for '<command>' command".
    public static func needsInputKey(_ command: String) -> RedisError {
        RedisError("ERR at least 1 input key is needed for '\(command)' command")
    }

    /// "value is out of range, value must between <min> and <max>".
    public static func outOfRange(_ min: Int64, _ max: Int64) -> RedisError {
        RedisError("ERR value is out of range, value must between \(min) and \(max)")
    }
}
