import NIOCore
import RoostRESP

/// Scripting commands: EVAL, EVALSHA, their read-only forms, and SCRIPT.
enum ScriptingCommands {
    private static let evalFlags: CommandFlags = [.noscript, .stale, .skipMonitor, .noMandatoryKeys]

    static let specs: [CommandSpec] = [
        CommandSpec("eval", arity: -3, flags: evalFlags, categories: ["slow", "scripting"], group: "scripting",
                    since: "2.6.0", summary: "Execute a Lua script server side",
                    complexity: "Depends on the script that is executed.", runsScripts: true, handler: eval),
        CommandSpec("evalsha", arity: -3, flags: evalFlags, categories: ["slow", "scripting"], group: "scripting",
                    since: "2.6.0", summary: "Execute a Lua script server side",
                    complexity: "Depends on the script that is executed.", runsScripts: true, handler: evalsha),
        CommandSpec("eval_ro", arity: -3, flags: evalFlags.union(.readonly), categories: ["slow", "scripting"],
                    group: "scripting", since: "7.0.0", summary: "Execute a read-only Lua script server side",
                    complexity: "Depends on the script that is executed.", runsScripts: true,
                    handler: evalRO),
        CommandSpec("evalsha_ro", arity: -3, flags: evalFlags.union(.readonly), categories: ["slow", "scripting"],
                    group: "scripting", since: "7.0.0", summary: "Execute a read-only Lua script server side",
                    complexity: "Depends on the script that is executed.", runsScripts: true, handler: evalshaRO),
        CommandSpec("script", arity: -2, categories: ["slow"], group: "scripting", since: "2.6.0",
                    summary: "A container for Lua scripts management commands", subcommands: [
                        CommandSpec("flush", arity: -2, flags: [.noscript], categories: ["slow", "scripting"],
                                    tips: ["request_policy:all_nodes", "response_policy:all_succeeded"],
                                    group: "scripting", since: "2.6.0",
                                    summary: "Remove all the scripts from the script cache.",
                                    complexity: "O(N) with N being the number of scripts in cache",
                                    handler: scriptFlush),
                        CommandSpec("debug", arity: 3, flags: [.noscript], categories: ["slow", "scripting"],
                                    group: "scripting", since: "3.2.0",
                                    summary: "Set the debug mode for executed scripts.", complexity: "O(1)",
                                    handler: scriptDebug),
                        CommandSpec("load", arity: 3, flags: [.noscript, .stale], categories: ["slow", "scripting"],
                                    tips: ["request_policy:all_nodes", "response_policy:all_succeeded"],
                                    group: "scripting", since: "2.6.0",
                                    summary: "Load the specified Lua script into the script cache.",
                                    complexity: "O(N) with N being the length in bytes of the script body.",
                                    handler: scriptLoad),
                        CommandSpec("kill", arity: 2, flags: [.noscript, .allowBusy], categories: ["slow", "scripting"],
                                    tips: ["request_policy:all_shards", "response_policy:one_succeeded"],
                                    group: "scripting", since: "2.6.0",
                                    summary: "Kill the script currently in execution.", complexity: "O(1)",
                                    handler: scriptKill),
                        CommandSpec("exists", arity: -3, flags: [.noscript], categories: ["slow", "scripting"],
                                    tips: ["request_policy:all_shards", "response_policy:agg_logical_and"],
                                    group: "scripting", since: "2.6.0",
                                    summary: "Check existence of scripts in the script cache.",
                                    complexity: "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).",
                                    handler: scriptExists),
                        CommandSpec("help", arity: 2, flags: [.loading, .stale], categories: ["slow", "scripting"],
                                    group: "scripting", since: "5.0.0", summary: "Show helpful text about the different subcommands",
                                    complexity: "O(1)", handler: scriptHelp),
                    ]),
        CommandSpec("fcall", arity: -3, flags: evalFlags, categories: ["slow", "scripting"], group: "scripting",
                    since: "7.0.0", summary: "Invoke a function",
                    complexity: "Depends on the function that is executed.", runsScripts: true,
                    handler: fcall),
        CommandSpec("fcall_ro", arity: -3, flags: evalFlags.union(.readonly), categories: ["slow", "scripting"],
                    group: "scripting", since: "7.0.0", summary: "Invoke a read-only function",
                    complexity: "Depends on the function that is executed.",
                    runsScripts: true, handler: fcallRO),
        CommandSpec("function", arity: -2, categories: ["slow"], group: "scripting", since: "7.0.0",
                    summary: "A container for function commands", subcommands: [
                        CommandSpec("delete", arity: 3, flags: [.write, .noscript], categories: ["write", "slow", "scripting"],
                                    tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
                                    group: "scripting", since: "7.0.0", summary: "Delete a function by name",
                                    complexity: "O(1)", handler: functionDelete),
                        CommandSpec("flush", arity: -2, flags: [.write, .noscript], categories: ["write", "slow", "scripting"],
                                    tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
                                    group: "scripting", since: "7.0.0", summary: "Deleting all functions",
                                    complexity: "O(N) where N is the number of functions deleted",
                                    handler: functionFlush),
                        CommandSpec("kill", arity: 2, flags: [.noscript, .allowBusy], categories: ["slow", "scripting"],
                                    tips: ["request_policy:all_shards", "response_policy:one_succeeded"],
                                    group: "scripting", since: "7.0.0", summary: "Kill the function currently in execution.",
                                    complexity: "O(1)", handler: functionKill),
                        CommandSpec("list", arity: -2, flags: [.noscript], categories: ["slow", "scripting"],
                                    tips: ["nondeterministic_output_order"], group: "scripting", since: "7.0.0",
                                    summary: "List information about all the functions",
                                    complexity: "O(N) where N is the number of functions", handler: functionList),
                        CommandSpec("stats", arity: 2, flags: [.noscript, .allowBusy], categories: ["slow", "scripting"],
                                    tips: ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
                                    group: "scripting", since: "7.0.0",
                                    summary: "Return information about the function currently running (name, description, duration)",
                                    complexity: "O(1)", handler: functionStats),
                        CommandSpec("help", arity: 2, flags: [.loading, .stale], categories: ["slow", "scripting"],
                                    group: "scripting", since: "7.0.0", summary: "Show helpful text about the different subcommands",
                                    complexity: "O(1)", handler: functionHelp),
                        CommandSpec("load", arity: -3, flags: [.write, .denyoom, .noscript],
                                    categories: ["write", "slow", "scripting"],
                                    tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
                                    group: "scripting", since: "7.0.0",
                                    summary: "Create a function with the given arguments (name, code, description)",
                                    complexity: "O(1) (considering compilation time is redundant)",
                                    handler: functionLoad),
                        CommandSpec("dump", arity: 2, flags: [.noscript], categories: ["slow", "scripting"],
                                    group: "scripting", since: "7.0.0",
                                    summary: "Dump all functions into a serialized binary payload",
                                    complexity: "O(N) where N is the number of functions", handler: functionDump),
                        CommandSpec("restore", arity: -3, flags: [.write, .denyoom, .noscript],
                                    categories: ["write", "slow", "scripting"],
                                    tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
                                    group: "scripting", since: "7.0.0",
                                    summary: "Restore all the functions on the given payload",
                                    complexity: "O(N) where N is the number of functions on the payload",
                                    handler: functionRestore),
                    ]),
    ]

    static func eval(_ c: CommandContext) throws(RedisError) { try run(c, bySha: false, readOnly: false) }
    static func evalsha(_ c: CommandContext) throws(RedisError) { try run(c, bySha: true, readOnly: false) }
    static func evalRO(_ c: CommandContext) throws(RedisError) { try run(c, bySha: false, readOnly: true) }
    static func evalshaRO(_ c: CommandContext) throws(RedisError) { try run(c, bySha: true, readOnly: true) }

    /// Redis's `evalGenericCommand`: numkeys, then the script (compiled on first sight, or found
    /// by digest), then the run.
    private static func run(_ c: CommandContext, bySha: Bool, readOnly: Bool) throws(RedisError) {
        let numkeys = try c.integer(2)
        if numkeys > Int64(c.count - 3) { throw .scriptTooManyKeys }
        if numkeys < 0 { throw .scriptNegativeKeys }
        let lua = try c.engine.luaScripting()
        let sha: String
        if bySha {
            guard c.arguments[1].readableBytes == 40 else { throw .noScript }
            // The digest in lowercase, without intermediate arrays.
            sha = c.arguments[1].withUnsafeReadableBytes { digest in
                String(unsafeUninitializedCapacity: 40) { out in
                    for i in 0..<40 { out[i] = digest[i] >= 65 && digest[i] <= 90 ? digest[i] | 0x20 : digest[i] }
                    return 40
                }
            }
        } else {
            sha = try lua.load(c.bytes(1))
        }
        guard let script = lua.scripts[sha] else { throw .noScript }
        var readOnly = readOnly
        if let flags = script.flags {
            if readOnly && !flags.contains(.noWrites) { throw .scriptWriteFlagInReadOnlyCommand }
            if flags.contains(.noWrites) { readOnly = true }
        }
        let firstKey = 3
        let keys = c.arguments[firstKey..<(firstKey + Int(numkeys))]
        let args = c.arguments[(firstKey + Int(numkeys))...]
        lua.call(sha: sha, script, keys: keys, args: args, caller: c.client, readOnly: readOnly, command: c.arguments)
    }

    static func fcall(_ c: CommandContext) throws(RedisError) { try runFunction(c, readOnly: false) }
    static func fcallRO(_ c: CommandContext) throws(RedisError) { try runFunction(c, readOnly: true) }

    /// Redis's `fcallCommandGeneric`: the function, numkeys, the flags, then the call.
    private static func runFunction(_ c: CommandContext, readOnly: Bool) throws(RedisError) {
        let lua = try c.engine.luaFunctions()
        guard let f = lua.functions[String(decoding: c.bytes(1), as: UTF8.self)] else { throw .functionNotFound }
        guard let numkeys = RedisInteger.parse(c.arguments[2]) else { throw .badNumberOfKeys }
        if numkeys > Int64(c.count - 3) { throw .scriptTooManyKeys }
        if numkeys < 0 { throw .scriptNegativeKeys }
        if readOnly && !f.flags.contains(.noWrites) { throw .scriptWriteFlagInReadOnlyCommand }
        let keys = c.arguments[3..<(3 + Int(numkeys))]
        let args = c.arguments[(3 + Int(numkeys))...]
        lua.callFunction(f, keys: keys, args: args, caller: c.client, readOnly: readOnly || f.flags.contains(.noWrites),
                         command: c.arguments)
    }

    static func functionLoad(_ c: CommandContext) throws(RedisError) {
        var replace = false
        var i = 2
        while i < c.count - 1 {
            if c.argument(i, is: "replace") {
                replace = true
            } else {
                throw .format("Unknown option given: \(cString: c.arguments[i], limit: 128)")
            }
            i += 1
        }
        let name = try c.engine.luaFunctions().loadLibrary(c.bytes(c.count - 1), replace: replace)
        c.reply.bulk(string: name)
    }

    static func functionDelete(_ c: CommandContext) throws(RedisError) {
        let lua = try c.engine.luaFunctions()
        guard let library = lua.libraries[String(decoding: c.bytes(2), as: UTF8.self)] else { throw .libraryNotFound }
        lua.deleteLibrary(library)
        c.reply.ok()
    }

    static func functionList(_ c: CommandContext) throws(RedisError) {
        var withCode = false
        var pattern: GlobPattern?
        var i = 2
        while i < c.count {
            if !withCode && c.argument(i, is: "withcode") {
                withCode = true
            } else if pattern == nil && c.argument(i, is: "libraryname") {
                if i >= c.count - 1 { throw RedisError("ERR library name argument was not given") }
                i += 1
                pattern = GlobPattern(c.bytes(i))
            } else {
                throw .format("Unknown argument \(cString: c.arguments[i], limit: 128)")
            }
            i += 1
        }
        let lua = c.engine.functionScripting
        let libraries = (lua?.libraries.values.sorted { $0.name < $1.name } ?? []).filter {
            pattern?.matches(Array($0.name.utf8)) ?? true
        }
        c.reply.arrayHeader(libraries.count)
        for library in libraries {
            c.reply.mapHeader(withCode ? 4 : 3)
            c.reply.bulk("library_name")
            c.reply.bulk(string: library.name)
            c.reply.bulk("engine")
            c.reply.bulk("LUA")
            c.reply.bulk("functions")
            c.reply.arrayHeader(library.functionNames.count)
            for name in library.functionNames {
                guard let f = lua?.functions[name] else { continue }
                c.reply.mapHeader(3)
                c.reply.bulk("name")
                c.reply.bulk(string: f.name)
                c.reply.bulk("description")
                if let d = f.description { c.reply.bulk(d) } else { c.reply.nullBulk() }
                c.reply.bulk("flags")
                let names = ScriptFlags.names.filter { f.flags.contains($0.1) }
                c.reply.setHeader(names.count)
                for (flagName, _) in names { c.reply.status(flagName) }
            }
            if withCode {
                c.reply.bulk("library_code")
                c.reply.bulk(library.code)
            }
        }
    }

    static func functionStats(_ c: CommandContext) throws(RedisError) {
        let lua = c.engine.functionScripting
        let running = c.engine.busyScript
        if let running, running.isEval { throw .busyScript }
        c.reply.mapHeader(2)
        c.reply.bulk("running_script")
        if let running {
            c.reply.mapHeader(3)
            c.reply.bulk("name")
            c.reply.bulk(string: running.sha)
            c.reply.bulk("command")
            c.reply.arrayHeader(running.command.count)
            for argument in running.command { c.reply.bulk(argument) }
            c.reply.bulk("duration_ms")
            c.reply.integer(Engine.clock() - running.startedAt)
        } else {
            c.reply.nullBulk()
        }
        c.reply.bulk("engines")
        c.reply.mapHeader(1)
        c.reply.bulk("LUA")
        c.reply.mapHeader(2)
        c.reply.bulk("libraries_count")
        c.reply.integer(lua?.libraries.count ?? 0)
        c.reply.bulk("functions_count")
        c.reply.integer(lua?.functions.count ?? 0)
    }

    static func functionHelp(_ c: CommandContext) throws(RedisError) {
        ConnectionCommands.writeHelp(c, [
            "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
            "HELP",
            "    Prints this help.",
        ])
    }

    static func functionDump(_ c: CommandContext) throws(RedisError) {
        c.reply.bulk(c.engine.functionDumpPayload())
    }

    static func functionRestore(_ c: CommandContext) throws(RedisError) {
        if c.count > 4 {
            throw .subcommandSyntax(c.arguments)
        }
        var policy = FunctionRestorePolicy.append
        if c.count == 4 {
            if c.argument(3, is: "append") {
                policy = .append
            } else if c.argument(3, is: "replace") {
                policy = .replace
            } else if c.argument(3, is: "flush") {
                policy = .flush
            } else {
                throw RedisError("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
            }
        }
        try c.engine.restoreFunctions(c.bytes(2), policy: policy)
        c.reply.ok()
    }

    static func functionFlush(_ c: CommandContext) throws(RedisError) {
        if c.count > 3 {
            throw .subcommandSyntax(c.arguments)
        }
        if c.count == 3 && !c.argument(2, is: "sync") && !c.argument(2, is: "async") {
            throw RedisError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
        }
        c.engine.functionScripting = nil
        c.reply.ok()
    }

    static func scriptLoad(_ c: CommandContext) throws(RedisError) {
        let sha = try c.engine.luaScripting().load(c.bytes(2))
        c.reply.bulk(string: sha)
    }

    static func scriptExists(_ c: CommandContext) throws(RedisError) {
        let scripts = c.engine.scripting?.scripts ?? [:]
        c.reply.arrayHeader(c.count - 2)
        for i in 2..<c.count {
            let digest = c.bytes(i).map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }
            c.reply.integer(scripts[String(decoding: digest, as: UTF8.self)] != nil ? 1 : 0)
        }
    }

    static func scriptFlush(_ c: CommandContext) throws(RedisError) {
        if c.count > 3 || (c.count == 3 && !c.argument(2, is: "sync") && !c.argument(2, is: "async")) {
            throw RedisError("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
        }
        c.engine.scripting = nil
        c.reply.ok()
    }

    /// SCRIPT DEBUG: NO is what is already true; YES and SYNC would start Redis's Lua debugger,
    /// which Roost does not have, and are refused.
    static func scriptDebug(_ c: CommandContext) throws(RedisError) {
        if c.hasPendingReplies { throw .scriptDebugInPipeline }
        if c.argument(2, is: "no") {
            c.reply.ok()
        } else if c.argument(2, is: "yes") || c.argument(2, is: "sync") {
            throw .scriptDebugNotAllowed
        } else {
            throw .scriptDebugMode
        }
    }

    static func scriptHelp(_ c: CommandContext) throws(RedisError) {
        ConnectionCommands.writeHelp(c, [
            "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
            "HELP",
            "    Prints this help.",
        ])
    }

    static func scriptKill(_ c: CommandContext) throws(RedisError) {
        try c.engine.killBusyScript(eval: true)
        c.reply.ok()
    }

    static func functionKill(_ c: CommandContext) throws(RedisError) {
        try c.engine.killBusyScript(eval: false)
        c.reply.ok()
    }
}
