import NIOCore

/// Why the ACL refused a command, ranked as Redis ranks them when no selector allows it.
enum ACLDenial: Equatable {
    case command
    /// The refused key's argument index.
    case key(Int)
    /// The refused channel's argument index.
    case channel(Int)

    /// Redis's `ACL_DENIED_*` values: the higher one is reported.
    var rank: Int {
        switch self {
        case .command: return 1
        case .key: return 2
        case .channel: return 4
        }
    }

    /// The argument the denial is about, 0 for the command.
    var position: Int {
        switch self {
        case .command: return 0
        case .key(let i), .channel(let i): return i
        }
    }
}

/// One set of permissions, Redis's `aclSelector`: the commands a user may run, with the keys
/// and channels those commands may touch. A user has a root selector and any number of
/// further ones; a command is allowed when one of them allows it.
struct ACLSelector {
    /// A key pattern with the access it grants (`~p` both, `%R~p` reading, `%W~p` writing).
    struct KeyPattern {
        let pattern: [UInt8]
        let glob: GlobPattern
        let read: Bool
        let write: Bool

        /// The pattern as ACL LIST writes it.
        var description: String {
            let text = String(decoding: pattern, as: UTF8.self)
            if read && write { return "~" + text }
            return (read ? "%R~" : "%W~") + text
        }
    }

    /// The categories, in the order ACL CAT lists them (and ACL LIST's description tries them).
    static let categories = [
        "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog",
        "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection",
        "transaction", "scripting",
    ]

    /// Set by `+@all` and kept until a command is taken away (Redis's `SELECTOR_FLAG_ALLCOMMANDS`).
    var allCommands = false
    /// Set by `+@all`, cleared only by `-@all`: the selector allows commands added later.
    var allowsFutureCommands = false
    /// The commands and subcommands allowed, by spec.
    var allowed: Set<ObjectIdentifier> = []
    /// First arguments allowed to a command not otherwise allowed (`+select|0`, Redis's
    /// `allowed_firstargs`), by spec, in the order added; compared ignoring case.
    var firstArguments: [ObjectIdentifier: [[UInt8]]] = [:]
    var allKeys = false
    var keyPatterns: [KeyPattern] = []
    var allChannels = false
    var channelPatterns: [[UInt8]] = []

    /// Whether the selector allows everything, so that checking it can be skipped.
    var allowsEverything: Bool { allCommands && allKeys && allChannels }

    // MARK: Rules

    /// The outcome of one rule.
    enum RuleError: Error {
        case syntax, unknownName, afterAllKeys, afterAllChannels, firstArgumentOfSubcommand
    }

    /// Applies one rule (`~k*`, `+@read`, `-flushall`, `resetchannels`…).
    mutating func apply(_ rule: [UInt8], table: CommandTable) throws(RuleError) {
        let text = String(decoding: rule, as: UTF8.self)
        switch text.lowercased() {
        case "allkeys", "~*": setAllKeys(); return
        case "resetkeys": allKeys = false; keyPatterns = []; return
        case "allchannels", "&*": allChannels = true; channelPatterns = []; return
        case "resetchannels": allChannels = false; channelPatterns = []; return
        case "allcommands", "+@all": setAllCommands(true, table: table); return
        case "nocommands", "-@all": setAllCommands(false, table: table); return
        default: break
        }
        guard let first = rule.first else { throw .syntax }
        switch first {
        case UInt8(ascii: "~"), UInt8(ascii: "%"):
            try addKeyPattern(rule)
        case UInt8(ascii: "&"):
            if allChannels { throw .afterAllChannels }
            let pattern = Array(rule.dropFirst())
            if Self.hasBlanks(pattern) { throw .syntax }
            if !channelPatterns.contains(pattern) { channelPatterns.append(pattern) }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let allow = first == UInt8(ascii: "+")
            let name = String(text.dropFirst()).lowercased()
            if name.hasPrefix("@") {
                let category = String(name.dropFirst())
                guard Self.categories.contains(category) else { throw .unknownName }
                setCategory(category, allow, table: table)
            } else if allow, let bar = rule.lastIndex(of: UInt8(ascii: "|")) {
                try allowCommand(String(decoding: rule[1..<bar], as: UTF8.self).lowercased(),
                                 firstArgument: Array(rule[(bar + 1)...]), table: table)
            } else {
                guard let spec = Self.spec(named: name, table: table) else { throw .unknownName }
                change(spec, allow)
            }
            if !allow { allCommands = false }
        default:
            throw .syntax
        }
    }

    private mutating func setAllKeys() {
        allKeys = true
        keyPatterns = []
    }

    /// `~pattern`, or `%R~`, `%W~`, `%RW~` with the access (each letter once; `%R` alone is
    /// the empty pattern), as Redis 7.0 reads them. Only the `~*` rule means all keys.
    private mutating func addKeyPattern(_ rule: [UInt8]) throws(RuleError) {
        if allKeys { throw .afterAllKeys }
        var read = true, write = true
        var offset = 1
        if rule[0] == UInt8(ascii: "%") {
            read = false
            write = false
            while offset < rule.count {
                let letter = rule[offset]
                offset += 1
                if letter | 0x20 == UInt8(ascii: "r") && !read {
                    read = true
                } else if letter | 0x20 == UInt8(ascii: "w") && !write {
                    write = true
                } else if letter == UInt8(ascii: "~") {
                    break
                } else {
                    throw .syntax
                }
            }
            guard read || write else { throw .syntax }
        }
        let pattern = Array(rule[offset...])
        if Self.hasBlanks(pattern) { throw .syntax }
        if let i = keyPatterns.firstIndex(where: { $0.pattern == pattern }) {
            // A pattern given again gains the new access, as Redis merges the flags.
            let old = keyPatterns[i]
            keyPatterns[i] = KeyPattern(pattern: pattern, glob: old.glob, read: old.read || read, write: old.write || write)
        } else {
            keyPatterns.append(KeyPattern(pattern: pattern, glob: GlobPattern(pattern), read: read, write: write))
        }
    }

    /// Whether `bytes` hold a blank (`isspace`) or a NUL, which Redis's `ACLStringHasSpaces`
    /// refuses in user names and patterns.
    static func hasBlanks<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        bytes.contains { $0 == 0 || $0 == 32 || (9...13).contains($0) }
    }

    /// The spec a command rule names, as Redis's `lookupCommandBySds` finds it: a command, or
    /// `container|subcommand`.
    static func spec(named name: String, table: CommandTable) -> CommandSpec? {
        let parts = name.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count <= 2, let base = table.lookup(name: String(parts[0])) else { return nil }
        if parts.count == 1 { return base }
        return base.subcommands.first { $0.name == parts[1] }
    }

    /// `+name|argument`, split at its last `|`: a subcommand (`+config|get`), or a first
    /// argument allowed to a command without subcommands (`+select|0`), as Redis 7.0 reads it.
    private mutating func allowCommand(_ name: String, firstArgument: [UInt8], table: CommandTable) throws(RuleError) {
        guard let spec = Self.spec(named: name, table: table) else { throw .unknownName }
        // A name with a `|` that was found is a subcommand.
        if name.contains("|") { throw .firstArgumentOfSubcommand }
        if firstArgument.isEmpty { throw .syntax }
        if !spec.subcommands.isEmpty {
            let subcommand = String(decoding: firstArgument, as: UTF8.self).lowercased()
            guard let sub = spec.subcommands.first(where: { $0.name == subcommand }) else { throw .unknownName }
            change(sub, true)
            return
        }
        let id = ObjectIdentifier(spec)
        let lowered = firstArgument.map(Self.lowercased)
        if firstArguments[id]?.contains(where: { $0.map(Self.lowercased) == lowered }) == true { return }
        firstArguments[id, default: []].append(firstArgument)
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    /// Allows or forbids `spec`, and for a container each of its subcommands; the command's
    /// first arguments go, as Redis's `ACLChangeSelectorPerm` drops them.
    private mutating func change(_ spec: CommandSpec, _ allow: Bool) {
        set(spec, allow)
        if !firstArguments.isEmpty { firstArguments[ObjectIdentifier(spec)] = nil }
        for sub in spec.subcommands { set(sub, allow) }
    }

    private mutating func set(_ spec: CommandSpec, _ allow: Bool) {
        if allow { allowed.insert(ObjectIdentifier(spec)) } else { allowed.remove(ObjectIdentifier(spec)) }
    }

    private mutating func setAllCommands(_ allow: Bool, table: CommandTable) {
        allCommands = allow
        allowsFutureCommands = allow
        allowed = []
        firstArguments = [:]
        if allow {
            for spec in table.commands { change(spec, true) }
        }
    }

    /// `+@category` / `-@category`: every command and subcommand of the category.
    private mutating func setCategory(_ category: String, _ allow: Bool, table: CommandTable) {
        for spec in table.commands {
            if spec.categories.contains(category) { change(spec, allow) }
            for sub in spec.subcommands where sub.categories.contains(category) { set(sub, allow) }
        }
    }

    // MARK: Checks

    /// Whether the selector allows `command` with `arguments`, or why not.
    func check(_ command: ResolvedCommand, _ arguments: [ByteBuffer]) -> ACLDenial? {
        let spec = command.spec
        if !allCommands && !spec.flags.contains(.noAuth) && !allowed.contains(ObjectIdentifier(spec))
            && !allowsFirstArgument(of: spec, arguments) {
            return .command
        }
        if !allKeys && spec.commandKeys.hasKeys {
            for key in spec.commandKeys.keys(in: arguments) where !allowsKey(arguments[key.index], flags: key.flags) {
                return .key(key.index)
            }
        }
        if !allChannels, let (channels, isPattern) = Self.channelArguments(command.fullName, count: arguments.count) {
            for i in channels where !allowsChannel(arguments[i], isPattern: isPattern) {
                return .channel(i)
            }
        }
        return nil
    }

    /// Whether `arguments` start with a first argument allowed to `spec` (`+select|0`).
    private func allowsFirstArgument(of spec: CommandSpec, _ arguments: [ByteBuffer]) -> Bool {
        guard arguments.count >= 2, let allowed = firstArguments[ObjectIdentifier(spec)] else { return false }
        let argument = arguments[1].readableBytesView
        return allowed.contains { $0.elementsEqual(argument) { Self.lowercased($0) == Self.lowercased($1) } }
    }

    /// The channel arguments of the commands that publish or subscribe.
    static func channelArguments(_ fullName: String, count: Int) -> (Range<Int>, isPattern: Bool)? {
        switch fullName {
        case "publish", "spublish": return (1..<2, false)
        case "subscribe", "ssubscribe": return (1..<count, false)
        case "psubscribe": return (1..<count, true)
        default: return nil
        }
    }

    func allowsKey(_ key: ByteBuffer, flags: [String]) -> Bool {
        let needsRead = flags.contains("access")
        let needsWrite = flags.contains("insert") || flags.contains("delete") || flags.contains("update")
        return keyPatterns.contains { pattern in
            (!needsRead || pattern.read) && (!needsWrite || pattern.write)
                && pattern.glob.matches(key.readableBytesView)
        }
    }

    func allowsChannel(_ channel: ByteBuffer, isPattern: Bool) -> Bool {
        allowsChannel(channel.readableBytesView, isPattern: isPattern)
    }

    /// Whether `channel` is allowed; a subscription `pattern` must equal one of the patterns.
    func allowsChannel<C: Collection>(_ channel: C, isPattern: Bool) -> Bool where C.Element == UInt8, C.Index == Int {
        allChannels || channelPatterns.contains { pattern in
            isPattern ? channel.elementsEqual(pattern) : GlobPattern(pattern).matches(channel)
        }
    }

    // MARK: Description

    /// The keys as ACL GETUSER shows them.
    var keysDescription: String {
        allKeys ? "~*" : keyPatterns.map(\.description).joined(separator: " ")
    }

    /// The channels as ACL GETUSER shows them.
    var channelsDescription: String {
        allChannels ? "&*" : channelPatterns.map { "&" + String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
    }

    /// The selector as ACL LIST writes it: keys, channels, then commands.
    func description(table: CommandTable) -> String {
        var parts: [String] = []
        if !keysDescription.isEmpty { parts.append(keysDescription) }
        if allChannels {
            parts.append("&*")
        } else {
            parts.append("resetchannels")
            if !channelPatterns.isEmpty { parts.append(channelsDescription) }
        }
        parts.append(commandsDescription(table: table))
        return parts.joined(separator: " ")
    }

    /// The commands as Redis 7.0 describes them: `+@all` or `-@all`, then the categories that
    /// best fit the commands, then single commands and subcommands that still differ.
    func commandsDescription(table: CommandTable) -> String {
        var rules = [allowsFutureCommands ? "+@all" : "-@all"]
        var fake = ACLSelector()
        fake.setAllCommands(allowsFutureCommands, table: table)
        let additive = !allowsFutureCommands
        // Greedily, the category closest to the commands not yet covered: the fewest commands
        // it would get wrong, then the most it gets right. Each category used is taken back out
        // of `remaining`, so that a later one is judged on what is left.
        var remaining = self
        while true {
            var best: (category: String, wrong: Int, right: Int)?
            for category in Self.categories {
                var on = 0, off = 0
                for spec in table.commands where spec.categories.contains(category) {
                    if remaining.allowed.contains(ObjectIdentifier(spec)) { on += 1 } else { off += 1 }
                }
                let wrong = additive ? off : on, right = additive ? on : off
                guard right > wrong else { continue }
                if let b = best, wrong > b.wrong || (wrong == b.wrong && right <= b.right) { continue }
                best = (category, wrong, right)
            }
            guard let category = best?.category else { break }
            fake.setCategory(category, additive, table: table)
            remaining.setCategory(category, !additive, table: table)
            rules.append((additive ? "+@" : "-@") + category)
        }
        for spec in table.commands {
            let bit = allowed.contains(ObjectIdentifier(spec))
            if bit != fake.allowed.contains(ObjectIdentifier(spec)) {
                rules.append((bit ? "+" : "-") + spec.name)
                fake.change(spec, bit)
            }
            for sub in spec.subcommands {
                let subBit = allowed.contains(ObjectIdentifier(sub))
                if subBit != fake.allowed.contains(ObjectIdentifier(sub)) {
                    rules.append((subBit ? "+" : "-") + spec.name + "|" + sub.name)
                }
            }
            // First arguments follow the command's own rule, for a command not allowed whole.
            if !bit, let arguments = firstArguments[ObjectIdentifier(spec)] {
                for argument in arguments { rules.append("+" + spec.name + "|" + String(decoding: argument, as: UTF8.self)) }
            }
        }
        return rules.joined(separator: " ")
    }
}
