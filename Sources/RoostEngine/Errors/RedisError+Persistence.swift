#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Fixed error texts of SAVE, DEBUG and SHUTDOWN's saving, byte-identical to Redis 7.0's.
extension RedisError {
    /// SAVE when the file could not be written (Redis's `shared.err`).
    static let saveFailed = RedisError("ERR")
    static let debugNotAllowed = RedisError(
        "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.")
    static let debugReloadOptions = RedisError("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
    static let debugReloadSaveFailed = RedisError("ERR Error trying to save the DB")
    static let debugReloadLoadFailed = RedisError("ERR Error trying to load the RDB dump, check server logs.")
    static let backgroundSaveInProgress = RedisError("ERR Background save already in progress")
    static let otherSnapshotActive = RedisError(
        "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
    /// Writes (and PING) after a failed BGSAVE under `stop-writes-on-bgsave-error`.
    static let writesDeniedByRDBError = RedisError(
        "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.")
    /// Writes (and PING) while the append-only file cannot be written or fsynced.
    static func writesDeniedByAOFError(_ code: Int32) -> RedisError {
        RedisError("MISCONF Errors writing to the AOF file: \(String(cString: strerror(code)))")
    }
    static let shutdownFailed = RedisError("ERR Errors trying to SHUTDOWN. Check logs.")
}
