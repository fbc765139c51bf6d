import NIOCore

/// Where one command's keys are: its Redis 7 key specs, and for the commands whose keys the specs
/// cannot always describe, the procedure Redis falls back to.
///
/// This is the one declaration of key positions in Roost. The engine's command table takes each
/// command's key specs, legacy positions and `movablekeys` flag from here (so COMMAND INFO and
/// COMMAND GETKEYS read it), and the client finds the keys it routes by with the same table and
/// the same extraction, with no round trip to the server. `CommandKeys.all` holds every command
/// and subcommand of Redis 7.0, keyless ones included, so that "known and keyless" and "unknown"
/// (a module's command, a newer Redis's) can be told apart.
public struct CommandKeys: Sendable {
    /// The key-finding function Redis 7.0 declares for a command (its `getkeys_proc`). Redis uses
    /// it when the key specs are incomplete, fail on the arguments given, or have variable flags.
    public enum Procedure: Sendable, Hashable {
        /// `[store] <numkeys> <key>…`: the count at `countAt`, keys from `firstAt`, and the
        /// destination at `storeAt` (0 when there is none). EVAL, FCALL, ZUNIONSTORE, LMPOP…
        case numKeys(storeAt: Int, countAt: Int, firstAt: Int)
        /// SORT: the sorted key, and the last `STORE` destination.
        case sort
        /// SORT_RO: the sorted key.
        case sortReadOnly
        /// MIGRATE: the key, or the keys after `KEYS` when the key is empty.
        case migrate
        /// GEORADIUS, GEORADIUSBYMEMBER: the key, and the last `STORE`/`STOREDIST` destination.
        case geoRadius
        /// XREAD, XREADGROUP: the first half of the arguments after `STREAMS`.
        case streams
        /// SET: the key, read and written when `GET` is given.
        case set
        /// BITFIELD: the key, only read when every operation is a `GET`.
        case bitfield

        /// Whether the procedure finds keys the legacy first/last/step form cannot describe
        /// (SET's and BITFIELD's only decide the key's flags).
        var movesKeys: Bool {
            switch self {
            case .set, .bitfield: return false
            default: return true
            }
        }
    }

    /// A key found in a command's arguments.
    public struct Key: Sendable, Hashable {
        /// The argument's index (the command name is index 0).
        public var index: Int
        /// Its flags as Redis's COMMAND GETKEYSANDFLAGS prints them (`RW`, `access`…); empty where
        /// Redis's procedure gives none.
        public var flags: [String]

        /// The key at `index` with `flags`.
        public init(index: Int, flags: [String]) {
            self.index = index
            self.flags = flags
        }
    }

    /// The lowercase full name: `get`, or `object|encoding` for a subcommand.
    public let name: String
    /// The key specs, in the order COMMAND INFO lists them.
    public let specs: [KeySpec]
    /// The procedure Redis falls back to, if the command has one.
    public let procedure: Procedure?
    /// The legacy first/last/step COMMAND INFO reports, derived from the specs as Redis derives
    /// it: the leading fixed specs, merged while they are contiguous.
    public let positions: KeyPositions
    /// Whether the keys move with the arguments (COMMAND INFO's `movablekeys` flag): a spec that
    /// is not at a fixed position, or a procedure that finds keys.
    public let movableKeys: Bool
    /// Whether a spec is not `not_key`; whether a spec has `variable_flags` (worked out once, for
    /// the extraction).
    let hasKeySpec: Bool, hasVariableFlags: Bool

    /// The declaration of `name`'s keys.
    init(_ name: String, _ specs: [KeySpec], procedure: Procedure? = nil) {
        self.name = name
        self.specs = specs
        self.procedure = procedure
        var positions = KeyPositions.none
        for spec in specs {
            guard case .index(let index) = spec.beginSearch, case .range(let lastKey, let keyStep, _) = spec.findKeys
            else { continue }
            let last = lastKey >= 0 ? index + lastKey : lastKey
            if positions.first == 0 {
                positions = KeyPositions(first: index, last: last, step: keyStep)
            } else if positions.last >= 0 && index == positions.last + 1 && keyStep == positions.step {
                positions.last = last
            }
        }
        self.positions = positions
        movableKeys = specs.contains { !$0.isFixed } || procedure?.movesKeys == true
        hasKeySpec = specs.contains { !$0.isNotKey }
        hasVariableFlags = specs.contains(where: \.hasVariableFlags)
    }

    /// The declaration of a command without keys, for a command Redis 7.0 does not have.
    public static func keyless(_ name: String) -> CommandKeys {
        CommandKeys(name, [])
    }

    /// Whether the command can have keys at all (COMMAND GETKEYS answers "The command has no key
    /// arguments" otherwise): a procedure, or a spec that is not `not_key`.
    public var hasKeys: Bool {
        procedure != nil || hasKeySpec
    }

    /// Every command and subcommand of Redis 7.0, sorted by full name.
    public static let all: [CommandKeys] = {
        let keyless = keylessNames.map { CommandKeys($0, []) }
        return (keyless + declared).sorted { $0.name < $1.name }
    }()

    private static let table: [String: CommandKeys] = {
        var table: [String: CommandKeys] = [:]
        for command in all {
            precondition(table.updateValue(command, forKey: command.name) == nil, "\(command.name) is declared twice")
        }
        return table
    }()

    /// The names of the commands that have subcommands.
    private static let containers: Set<String> = Set(all.compactMap { command in
        command.name.firstIndex(of: "|").map { String(command.name[..<$0]) }
    })

    /// The declaration of the command or subcommand named `fullName` (`get`, `config|get`),
    /// ignoring case; nil when Redis 7.0 has no such command.
    public static func named(_ fullName: String) -> CommandKeys? {
        table[fullName.lowercased()]
    }

    /// The declaration of the command `arguments` spell (the name first, then a subcommand's name
    /// for a container such as OBJECT), ignoring case. A container given without a subcommand is
    /// itself (keyless); nil when the command or its subcommand is not Redis 7.0's.
    public static func resolve<Arguments: Collection>(_ arguments: Arguments) -> CommandKeys?
    where Arguments.Element == ByteBuffer {
        guard let first = arguments.first else { return nil }
        let name = String(buffer: first).lowercased()
        guard let command = table[name] else { return nil }
        guard containers.contains(name), arguments.count > 1 else { return command }
        let sub = String(buffer: arguments[arguments.index(after: arguments.startIndex)]).lowercased()
        return table[name + "|" + sub]
    }
}
