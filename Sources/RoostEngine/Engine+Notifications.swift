import NIOCore

/// `notify-keyspace-events`: the classes of keyspace events published, as Redis 7.0's
/// `NOTIFY_*` flags.
public struct KeyspaceEvents: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let keyspace = KeyspaceEvents(rawValue: 1 << 0)
    public static let keyevent = KeyspaceEvents(rawValue: 1 << 1)
    public static let generic = KeyspaceEvents(rawValue: 1 << 2)
    public static let string = KeyspaceEvents(rawValue: 1 << 3)
    public static let list = KeyspaceEvents(rawValue: 1 << 4)
    public static let set = KeyspaceEvents(rawValue: 1 << 5)
    public static let hash = KeyspaceEvents(rawValue: 1 << 6)
    public static let zset = KeyspaceEvents(rawValue: 1 << 7)
    public static let expired = KeyspaceEvents(rawValue: 1 << 8)
    public static let evicted = KeyspaceEvents(rawValue: 1 << 9)
    public static let stream = KeyspaceEvents(rawValue: 1 << 10)
    public static let keyMiss = KeyspaceEvents(rawValue: 1 << 11)
    public static let module = KeyspaceEvents(rawValue: 1 << 13)
    public static let new = KeyspaceEvents(rawValue: 1 << 14)
    /// `A`: every type class, without `m` and `n`.
    public static let all: KeyspaceEvents = [
        .generic, .string, .list, .set, .hash, .zset, .expired, .evicted, .stream, .module,
    ]

    /// The classes named by `text` (Redis's `keyspaceEventsStringToFlags`), or nil for a
    /// character that names none.
    public init?(parsing text: String) {
        var flags: KeyspaceEvents = []
        for c in text.utf8 {
            switch c {
            case UInt8(ascii: "A"): flags.formUnion(.all)
            case UInt8(ascii: "g"): flags.insert(.generic)
            case UInt8(ascii: "$"): flags.insert(.string)
            case UInt8(ascii: "l"): flags.insert(.list)
            case UInt8(ascii: "s"): flags.insert(.set)
            case UInt8(ascii: "h"): flags.insert(.hash)
            case UInt8(ascii: "z"): flags.insert(.zset)
            case UInt8(ascii: "x"): flags.insert(.expired)
            case UInt8(ascii: "e"): flags.insert(.evicted)
            case UInt8(ascii: "K"): flags.insert(.keyspace)
            case UInt8(ascii: "E"): flags.insert(.keyevent)
            case UInt8(ascii: "t"): flags.insert(.stream)
            case UInt8(ascii: "m"): flags.insert(.keyMiss)
            case UInt8(ascii: "d"): flags.insert(.module)
            case UInt8(ascii: "n"): flags.insert(.new)
            default: return nil
            }
        }
        self = flags
    }

    /// The canonical text CONFIG GET echoes (Redis's `keyspaceEventsFlagsToString`).
    public var text: String {
        var out = ""
        if isSuperset(of: .all) {
            out = "A"
        } else {
            let letters: [(KeyspaceEvents, String)] = [
                (.generic, "g"), (.string, "$"), (.list, "l"), (.set, "s"), (.hash, "h"), (.zset, "z"),
                (.expired, "x"), (.evicted, "e"), (.stream, "t"), (.module, "d"), (.new, "n"),
            ]
            for (flag, letter) in letters where contains(flag) { out += letter }
        }
        if contains(.keyspace) { out += "K" }
        if contains(.keyevent) { out += "E" }
        if contains(.keyMiss) { out += "m" }
        return out
    }

    /// Redis's reason when CONFIG SET gets a character that names no class.
    static let invalidCharacterReason = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
}

/// Keyspace notifications: Redis's `notifyKeyspaceEvent`, published through pub/sub as
/// `__keyspace@<db>__:<key>` (message: the event) and `__keyevent@<db>__:<event>` (message: the
/// key). Handlers call `notify` at the points Redis does.
extension Engine {
    /// Publishes `event` on `key` of `db` if its class is enabled.
    @inline(__always)
    func notify(_ type: KeyspaceEvents, _ event: StaticString, _ key: ByteString, _ db: Database) {
        let enabled = configuration.keyspaceEvents
        if enabled.isEmpty || !enabled.contains(type) { return }
        publishKeyspaceEvent(enabled, event, key, db.index)
    }

    /// `notify` for a key named by a command argument.
    @inline(__always)
    func notify(_ type: KeyspaceEvents, _ event: StaticString, _ key: ByteBuffer, _ db: Database) {
        if configuration.keyspaceEvents.isEmpty { return }
        notify(type, event, ByteString(key), db)
    }

    private func publishKeyspaceEvent(_ enabled: KeyspaceEvents, _ event: StaticString, _ key: ByteString, _ db: Int) {
        let eventBytes = UnsafeRawBufferPointer(start: event.utf8Start, count: event.utf8CodeUnitCount)
        if enabled.contains(.keyspace) {
            var channel = Array("__keyspace@\(db)__:".utf8)
            key.withUnsafeBytes { channel.append(contentsOf: $0) }
            var message = ByteBufferAllocator().buffer(capacity: eventBytes.count)
            message.writeBytes(eventBytes)
            _ = PubSubCommands.publish(self, from: nil, channel: ByteString(channel), message: message, kind: .global)
        }
        if enabled.contains(.keyevent) {
            var channel = Array("__keyevent@\(db)__:".utf8)
            channel.append(contentsOf: eventBytes)
            var message = ByteBufferAllocator().buffer(capacity: key.count)
            key.withUnsafeBytes { _ = message.writeBytes($0) }
            _ = PubSubCommands.publish(self, from: nil, channel: ByteString(channel), message: message, kind: .global)
        }
    }
}

extension CommandContext {
    /// Publishes `event` on `key` of the client's database if its class is enabled.
    @inline(__always)
    func notify(_ type: KeyspaceEvents, _ event: StaticString, _ key: ByteString) {
        engine.notify(type, event, key, database)
    }
}
