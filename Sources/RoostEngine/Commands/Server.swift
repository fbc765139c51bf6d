import NIOCore
import RoostRESP

/// Server commands: INFO, CONFIG, DBSIZE, FLUSHDB, FLUSHALL, TIME, LASTSAVE and SHUTDOWN.
/// COMMAND lives in CommandIntrospection.swift.
enum ServerCommands {
    static let adminFlags: CommandFlags = [.admin, .noscript, .loading, .stale]
    static let allShards = ["request_policy:all_shards", "response_policy:all_succeeded"]

    static let specs: [CommandSpec] = [
        CommandSpec("info", arity: -1, flags: [.loading, .stale], categories: ["slow", "dangerous"],
                    tips: ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
                    group: "server", summary: "Get information and statistics about the server",
                    complexity: "O(1)", handler: info),
        CommandSpec("config", arity: -2, categories: ["slow"], group: "server", since: "2.0.0",
                    summary: "A container for server configuration commands", subcommands: configSubcommands,
                    complexity: "Depends on subcommand."),
        CommandSpec("dbsize", arity: 1, flags: [.readonly, .fast], categories: ["keyspace", "read", "fast"],
                    tips: ["request_policy:all_shards", "response_policy:agg_sum"], group: "server",
                    summary: "Return the number of keys in the selected database", complexity: "O(1)",
                    handler: dbsize),
        CommandSpec("flushdb", arity: -1, flags: [.write], categories: ["keyspace", "write", "slow", "dangerous"],
                    tips: allShards, group: "server", summary: "Remove all keys from the current database",
                    complexity: "O(N) where N is the number of keys in the selected database", handler: flushdb),
        CommandSpec("flushall", arity: -1, flags: [.write], categories: ["keyspace", "write", "slow", "dangerous"],
                    tips: allShards, group: "server", summary: "Remove all keys from all databases",
                    complexity: "O(N) where N is the total number of keys in all databases", handler: flushall),
        CommandSpec("time", arity: 1, flags: [.loading, .stale, .fast], categories: ["fast"],
                    tips: ["nondeterministic_output"], group: "server", since: "2.6.0",
                    summary: "Return the current server time", complexity: "O(1)", handler: time),
        CommandSpec("lastsave", arity: 1, flags: [.loading, .stale, .fast], categories: ["admin", "fast", "dangerous"],
                    tips: ["nondeterministic_output"], group: "server",
                    summary: "Get the UNIX time stamp of the last successful save to disk", complexity: "O(1)",
                    handler: lastsave),
        CommandSpec("shutdown", arity: -1, flags: [.admin, .noscript, .loading, .stale, .noMulti, .allowBusy],
                    categories: ["admin", "slow", "dangerous"], group: "server",
                    summary: "Synchronously save the dataset to disk and then shut down the server",
                    complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
                    handler: shutdown),
    ]

    /// CONFIG's subcommands, in the order Redis 7.0 lists them.
    static let configSubcommands: [CommandSpec] = [
        CommandSpec("rewrite", arity: 2, flags: adminFlags,
                    categories: ["admin", "slow", "dangerous"], group: "server", since: "2.8.0",
                    summary: "Rewrite the configuration file with the in memory configuration",
                    complexity: "O(1)", handler: configRewrite),
        CommandSpec("resetstat", arity: 2, flags: adminFlags, categories: ["admin", "slow", "dangerous"],
                    group: "server", since: "2.0.0", summary: "Reset the stats returned by INFO",
                    complexity: "O(1)", handler: configResetStat),
        CommandSpec("help", arity: 2, flags: [.loading, .stale], categories: ["slow"], group: "server",
                    since: "5.0.0", summary: "Show helpful text about the different subcommands",
                    complexity: "O(1)", handler: configHelp),
        CommandSpec("get", arity: -3, flags: adminFlags, categories: ["admin", "slow", "dangerous"],
                    group: "server", since: "2.0.0", summary: "Get the values of configuration parameters",
                    complexity: "O(N) when N is the number of configuration parameters provided", handler: configGet),
        CommandSpec("set", arity: -4, flags: adminFlags, categories: ["admin", "slow", "dangerous"],
                    tips: ["request_policy:all_nodes", "response_policy:all_succeeded"], group: "server",
                    since: "2.0.0", summary: "Set configuration parameters to the given values",
                    complexity: "O(N) when N is the number of configuration parameters provided", handler: configSet),
    ]

    static func info(_ c: CommandContext) throws(RedisError) {
        var sections: [String] = []
        for i in 1..<c.count {
            sections.append(String(decoding: c.arguments[i].readableBytesView, as: UTF8.self).lowercased())
        }
        c.reply.verbatim(bytes: ServerInfo.bytes(engine: c.engine, sections: sections))
    }

    static func dbsize(_ c: CommandContext) throws(RedisError) {
        c.reply.integer(c.database.keys.count)
    }

    /// Reads FLUSHDB/FLUSHALL's optional ASYNC|SYNC argument. Both run synchronously in Roost.
    static func flushMode(_ c: CommandContext) throws(RedisError) {
        if c.count > 2 { throw .syntax }
        if c.count == 2 && !c.argument(1, is: "async") && !c.argument(1, is: "sync") { throw .syntax }
    }

    static func flushdb(_ c: CommandContext) throws(RedisError) {
        try flushMode(c)
        c.engine.signalFlushedDatabase(c.database)
        c.engine.invalidateTrackedKeysOnFlush()
        c.database.removeAll()
        c.reply.ok()
    }

    static func flushall(_ c: CommandContext) throws(RedisError) {
        try flushMode(c)
        for db in c.engine.databases {
            c.engine.signalFlushedDatabase(db)
            db.removeAll()
        }
        c.engine.invalidateTrackedKeysOnFlush()
        c.engine.resetRDBAfterFlushAll()
        c.reply.ok()
    }

    static func time(_ c: CommandContext) throws(RedisError) {
        let us = Engine.clockMicroseconds()
        c.reply.arrayHeader(2)
        c.reply.bulk(decimal: us / 1_000_000)
        c.reply.bulk(decimal: us % 1_000_000)
    }

    static func lastsave(_ c: CommandContext) throws(RedisError) {
        c.reply.integer(c.engine.lastSave)
    }

    static func shutdown(_ c: CommandContext) throws(RedisError) {
        var save = false, noSave = false, abort = false, other = false, force = false
        for i in 1..<c.count {
            if c.argument(i, is: "nosave") {
                noSave = true
            } else if c.argument(i, is: "save") {
                save = true
            } else if c.argument(i, is: "now") || c.argument(i, is: "force") {
                other = true
                if c.argument(i, is: "force") { force = true }
            } else if c.argument(i, is: "abort") {
                abort = true
            } else {
                throw .syntax
            }
        }
        if (abort && (save || noSave || other)) || (save && noSave) { throw .syntax }
        // Roost never has a shutdown in progress to abort: it stops at once.
        if abort { throw .noShutdownInProgress }
        // A busy script blocks every shutdown but SHUTDOWN NOSAVE, which stops it.
        if !noSave, let busy = c.engine.busyReply { throw busy }
        if noSave { c.engine.abortBusyScript() }
        // The first rewrite after CONFIG SET appendonly yes holds the only complete copy of the
        // data that will be logged: without FORCE, Redis refuses to stop before it is written.
        if c.engine.aof.waitingForRewrite && c.engine.appendOnlyRewriteInProgress && !force {
            throw .shutdownFailed
        }
        // With save points set, SHUTDOWN saves unless NOSAVE; without, only SHUTDOWN SAVE does.
        if save || (!noSave && !c.engine.configuration.savePoints.isEmpty) {
            // A running BGSAVE would rename an older image over this one.
            c.engine.abandonBackgroundSave()
            do {
                try c.engine.saveRDB()
            } catch {
                throw .shutdownFailed
            }
        }
        c.client.closeAfterReply = true
        c.engine.shutdownHandler?()
    }

    // MARK: CONFIG

    static func configHelp(_ c: CommandContext) throws(RedisError) {
        ConnectionCommands.writeHelp(c, [
            "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
            "HELP",
            "    Prints this help.",
        ])
    }

    static func configGet(_ c: CommandContext) throws(RedisError) {
        var matched: [String] = []
        // Each parameter once, whatever the case it was asked in.
        var seen = Set<String>()
        for i in 2..<c.count {
            let pattern = c.bytes(i)
            let isGlob = pattern.contains { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "[") }
            if !isGlob {
                // An exact name is reported as it was asked for, as Redis does.
                let asked = String(decoding: pattern, as: UTF8.self)
                if EngineConfiguration.parameterNames.contains(asked.lowercased()), seen.insert(asked.lowercased()).inserted {
                    matched.append(asked)
                }
                continue
            }
            // Hidden parameters (testing knobs) answer only to their exact name, as in Redis.
            for parameter in EngineConfiguration.parameters
            where !EngineConfiguration.hiddenParameters.contains(parameter.name) && !seen.contains(parameter.name)
                && ConfigGlob.matches(pattern: pattern, Array(parameter.name.utf8), ignoringCase: true) {
                seen.insert(parameter.name)
                matched.append(parameter.name)
            }
        }
        c.reply.mapHeader(matched.count)
        let configuration = c.engine.configuration
        for name in matched {
            c.reply.bulk(string: name)
            c.reply.bulk(string: configuration.value(of: name.lowercased()) ?? "")
        }
    }

    static func configSet(_ c: CommandContext) throws(RedisError) {
        if c.count % 2 != 0 { throw .syntax }
        var names: [String] = []
        var i = 2
        while i < c.count {
            let name = String(decoding: c.arguments[i].readableBytesView, as: UTF8.self).lowercased()
            guard let parameter = EngineConfiguration.parameters.first(where: { $0.name == name }) else {
                throw .configSetUnknown(c.arguments[i])
            }
            if case .immutable = parameter.kind { throw .configSetFailed(c.arguments[i].readableBytesView, "can't set immutable config") }
            if EngineConfiguration.protectedParameters.contains(name) && !c.engine.configuration.allowsProtectedConfigs(from: c.client) {
                throw .configSetFailed(c.arguments[i].readableBytesView, "can't set protected config")
            }
            if names.contains(name) { throw .configSetFailed(c.arguments[i].readableBytesView, "duplicate parameter") }
            names.append(name)
            i += 2
        }
        var updated = c.engine.configuration
        for (k, name) in names.enumerated() {
            let value = String(decoding: c.arguments[3 + 2 * k].readableBytesView, as: UTF8.self)
            if let reason = updated.setParameter(name, value) { throw .configSetFailed(name.utf8, reason) }
        }
        let appendOnly = updated.appendOnly
        updated.appendOnly = c.engine.configuration.appendOnly
        if updated.requirePass != c.engine.configuration.requirePass {
            c.engine.acl.setDefaultPassword(updated.requirePass, table: c.engine.commandTable)
        }
        let keptHistory = c.engine.configuration.aofDisableAutoGC
        c.engine.configuration = updated
        if keptHistory && !updated.aofDisableAutoGC { c.engine.deleteAppendOnlyHistory() }
        if appendOnly != c.engine.configuration.appendOnly {
            do {
                try c.engine.setAppendOnly(appendOnly, inTransaction: c.client.denyBlocking)
            } catch {
                throw .configSetFailed("appendonly".utf8, "Unable to turn on AOF. Check server logs.")
            }
        }
        c.reply.ok()
    }

    /// CONFIG REWRITE (ConfigRewrite.swift).
    static func configRewrite(_ c: CommandContext) throws(RedisError) {
        try c.engine.rewriteConfigFile()
        c.reply.ok()
    }

    static func configResetStat(_ c: CommandContext) throws(RedisError) {
        c.engine.statistics = EngineStatistics()
        c.reply.ok()
    }
}

/// Redis's glob matching (`stringmatchlen`): `*`, `?`, `[...]` with ranges and `^`, and `\` escapes.
enum ConfigGlob {
    static func matches(pattern: [UInt8], _ string: [UInt8], ignoringCase: Bool) -> Bool {
        match(pattern[...], string[...], ignoringCase)
    }

    static func lower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c | 0x20 : c }

    static func match(_ p: ArraySlice<UInt8>, _ s: ArraySlice<UInt8>, _ nocase: Bool) -> Bool {
        var p = p, s = s
        while let pc = p.first {
            switch pc {
            case UInt8(ascii: "*"):
                while p.count > 1 && p[p.startIndex + 1] == UInt8(ascii: "*") { p = p.dropFirst() }
                if p.count == 1 { return true }
                while true {
                    if match(p.dropFirst(), s, nocase) { return true }
                    if s.isEmpty { return false }
                    s = s.dropFirst()
                }
            case UInt8(ascii: "?"):
                if s.isEmpty { return false }
                s = s.dropFirst()
                p = p.dropFirst()
            case UInt8(ascii: "["):
                guard let sc = s.first else { return false }
                p = p.dropFirst()
                let not = p.first == UInt8(ascii: "^")
                if not { p = p.dropFirst() }
                var found = false
                while let c = p.first {
                    if c == UInt8(ascii: "\\") && p.count >= 2 {
                        p = p.dropFirst()
                        if p.first == sc { found = true }
                    } else if c == UInt8(ascii: "]") {
                        break
                    } else if p.count >= 3 && p[p.startIndex + 1] == UInt8(ascii: "-") {
                        var lo = c, hi = p[p.startIndex + 2]
                        if lo > hi { swap(&lo, &hi) }
                        p = p.dropFirst(2)
                        let x = nocase ? lower(sc) : sc
                        let l = nocase ? lower(lo) : lo, h = nocase ? lower(hi) : hi
                        if x >= l && x <= h { found = true }
                    } else {
                        if nocase ? lower(c) == lower(sc) : c == sc { found = true }
                    }
                    p = p.dropFirst()
                }
                if not { found = !found }
                if !found { return false }
                s = s.dropFirst()
                if !p.isEmpty { p = p.dropFirst() }
            default:
                var literal = pc
                if pc == UInt8(ascii: "\\") && p.count >= 2 {
                    p = p.dropFirst()
                    literal = p.first ?? pc
                }
                guard let sc = s.first else { return false }
                if nocase ? lower(literal) != lower(sc) : literal != sc { return false }
                s = s.dropFirst()
                p = p.dropFirst()
            }
        }
        return s.isEmpty
    }
}
