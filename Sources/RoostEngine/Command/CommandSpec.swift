import NIOCore

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

    /// The names COMMAND INFO prints, in Redis's order. `may_replicate` and `protected` are
    /// deliberately absent: Redis 7.0 keeps them out of COMMAND INFO too.
    public static let names: [(CommandFlags, String)] = [
        (.write, "write"), (.readonly, "readonly"), (.denyoom, "denyoom"), (.admin, "admin"),
        (.pubsub, "pubsub"), (.noscript, "noscript"), (.blocking, "blocking"), (.loading, "loading"),
        (.stale, "stale"), (.skipMonitor, "skip_monitor"), (.skipSlowlog, "skip_slowlog"),
        (.asking, "asking"), (.fast, "fast"), (.noAuth, "no_auth"),
        (.noMandatoryKeys, "no_mandatory_keys"), (.noMulti, "no_multi"),
        (.movableKeys, "movablekeys"), (.allowBusy, "allow_busy"),
    ]
}

/// Where a command's keys are, in COMMAND INFO's legacy form: first, last (negative counts from
/// the end) and step. `first == 0` means no keys.
public struct KeyPositions: Sendable, Hashable {
    public var first: Int
    public var last: Int
    public var step: Int

    public init(first: Int, last: Int, step: Int) {
        self.first = first
        self.last = last
        self.step = step
    }

    public static let none = KeyPositions(first: 0, last: 0, step: 0)
    /// The single key at argument 1.
    public static let one = KeyPositions(first: 1, last: 1, step: 1)
    /// Every argument from 1 on.
    public static let all = KeyPositions(first: 1, last: -1, step: 1)
}

/// A key specification, as Redis 7 declares one and COMMAND INFO reports it: where the search
/// for keys begins, how keys are found from there, and flags describing the access.
public struct KeySpec: Sendable, Hashable {
    /// Where the search for keys begins.
    public enum BeginSearch: Sendable, Hashable {
        /// At a fixed argument index.
        case index(Int)
        /// After the first occurrence of `keyword`, searching from `startFrom` (negative: from the end).
        case keyword(String, startFrom: Int)
        /// Not describable; the command has its own key extraction.
        case unknown
    }

    /// How keys are found once the search begins.
    public enum FindKeys: Sendable, Hashable {
        /// Keys up to `lastKey` (relative to the start; negative counts from the end), every
        /// `keyStep` arguments; `limit` divides the remaining arguments when `lastKey` is -1.
        case range(lastKey: Int, keyStep: Int, limit: Int)
        /// The number of keys is at `keyNumIndex`; keys start at `firstKey`, every `keyStep`.
        case keynum(keyNumIndex: Int, firstKey: Int, keyStep: Int)
        /// Not describable.
        case unknown
    }

    /// Flags as Redis prints them (`RW`, `RO`, `OW`, `RM`, `access`, `update`, `insert`, `delete`,
    /// `not_key`, `incomplete`, `variable_flags`).
    public var flags: [String]
    /// Free-text notes, or nil.
    public var notes: String?
    public var beginSearch: BeginSearch
    public var findKeys: FindKeys

    public init(flags: [String], notes: String? = nil, beginSearch: BeginSearch, findKeys: FindKeys) {
        self.flags = flags
        self.notes = notes
        self.beginSearch = beginSearch
        self.findKeys = findKeys
    }

    /// A single key at argument `index`, e.g. GET's `KeySpec.single(1, flags: ["RO", "access"])`.
    public static func single(_ index: Int, flags: [String]) -> KeySpec {
        KeySpec(flags: flags, beginSearch: .index(index), findKeys: .range(lastKey: 0, keyStep: 1, limit: 0))
    }
}

/// A command handler. It reads `context.arguments`, writes its reply through
/// `context.client.reply`, and throws a `RedisError` to reply with an error instead.
public typealias CommandHandler = @Sendable (CommandContext) throws(RedisError) -> Void

/// One entry of the command table: everything Redis declares about a command.
/// A class, so that resolving and passing a command around costs one reference, not a copy of
/// every field.
public final class CommandSpec: Sendable {
    /// The lowercase name (`get`; `get` for CONFIG GET, whose full name is `config|get`).
    public let name: String
    /// Redis arity: N means exactly N arguments including the name, -N means at least N.
    public let arity: Int
    public let flags: CommandFlags
    /// ACL categories without the `@` (`read`, `string`, `fast`).
    public let categories: [String]
    public let keys: KeyPositions
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
    /// Key specifications, as COMMAND INFO reports them.
    public let keySpecs: [KeySpec]
    /// The complexity COMMAND DOCS reports; empty for none.
    public let complexity: String
    /// Set for the commands that run scripts (EVAL, FCALL, EXEC and their forms): they run on
    /// the script fiber, so a long script can give the event loop back.
    public let runsScripts: Bool

    public init(
        _ name: String, arity: Int, flags: CommandFlags = [], categories: [String] = [],
        keys: KeyPositions = .none, tips: [String] = [], group: String = "generic",
        since: String = "1.0.0", summary: String = "", subcommands: [CommandSpec] = [],
        keySpecs: [KeySpec] = [], complexity: String = "", runsScripts: Bool = false,
        handler: CommandHandler? = nil
    ) {
        self.name = name
        self.arity = arity
        self.flags = flags
        self.categories = categories
        self.keys = keys
        self.tips = tips
        self.group = group
        self.since = since
        self.summary = summary
        self.subcommands = subcommands
        self.keySpecs = keySpecs
        self.complexity = complexity
        self.runsScripts = runsScripts
        self.handler = handler
    }
}

/// A resolved command: its spec and its full name (`get`, `config|get`).
public struct ResolvedCommand: Sendable {
    public let spec: CommandSpec
    public let fullName: String
    /// The container command, for subcommands.
    public let parentName: String?
}
