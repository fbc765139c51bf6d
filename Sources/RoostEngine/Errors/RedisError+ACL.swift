import NIOCore

/// ACL error texts, byte-identical to Redis 7.0's.
extension RedisError {
    /// A command refused before it runs or is queued (`processCommand`).
    static func aclDenied(_ denial: ACLDenial, command fullName: String) -> RedisError {
        switch denial {
        case .command: return RedisError("NOPERM this user has no permissions to run the '\(fullName)' command")
        case .key: return RedisError("NOPERM this user has no permissions to access one of the keys used as arguments")
        case .channel:
            return RedisError("NOPERM this user has no permissions to access one of the channels used as arguments")
        }
    }

    /// A queued command the ACL refuses by the time EXEC runs it.
    static func aclDeniedInExec(_ denial: ACLDenial) -> RedisError {
        let reason: String
        switch denial {
        case .command: reason = "no permission to execute the command or subcommand"
        case .key: reason = "no permission to touch the specified keys"
        case .channel: reason = "no permission to access one of the channels used as arguments"
        }
        return RedisError("NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: \(reason)")
    }

    /// A `redis.call` the ACL refuses.
    static func aclDeniedInScript(_ denial: ACLDenial) -> RedisError {
        switch denial {
        case .command: return RedisError("ERR The user executing the script can't run this command or subcommand")
        case .key:
            return RedisError("ERR The user executing the script can't access at least one of the keys mentioned in the command arguments")
        case .channel:
            return RedisError("ERR The user executing the script can't publish to the channel mentioned in the command")
        }
    }

    /// The rule as C's `%s` prints it: up to a NUL.
    static func aclSetUser(_ rule: [UInt8], _ reason: String) -> RedisError {
        .format("Error in ACL SETUSER modifier '\(bytes: rule.prefix { $0 != 0 })': \(reason)")
    }

    static let aclUsernameHasSpaces = RedisError("ERR Usernames can't contain spaces or null characters")
    static let aclDefaultUserUndeletable = RedisError("ERR The 'default' user cannot be removed")
    static let aclGenpassBits = RedisError(
        "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
    static let aclNoFile = RedisError(
        "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.")

    static func aclUnknownCategory(_ name: [UInt8]) -> RedisError { .format("Unknown category '\(bytes: name)'") }
    static func aclUserNotFound(_ name: ByteBuffer) -> RedisError { .format("User '\(cString: name)' not found") }
    static func aclCommandNotFound(_ name: ByteBuffer) -> RedisError { .format("Command '\(cString: name)' not found") }
    static func aclUnmatchedParenthesis(_ text: [UInt8]) -> RedisError {
        .format("Unmatched parenthesis in acl selector starting at '\(bytes: text)'.")
    }
}
