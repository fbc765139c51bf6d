/// Error texts of the list family and of blocking commands, byte-identical to Redis 7.0's.
extension RedisError {
    /// A blocking command's timeout that does not parse as a number.
    public static let timeoutNotFloat = RedisError("ERR timeout is not a float or out of range")
    /// A blocking command's negative timeout.
    public static let timeoutNegative = RedisError("ERR timeout is negative")
    /// CLIENT UNBLOCK … ERROR, sent to the unblocked client.
    public static let unblockedByClientCommand = RedisError("UNBLOCKED client unblocked via CLIENT UNBLOCK")
    /// CLIENT UNBLOCK with a reason other than TIMEOUT or ERROR.
    public static let unblockReason = RedisError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
    /// LPOS RANK 0.
    public static let lposRankZero = RedisError(
        "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
    /// LPOS RANK of the smallest 64-bit integer.
    public static let lposRankRange = RedisError("ERR value is out of range, must be positive")
    /// LPOS with a negative COUNT.
    public static let lposCountNegative = RedisError("ERR COUNT can't be negative")
    /// LPOS with a negative MAXLEN.
    public static let lposMaxlenNegative = RedisError("ERR MAXLEN can't be negative")
    /// LPOP / RPOP with a negative count.
    public static let valueMustBePositive = RedisError("ERR value is out of range, must be positive")
}
