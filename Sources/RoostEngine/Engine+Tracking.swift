import NIOCore

/// A client's CLIENT TRACKING mode, kept in `Client.tracking` while tracking is on.
public struct ClientTracking: Sendable {
    /// The options CLIENT TRACKING ON takes besides REDIRECT and PREFIX.
    public struct Options: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        public static let broadcast = Options(rawValue: 1 << 0)
        public static let optIn = Options(rawValue: 1 << 1)
        public static let optOut = Options(rawValue: 1 << 2)
        public static let noLoop = Options(rawValue: 1 << 3)
    }

    public var options: Options = []
    /// The client invalidations go to instead (REDIRECT), or 0.
    public var redirect: Int64 = 0
    /// BCAST prefixes, sorted by their bytes as Redis's radix tree lists them.
    public var prefixes: [ByteString] = []
    /// CLIENT CACHING YES (in OPTIN mode) or NO (in OPTOUT mode) applies to the next command.
    public var caching = false
    /// The redirect client went away (Redis's `CLIENT_TRACKING_BROKEN_REDIR`).
    public var brokenRedirect = false
}

/// Server-assisted client-side caching, Redis 7.0's `tracking.c`: the keys that tracking clients
/// read, by key name (databases are not told apart), and the BCAST prefixes with the keys
/// changed under each since the last broadcast.
struct TrackingState {
    /// Clients with tracking on (INFO `tracking_clients`).
    var clientCount = 0
    /// Tracked key → ids of the clients that may cache it.
    var table: [ByteString: [Int64]] = [:]
    /// Ids across `table` (INFO `tracking_total_items`).
    var totalItems = 0
    /// BCAST prefix → its subscribers and the keys changed under it.
    var prefixes: [ByteString: BroadcastPrefix] = [:]
    /// Set when a changed key waits in some prefix for the next broadcast.
    var broadcastPending = false
    /// The client whose command runs at top level (Redis's `server.current_client`), or 0.
    var currentClientID: Int64 = 0
    /// Invalidations for the current client, sent after its command's reply; nil is a flush.
    var pendingForCurrent: [ByteString?] = []
    /// Rounds in a row that `limitTrackingTable` ended over the limit.
    var limitRounds = 0
}

/// One BCAST prefix.
struct BroadcastPrefix {
    /// The subscribed clients, in subscription order.
    var clients: [Client] = []
    /// Keys changed since the last broadcast, with the id of the client that changed each last
    /// (0 for none), which NOLOOP leaves out.
    var changedKeys: [ByteString: Int64] = [:]
}

/// What an invalidation message carries after `invalidate`.
enum InvalidationPayload {
    /// One key: `*1 $key`.
    case key(ByteString)
    /// Every key (FLUSHDB, FLUSHALL): the null of the tracking client's protocol.
    case all(protocolVersion: Int)
    /// BCAST's keys, as an array, in byte order.
    case keys([ByteString])
}

extension Engine {
    // MARK: Tracking mode

    /// CLIENT TRACKING ON: turns tracking on for `client`, or changes its options.
    func enableTracking(_ client: Client, redirect: Int64, options: ClientTracking.Options, prefixes: [ByteString]) {
        var state = client.tracking ?? ClientTracking()
        if client.tracking == nil { tracking.clientCount += 1 }
        state.options = options
        state.redirect = redirect
        state.brokenRedirect = false
        client.tracking = state
        guard options.contains(.broadcast) else { return }
        for prefix in prefixes.isEmpty ? [ByteString([])] : prefixes {
            if tracking.prefixes[prefix]?.clients.contains(where: { $0 === client }) == true { continue }
            tracking.prefixes[prefix, default: BroadcastPrefix()].clients.append(client)
            let index = client.tracking!.prefixes.firstIndex { $0 > prefix } ?? client.tracking!.prefixes.endIndex
            client.tracking!.prefixes.insert(prefix, at: index)
        }
    }

    /// CLIENT TRACKING OFF, RESET and disconnection. The client's entries in the key table go
    /// lazily, when their keys change.
    func disableTracking(_ client: Client) {
        guard let state = client.tracking else { return }
        for prefix in state.prefixes {
            tracking.prefixes[prefix]?.clients.removeAll { $0 === client }
            if tracking.prefixes[prefix]?.clients.isEmpty == true { tracking.prefixes[prefix] = nil }
        }
        client.tracking = nil
        tracking.clientCount -= 1
    }

    // MARK: Remembering keys

    /// After a read-only command: remembers the keys it named for the tracking client that ran
    /// it, as Redis's `trackingRememberKeys`. For a script's command, the script's caller
    /// remembers the keys its EVAL or FCALL declared.
    func rememberTrackedKeys(_ resolved: ResolvedCommand, _ arguments: [ByteBuffer], for client: Client) {
        switch resolved.fullName {
        case "eval_ro", "evalsha_ro", "fcall_ro": return
        default: break
        }
        var caller = client
        var command = resolved
        var commandArguments = arguments
        if client.tracking == nil {
            guard let run = scriptRun(of: client), case .success(let outer) = resolve(run.command) else { return }
            caller = run.caller
            command = outer
            commandArguments = run.command
        }
        guard let state = caller.tracking, !state.options.contains(.broadcast) else { return }
        if state.options.contains(.optIn) && !state.caching { return }
        if state.options.contains(.optOut) && state.caching { return }
        let keys = command.spec.commandKeys.keys(in: commandArguments)
        if keys.isEmpty || command.spec.flags.contains(.pubsub) { return }
        for key in keys {
            let name = ByteString(commandArguments[key.index])
            if tracking.table[name]?.contains(caller.id) == true { continue }
            tracking.table[name, default: []].append(caller.id)
            tracking.totalItems += 1
        }
    }

    /// The script run `client` runs commands for, if it is a script client.
    private func scriptRun(of client: Client) -> ScriptRun? {
        if let scripting, scripting.scriptClient === client { return scripting.run }
        if let functionScripting, functionScripting.scriptClient === client { return functionScripting.run }
        return nil
    }

    // MARK: Invalidation

    /// Redis's `trackingInvalidateKey`: `key` changed (or, without `broadcast`, left the table),
    /// so every client that may cache it is told, and it leaves the table. `modifierID` is the
    /// client whose command changed it (0 for an expiry or an eviction), for BCAST's NOLOOP.
    /// A script's change counts as its caller's for the default mode's NOLOOP but, as in Redis
    /// 7.0 (which files it under the script's own client), as no client's for BCAST's.
    func invalidateTrackedKey(_ key: ByteString, broadcast: Bool = true, modifierID: Int64 = 0) {
        if broadcast && !tracking.prefixes.isEmpty {
            rememberKeyToBroadcast(key, modifierID: isRunningScript ? 0 : modifierID)
        }
        guard let ids = tracking.table.removeValue(forKey: key) else { return }
        tracking.totalItems -= ids.count
        // Redis's radix tree lists the ids by their little-endian bytes.
        for id in ids.sorted(by: { UInt64(bitPattern: $0).byteSwapped < UInt64(bitPattern: $1).byteSwapped }) {
            guard let target = clients[id], let state = target.tracking, !state.options.contains(.broadcast) else {
                continue
            }
            if id == tracking.currentClientID {
                if state.options.contains(.noLoop) { continue }
                tracking.pendingForCurrent.append(key)
            } else {
                sendInvalidation(to: target, .key(key))
            }
        }
    }

    /// Whether a script (EVAL or a function) is running, or suspended past busy-reply-threshold.
    private var isRunningScript: Bool { scripting?.run != nil || functionScripting?.run != nil }

    /// Files `key` under every BCAST prefix it starts with.
    private func rememberKeyToBroadcast(_ key: ByteString, modifierID: Int64) {
        let matching = key.withUnsafeBytes { keyBytes in
            tracking.prefixes.keys.filter { prefix in
                prefix.withUnsafeBytes { $0.count <= keyBytes.count && $0.elementsEqual(keyBytes.prefix($0.count)) }
            }
        }
        for prefix in matching {
            tracking.prefixes[prefix]!.changedKeys[key] = modifierID
            tracking.broadcastPending = true
        }
    }

    /// FLUSHDB, FLUSHALL: every tracking client is told that all keys are invalid, and the key
    /// table is emptied, as Redis's `trackingInvalidateKeysOnFlush`.
    func invalidateTrackedKeysOnFlush() {
        if tracking.clientCount > 0 {
            for client in clients.values.sorted(by: { $0.id < $1.id }) where client.tracking != nil {
                if client.id == tracking.currentClientID {
                    tracking.pendingForCurrent.append(nil)
                } else {
                    sendInvalidation(to: client, .all(protocolVersion: client.reply.protocolVersion))
                }
            }
        }
        tracking.table.removeAll()
        tracking.totalItems = 0
    }

    /// Sends the current client's invalidations, after its command's reply.
    func flushPendingInvalidations() {
        let pending = tracking.pendingForCurrent
        tracking.pendingForCurrent.removeAll()
        guard let client = clients[tracking.currentClientID] else { return }
        for key in pending {
            if let key {
                sendInvalidation(to: client, .key(key))
            } else {
                sendInvalidation(to: client, .all(protocolVersion: client.reply.protocolVersion))
            }
        }
    }

    /// Redis's `sendTrackingMessage`: an `invalidate` push to `client` in RESP3, or to its
    /// REDIRECT client (a `__redis__:invalidate` message when that one uses RESP2 and is
    /// subscribed). A redirect client that is gone marks the redirect broken and, in RESP3, tells
    /// `client` with `tracking-redir-broken`.
    func sendInvalidation(to client: Client, _ payload: InvalidationPayload) {
        var target = client
        var redirected = false
        if let redirect = client.tracking?.redirect, redirect != 0 {
            guard let destination = clients[redirect] else {
                client.tracking?.brokenRedirect = true
                if client.reply.isResp3 {
                    client.reply.pushHeader(2)
                    client.reply.bulk("tracking-redir-broken")
                    client.reply.integer(redirect)
                    deliverTrackingMessage(to: client)
                }
                return
            }
            target = destination
            redirected = true
        }
        let out = target.reply
        if out.isResp3 {
            out.pushHeader(2)
            out.bulk("invalidate")
        } else if redirected && target.isSubscribed {
            out.arrayHeader(3)
            out.bulk("message")
            out.bulk("__redis__:invalidate")
        } else {
            return
        }
        switch payload {
        case .key(let key):
            out.arrayHeader(1)
            out.bulk(key)
        case .all(let protocolVersion):
            if protocolVersion == 3 { out.buffer.writeStaticString("_\r\n") } else { out.buffer.writeStaticString("$-1\r\n") }
        case .keys(let keys):
            out.arrayHeader(keys.count)
            for key in keys { out.bulk(key) }
        }
        deliverTrackingMessage(to: target)
    }

    /// Output for a client other than the one whose batch is running goes out after the batch.
    private func deliverTrackingMessage(to client: Client) {
        if client.id != tracking.currentClientID { scheduleDelivery(to: client) }
    }

    /// Redis's `trackingBroadcastInvalidationMessages`, run once a batch is done: each BCAST
    /// prefix's subscribers get the keys changed under it, less, for NOLOOP, those they changed.
    /// Not while a script is busy: Redis, serving clients from inside the script, skips it.
    func broadcastInvalidations() {
        if busyScript != nil { return }
        tracking.broadcastPending = false
        for prefix in tracking.prefixes.keys.sorted() {
            guard let state = tracking.prefixes[prefix], !state.changedKeys.isEmpty else { continue }
            tracking.prefixes[prefix]!.changedKeys.removeAll()
            let keys = state.changedKeys.keys.sorted()
            for client in state.clients {
                if client.tracking?.options.contains(.noLoop) == true {
                    let others = keys.filter { state.changedKeys[$0] != client.id }
                    if !others.isEmpty { sendInvalidation(to: client, .keys(others)) }
                } else {
                    sendInvalidation(to: client, .keys(keys))
                }
            }
        }
    }

    /// Redis's `trackingLimitUsedSlots`: past `tracking-table-max-keys`, tracked keys are
    /// invalidated at random until the table fits, with more effort each round it did not.
    func limitTrackingTable() {
        let maxKeys = configuration.trackingTableMaxKeys
        if maxKeys == 0 { return }
        if tracking.table.count <= maxKeys {
            tracking.limitRounds = 0
            return
        }
        var effort = 100 * (tracking.limitRounds + 1)
        while effort > 0, let key = tracking.table.keys.randomElement() {
            effort -= 1
            invalidateTrackedKey(key, broadcast: false)
            if tracking.table.count <= maxKeys {
                tracking.limitRounds = 0
                return
            }
        }
        tracking.limitRounds += 1
    }

    // MARK: Command execution

    /// `execute` while some client tracks: the client is the current one for NOLOOP and for
    /// invalidations held until its reply, and the key table is kept within its limit first.
    ///
    /// A script that runs past busy-reply-threshold suspends with its command unfinished: its
    /// caller stays the current client (as Redis's `server.current_client` stays the caller
    /// while it serves other clients from inside the script) until `finishTrackedCommand`, and
    /// a command another client runs meanwhile (a BUSY reply, SCRIPT KILL) leaves it so.
    func executeTracked(_ arguments: [ByteBuffer], for client: Client) {
        limitTrackingTable()
        let suspended = (id: tracking.currentClientID, pending: tracking.pendingForCurrent)
        tracking.currentClientID = client.id
        tracking.pendingForCurrent = []
        executeUntracked(arguments, for: client)
        if client.inSuspendedScript { return }
        // CLIENT CACHING applies to the next command, or to a whole transaction.
        let isClientCommand = arguments[0].readableBytesView.elementsEqual("client".utf8, by: { $0 | 0x20 == $1 })
        finishTrackedCommand(of: client, resetsCaching: !isClientCommand)
        tracking.currentClientID = suspended.id
        tracking.pendingForCurrent = suspended.pending
    }

    /// Once a script that was suspended past busy-reply-threshold has finished `client`'s
    /// command: as `executeTracked` ends a command, then BCAST's broadcast, which waited for
    /// the script's end, behind the reply.
    func finishSuspendedCommand(of client: Client) {
        if tracking.currentClientID == client.id { finishTrackedCommand(of: client) }
        if tracking.broadcastPending { broadcastInvalidations() }
    }

    /// Once `client`'s command is done (a suspended script's included): the invalidations held
    /// for it follow its reply, a CLIENT CACHING choice is used up, and no client is current.
    func finishTrackedCommand(of client: Client, resetsCaching: Bool = true) {
        if !tracking.pendingForCurrent.isEmpty { flushPendingInvalidations() }
        if resetsCaching && client.tracking?.caching == true && client.transaction == nil {
            client.tracking?.caching = false
        }
        tracking.currentClientID = 0
    }
}
