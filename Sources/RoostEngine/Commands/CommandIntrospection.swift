import NIOCore
import RoostRESP

/// COMMAND and its subcommands: everything they report comes from the one command table.
enum CommandIntrospection {
    static let flags: CommandFlags = [.loading, .stale]
    static let categories = ["slow", "connection"]
    static let unorderedOutput = ["nondeterministic_output_order"]

    static let specs: [CommandSpec] = [
        CommandSpec("command", arity: -1, flags: flags, categories: categories, tips: unorderedOutput,
                    group: "server", since: "2.8.13", summary: "Get array of Redis command details",
                    subcommands: subcommands,
                    complexity: "O(N) where N is the total number of Redis commands", handler: all),
    ]

    /// COMMAND's subcommands, in the order Redis 7.0 lists them.
    static let subcommands: [CommandSpec] = [
        CommandSpec("getkeysandflags", arity: -4, flags: flags, categories: categories, group: "server",
                    since: "7.0.0", summary: "Extract keys and access flags given a full Redis command",
                    complexity: "O(N) where N is the number of arguments to the command", handler: getKeysAndFlags),
        CommandSpec("docs", arity: -2, flags: flags, categories: categories, tips: unorderedOutput, group: "server",
                    since: "7.0.0", summary: "Get array of specific Redis command documentation",
                    complexity: "O(N) where N is the number of commands to look up", handler: docs),
        CommandSpec("count", arity: 2, flags: flags, categories: categories, group: "server", since: "2.8.13",
                    summary: "Get total number of Redis commands", complexity: "O(1)", handler: count),
        CommandSpec("info", arity: -2, flags: flags, categories: categories, tips: unorderedOutput, group: "server",
                    since: "2.8.13", summary: "Get array of specific Redis command details, or all when no argument is given.",
                    complexity: "O(N) where N is the number of commands to look up", handler: info),
        CommandSpec("help", arity: 2, flags: flags, categories: categories, group: "server", since: "5.0.0",
                    summary: "Show helpful text about the different subcommands", complexity: "O(1)", handler: help),
        CommandSpec("list", arity: -2, flags: flags, categories: categories, tips: unorderedOutput, group: "server",
                    since: "7.0.0", summary: "Get an array of Redis command names",
                    complexity: "O(N) where N is the total number of Redis commands", handler: list),
        CommandSpec("getkeys", arity: -4, flags: flags, categories: categories, group: "server", since: "2.8.13",
                    summary: "Extract keys given a full Redis command",
                    complexity: "O(N) where N is the number of arguments to the command", handler: getKeys),
    ]

    // MARK: Lookup

    /// The command or subcommand named by a full name (`get`, `config|get`), ignoring case.
    static func lookup(_ table: CommandTable, fullName: ByteBuffer) -> (CommandSpec, String)? {
        let bytes = Array(fullName.readableBytesView)
        if let bar = bytes.firstIndex(of: UInt8(ascii: "|")) {
            guard let parent = table.lookup(ByteBuffer(bytes: bytes[..<bar])),
                  let sub = CommandTable.subcommand(of: parent, named: ByteBuffer(bytes: bytes[(bar + 1)...]))
            else { return nil }
            return (sub, "\(parent.name)|\(sub.name)")
        }
        guard let spec = table.lookup(fullName) else { return nil }
        return (spec, spec.name)
    }

    // MARK: COMMAND, COMMAND INFO, COMMAND COUNT

    static func all(_ c: CommandContext) throws(RedisError) {
        let commands = c.engine.commandTable.commands
        c.reply.arrayHeader(commands.count)
        for spec in commands { writeInfo(c.reply, spec, fullName: spec.name) }
    }

    static func count(_ c: CommandContext) throws(RedisError) {
        c.reply.integer(c.engine.commandTable.commands.count)
    }

    static func info(_ c: CommandContext) throws(RedisError) {
        if c.count == 2 { return try all(c) }
        c.reply.arrayHeader(c.count - 2)
        for i in 2..<c.count {
            if let (spec, name) = lookup(c.engine.commandTable, fullName: c.arguments[i]) {
                writeInfo(c.reply, spec, fullName: name)
            } else {
                c.reply.nullBulk()
            }
        }
    }

    /// One COMMAND INFO entry, laid out as Redis 7.0 lays it out.
    static func writeInfo(_ r: ReplyWriter, _ spec: CommandSpec, fullName: String) {
        r.arrayHeader(10)
        r.bulk(string: fullName)
        r.integer(spec.arity)
        let flagNames = CommandFlags.names.filter { spec.flags.contains($0.0) }
        r.setHeader(flagNames.count)
        for (_, name) in flagNames { r.status(name) }
        r.integer(spec.keys.first)
        r.integer(spec.keys.last)
        r.integer(spec.keys.step)
        r.setHeader(spec.categories.count)
        for category in spec.categories { r.status("@" + category) }
        r.setHeader(spec.tips.count)
        for tip in spec.tips { r.bulk(string: tip) }
        // Redis writes key specs as a set, and subcommands as a set when there are none.
        r.setHeader(spec.keySpecs.count)
        for keySpec in spec.keySpecs { writeKeySpec(r, keySpec) }
        if spec.subcommands.isEmpty { r.setHeader(0) } else { r.arrayHeader(spec.subcommands.count) }
        for sub in spec.subcommands { writeInfo(r, sub, fullName: "\(fullName)|\(sub.name)") }
    }

    static func writeKeySpec(_ r: ReplyWriter, _ k: KeySpec) {
        r.mapHeader(k.notes == nil ? 3 : 4)
        if let notes = k.notes {
            r.bulk("notes")
            r.bulk(string: notes)
        }
        r.bulk("flags")
        r.setHeader(k.flags.count)
        for flag in k.flags { r.status(flag) }
        r.bulk("begin_search")
        r.mapHeader(2)
        r.bulk("type")
        switch k.beginSearch {
        case .index(let index):
            r.bulk("index")
            r.bulk("spec")
            r.mapHeader(1)
            r.bulk("index")
            r.integer(index)
        case .keyword(let keyword, let startFrom):
            r.bulk("keyword")
            r.bulk("spec")
            r.mapHeader(2)
            r.bulk("keyword")
            r.bulk(string: keyword)
            r.bulk("startfrom")
            r.integer(startFrom)
        case .unknown:
            r.bulk("unknown")
            r.bulk("spec")
            r.mapHeader(0)
        }
        r.bulk("find_keys")
        r.mapHeader(2)
        r.bulk("type")
        switch k.findKeys {
        case .range(let lastKey, let keyStep, let limit):
            r.bulk("range")
            r.bulk("spec")
            r.mapHeader(3)
            r.bulk("lastkey")
            r.integer(lastKey)
            r.bulk("keystep")
            r.integer(keyStep)
            r.bulk("limit")
            r.integer(limit)
        case .keynum(let keyNumIndex, let firstKey, let keyStep):
            r.bulk("keynum")
            r.bulk("spec")
            r.mapHeader(3)
            r.bulk("keynumidx")
            r.integer(keyNumIndex)
            r.bulk("firstkey")
            r.integer(firstKey)
            r.bulk("keystep")
            r.integer(keyStep)
        case .unknown:
            r.bulk("unknown")
            r.bulk("spec")
            r.mapHeader(0)
        }
    }

    // MARK: COMMAND DOCS

    static func docs(_ c: CommandContext) throws(RedisError) {
        var found: [(CommandSpec, String)] = []
        if c.count == 2 {
            found = c.engine.commandTable.commands.map { ($0, $0.name) }
        } else {
            for i in 2..<c.count {
                if let hit = lookup(c.engine.commandTable, fullName: c.arguments[i]) { found.append(hit) }
            }
        }
        c.reply.mapHeader(found.count)
        for (spec, name) in found {
            c.reply.bulk(string: name)
            writeDocs(c.reply, spec, fullName: name)
        }
    }

    /// One COMMAND DOCS entry, with its fields in the order Redis 7.0 writes them.
    static func writeDocs(_ r: ReplyWriter, _ spec: CommandSpec, fullName: String) {
        let extras = CommandDocExtras.lookup(fullName)
        let complexity = spec.complexity.isEmpty ? extras?.complexity ?? "" : spec.complexity
        var fields = 3
        if !complexity.isEmpty { fields += 1 }
        if let extras {
            if !extras.docFlags.isEmpty { fields += 1 }
            if extras.deprecatedSince != nil { fields += 1 }
            if extras.replacedBy != nil { fields += 1 }
            if !extras.history.isEmpty { fields += 1 }
            if !extras.arguments.isEmpty { fields += 1 }
        }
        if !spec.subcommands.isEmpty { fields += 1 }
        r.mapHeader(fields)
        r.bulk("summary")
        r.bulk(string: spec.summary)
        r.bulk("since")
        r.bulk(string: spec.since)
        r.bulk("group")
        r.bulk(string: spec.group)
        if !complexity.isEmpty {
            r.bulk("complexity")
            r.bulk(string: complexity)
        }
        if let extras { writeDocExtras(r, extras) }
        if !spec.subcommands.isEmpty {
            r.bulk("subcommands")
            r.mapHeader(spec.subcommands.count)
            for sub in spec.subcommands {
                let name = "\(fullName)|\(sub.name)"
                r.bulk(string: name)
                writeDocs(r, sub, fullName: name)
            }
        }
    }

    /// The fields between `complexity` and `subcommands`: doc flags, deprecation, history and
    /// arguments, each only when present.
    static func writeDocExtras(_ r: ReplyWriter, _ extras: CommandDocExtras) {
        if !extras.docFlags.isEmpty {
            r.bulk("doc_flags")
            r.setHeader(extras.docFlags.count)
            for flag in extras.docFlags { r.status(flag) }
        }
        if let version = extras.deprecatedSince {
            r.bulk("deprecated_since")
            r.bulk(string: version)
        }
        if let replacement = extras.replacedBy {
            r.bulk("replaced_by")
            r.bulk(string: replacement)
        }
        if !extras.history.isEmpty {
            r.bulk("history")
            r.setHeader(extras.history.count)
            for (version, change) in extras.history {
                r.arrayHeader(2)
                r.bulk(string: version)
                r.bulk(string: change)
            }
        }
        if !extras.arguments.isEmpty {
            r.bulk("arguments")
            writeArgumentDocs(r, extras.arguments)
        }
    }

    /// An argument list as Redis 7.0 writes it: an array of maps, `oneof` and `block` arguments
    /// holding their parts under `arguments`.
    static func writeArgumentDocs(_ r: ReplyWriter, _ arguments: [CommandArgumentDoc]) {
        r.arrayHeader(arguments.count)
        for arg in arguments {
            let nested = arg.kind == .oneof || arg.kind == .block
            var fields = 2
            if arg.keySpecIndex != nil { fields += 1 }
            if arg.token != nil { fields += 1 }
            if arg.summary != nil { fields += 1 }
            if arg.since != nil { fields += 1 }
            if arg.deprecatedSince != nil { fields += 1 }
            if !arg.flags.isEmpty { fields += 1 }
            if nested { fields += 1 }
            r.mapHeader(fields)
            r.bulk("name")
            r.bulk(string: arg.name)
            r.bulk("type")
            r.bulk(string: arg.kind.rawValue)
            if let index = arg.keySpecIndex {
                r.bulk("key_spec_index")
                r.integer(index)
            }
            for (label, value) in [("token", arg.token), ("summary", arg.summary), ("since", arg.since),
                                   ("deprecated_since", arg.deprecatedSince)] {
                guard let value else { continue }
                r.bulk(string: label)
                r.bulk(string: value)
            }
            if !arg.flags.isEmpty {
                let names = CommandArgumentDoc.Flags.names.filter { arg.flags.contains($0.0) }
                r.bulk("flags")
                r.setHeader(names.count)
                for (_, name) in names { r.status(name) }
            }
            if nested {
                r.bulk("arguments")
                writeArgumentDocs(r, arg.arguments)
            }
        }
    }

    // MARK: COMMAND LIST

    static func list(_ c: CommandContext) throws(RedisError) {
        var names: [String] = []
        for spec in c.engine.commandTable.commands {
            names.append(spec.name)
            for sub in spec.subcommands { names.append("\(spec.name)|\(sub.name)") }
        }
        if c.count == 5 && c.argument(2, is: "filterby") {
            let value = c.bytes(4)
            if c.argument(3, is: "module") {
                names = []
            } else if c.argument(3, is: "aclcat") {
                let category = String(decoding: value, as: UTF8.self).lowercased()
                names = names.filter { name in
                    guard let (spec, _) = lookup(c.engine.commandTable, fullName: ByteBuffer(string: name)) else {
                        return false
                    }
                    return spec.categories.contains(category)
                }
            } else if c.argument(3, is: "pattern") {
                names = names.filter { ConfigGlob.matches(pattern: value, Array($0.utf8), ignoringCase: true) }
            } else {
                throw .syntax
            }
        } else if c.count != 2 {
            throw .syntax
        }
        c.reply.arrayHeader(names.count)
        for name in names { c.reply.bulk(string: name) }
    }

    // MARK: COMMAND GETKEYS

    static func getKeys(_ c: CommandContext) throws(RedisError) {
        let keys = try extractKeys(c)
        c.reply.arrayHeader(keys.count)
        for (index, _) in keys { c.reply.bulk(c.arguments[index]) }
    }

    static func getKeysAndFlags(_ c: CommandContext) throws(RedisError) {
        let keys = try extractKeys(c)
        c.reply.arrayHeader(keys.count)
        for (index, flags) in keys {
            c.reply.arrayHeader(2)
            c.reply.bulk(c.arguments[index])
            c.reply.setHeader(flags.count)
            for flag in flags { c.reply.status(flag) }
        }
    }

    /// The keys of the command held in arguments 2…, as (argument index, key flags), found by the
    /// shared key table (`CommandKeys`) as Redis finds them.
    static func extractKeys(_ c: CommandContext) throws(RedisError) -> [(Int, [String])] {
        let args = c.arguments[2...]
        guard case .success(let resolved) = c.engine.resolve(Array(args)) else { throw .invalidCommandSpecified }
        let spec = resolved.spec
        guard spec.commandKeys.hasKeys else { throw .commandHasNoKeys }
        let argc = args.count
        if (spec.arity > 0 && spec.arity != argc) || argc < -spec.arity { throw .invalidCommandArgumentCount }
        let keys = spec.commandKeys.keys(in: args).map { ($0.index + 2, $0.flags) }
        if keys.isEmpty {
            if spec.flags.contains(.noMandatoryKeys) { return [] }
            throw .invalidCommandArguments
        }
        return keys
    }

    static func help(_ c: CommandContext) throws(RedisError) {
        ConnectionCommands.writeHelp(c, [
            "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
            "HELP",
            "    Prints this help.",
        ])
    }
}
