import NIOCore

/// The one command table. Every family declares its commands as `CommandSpec` data in its own
/// file; dispatch, COMMAND INFO/COUNT/DOCS, MULTI and script rules and key extraction all read it.
public struct CommandTable: Sendable {
    /// Every top-level command.
    public let commands: [CommandSpec]
    private let slots: [Int32]
    private let mask: Int

    /// The table with every family Roost implements.
    public static let standard = CommandTable(
        ConnectionCommands.specs
            + ServerCommands.specs
            + CommandIntrospection.specs
            + KeyCommands.specs
            + StringCommands.specs
            + BitCommands.specs
            + PubSubCommands.specs
            + TransactionCommands.specs
            + HyperLogLogCommands.specs
            + SetCommands.specs
            + SortedSetCommands.specs
            + GeoCommands.specs
            + SlowLogCommands.specs
            + LatencyCommands.specs
            + DumpRestoreCommands.specs
            + SortCommands.specs
            + ListCommands.specs
            + ScriptingCommands.specs
            + HashCommands.specs
            + PersistenceCommands.specs
            + AppendOnlyCommands.specs
            + StreamCommands.specs
            + MonitorCommands.specs
            + ACLCommands.specs
            + MemoryCommands.specs
            + MigrateCommands.specs
            + ClusterCommands.specs
            + ModuleCommands.specs
            + ReplicationCommands.specs
            + LolwutCommands.specs
            + HyperLogLogDebugCommands.specs
    )

    public init(_ commands: [CommandSpec]) {
        self.commands = commands
        var size = 64
        while size < commands.count * 4 { size *= 2 }
        mask = size - 1
        var slots = [Int32](repeating: -1, count: size)
        for (i, spec) in commands.enumerated() {
            var h = Self.hash(Array(spec.name.utf8)) & (size - 1)
            while slots[h] >= 0 {
                precondition(commands[Int(slots[h])].name != spec.name, "duplicate command \(spec.name)")
                h = (h + 1) & (size - 1)
            }
            slots[h] = Int32(i)
        }
        self.slots = slots
    }

    @inline(__always)
    static func hash<C: Collection>(_ bytes: C) -> Int where C.Element == UInt8 {
        var h: UInt64 = 14_695_981_039_346_656_037
        for var c in bytes {
            if c >= 65 && c <= 90 { c |= 0x20 }
            h = (h ^ UInt64(c)) &* 1_099_511_628_211
        }
        return Int(truncatingIfNeeded: h >> 1)
    }

    /// The top-level command named by `name`, ignoring case.
    public func lookup(_ name: ByteBuffer) -> CommandSpec? {
        name.withUnsafeReadableBytes { bytes -> CommandSpec? in
            var h = Self.hash(bytes) & mask
            while true {
                let slot = slots[h]
                if slot < 0 { return nil }
                let spec = commands[Int(slot)]
                if Self.equalsIgnoringCase(bytes, spec.name) { return spec }
                h = (h + 1) & mask
            }
        }
    }

    /// The top-level command named `name`.
    public func lookup(name: String) -> CommandSpec? {
        var buffer = ByteBuffer()
        buffer.writeString(name)
        return lookup(buffer)
    }

    static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ name: String) -> Bool {
        var utf8 = name.utf8.makeIterator()
        for var c in bytes {
            guard let n = utf8.next() else { return false }
            if c >= 65 && c <= 90 { c |= 0x20 }
            if c != n { return false }
        }
        return utf8.next() == nil
    }

    /// Whether `spec` has subcommands.
    public static func isContainer(_ spec: CommandSpec) -> Bool { !spec.subcommands.isEmpty }

    /// The subcommand of `container` named by `name`, ignoring case.
    public static func subcommand(of container: CommandSpec, named name: ByteBuffer) -> CommandSpec? {
        name.withUnsafeReadableBytes { bytes in
            container.subcommands.first { equalsIgnoringCase(bytes, $0.name) }
        }
    }
}
