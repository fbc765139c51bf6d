import NIOCore
import RoostRESP

/// An ACL user (Redis's `user`): its state, passwords and selectors. A class: clients
/// authenticated as the user see every later change to it, as in Redis.
final class ACLUser {
    /// The name's bytes, as given (any byte but blanks and NUL).
    let nameBytes: [UInt8]
    /// The name as text, for CLIENT INFO and CLIENT KILL USER.
    var name: String { String(decoding: nameBytes, as: UTF8.self) }
    var enabled = false
    var noPassword = false
    /// Set by `reset` and `sanitize-payload`, cleared by `skip-sanitize-payload`.
    var sanitizePayload = false
    var skipSanitizePayload = false
    /// SHA-256 hex digests, in the order added.
    var passwords: [String] = []
    /// The permissions the user's own rules set.
    var root = ACLSelector()
    /// Further selectors, `(…)` rules.
    var selectors: [ACLSelector] = []
    /// Whether every command is allowed on every key and channel (the check is skipped).
    private(set) var allowsEverything = false

    /// A new user, disabled, with no permissions; with every channel when `allChannels`
    /// (`acl-pubsub-default allchannels`).
    init(name: [UInt8], allChannels: Bool = false) {
        nameBytes = name
        root.allChannels = allChannels
    }

    convenience init(name: String, allChannels: Bool = false) {
        self.init(name: Array(name.utf8), allChannels: allChannels)
    }

    /// A copy to change, so that a rule that fails leaves the user as it was.
    func copy() -> ACLUser {
        let user = ACLUser(name: nameBytes)
        user.replaceState(with: self)
        return user
    }

    /// Takes every setting of `other`.
    func replaceState(with other: ACLUser) {
        enabled = other.enabled
        noPassword = other.noPassword
        sanitizePayload = other.sanitizePayload
        skipSanitizePayload = other.skipSanitizePayload
        passwords = other.passwords
        root = other.root
        selectors = other.selectors
        allowsEverything = root.allowsEverything
    }

    /// Why one ACL SETUSER rule failed, with Redis's wording.
    struct RuleError: Error {
        let reason: String

        static let syntax = RuleError(reason: "Syntax error")
        static let unknownName = RuleError(reason: "Unknown command or category name in ACL")
        static let afterAllKeys = RuleError(
            reason: "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")
        static let afterAllChannels = RuleError(
            reason: "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels")
        static let noSuchPassword = RuleError(reason: "The password you are trying to remove from the user does not exist")
        static let firstArgumentOfSubcommand = RuleError(reason: "Allowing first-arg of a subcommand is not supported")
        static let badHash = RuleError(
            reason: "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")

        init(reason: String) { self.reason = reason }

        init(_ error: ACLSelector.RuleError) {
            switch error {
            case .syntax: self = .syntax
            case .unknownName: self = .unknownName
            case .afterAllKeys: self = .afterAllKeys
            case .afterAllChannels: self = .afterAllChannels
            case .firstArgumentOfSubcommand: self = .firstArgumentOfSubcommand
            }
        }
    }

    /// Applies one rule: a user rule (`on`, `>password`, `reset`…), a selector `(…)`, or a rule
    /// for the root selector. `allChannels` is `acl-pubsub-default allchannels`: the channels
    /// a new selector, or the user after `reset`, starts with.
    func apply(_ rule: [UInt8], table: CommandTable, allChannels: Bool = false) throws(RuleError) {
        defer { allowsEverything = root.allowsEverything }
        let text = String(decoding: rule, as: UTF8.self)
        if rule.first == UInt8(ascii: "(") && rule.last == UInt8(ascii: ")") && rule.count >= 2 {
            var selector = ACLSelector()
            selector.allChannels = allChannels
            for word in Self.split(rule.dropFirst().dropLast()) {
                do { try selector.apply(word, table: table) } catch { throw RuleError(error) }
            }
            selectors.append(selector)
            return
        }
        switch text.lowercased() {
        case "on": enabled = true
        case "off": enabled = false
        case "nopass":
            noPassword = true
            passwords = []
        case "resetpass":
            noPassword = false
            passwords = []
        case "skip-sanitize-payload":
            skipSanitizePayload = true
            sanitizePayload = false
        case "sanitize-payload":
            skipSanitizePayload = false
            sanitizePayload = true
        case "clearselectors": selectors = []
        case "reset":
            let channels = allChannels ? "allchannels" : "resetchannels"
            for word in ["resetpass", "resetkeys", channels, "off", "clearselectors", "-@all", "sanitize-payload"] {
                try apply(Array(word.utf8), table: table)
            }
        default:
            switch rule.first {
            case UInt8(ascii: ">"):
                let hash = SHA256.hex(Array(rule.dropFirst()))
                if !passwords.contains(hash) { passwords.append(hash) }
                noPassword = false
            case UInt8(ascii: "#"):
                let hash = try Self.validHash(rule.dropFirst())
                if !passwords.contains(hash) { passwords.append(hash) }
                noPassword = false
            case UInt8(ascii: "<"):
                let hash = SHA256.hex(Array(rule.dropFirst()))
                guard let i = passwords.firstIndex(of: hash) else { throw .noSuchPassword }
                passwords.remove(at: i)
                noPassword = false
            case UInt8(ascii: "!"):
                let hash = try Self.validHash(rule.dropFirst())
                guard let i = passwords.firstIndex(of: hash) else { throw .noSuchPassword }
                passwords.remove(at: i)
                noPassword = false
            default:
                do { try root.apply(rule, table: table) } catch { throw RuleError(error) }
            }
        }
    }

    private static func validHash(_ bytes: ArraySlice<UInt8>) throws(RuleError) -> String {
        let hex = Array("0123456789abcdef".utf8)
        guard bytes.count == 64, bytes.allSatisfy({ hex.contains($0) }) else { throw .badHash }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Words separated by spaces.
    static func split<C: Collection>(_ bytes: C) -> [[UInt8]] where C.Element == UInt8 {
        bytes.split(separator: UInt8(ascii: " ")).map { Array($0) }
    }

    /// Whether `password` opens this user.
    func accepts(_ password: ByteBuffer) -> Bool {
        enabled && (noPassword || passwords.contains(SHA256.hex(Array(password.readableBytesView))))
    }

    /// Whether the user may run `command` with `arguments`, or the denial Redis reports: a
    /// command nobody allows, else the latest argument no selector allows.
    func check(_ command: ResolvedCommand, _ arguments: [ByteBuffer]) -> ACLDenial? {
        if allowsEverything { return nil }
        guard var worst = root.check(command, arguments) else { return nil }
        for selector in selectors {
            guard let denial = selector.check(command, arguments) else { return nil }
            if denial.rank > worst.rank || (denial.rank == worst.rank && denial.position > worst.position) {
                worst = denial
            }
        }
        return worst
    }

    /// Whether one of the selectors allows `channel` (a subscription pattern when `isPattern`).
    func allowsChannel<C: Collection>(_ channel: C, isPattern: Bool) -> Bool where C.Element == UInt8, C.Index == Int {
        root.allowsChannel(channel, isPattern: isPattern)
            || selectors.contains { $0.allowsChannel(channel, isPattern: isPattern) }
    }

    /// Whether `client`'s subscriptions are all still allowed (Redis drops a client that lost one).
    func allowsSubscriptions(of client: Client) -> Bool {
        client.channels.allSatisfy { channel in channel.withUnsafeBytes { allowsChannel($0, isPattern: false) } }
            && client.shardChannels.allSatisfy { channel in channel.withUnsafeBytes { allowsChannel($0, isPattern: false) } }
            && client.patterns.allSatisfy { pattern in pattern.withUnsafeBytes { allowsChannel($0, isPattern: true) } }
    }

    // MARK: Description

    /// The flags ACL GETUSER lists.
    var flags: [String] {
        var flags = [enabled ? "on" : "off"]
        if noPassword { flags.append("nopass") }
        if skipSanitizePayload { flags.append("skip-sanitize-payload") }
        if sanitizePayload { flags.append("sanitize-payload") }
        return flags
    }

    /// The user as ACL LIST and ACL SAVE write it.
    func description(table: CommandTable) -> [UInt8] {
        var parts = flags
        parts += passwords.map { "#" + $0 }
        parts.append(root.description(table: table))
        parts += selectors.map { "(" + $0.description(table: table) + ")" }
        return Array("user ".utf8) + nameBytes + Array((" " + parts.joined(separator: " ")).utf8)
    }
}
