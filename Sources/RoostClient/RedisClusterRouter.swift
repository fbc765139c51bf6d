import NIOConcurrencyHelpers
import NIOCore
import RoostRESP

/// Works out where a command goes: the slot of its keys and whether a replica may serve it.
///
/// Keys come from the key table the client shares with Roost's engine (`CommandKeys`, every
/// command of Redis 7.0, with the `numkeys` of EVAL, FCALL, ZUNIONSTORE…): no round trip. Only a
/// command the table does not know (a module's, a newer server's) is looked up with
/// `COMMAND INFO` (asked once per command name and cached), and its keys, when they move with
/// the arguments, with `COMMAND GETKEYS`. The read-only flag, needed only when reading from
/// replicas, also comes from the cached `COMMAND INFO`.
final class RedisClusterRouter: Sendable {
    /// Where one command goes.
    struct Route: Sendable {
        /// The slot of its keys; nil for a keyless command (any master serves it).
        var slot: RedisHashSlot?
        /// Whether the command only reads, so that a replica may serve it.
        var readOnly: Bool
    }

    /// What `COMMAND INFO` says about a command.
    struct CommandInfo: Sendable {
        var positions: KeyPositions?
        var movableKeys: Bool
        var readOnly: Bool
        var subcommands: [String: CommandInfo]
    }

    /// Cached `COMMAND INFO` per lower-case name; `.some(nil)` when the server does not know it.
    private let infos = NIOLockedValueBox<[String: CommandInfo?]>([:])

    /// Routes `command`, asking the cluster through `send` (any master) only for what the key
    /// table cannot say.
    /// - Throws: `RedisClientError` `.crossSlot` when its keys hash to different slots; errors of
    ///   `send` when `COMMAND INFO`/`COMMAND GETKEYS` fail.
    func route(_ command: RedisCommand, needReadOnlyFlag: Bool,
               send: (RedisCommand) async throws -> RESPValue) async throws -> Route {
        if let keys = command.routingKeys {
            let slot = try Self.slot(of: keys, name: command.name)
            guard needReadOnlyFlag else { return Route(slot: slot, readOnly: false) }
            return Route(slot: slot, readOnly: try await info(for: command, send: send)?.readOnly ?? false)
        }
        guard let info = try await info(for: command, send: send) else {
            // Unknown to the server too: it will answer with an error, from any node.
            return Route(slot: nil, readOnly: false)
        }
        var keys: [RedisArgument]
        if info.movableKeys {
            do {
                let reply = try await send(RedisCommand("COMMAND", ["GETKEYS"] + command.arguments))
                keys = try [ByteBuffer](fromRESP: reply).map { RedisArgument($0) }
            } catch let error as RedisServerError where error.prefix == "ERR" {
                keys = []   // "The command has no key arguments"
            }
        } else {
            keys = Self.keys(of: command, at: info.positions)
        }
        return Route(slot: try Self.slot(of: keys, name: command.name), readOnly: info.readOnly)
    }

    /// The keys at `positions`.
    static func keys(of command: RedisCommand, at positions: KeyPositions?) -> [RedisArgument] {
        guard let positions, positions.first > 0, positions.step > 0 else { return [] }
        let count = command.arguments.count
        let last = positions.last < 0 ? count + positions.last : positions.last
        guard positions.first < count, last >= positions.first else { return [] }
        return stride(from: positions.first, through: min(last, count - 1), by: positions.step).map { command.arguments[$0] }
    }

    /// The one slot of `keys`, nil when there are none.
    /// - Throws: `RedisClientError` `.crossSlot`.
    static func slot(of keys: [RedisArgument], name: String) throws -> RedisHashSlot? {
        guard let first = keys.first else { return nil }
        let slot = RedisHashSlot(key: first)
        for key in keys.dropFirst() where RedisHashSlot(key: key) != slot {
            throw RedisClientError(.crossSlot, "the keys of \(name) hash to different slots")
        }
        return slot
    }

    /// The command's info, its subcommand's when it has subcommands.
    private func info(for command: RedisCommand, send: (RedisCommand) async throws -> RESPValue) async throws -> CommandInfo? {
        let name = command.name.lowercased()
        let cached = infos.withLockedValue { $0[name] }
        let info: CommandInfo?
        if let cached {
            info = cached
        } else {
            let reply = try await send(RedisCommand("COMMAND", "INFO", name))
            info = try reply.elements?.first.flatMap { $0.isNull ? nil : try Self.parse($0) }
            infos.withLockedValue { $0[name] = .some(info) }
        }
        guard let info else { return nil }
        if !info.subcommands.isEmpty, command.arguments.count > 1 {
            let sub = name + "|" + String(buffer: command.arguments[1].bytes).lowercased()
            return info.subcommands[sub] ?? info
        }
        return info
    }

    /// One `COMMAND INFO` entry: name, arity, flags, first key, last key, step, ACL categories,
    /// tips, key specs, subcommands.
    static func parse(_ value: RESPValue) throws -> CommandInfo {
        guard let fields = value.elements, fields.count >= 6 else { throw value.mismatch("COMMAND INFO entry") }
        let flags = Set((fields[2].elements ?? []).compactMap { try? String(fromRESP: $0) })
        let first = try Int(fromRESP: fields[3])
        let last = try Int(fromRESP: fields[4])
        let step = try Int(fromRESP: fields[5])
        var subcommands: [String: CommandInfo] = [:]
        if fields.count >= 10, let subs = fields[9].elements {
            for sub in subs {
                guard let subName = sub.elements?.first.flatMap({ try? String(fromRESP: $0) }) else { continue }
                subcommands[subName.lowercased()] = try parse(sub)
            }
        }
        return CommandInfo(positions: first > 0 ? KeyPositions(first: first, last: last, step: step) : nil,
                           movableKeys: flags.contains("movablekeys"), readOnly: flags.contains("readonly"),
                           subcommands: subcommands)
    }
}
