import NIOCore
import RoostRESP

/// One slow-log entry, as Redis's `slowlogEntry`.
struct SlowLogEntry {
    let id: Int64
    /// Unix time in seconds.
    let time: Int64
    let microseconds: Int64
    /// At most 32 arguments, each cut at 128 bytes with a note of what was left out.
    let arguments: [[UInt8]]
    let peer: String
    let name: [UInt8]
}

/// The slow log: the commands that ran for `slowlog-log-slower-than` microseconds or more,
/// newest first, at most `slowlog-max-len` of them (Redis's `slowlog.c`).
struct SlowLog {
    static let maxArguments = 32
    static let maxArgumentBytes = 128

    /// Oldest first; read backwards.
    var entries: [SlowLogEntry] = []
    var nextID: Int64 = 0

    /// Records a command (`name`, as `config|set`) that took `microseconds` when it is slow
    /// enough, with the arguments Redis redacts shown as `(redacted)`.
    mutating func record(_ arguments: [ByteBuffer], name: String, client: Client, microseconds: Int64,
                         slowerThan: Int, maxLength: Int) {
        if slowerThan < 0 || microseconds < Int64(slowerThan) {
            trim(to: maxLength)
            return
        }
        let redacted = Engine.redactedArguments(arguments, name)
        let kept = Swift.min(arguments.count, Self.maxArguments)
        var logged: [[UInt8]] = []
        logged.reserveCapacity(kept)
        for j in 0..<kept {
            if kept != arguments.count && j == kept - 1 {
                logged.append(Array("... (\(arguments.count - kept + 1) more arguments)".utf8))
            } else if redacted.contains(j) {
                logged.append(Array("(redacted)".utf8))
            } else if arguments[j].readableBytes > Self.maxArgumentBytes {
                let more = arguments[j].readableBytes - Self.maxArgumentBytes
                logged.append(arguments[j].getBytes(at: arguments[j].readerIndex, length: Self.maxArgumentBytes)!
                              + Array("... (\(more) more bytes)".utf8))
            } else {
                logged.append(arguments[j].bytesArray)
            }
        }
        // A client without a connection (a script's) has Redis's unknown peer.
        let peer = client.address.isEmpty ? "?:0" : client.address
        entries.append(SlowLogEntry(id: nextID, time: Engine.clock() / 1000, microseconds: microseconds,
                                    arguments: logged, peer: peer, name: client.name ?? []))
        nextID += 1
        trim(to: maxLength)
    }

    mutating func trim(to maxLength: Int) {
        if entries.count > maxLength { entries.removeFirst(entries.count - maxLength) }
    }
}

/// SLOWLOG and its subcommands, and ROLE.
enum SlowLogCommands {
    static let flags: CommandFlags = [.admin, .loading, .stale]
    static let categories = ["admin", "slow", "dangerous"]

    static let specs: [CommandSpec] = [
        CommandSpec("role", arity: 1, flags: [.noscript, .loading, .stale, .fast], categories: ["admin", "fast", "dangerous"],
                    group: "server", since: "2.8.12",
                    summary: "Return the role of the instance in the context of replication", complexity: "O(1)",
                    handler: role),
        CommandSpec("slowlog", arity: -2, categories: ["slow"], group: "server", since: "2.2.12",
                    summary: "A container for slow log commands", subcommands: [
                        CommandSpec("len", arity: 2, flags: flags, categories: categories,
                                    tips: ["request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"],
                                    group: "server", since: "2.2.12", summary: "Get the slow log's length",
                                    complexity: "O(1)", handler: length),
                        CommandSpec("get", arity: -2, flags: flags, categories: categories,
                                    tips: ["request_policy:all_nodes", "nondeterministic_output"],
                                    group: "server", since: "2.2.12", summary: "Get the slow log's entries",
                                    complexity: "O(N) where N is the number of entries returned", handler: get),
                        CommandSpec("reset", arity: 2, flags: flags, categories: categories,
                                    tips: ["request_policy:all_nodes", "response_policy:all_succeeded"],
                                    group: "server", since: "2.2.12", summary: "Clear all entries from the slow log",
                                    complexity: "O(N) where N is the number of entries in the slowlog", handler: reset),
                        CommandSpec("help", arity: 2, flags: [.loading, .stale], categories: ["slow"],
                                    group: "server", since: "6.2.0",
                                    summary: "Show helpful text about the different subcommands",
                                    complexity: "O(1)", handler: help),
                    ], complexity: "Depends on subcommand."),
    ]

    /// ROLE: a master with no replicas and replication offset 0.
    static func role(_ c: CommandContext) throws(RedisError) {
        c.reply.arrayHeader(3)
        c.reply.bulk("master")
        c.reply.integer(0)
        c.reply.arrayHeader(0)
    }

    static func length(_ c: CommandContext) throws(RedisError) {
        c.reply.integer(c.engine.slowLog.entries.count)
    }

    static func reset(_ c: CommandContext) throws(RedisError) {
        c.engine.slowLog.entries.removeAll()
        c.reply.ok()
    }

    static func get(_ c: CommandContext) throws(RedisError) {
        if c.count > 3 {
            let typed = String(decoding: c.bytes(1).prefix(128), as: UTF8.self)
            throw RedisError("ERR unknown subcommand or wrong number of arguments for '\(typed)'. Try \(String(decoding: c.bytes(0), as: UTF8.self).uppercased()) HELP.")
        }
        var count = 10
        if c.count == 3 {
            guard let n = RedisInteger.parse(c.arguments[2]), n >= -1 else {
                throw RedisError("ERR count should be greater than or equal to -1")
            }
            count = n == -1 ? c.engine.slowLog.entries.count : Int(clamping: n)
        }
        let entries = c.engine.slowLog.entries.reversed().prefix(count)
        let r = c.reply
        r.arrayHeader(entries.count)
        for e in entries {
            r.arrayHeader(6)
            r.integer(e.id)
            r.integer(e.time)
            r.integer(e.microseconds)
            r.arrayHeader(e.arguments.count)
            for argument in e.arguments { r.bulk(argument) }
            r.bulk(string: e.peer)
            r.bulk(e.name)
        }
    }

    static func help(_ c: CommandContext) throws(RedisError) {
        ConnectionCommands.writeHelp(c, [
            "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
            "HELP",
            "    Prints this help.",
        ])
    }
}
