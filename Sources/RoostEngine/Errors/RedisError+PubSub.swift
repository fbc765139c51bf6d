import NIOCore

/// Error texts of the pub/sub and transaction families.
extension RedisError {
    public static let multiNested = RedisError("ERR MULTI calls can not be nested")
    public static let execWithoutMulti = RedisError("ERR EXEC without MULTI")
    public static let discardWithoutMulti = RedisError("ERR DISCARD without MULTI")
    public static let watchInsideMulti = RedisError("ERR WATCH inside MULTI is not allowed")
    public static let notAllowedInMulti = RedisError("ERR Command not allowed inside a transaction")
    public static let ssubscribeDenied = RedisError("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client")

    /// EXEC rejected before it could run (wrong arity…): the transaction is discarded and the
    /// reason given without its `ERR` code, as Redis formats it.
    public static func execAbort(because reason: RedisError) -> RedisError {
        let text = reason.bytes.starts(with: "ERR ".utf8) ? reason.bytes.dropFirst(4) : reason.bytes[...]
        return RedisError(bytes: Array("EXECABORT Transaction discarded because of: ".utf8) + text)
    }

    /// The error a RESP2 client in subscribed mode gets for any other command.
    public static func notAllowedWhileSubscribed(_ fullName: String) -> RedisError {
        RedisError.format(
            "Can't execute '\(fullName)': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
    }
}
