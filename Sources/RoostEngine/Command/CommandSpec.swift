import NIOCore
import RoostRESP

/// Command flags, as COMMAND INFO names them.
public struct CommandFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let write = CommandFlags(rawValue: 1 << 0)
    public static let readonly = CommandFlags(rawValue: 1 << 1)
    public static let denyoom = CommandFlags(rawValue: 1 << 2)
    public static let admin = CommandFlags(rawValue: 1 << 3)
    public static let pubsub = CommandFlags(rawValue: 1 << 4)
    public static let noscript = CommandFlags(rawValue: 1 << 5)
    public static let blocking = CommandFlags(rawValue: 1 << 6)
    public static let loading = CommandFlags(rawValue: 1 << 7)
    public static let stale = CommandFlags(rawValue: 1 << 8)
    public static let skipMonitor = CommandFlags(rawValue: 1 << 9)
    public static let skipSlowlog = CommandFlags(rawValue: 1 << 10)
    public static let fast = CommandFlags(rawValue: 1 << 11)
    public static let noAuth = CommandFlags(rawValue: 1 << 12)
    public static let mayReplicate = CommandFlags(rawValue: 1 << 13)
    public static let noMandatoryKeys = CommandFlags(rawValue: 1 << 14)
    public static let noMulti = CommandFlags(rawValue: 1 << 15)
    public static let allowBusy = CommandFlags(rawValue: 1 << 16)
    public static let movableKeys = CommandFlags(rawValue: 1 << 17)
    public static let asking = CommandFlags(rawValue: 1 << 18)
    public static let protected = CommandFlags(rawValue: 1 << 19)
    public static let noAsyncLoading = CommandFlags(rawValue: 1 << 20)

    /// The names COMMAND INFO prints, in Redis's order. `may_replicate` and `protected` are
    /// deliberately absent: Redis 7.0 keeps them out of COMMAND INFO too.
    public static let names: [(CommandFlags, String)] = [
        (.write, "write"), (.readonly, "readonly"), (.denyoom, "denyoom"), (.admin, "admin"),
        (.pubsub, "pubsub"), (.noscript, "noscript"), (.blocking, "blocking"), (.loading, "loading"),
        (.stale, "stale"), (.skipMonitor, "skip_monitor"), (.skipSlowlog, "skip_slowlog"),
        (.asking, "asking"), (.fast, "fast"), (.noAuth, "no_auth"),
        (.noMandatoryKeys, "no_mandatory_keys"), (.noAsyncLoading, "no_async_loading"), (.noMulti, "no_multi"),
        (.movableKeys, "movablekeys"), (.allowBusy, "allow_busy"),
    ]
}

/// A command handler. It reads `context.arguments`, writes its reply through
/// `context.client.reply`, and throws a `RedisError` to reply with an error instead.
public typealias CommandHandler = @Sendable (CommandContext) throws(RedisError) -> Void

/// One entry of the command table: everything Redis declares about a command.
/// A class, so that resolving and passing a command around costs one reference, not a copy of
/// every field.
///
/// Key positions are not declared here: they come from the one key table, `CommandKeys` in
/// RoostRESP, which the client reads too. The spec looks its command up there by full name once,
/// when the table is built.
public final class CommandSpec: Sendable {
    /// The lowercase name (`get`; `get` for CONFIG GET, whose full name is `config|get`).
    public let name: String
    /// Redis arity: N means exactly N arguments including the name, -N means at least N.
    public let arity: Int
    /// The flags COMMAND INFO prints; `movablekeys` comes from the key table.
    public let flags: CommandFlags
    /// ACL categories without the `@` (`read`, `string`, `fast`).
    public let categories: [String]
    /// The command's key declaration, from `CommandKeys`; keyless for a command Redis 7.0 lacks.
    public let commandKeys: CommandKeys
    /// Command tips (`nondeterministic_output`, `request_policy:all_shards`…).
    public let tips: [String]
    /// The group COMMAND DOCS reports (`string`, `generic`, `connection`, `server`…).
    public let group: String
    /// The Redis version the command appeared in.
    public let since: String
    /// One-line description for COMMAND DOCS.
    public let summary: String
    /// The implementation; nil for container commands (CONFIG, CLIENT…).
    public let handler: CommandHandler?
    /// Subcommands of a container command, with `name` being the subcommand alone, in the order
    /// Redis 7.0 lists them in COMMAND INFO.
    public let subcommands: [CommandSpec]
    /// The complexity COMMAND DOCS reports; empty for none.
    public let complexity: String
    /// Set for the commands that run scripts (EVAL, FCALL, EXEC and their forms): they run on
    /// the script fiber, so a long script can give the event loop back.
    public let runsScripts: Bool

    /// The legacy key positions COMMAND INFO reports.
    public var keys: KeyPositions { commandKeys.positions }
    /// Key specifications, as COMMAND INFO reports them.
    public var keySpecs: [KeySpec] { commandKeys.specs }

    /// A command named `name` (a subcommand's name alone, when given to a container's
    /// `subcommands`), its keys taken from `CommandKeys` by its full name.
    public convenience init(
        _ name: String, arity: Int, flags: CommandFlags = [], categories: [String] = [],
        tips: [String] = [], group: String = "generic",
        since: String = "1.0.0", summary: String = "", subcommands: [CommandSpec] = [],
        complexity: String = "", runsScripts: Bool = false,
        handler: CommandHandler? = nil
    ) {
        self.init(name, fullName: name, arity: arity, flags: flags, categories: categories, tips: tips,
                  group: group, since: since, summary: summary, subcommands: subcommands,
                  complexity: complexity, runsScripts: runsScripts, handler: handler)
    }

    /// `name` with the keys of `fullName`; subcommands are rebuilt under it (`config|get`), so
    /// that each finds its own keys.
    private init(
        _ name: String, fullName: String, arity: Int, flags: CommandFlags, categories: [String],
        tips: [String], group: String, since: String, summary: String, subcommands: [CommandSpec],
        complexity: String, runsScripts: Bool, handler: CommandHandler?
    ) {
        let commandKeys = CommandKeys.named(fullName) ?? CommandKeys.keyless(fullName)
        self.name = name
        self.arity = arity
        self.flags = commandKeys.movableKeys ? flags.union(.movableKeys) : flags
        self.categories = categories
        self.commandKeys = commandKeys
        self.tips = tips
        self.group = group
        self.since = since
        self.summary = summary
        self.subcommands = subcommands.map { $0.placed(under: fullName) }
        self.complexity = complexity
        self.runsScripts = runsScripts
        self.handler = handler
    }

    /// This spec as a subcommand of `container`. Its `movablekeys` flag came from the key table
    /// (declarations never give it), so it is dropped and looked up again under the full name.
    private func placed(under container: String) -> CommandSpec {
        CommandSpec(name, fullName: "\(container)|\(name)", arity: arity, flags: flags.subtracting(.movableKeys),
                    categories: categories,
                    tips: tips, group: group, since: since, summary: summary, subcommands: subcommands,
                    complexity: complexity, runsScripts: runsScripts, handler: handler)
    }
}

/// A resolved command: its spec and its full name (`get`, `config|get`).
public struct ResolvedCommand: Sendable {
    public let spec: CommandSpec
    public let fullName: String
    /// The container command, for subcommands.
    public let parentName: String?
}
