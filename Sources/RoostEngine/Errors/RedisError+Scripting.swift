/// Error texts of scripting (EVAL, SCRIPT and `redis.call`), byte-identical to Redis 7.0's.
extension RedisError {
    /// EVALSHA of an unknown digest.
    public static let noScript = RedisError("NOSCRIPT No matching script. Please use EVAL.")
    /// EVAL whose numkeys exceeds the arguments.
    public static let scriptTooManyKeys = RedisError("ERR Number of keys can't be greater than number of args")
    /// EVAL with a negative numkeys.
    public static let scriptNegativeKeys = RedisError("ERR Number of keys can't be negative")
    /// SCRIPT KILL or FUNCTION KILL when no script has passed busy-reply-threshold.
    public static let notBusy = RedisError("NOTBUSY No scripts in execution right now.")
    /// Any command but the allowed few while an EVAL script is past busy-reply-threshold.
    public static let busyScript =
        RedisError("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.")
    /// The same while a function (FCALL) is past busy-reply-threshold.
    public static let busyFunction =
        RedisError("BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.")
    /// SCRIPT KILL or FUNCTION KILL of a script that has already run a write command.
    public static let unkillable = RedisError(
        "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.")
    /// `redis.call` of an unknown command.
    public static let scriptUnknownCommand = RedisError("ERR Unknown Redis command called from script")
    /// `redis.call` with a wrong argument count.
    public static let scriptWrongArity = RedisError("ERR Wrong number of args calling Redis command from script")
    /// `redis.call` of a command flagged `noscript`.
    public static let scriptCommandNotAllowed = RedisError("ERR This Redis command is not allowed from script")
    /// A write command from EVAL_RO / EVALSHA_RO.
    public static let scriptWriteInReadOnly = RedisError("ERR Write commands are not allowed from read-only scripts.")
    /// EVAL_RO of a script whose shebang does not declare `no-writes`.
    public static let scriptWriteFlagInReadOnlyCommand =
        RedisError("ERR Can not execute a script with write flag using *_ro command.")
    /// FUNCTION LOAD with a bad library name (Redis also uses it for bad function names).
    public static let invalidLibraryName = RedisError(
        "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
    /// FCALL of an unknown function.
    public static let functionNotFound = RedisError("ERR Function not found")
    /// FCALL whose numkeys is not an integer.
    public static let badNumberOfKeys = RedisError("ERR Bad number of keys provided")
    /// FUNCTION DELETE of an unknown library.
    public static let libraryNotFound = RedisError("ERR Library not found")
    /// `redis.call` outside a script run.
    public static let scriptCallOutsideScript =
        RedisError("ERR redis.call/pcall can only be called inside a script invocation")
}
