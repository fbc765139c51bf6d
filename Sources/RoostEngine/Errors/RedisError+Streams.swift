/// Error texts of the stream commands, as Redis 7.0's `t_stream.c` writes them.
extension RedisError {
    public static let invalidStreamID = RedisError("ERR Invalid stream ID specified as stream command argument")
    public static let xaddIDZero = RedisError("ERR The ID specified in XADD must be greater than 0-0")
    public static let xaddIDTooSmall = RedisError("ERR The ID specified in XADD is equal or smaller than the target stream top item")
    public static let streamExhausted = RedisError("ERR The stream has exhausted the last possible ID, unable to add more items")
    public static let maxlenNegative = RedisError("ERR The MAXLEN argument must be >= 0.")
    public static let streamLimitNegative = RedisError("ERR The LIMIT argument must be >= 0.")
    public static let maxlenAndMinid = RedisError("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
    public static let limitWithoutStrategy = RedisError("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
    public static let xtrimWithoutStrategy = RedisError("ERR syntax error, XTRIM must be called with a trimming strategy")
    public static let limitWithoutApprox = RedisError("ERR syntax error, LIMIT cannot be used without the special ~ option")
    public static let invalidStartID = RedisError("ERR invalid start ID for the interval")
    public static let invalidEndID = RedisError("ERR invalid end ID for the interval")
    public static let xsetidTooSmall = RedisError("ERR The ID specified in XSETID is smaller than the target stream top item")
    public static let xsetidBelowProvidedMaxDeleted = RedisError("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
    public static let xsetidEntriesAddedTooSmall = RedisError("ERR The entries_added specified in XSETID is smaller than the target stream length")
    public static let entriesAddedNegative = RedisError("ERR entries_added must be positive")
    public static let timeoutNotInteger = RedisError("ERR timeout is not an integer or out of range")
    public static let groupOnlyForXreadgroup = RedisError("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
    public static let noackOnlyForXreadgroup = RedisError("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
    public static let missingGroupOption = RedisError("ERR Missing GROUP option for XREADGROUP")
    public static let dollarInXreadgroup = RedisError("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
    public static let greaterThanOnlyInXreadgroup = RedisError("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
    public static let groupDestroyedWhileBlocked = RedisError("NOGROUP the consumer group this client was blocked on no longer exists")
    /// A blocked XREADGROUP whose stream was deleted or replaced.
    public static let streamKeyGone = RedisError("UNBLOCKED the stream key no longer exists")
    public static let busyGroup = RedisError("BUSYGROUP Consumer Group name already exists")
    public static let xgroupNeedsStream = RedisError("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
    public static let invalidIdleTime = RedisError("ERR Invalid IDLE option argument for XCLAIM")
    public static let invalidTime = RedisError("ERR Invalid TIME option argument for XCLAIM")
    public static let invalidRetryCount = RedisError("ERR Invalid RETRYCOUNT option argument for XCLAIM")
    public static let invalidMinIdleTime = RedisError("ERR Invalid min-idle-time argument for XCLAIM")
    public static let xautoclaimCount = RedisError("ERR COUNT must be > 0")
    public static let xautoclaimMinIdle = RedisError("ERR Invalid min-idle-time argument for XAUTOCLAIM")
    public static let xpendingIdle = RedisError("ERR value is not an integer or out of range")
    /// XREAD or XREADGROUP with an odd count of keys and ids (one text for both, as 7.0 has it).
    public static let unbalancedStreams = RedisError("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")

    /// `-NOGROUP No such key '<key>' or consumer group '<group>' in XREADGROUP with GROUP option`.
    static func noGroupForRead(key: [UInt8], group: [UInt8]) -> RedisError {
        RedisError(bytes: Array("NOGROUP No such key '".utf8) + key + Array("' or consumer group '".utf8) + group
                   + Array("' in XREADGROUP with GROUP option".utf8))
    }

    /// `-NOGROUP No such consumer group '<group>' for key name '<key>'`.
    static func noGroup(key: [UInt8], group: [UInt8]) -> RedisError {
        RedisError(bytes: Array("NOGROUP No such consumer group '".utf8) + group + Array("' for key name '".utf8) + key
                   + Array("'".utf8))
    }

    /// XREAD/XREADGROUP with BLOCK inside a script, naming the command as called.
    static func blockInScript(_ name: [UInt8]) -> RedisError {
        RedisError(bytes: Array("ERR ".utf8) + name + Array(" command is not allowed with BLOCK option from scripts".utf8))
    }
}
