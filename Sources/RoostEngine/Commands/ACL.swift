import NIOCore

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// ACL and its subcommands (Redis's `aclCommand`).
enum ACLCommands {
    static let adminFlags: CommandFlags = [.admin, .noscript, .loading, .stale]
    static let adminCategories = ["admin", "slow", "dangerous"]

    static let specs: [CommandSpec] = [
        CommandSpec("acl", arity: -2, categories: ["slow"], group: "server", since: "6.0.0",
                    summary: "A container for Access List Control commands ", subcommands: [
                        admin("list", arity: 2, summary: "List the current ACL rules in ACL config file format",
                              complexity: "O(N). Where N is the number of configured users.", handler: list),
                        open("cat", arity: -2, summary: "List the ACL categories or the commands inside a category",
                             complexity: "O(1) since the categories and commands are a fixed set.", handler: cat),
                        admin("dryrun", arity: -4, since: "7.0.0",
                              summary: "Returns whether the user can execute the given command without executing the command.",
                              complexity: "O(1).", handler: dryrun),
                        admin("deluser", arity: -3, summary: "Remove the specified ACL users and the associated rules",
                              complexity: "O(1) amortized time considering the typical user.", handler: deluser),
                        admin("getuser", arity: 3, summary: "Get the rules for a specific ACL user",
                              complexity: "O(N). Where N is the number of password, command and pattern rules that the user has.",
                              handler: getuser),
                        admin("users", arity: 2, summary: "List the username of all the configured ACL rules",
                              complexity: "O(N). Where N is the number of configured users.", handler: users),
                        CommandSpec("help", arity: 2, flags: [.loading, .stale], categories: ["slow"], group: "server",
                                    since: "6.0.0", summary: "Show helpful text about the different subcommands",
                                    complexity: "O(1)", handler: help),
                        admin("setuser", arity: -3, summary: "Modify or create the rules for a specific ACL user",
                              complexity: "O(N). Where N is the number of rules provided.", handler: setuser),
                        admin("log", arity: -2, summary: "List latest events denied because of ACLs in place",
                              complexity: "O(N) with N being the number of entries shown.", handler: log),
                        open("whoami", arity: 2, summary: "Return the name of the user associated to the current connection",
                             complexity: "O(1)", handler: whoami),
                        admin("load", arity: 2, summary: "Reload the ACLs from the configured ACL file",
                              complexity: "O(N). Where N is the number of configured users.", handler: load),
                        admin("save", arity: 2, summary: "Save the current ACL rules in the configured ACL file",
                              complexity: "O(N). Where N is the number of configured users.", handler: save),
                        open("genpass", arity: -2, summary: "Generate a pseudorandom secure password to use for ACL users",
                             complexity: "O(1)", handler: genpass),
                    ], complexity: "Depends on subcommand."),
    ]

    /// A subcommand flagged and categorised as Redis's administrative ACL subcommands are.
    private static func admin(_ name: String, arity: Int, since: String = "6.0.0", summary: String,
                              complexity: String, handler: @escaping CommandHandler) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: adminFlags, categories: adminCategories, group: "server", since: since,
                    summary: summary, complexity: complexity, handler: handler)
    }

    /// A subcommand any user may be given without administrative rights.
    private static func open(_ name: String, arity: Int, summary: String, complexity: String,
                             handler: @escaping CommandHandler) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: [.noscript, .loading, .stale], categories: ["slow"], group: "server",
                    since: "6.0.0", summary: summary, complexity: complexity, handler: handler)
    }

    // MARK: Users

    /// Joins a `(…)` selector given over several arguments into one rule, as Redis's
    /// `ACLMergeSelectorArguments` does.
    static func mergeSelectors(_ arguments: ArraySlice<ByteBuffer>) throws(RedisError) -> [[UInt8]] {
        var merged: [[UInt8]] = []
        var open: (start: [UInt8], text: [UInt8])?
        for argument in arguments {
            let word = argument.bytesArray
            if word.first == UInt8(ascii: "(") && word.last != UInt8(ascii: ")") {
                open = (word, word)
                continue
            }
            if let started = open {
                let text = started.text + [UInt8(ascii: " ")] + word
                if word.last == UInt8(ascii: ")") {
                    merged.append(text)
                    open = nil
                } else {
                    open = (started.start, text)
                }
                continue
            }
            merged.append(word)
        }
        if let open { throw .aclUnmatchedParenthesis(open.start) }
        return merged
    }

    /// `user`'s state after `rules`, applied to a copy.
    static func applying(_ rules: [[UInt8]], to user: ACLUser, engine: Engine) throws(RedisError) -> ACLUser {
        let changed = user.copy()
        for rule in rules {
            do {
                try changed.apply(rule, table: engine.commandTable, allChannels: engine.aclAllChannelsByDefault)
            } catch {
                throw .aclSetUser(rule, error.reason)
            }
        }
        return changed
    }

    static func setuser(_ c: CommandContext) throws(RedisError) {
        // As Redis's `ACLStringHasSpaces`: no blank (`isspace`) and no NUL in a name.
        if ACLSelector.hasBlanks(c.bytes(2)) { throw .aclUsernameHasSpaces }
        let name = c.bytes(2)
        let rules = try mergeSelectors(c.arguments[3...])
        let current = c.engine.acl.users[name] ?? ACLUser(name: name, allChannels: c.engine.aclAllChannelsByDefault)
        c.engine.acl.store(try applying(rules, to: current, engine: c.engine))
        if let user = c.engine.acl.users[name] {
            disconnectClients(of: user, c) { !user.allowsSubscriptions(of: $0) }
        }
        c.reply.ok()
    }

    static func getuser(_ c: CommandContext) throws(RedisError) {
        guard let user = c.engine.acl.user(named: c.bytes(2)) else {
            c.reply.nullBulk()
            return
        }
        let r = c.reply, table = c.engine.commandTable
        r.mapHeader(6)
        r.bulk("flags")
        r.setHeader(user.flags.count)
        for flag in user.flags { r.bulk(string: flag) }
        r.bulk("passwords")
        r.arrayHeader(user.passwords.count)
        for password in user.passwords { r.bulk(string: password) }
        writeSelector(user.root, to: r, table: table)
        r.bulk("selectors")
        r.arrayHeader(user.selectors.count)
        for selector in user.selectors {
            r.mapHeader(3)
            writeSelector(selector, to: r, table: table)
        }
    }

    private static func writeSelector(_ selector: ACLSelector, to r: ReplyWriter, table: CommandTable) {
        r.bulk("commands")
        r.bulk(string: selector.commandsDescription(table: table))
        r.bulk("keys")
        r.bulk(string: selector.keysDescription)
        r.bulk("channels")
        r.bulk(string: selector.channelsDescription)
    }

    static func deluser(_ c: CommandContext) throws(RedisError) {
        var deleted = 0
        for i in 2..<c.count {
            let name = c.bytes(i)
            if name == c.engine.acl.defaultUser.nameBytes { throw .aclDefaultUserUndeletable }
            guard let user = c.engine.acl.remove(name) else { continue }
            deleted += 1
            disconnectClients(of: user, c)
        }
        c.reply.integer(deleted)
    }

    /// Closes the connections authenticated as `user` (those `condition` picks): a user that no
    /// longer exists, or subscriptions it may no longer have.
    static func disconnectClients(of user: ACLUser, _ c: CommandContext, where condition: (Client) -> Bool = { _ in true }) {
        for client in c.engine.clients.values where client.user === user && condition(client) {
            ConnectionCommands.kill(client, by: c)
        }
    }

    static func list(_ c: CommandContext) throws(RedisError) {
        let lines = userDescriptions(c.engine)
        c.reply.arrayHeader(lines.count)
        for line in lines { c.reply.bulk(line) }
    }

    /// Every user as ACL LIST writes it, by name.
    static func userDescriptions(_ engine: Engine) -> [[UInt8]] {
        engine.acl.users.keys.sorted { $0.lexicographicallyPrecedes($1) }.map {
            engine.acl.users[$0]!.description(table: engine.commandTable)
        }
    }

    /// `userDescriptions` as text, for CONFIG REWRITE.
    static func describeUsers(_ engine: Engine) -> [String] {
        userDescriptions(engine).map { String(decoding: $0, as: UTF8.self) }
    }

    static func users(_ c: CommandContext) throws(RedisError) {
        let names = c.engine.acl.users.keys.sorted { $0.lexicographicallyPrecedes($1) }
        c.reply.arrayHeader(names.count)
        for name in names { c.reply.bulk(name) }
    }

    static func whoami(_ c: CommandContext) throws(RedisError) {
        c.reply.bulk(c.client.user?.nameBytes ?? Array("default".utf8))
    }

    // MARK: Categories, passwords, dry runs

    static func cat(_ c: CommandContext) throws(RedisError) {
        if c.count > 3 { throw unknownSubcommand(c) }
        if c.count == 2 {
            c.reply.arrayHeader(ACLSelector.categories.count)
            for category in ACLSelector.categories { c.reply.bulk(string: category) }
            return
        }
        let category = String(decoding: c.bytes(2), as: UTF8.self).lowercased()
        guard ACLSelector.categories.contains(category) else { throw .aclUnknownCategory(c.bytes(2)) }
        var names: [String] = []
        for spec in c.engine.commandTable.commands {
            if spec.categories.contains(category) { names.append(spec.name) }
            for sub in spec.subcommands where sub.categories.contains(category) { names.append(spec.name + "|" + sub.name) }
        }
        c.reply.arrayHeader(names.count)
        for name in names { c.reply.bulk(string: name) }
    }

    static func genpass(_ c: CommandContext) throws(RedisError) {
        if c.count > 3 { throw unknownSubcommand(c) }
        var bits: Int64 = 256
        if c.count == 3 {
            bits = try c.integer(2)
            if bits <= 0 || bits > 4096 { throw .aclGenpassBits }
        }
        let digits = Array("0123456789abcdef".utf8)
        var generator = SystemRandomNumberGenerator()
        let text = (0..<Int((bits + 3) / 4)).map { _ in digits[Int.random(in: 0..<16, using: &generator)] }
        c.reply.bulk(text)
    }

    static func dryrun(_ c: CommandContext) throws(RedisError) {
        guard let user = c.engine.acl.user(named: c.bytes(2)) else { throw .aclUserNotFound(c.arguments[2]) }
        let arguments = Array(c.arguments[3...])
        guard case .success(let command) = c.engine.resolve(arguments) else { throw .aclCommandNotFound(c.arguments[3]) }
        let spec = command.spec
        if (spec.arity > 0 && spec.arity != arguments.count) || arguments.count < -spec.arity {
            throw .wrongArity(command.fullName)
        }
        guard let denial = user.check(command, arguments) else {
            c.reply.ok()
            return
        }
        let text: String
        switch denial {
        case .command: text = "This user has no permissions to run the '\(command.fullName)' command"
        case .key(let i): text = "This user has no permissions to access the '\(String(decoding: arguments[i].readableBytesView, as: UTF8.self))' key"
        case .channel(let i):
            text = "This user has no permissions to access the '\(String(decoding: arguments[i].readableBytesView, as: UTF8.self))' channel"
        }
        c.reply.bulk(string: text)
    }

    // MARK: Log

    static func log(_ c: CommandContext) throws(RedisError) {
        if c.count > 3 { throw unknownSubcommand(c) }
        var count = 10
        if c.count == 3 {
            if c.argument(2, is: "reset") {
                c.engine.acl.log.removeAll()
                c.reply.ok()
                return
            }
            count = Int(clamping: max(0, try c.integer(2)))
        }
        let entries = c.engine.acl.log.prefix(count)
        let r = c.reply, now = Engine.clock()
        r.arrayHeader(entries.count)
        for entry in entries {
            r.mapHeader(7)
            r.bulk("count")
            r.integer(entry.count)
            r.bulk("reason")
            r.bulk(string: entry.reason)
            r.bulk("context")
            r.bulk(string: entry.context)
            r.bulk("object")
            r.bulk(entry.object)
            r.bulk("username")
            r.bulk(entry.username)
            r.bulk("age-seconds")
            r.double(Double(now - entry.createdAt) / 1000)
            r.bulk("client-info")
            r.bulk(entry.clientInfo)
        }
    }

    // MARK: File

    static func save(_ c: CommandContext) throws(RedisError) {
        let path = c.engine.configuration.aclFile
        if path.isEmpty { throw .aclNoFile }
        let text = userDescriptions(c.engine).flatMap { $0 + [UInt8(ascii: "\n")] }
        guard writeFile(path, text) else {
            throw RedisError("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
        }
        c.reply.ok()
    }

    /// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
    private static func writeFile(_ path: String, _ bytes: [UInt8]) -> Bool {
        let temporary = path + ".tmp-\(getpid())"
        guard let file = fopen(temporary, "w") else { return false }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        let closed = fclose(file) == 0
        guard written == bytes.count && closed && rename(temporary, path) == 0 else {
            unlink(temporary)
            return false
        }
        return true
    }

    static func load(_ c: CommandContext) throws(RedisError) {
        if c.engine.configuration.aclFile.isEmpty { throw .aclNoFile }
        try c.engine.loadACLFile()
        c.reply.ok()
    }

    static func help(_ c: CommandContext) throws(RedisError) {
        ConnectionCommands.writeHelp(c, [
            "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
            "HELP",
            "    Prints this help.",
        ])
    }

    static func unknownSubcommand(_ c: CommandContext) -> RedisError {
        .format("unknown subcommand or wrong number of arguments for '\(cString: c.arguments[1], limit: 128)'. Try ACL HELP.")
    }
}

extension Engine {
    /// Replaces the users with those of `aclfile` (ACL LOAD, and at start). Each line is
    /// `user <name> <rule>…`; nothing changes unless every line is valid.
    func loadACLFile() throws(RedisError) {
        let path = configuration.aclFile
        guard let file = fopen(path, "r") else {
            throw .format("Error loading ACLs, opening file '\(path)': \(String(cString: strerror(errno)))")
        }
        let bytes = Engine.readToEnd(file)
        var loaded: [ACLUser] = []
        var seen: Set<[UInt8]> = []
        var errors = ""
        let blanks: Set<UInt8> = [9, 10, 13, 32]
        for (number, rawLine) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let trimmed = rawLine.drop { blanks.contains($0) }.reversed().drop { blanks.contains($0) }.reversed()
            if trimmed.isEmpty { continue }
            // Like Redis, words are split at every single space.
            let line = trimmed.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false).map(Array.init)
            let lineNumber = number + 1
            guard line.count >= 2, line[0] == Array("user".utf8) else {
                errors += "\(path):\(lineNumber) should start with user keyword followed by the username. "
                continue
            }
            let name = String(decoding: line[1], as: UTF8.self)
            if !seen.insert(line[1]).inserted {
                errors += "WARNING: Duplicate user '\(name)' found on line \(lineNumber). "
                continue
            }
            guard let rules = try? ACLCommands.mergeSelectors(line[2...].map { ByteBuffer(bytes: $0) }[...]) else {
                errors += "\(path):\(lineNumber): Unmatched parenthesis in selector definition. "
                continue
            }
            let user = ACLUser(name: line[1], allChannels: aclAllChannelsByDefault)
            do {
                for rule in rules { try user.apply(rule, table: commandTable, allChannels: aclAllChannelsByDefault) }
                loaded.append(user)
            } catch {
                errors += "\(path):\(lineNumber): \(error.reason). "
            }
        }
        if !errors.isEmpty {
            throw RedisError("ERR " + errors + "WARNING: ACL errors detected, no change to the previously active ACL rules was performed")
        }
        acl.replaceUsers(with: loaded, table: commandTable)
        for client in clients.values {
            guard let user = client.user, acl.users[user.nameBytes] !== user else { continue }
            // As CLIENT KILL: forgotten now, closed once its pending replies are written.
            client.closeAfterReply = true
            removeClient(client)
            scheduleDelivery(to: client)
        }
    }
}
