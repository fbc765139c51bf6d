/// Fixed error texts of SAVE, DEBUG and SHUTDOWN's saving, byte-identical to Redis 7.0's.
extension RedisError {
    /// SAVE when the file could not be written (Redis's `shared.err`).
    static let saveFailed = RedisError("ERR")
    static let debugNotAllowed = RedisError(
        "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.")
    static let debugReloadOptions = RedisError("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
    static let debugReloadSaveFailed = RedisError("ERR Error trying to save the DB")
    static let debugReloadLoadFailed = RedisError("ERR Error trying to load the RDB dump, check server logs.")
    static let shutdownFailed = RedisError("ERR Errors trying to SHUTDOWN. Check logs.")
}
