import NIOCore

/// Fixed error texts of the connection and server families, byte-identical to Redis 7.0's.
extension RedisError {
    static let invalidFirstDB = RedisError("ERR invalid first DB index")
    static let clientPauseMode = RedisError("ERR CLIENT PAUSE mode must be WRITE or ALL")
    static let invalidSecondDB = RedisError("ERR invalid second DB index")
    static let authWithoutPassword = RedisError(
        "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
    static let noProto = RedisError("NOPROTO unsupported protocol version")
    static let protocolNotInteger = RedisError("ERR Protocol version is not an integer or out of range")
    static let helloNoAuth = RedisError(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
    static let badClientName = RedisError("ERR Client names cannot contain spaces, newlines or special characters.")
    static let noSuchClient = RedisError("ERR No such client")
    static let clientIDNotPositive = RedisError("ERR client-id should be greater than 0")
    static let invalidClientID = RedisError("ERR Invalid client ID")
    static let noShutdownInProgress = RedisError("ERR No shutdown in progress.")
    static let invalidCommandSpecified = RedisError("ERR Invalid command specified")
    static let invalidCommandArgumentCount = RedisError("ERR Invalid number of arguments specified for command")
    static let commandHasNoKeys = RedisError("ERR The command has no key arguments")
    static let invalidCommandArguments = RedisError("ERR Invalid arguments specified for command")

    static func helloSyntax(_ option: ByteBuffer) -> RedisError {
        .format("Syntax error in HELLO option '\(cString: option)'")
    }

    static func unknownClientType(_ type: ByteBuffer) -> RedisError {
        .format("Unknown client type '\(cString: type)'")
    }

    static func configSetUnknown(_ name: ByteBuffer) -> RedisError {
        .format("Unknown option or number of arguments for CONFIG SET - '\(cString: name)'")
    }

    /// Redis quotes the name as typed for a duplicate or immutable parameter, and the canonical
    /// name for a value that does not parse.
    static func configSetFailed(_ name: some Sequence<UInt8>, _ reason: String) -> RedisError {
        .format("CONFIG SET failed (possibly related to argument '\(bytes: name)') - \(reason)")
    }
}
