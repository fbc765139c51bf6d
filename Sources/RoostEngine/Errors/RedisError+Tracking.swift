import NIOCore

/// CLIENT TRACKING and CLIENT CACHING errors, worded as Redis 7.0's `clientCommand`.
extension RedisError {
    static let trackingSingleRedirect = RedisError("ERR A client can only redirect to a single other client")
    static let trackingRedirectMissing = RedisError("ERR The client ID you want redirect to does not exist")
    static let trackingPrefixWithoutBroadcast = RedisError("ERR PREFIX option requires BCAST mode to be enabled")
    static let trackingBroadcastSwitch = RedisError(
        "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
    static let trackingOptInOutWithBroadcast = RedisError("ERR OPTIN and OPTOUT are not compatible with BCAST")
    static let trackingOptInAndOptOut = RedisError("ERR You can't specify both OPTIN mode and OPTOUT mode")
    static let trackingOptInOutSwitch = RedisError(
        "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
    static let cachingWithoutTracking = RedisError(
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
    static let cachingYesWithoutOptIn = RedisError("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
    static let cachingNoWithoutOptOut = RedisError("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")

    /// A new BCAST prefix that overlaps one the client already has.
    static func trackingPrefixOverlapsExisting(_ prefix: ByteBuffer, _ existing: ByteString) -> RedisError {
        .format("Prefix '\(cString: prefix, limit: .max)' overlaps with an existing prefix '\(bytes: Engine.cBytes(existing))'. Prefixes for a single client must not overlap.")
    }

    /// Two of the given BCAST prefixes overlap.
    static func trackingPrefixesOverlap(_ prefix: ByteBuffer, _ other: ByteBuffer) -> RedisError {
        .format("Prefix '\(cString: prefix, limit: .max)' overlaps with another provided prefix '\(cString: other, limit: .max)'. Prefixes for a single client must not overlap.")
    }
}

extension Engine {
    /// The bytes of `string` up to the first NUL, as `%s` prints them.
    static func cBytes(_ string: ByteString) -> [UInt8] {
        Array(string.bytes.prefix { $0 != 0 })
    }
}
