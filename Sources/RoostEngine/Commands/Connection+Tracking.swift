import NIOCore
import RoostRESP

/// CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO: server-assisted client-side caching
/// (the state and invalidations are in Engine+Tracking.swift).
extension ConnectionCommands {
    static let trackingSubcommands: [CommandSpec] = [
        CommandSpec("tracking", arity: -3, flags: clientFlags, categories: ["slow", "connection"], group: "connection",
                    since: "6.0.0", summary: "Enable or disable server assisted client side caching support",
                    complexity: "O(1). Some options may introduce additional complexity.", handler: clientTracking),
        CommandSpec("caching", arity: 3, flags: clientFlags, categories: ["slow", "connection"], group: "connection",
                    since: "6.0.0", summary: "Instruct the server about tracking or not keys in the next request",
                    complexity: "O(1)", handler: clientCaching),
        CommandSpec("getredir", arity: 2, flags: clientFlags, categories: ["slow", "connection"], group: "connection",
                    since: "6.0.0", summary: "Get tracking notifications redirection client ID if any",
                    complexity: "O(1)", handler: clientGetRedir),
        CommandSpec("trackinginfo", arity: 2, flags: clientFlags, categories: ["slow", "connection"],
                    group: "connection", since: "6.2.0",
                    summary: "Return information about server assisted client side caching for the current connection",
                    complexity: "O(1)", handler: clientTrackingInfo),
    ]

    /// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p]... [BCAST] [OPTIN] [OPTOUT] [NOLOOP], with
    /// Redis's checks in Redis's order.
    static func clientTracking(_ c: CommandContext) throws(RedisError) {
        var redirect: Int64 = 0
        var options: ClientTracking.Options = []
        var prefixes: [ByteBuffer] = []
        var i = 3
        while i < c.count {
            let moreArguments = i < c.count - 1
            if c.argument(i, is: "redirect") && moreArguments {
                i += 1
                if redirect != 0 { throw .trackingSingleRedirect }
                redirect = try c.integer(i)
                if c.engine.clients[redirect] == nil { throw .trackingRedirectMissing }
            } else if c.argument(i, is: "bcast") {
                options.insert(.broadcast)
            } else if c.argument(i, is: "optin") {
                options.insert(.optIn)
            } else if c.argument(i, is: "optout") {
                options.insert(.optOut)
            } else if c.argument(i, is: "noloop") {
                options.insert(.noLoop)
            } else if c.argument(i, is: "prefix") && moreArguments {
                i += 1
                prefixes.append(c.arguments[i])
            } else {
                throw .syntax
            }
            i += 1
        }
        if c.argument(2, is: "off") {
            c.engine.disableTracking(c.client)
            c.reply.ok()
            return
        }
        guard c.argument(2, is: "on") else { throw .syntax }
        if !options.contains(.broadcast) && !prefixes.isEmpty { throw .trackingPrefixWithoutBroadcast }
        let current = c.client.tracking?.options
        if let current, current.contains(.broadcast) != options.contains(.broadcast) { throw .trackingBroadcastSwitch }
        if options.contains(.broadcast) && !options.isDisjoint(with: [.optIn, .optOut]) {
            throw .trackingOptInOutWithBroadcast
        }
        if options.isSuperset(of: [.optIn, .optOut]) { throw .trackingOptInAndOptOut }
        if let current, options.contains(.optIn) && current.contains(.optOut) || options.contains(.optOut) && current.contains(.optIn) {
            throw .trackingOptInOutSwitch
        }
        if options.contains(.broadcast) {
            guard checkPrefixCollisions(c, prefixes) else { return }
        }
        c.engine.enableTracking(c.client, redirect: redirect, options: options, prefixes: prefixes.map { ByteString($0) })
        c.reply.ok()
    }

    /// Redis's `checkPrefixCollisionsOrReply`: whether the new prefixes overlap none of the
    /// client's and none of each other. Like Redis, an overlap among the new prefixes found after
    /// the first one is reported yet does not stop the command, which then also answers OK.
    private static func checkPrefixCollisions(_ c: CommandContext, _ prefixes: [ByteBuffer]) -> Bool {
        func overlap(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
            let n = min(a.count, b.count)
            return a.prefix(n).elementsEqual(b.prefix(n))
        }
        for (i, prefix) in prefixes.enumerated() {
            let bytes = prefix.readableBytesView
            for existing in c.client.tracking?.prefixes ?? [] where overlap(existing.bytes, bytes) {
                replyError(c, .trackingPrefixOverlapsExisting(prefix, existing))
                return false
            }
            for other in prefixes[(i + 1)...] where overlap(bytes, other.readableBytesView) {
                replyError(c, .trackingPrefixesOverlap(prefix, other))
                return i != 0
            }
        }
        return true
    }

    /// An error reply that does not end the command.
    private static func replyError(_ c: CommandContext, _ error: RedisError) {
        c.engine.countError(error)
        c.reply.error(error)
    }

    /// CLIENT CACHING YES|NO: whether the next command's keys are tracked, in OPTIN or OPTOUT
    /// mode.
    static func clientCaching(_ c: CommandContext) throws(RedisError) {
        guard let tracking = c.client.tracking else { throw .cachingWithoutTracking }
        if c.argument(2, is: "yes") {
            guard tracking.options.contains(.optIn) else { throw .cachingYesWithoutOptIn }
        } else if c.argument(2, is: "no") {
            guard tracking.options.contains(.optOut) else { throw .cachingNoWithoutOptOut }
        } else {
            throw .syntax
        }
        c.client.tracking?.caching = true
        c.reply.ok()
    }

    /// CLIENT GETREDIR: the REDIRECT client id, 0 for none, -1 when tracking is off.
    static func clientGetRedir(_ c: CommandContext) throws(RedisError) {
        c.reply.integer(c.client.tracking?.redirect ?? -1)
    }

    /// CLIENT TRACKINGINFO: the flags, redirect and prefixes of the client's tracking mode.
    static func clientTrackingInfo(_ c: CommandContext) throws(RedisError) {
        let tracking = c.client.tracking
        var flags: [StaticString] = [tracking == nil ? "off" : "on"]
        if let tracking {
            let options = tracking.options
            if options.contains(.broadcast) { flags.append("bcast") }
            if options.contains(.optIn) { flags.append("optin") }
            if options.contains(.optIn) && tracking.caching { flags.append("caching-yes") }
            if options.contains(.optOut) { flags.append("optout") }
            if options.contains(.optOut) && tracking.caching { flags.append("caching-no") }
            if options.contains(.noLoop) { flags.append("noloop") }
            if tracking.brokenRedirect { flags.append("broken_redirect") }
        }
        c.reply.mapHeader(3)
        c.reply.bulk("flags")
        c.reply.setHeader(flags.count)
        for flag in flags { c.reply.bulk(flag) }
        c.reply.bulk("redirect")
        c.reply.integer(tracking?.redirect ?? -1)
        c.reply.bulk("prefixes")
        let prefixes = tracking?.prefixes ?? []
        c.reply.arrayHeader(prefixes.count)
        for prefix in prefixes { c.reply.bulk(prefix) }
    }
}
