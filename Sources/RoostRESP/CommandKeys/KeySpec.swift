/// Where a command's keys are, in COMMAND INFO's legacy form: first, last (negative counts from
/// the end) and step. `first == 0` means no keys.
public struct KeyPositions: Sendable, Hashable {
    /// The index of the first key (the command name is index 0); 0 when there is none.
    public var first: Int
    /// The index of the last key; -1 is the last argument, -2 the one before…
    public var last: Int
    /// The distance between consecutive keys.
    public var step: Int

    /// Positions from `first` to `last` every `step` arguments.
    public init(first: Int, last: Int, step: Int) {
        self.first = first
        self.last = last
        self.step = step
    }

    /// No keys.
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
        /// After the first occurrence of `keyword`, searching from `startFrom` (negative: from the
        /// end, backwards).
        case keyword(String, startFrom: Int)
        /// Not describable; the command has its own key extraction (`CommandKeys.Procedure`).
        case unknown
    }

    /// How keys are found once the search begins.
    public enum FindKeys: Sendable, Hashable {
        /// Keys up to `lastKey` (relative to the start; negative counts from the end), every
        /// `keyStep` arguments; `limit` divides the remaining arguments when `lastKey` is -1.
        case range(lastKey: Int, keyStep: Int, limit: Int)
        /// The number of keys is at `keyNumIndex`; keys start at `firstKey`, every `keyStep`
        /// (both relative to the start).
        case keynum(keyNumIndex: Int, firstKey: Int, keyStep: Int)
        /// Not describable; the command has its own key extraction (`CommandKeys.Procedure`).
        case unknown
    }

    /// Flags as Redis prints them (`RW`, `RO`, `OW`, `RM`, `access`, `update`, `insert`, `delete`,
    /// `not_key`, `incomplete`, `variable_flags`).
    public var flags: [String]
    /// Free-text notes, or nil.
    public var notes: String?
    /// Where the search for keys begins.
    public var beginSearch: BeginSearch
    /// How keys are found once the search begins.
    public var findKeys: FindKeys

    /// A key spec with `flags`, `notes`, and the search it describes.
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

    /// Whether the spec names something hashed like a key that is not one (a sharded channel).
    public var isNotKey: Bool { flags.contains("not_key") }
    /// Whether the spec may miss keys, so that the command's `CommandKeys.Procedure` decides.
    public var isIncomplete: Bool { flags.contains("incomplete") }
    /// Whether the access flags depend on the other arguments, so that the command's
    /// `CommandKeys.Procedure` decides them.
    public var hasVariableFlags: Bool { flags.contains("variable_flags") }
    /// Whether the keys sit at fixed positions (an index and a range), as the legacy
    /// first/last/step form can describe them.
    public var isFixed: Bool {
        if case .index = beginSearch, case .range = findKeys { return true }
        return false
    }
}
