/// One argument of a command as COMMAND DOCS describes it: its name and type, the key spec it
/// designates (key arguments), the token that introduces it, the version it appeared in, and
/// for `oneof` and `block` arguments the arguments it is made of.
public struct CommandArgumentDoc: Sendable {
    /// The argument's type, under the name COMMAND DOCS reports.
    public enum Kind: String, Sendable {
        /// Any string.
        case string
        /// An integer.
        case integer
        /// A floating-point number.
        case double
        /// A key name.
        case key
        /// A glob-style pattern.
        case pattern
        /// A Unix time in seconds or milliseconds.
        case unixTime = "unix-time"
        /// The token alone, with no value after it.
        case pureToken = "pure-token"
        /// Exactly one of the nested arguments.
        case oneof
        /// All of the nested arguments, in order.
        case block
    }

    /// How often an argument may appear, as COMMAND DOCS's `flags` set names it.
    public struct Flags: OptionSet, Sendable {
        /// The flag bits.
        public let rawValue: UInt8
        /// Flags from their bits.
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// The argument may be left out.
        public static let optional = Flags(rawValue: 1 << 0)
        /// The argument may be repeated.
        public static let multiple = Flags(rawValue: 1 << 1)
        /// Each repetition repeats the token too (`GET pattern GET pattern`).
        public static let multipleToken = Flags(rawValue: 1 << 2)

        /// The names COMMAND DOCS prints, in Redis's order.
        public static let names: [(Flags, StaticString)] = [
            (.optional, "optional"), (.multiple, "multiple"), (.multipleToken, "multiple_token"),
        ]
    }

    /// The argument's name (`key`, `condition`).
    public var name: String
    /// The argument's type.
    public var kind: Kind
    /// The index of the key spec a `key` argument designates; nil for other types.
    public var keySpecIndex: Int?
    /// The literal word that introduces the argument (`EX`, `WITHSCORES`), or nil.
    public var token: String?
    /// A one-line description, or nil.
    public var summary: String?
    /// The Redis version that added the argument, or nil when it came with the command.
    public var since: String?
    /// The Redis version that deprecated the argument, or nil.
    public var deprecatedSince: String?
    /// Whether the argument is optional or repeated.
    public var flags: Flags
    /// The parts of a `oneof` or `block` argument; empty for the other types.
    public var arguments: [CommandArgumentDoc]

    /// An argument; the labels are the COMMAND DOCS fields, absent ones left out.
    public init(
        _ name: String, _ kind: Kind, keySpec: Int? = nil, token: String? = nil, summary: String? = nil,
        since: String? = nil, deprecatedSince: String? = nil, flags: Flags = [],
        _ arguments: [CommandArgumentDoc] = []
    ) {
        self.name = name
        self.kind = kind
        self.keySpecIndex = keySpec
        self.token = token
        self.summary = summary
        self.since = since
        self.deprecatedSince = deprecatedSince
        self.flags = flags
        self.arguments = arguments
    }
}

/// What COMMAND DOCS reports about a command beyond the summary, since, group and complexity its
/// `CommandSpec` holds: documentation flags, deprecation, history and arguments, and the
/// complexity of commands whose spec has none.
public struct CommandDocExtras: Sendable {
    /// Redis's complexity text, for a command whose `CommandSpec.complexity` is empty; nil
    /// otherwise (the spec's own value is reported).
    public var complexity: String?
    /// Documentation flags (`deprecated`, `syscmd`), in Redis's order.
    public var docFlags: [StaticString]
    /// The Redis version that deprecated the command, or nil.
    public var deprecatedSince: String?
    /// What to use instead of a deprecated command, or nil.
    public var replacedBy: String?
    /// Changes to the command, oldest first: the version and what changed.
    public var history: [(version: String, change: String)]
    /// The command's arguments, in order; empty for none.
    public var arguments: [CommandArgumentDoc]

    /// Extras; the labels are the COMMAND DOCS fields, absent ones left out.
    public init(
        complexity: String? = nil, docFlags: [StaticString] = [], deprecatedSince: String? = nil, replacedBy: String? = nil,
        history: [(version: String, change: String)] = [], arguments: [CommandArgumentDoc] = []
    ) {
        self.complexity = complexity
        self.docFlags = docFlags
        self.deprecatedSince = deprecatedSince
        self.replacedBy = replacedBy
        self.history = history
        self.arguments = arguments
    }

    /// The extras of the command or subcommand with this full name (`set`, `config|get`), or
    /// nil when Redis reports none for it.
    public static func lookup(_ fullName: String) -> CommandDocExtras? {
        table(fullName)
    }
}
