import NIOCore

/// Publish/subscribe: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, their UNSUBSCRIBEs, PUBLISH, SPUBLISH
/// and PUBSUB.
///
/// Each client keeps its subscriptions in subscription order (`Client.channels`, `patterns`,
/// `shardChannels`); the engine keeps the reverse maps (`channelSubscribers`,
/// `patternSubscribers`, `shardChannelSubscribers`). Both sides change together.
/// Confirmations and messages are push frames in RESP3 and arrays in RESP2. Messages for another
/// client go into that client's reply buffer, and the engine is told to deliver it after the batch.
enum PubSubCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("subscribe", arity: -2, flags: [.pubsub, .noscript, .loading, .stale],
                    categories: ["pubsub", "slow"], group: "pubsub", since: "2.0.0",
                    summary: "Listen for messages published to the given channels", handler: subscribe),
        CommandSpec("unsubscribe", arity: -1, flags: [.pubsub, .noscript, .loading, .stale],
                    categories: ["pubsub", "slow"], group: "pubsub", since: "2.0.0",
                    summary: "Stop listening for messages posted to the given channels", handler: unsubscribe),
        CommandSpec("psubscribe", arity: -2, flags: [.pubsub, .noscript, .loading, .stale],
                    categories: ["pubsub", "slow"], group: "pubsub", since: "2.0.0",
                    summary: "Listen for messages published to channels matching the given patterns",
                    handler: psubscribe),
        CommandSpec("punsubscribe", arity: -1, flags: [.pubsub, .noscript, .loading, .stale],
                    categories: ["pubsub", "slow"], group: "pubsub", since: "2.0.0",
                    summary: "Stop listening for messages posted to channels matching the given patterns",
                    handler: punsubscribe),
        CommandSpec("publish", arity: 3, flags: [.pubsub, .loading, .stale, .fast, .mayReplicate],
                    categories: ["pubsub", "fast"], group: "pubsub", since: "2.0.0",
                    summary: "Post a message to a channel", handler: publish),
        CommandSpec("ssubscribe", arity: -2, flags: [.pubsub, .noscript, .loading, .stale],
                    categories: ["pubsub", "slow"], group: "pubsub", since: "7.0.0",
                    summary: "Listen for messages published to the given shard channels",
                    handler: ssubscribe),
        CommandSpec("sunsubscribe", arity: -1, flags: [.pubsub, .noscript, .loading, .stale],
                    categories: ["pubsub", "slow"], group: "pubsub", since: "7.0.0",
                    summary: "Stop listening for messages posted to the given shard channels",
                    handler: sunsubscribe),
        CommandSpec("spublish", arity: 3, flags: [.pubsub, .loading, .stale, .fast, .mayReplicate],
                    categories: ["pubsub", "fast"], group: "pubsub", since: "7.0.0",
                    summary: "Post a message to a shard channel",
                    handler: spublish),
        CommandSpec("pubsub", arity: -2, categories: ["slow"], group: "pubsub", since: "2.8.0",
                    summary: "A container for Pub/Sub commands", subcommands: [
                        CommandSpec("help", arity: 2, flags: [.loading, .stale], categories: ["slow"],
                                    group: "pubsub", since: "6.2.0",
                                    summary: "Show helpful text about the different subcommands",
                                    handler: help),
                        CommandSpec("channels", arity: -2, flags: [.pubsub, .loading, .stale],
                                    categories: ["pubsub", "slow"], group: "pubsub", since: "2.8.0",
                                    summary: "List active channels", handler: channels),
                        CommandSpec("numsub", arity: -2, flags: [.pubsub, .loading, .stale],
                                    categories: ["pubsub", "slow"], group: "pubsub", since: "2.8.0",
                                    summary: "Get the count of subscribers for channels", handler: numsub),
                        CommandSpec("shardnumsub", arity: -2, flags: [.pubsub, .loading, .stale],
                                    categories: ["pubsub", "slow"], group: "pubsub", since: "7.0.0",
                                    summary: "Get the count of subscribers for shard channels",
                                    handler: shardnumsub),
                        CommandSpec("numpat", arity: 2, flags: [.pubsub, .loading, .stale],
                                    categories: ["pubsub", "slow"], group: "pubsub", since: "2.8.0",
                                    summary: "Get the count of unique patterns pattern subscriptions", handler: numpat),
                        CommandSpec("shardchannels", arity: -2, flags: [.pubsub, .loading, .stale],
                                    categories: ["pubsub", "slow"], group: "pubsub", since: "7.0.0",
                                    summary: "List active shard channels", handler: shardchannels),
                    ]),
    ]

    /// The two kinds of channel subscription; patterns are handled on their own.
    enum ChannelKind {
        case global, shard

        var subscribeVerb: StaticString { self == .global ? "subscribe" : "ssubscribe" }
        var unsubscribeVerb: StaticString { self == .global ? "unsubscribe" : "sunsubscribe" }
        var messageVerb: StaticString { self == .global ? "message" : "smessage" }
    }

    // MARK: Subscription API

    /// The count a confirmation reports: channels plus patterns, or shard channels alone.
    static func subscriptionCount(_ client: Client, _ kind: ChannelKind) -> Int {
        kind == .global ? client.channels.count + client.patterns.count : client.shardChannels.count
    }

    /// Subscribes `client` to `channel` (no-op if it already is) and confirms.
    static func subscribeChannel(_ engine: Engine, _ client: Client, _ channel: ByteString, _ kind: ChannelKind) {
        switch kind {
        case .global:
            if !client.channels.contains(channel) {
                client.channels.append(channel)
                engine.channelSubscribers[channel, default: []].append(client)
            }
        case .shard:
            if !client.shardChannels.contains(channel) {
                client.shardChannels.append(channel)
                engine.shardChannelSubscribers[channel, default: []].append(client)
            }
        }
        confirm(client, kind.subscribeVerb, channel, subscriptionCount(client, kind))
    }

    /// Unsubscribes `client` from `channel`, confirming if `notify`. Returns whether it was subscribed.
    @discardableResult
    static func unsubscribeChannel(
        _ engine: Engine, _ client: Client, _ channel: ByteString, _ kind: ChannelKind, notify: Bool
    ) -> Bool {
        var removed = false
        switch kind {
        case .global:
            if let i = client.channels.firstIndex(of: channel) {
                client.channels.remove(at: i)
                removeSubscriber(client, channel, from: &engine.channelSubscribers)
                removed = true
            }
        case .shard:
            if let i = client.shardChannels.firstIndex(of: channel) {
                client.shardChannels.remove(at: i)
                removeSubscriber(client, channel, from: &engine.shardChannelSubscribers)
                removed = true
            }
        }
        if notify { confirm(client, kind.unsubscribeVerb, channel, subscriptionCount(client, kind)) }
        return removed
    }

    /// Subscribes `client` to `pattern` (no-op if it already is) and confirms.
    static func subscribePattern(_ engine: Engine, _ client: Client, _ pattern: ByteString) {
        if !client.patterns.contains(pattern) {
            client.patterns.append(pattern)
            engine.patternSubscribers[pattern, default: []].append(client)
        }
        confirm(client, "psubscribe", pattern, subscriptionCount(client, .global))
    }

    /// Unsubscribes `client` from `pattern`, confirming if `notify`. Returns whether it was subscribed.
    @discardableResult
    static func unsubscribePattern(_ engine: Engine, _ client: Client, _ pattern: ByteString, notify: Bool) -> Bool {
        var removed = false
        if let i = client.patterns.firstIndex(of: pattern) {
            client.patterns.remove(at: i)
            removeSubscriber(client, pattern, from: &engine.patternSubscribers)
            removed = true
        }
        if notify { confirm(client, "punsubscribe", pattern, subscriptionCount(client, .global)) }
        return removed
    }

    /// Unsubscribes `client` from every channel of `kind`. With none, still confirms with a null.
    static func unsubscribeAllChannels(_ engine: Engine, _ client: Client, _ kind: ChannelKind, notify: Bool) {
        let list = kind == .global ? client.channels : client.shardChannels
        for channel in list { unsubscribeChannel(engine, client, channel, kind, notify: notify) }
        if notify && list.isEmpty { confirm(client, kind.unsubscribeVerb, nil, subscriptionCount(client, kind)) }
    }

    /// Unsubscribes `client` from every pattern. With none, still confirms with a null.
    static func unsubscribeAllPatterns(_ engine: Engine, _ client: Client, notify: Bool) {
        let list = client.patterns
        for pattern in list { unsubscribePattern(engine, client, pattern, notify: notify) }
        if notify && list.isEmpty { confirm(client, "punsubscribe", nil, subscriptionCount(client, .global)) }
    }

    /// Drops every subscription of a client that went away (or RESET), without replies.
    static func unsubscribeAll(engine: Engine, client: Client) {
        unsubscribeAllChannels(engine, client, .global, notify: false)
        unsubscribeAllChannels(engine, client, .shard, notify: false)
        unsubscribeAllPatterns(engine, client, notify: false)
    }

    /// Sends `message` on `channel` to its subscribers (and, for global channels, to matching
    /// patterns' subscribers). Returns how many received it.
    static func publish(_ engine: Engine, from sender: Client?, channel: ByteString, message: ByteBuffer,
                        kind: ChannelKind) -> Int {
        var receivers = 0
        let subscribers = kind == .global ? engine.channelSubscribers[channel] : engine.shardChannelSubscribers[channel]
        for target in subscribers ?? [] {
            let out = target.reply
            out.pushHeader(3)
            out.bulk(kind.messageVerb)
            out.bulk(channel)
            out.bulk(message)
            if target !== sender { engine.scheduleDelivery(to: target) }
            receivers += 1
        }
        if kind == .shard || engine.patternSubscribers.isEmpty { return receivers }
        for (pattern, clients) in engine.patternSubscribers where GlobPattern(pattern.bytes).matches(channel.bytes) {
            for target in clients {
                let out = target.reply
                out.pushHeader(4)
                out.bulk("pmessage")
                out.bulk(pattern)
                out.bulk(channel)
                out.bulk(message)
                if target !== sender { engine.scheduleDelivery(to: target) }
                receivers += 1
            }
        }
        return receivers
    }

    private static func removeSubscriber(_ client: Client, _ name: ByteString, from map: inout [ByteString: [Client]]) {
        guard var list = map[name] else { return }
        list.removeAll { $0 === client }
        map[name] = list.isEmpty ? nil : list
    }

    /// A subscription confirmation: `[verb, name-or-null, count]`, pushed in RESP3.
    private static func confirm(_ client: Client, _ verb: StaticString, _ name: ByteString?, _ count: Int) {
        let out = client.reply
        out.pushHeader(3)
        out.bulk(verb)
        if let name { out.bulk(name) } else { out.nullBulk() }
        out.integer(count)
    }

    // MARK: Commands

    static func subscribe(_ c: CommandContext) throws(RedisError) {
        for i in 1..<c.count { subscribeChannel(c.engine, c.client, c.key(i), .global) }
    }

    static func unsubscribe(_ c: CommandContext) throws(RedisError) {
        if c.count == 1 {
            unsubscribeAllChannels(c.engine, c.client, .global, notify: true)
        } else {
            for i in 1..<c.count { unsubscribeChannel(c.engine, c.client, c.key(i), .global, notify: true) }
        }
    }

    static func psubscribe(_ c: CommandContext) throws(RedisError) {
        for i in 1..<c.count { subscribePattern(c.engine, c.client, c.key(i)) }
    }

    static func punsubscribe(_ c: CommandContext) throws(RedisError) {
        if c.count == 1 {
            unsubscribeAllPatterns(c.engine, c.client, notify: true)
        } else {
            for i in 1..<c.count { unsubscribePattern(c.engine, c.client, c.key(i), notify: true) }
        }
    }

    static func ssubscribe(_ c: CommandContext) throws(RedisError) {
        // SUBSCRIBE and PSUBSCRIBE are allowed inside EXEC for compatibility; SSUBSCRIBE is not.
        if c.client.denyBlocking { throw .ssubscribeDenied }
        for i in 1..<c.count { subscribeChannel(c.engine, c.client, c.key(i), .shard) }
    }

    static func sunsubscribe(_ c: CommandContext) throws(RedisError) {
        if c.count == 1 {
            unsubscribeAllChannels(c.engine, c.client, .shard, notify: true)
        } else {
            for i in 1..<c.count { unsubscribeChannel(c.engine, c.client, c.key(i), .shard, notify: true) }
        }
    }

    static func publish(_ c: CommandContext) throws(RedisError) {
        c.reply.integer(publish(c.engine, from: c.client, channel: c.key(1), message: c.arguments[2], kind: .global))
    }

    static func spublish(_ c: CommandContext) throws(RedisError) {
        c.reply.integer(publish(c.engine, from: c.client, channel: c.key(1), message: c.arguments[2], kind: .shard))
    }

    static let helpLines: [String] = [
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    ]

    static func help(_ c: CommandContext) throws(RedisError) {
        c.reply.arrayHeader(helpLines.count)
        for line in helpLines { c.reply.status(line) }
    }

    static func channels(_ c: CommandContext) throws(RedisError) {
        try channelList(c, c.engine.channelSubscribers)
    }

    static func shardchannels(_ c: CommandContext) throws(RedisError) {
        try channelList(c, c.engine.shardChannelSubscribers)
    }

    /// PUBSUB CHANNELS / SHARDCHANNELS: the active channels, filtered by an optional pattern.
    private static func channelList(_ c: CommandContext, _ map: [ByteString: [Client]]) throws(RedisError) {
        if c.count > 3 { throw .subcommandSyntax(c.arguments) }
        var names: [ByteString] = []
        if c.count == 3 {
            let pattern = GlobPattern(c.bytes(2))
            for name in map.keys where pattern.matches(name) { names.append(name) }
        } else {
            names.append(contentsOf: map.keys)
        }
        c.reply.arrayHeader(names.count)
        for name in names { c.reply.bulk(name) }
    }

    static func numsub(_ c: CommandContext) throws(RedisError) {
        numsub(c, c.engine.channelSubscribers)
    }

    static func shardnumsub(_ c: CommandContext) throws(RedisError) {
        numsub(c, c.engine.shardChannelSubscribers)
    }

    private static func numsub(_ c: CommandContext, _ map: [ByteString: [Client]]) {
        c.reply.arrayHeader((c.count - 2) * 2)
        for i in 2..<c.count {
            c.reply.bulk(c.arguments[i])
            c.reply.integer(map[c.key(i)]?.count ?? 0)
        }
    }

    static func numpat(_ c: CommandContext) throws(RedisError) {
        c.reply.integer(c.engine.patternSubscribers.count)
    }
}
