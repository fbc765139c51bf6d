import NIOCore

/// Error texts of the generic key commands (DEL, RENAME, COPY, MOVE, EXPIRE, SCAN, OBJECT…).
extension RedisError {
    /// COPY and MOVE onto the very same key of the same database.
    public static let sameObject = RedisError("ERR source and destination objects are the same")
    /// SCAN with a cursor that is not an unsigned 64-bit integer.
    public static let invalidCursor = RedisError("ERR invalid cursor")
    /// EXPIRE with NX combined with XX, GT or LT.
    public static let expireNXConflict = RedisError("ERR NX and XX, GT or LT options at the same time are not compatible")
    /// EXPIRE with both GT and LT.
    public static let expireGTLTConflict = RedisError("ERR GT and LT options at the same time are not compatible")
    /// OBJECT FREQ without an LFU maxmemory-policy.
    public static let lfuNotSelected = RedisError(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
    /// OBJECT IDLETIME under an LFU maxmemory-policy.
    public static let lfuSelected = RedisError(
        "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")

    /// An option the EXPIRE family does not know.
    static func unsupportedOption(_ option: ByteBuffer) -> RedisError {
        .format("Unsupported option \(cString: option)")
    }
}
