import NIOCore

/// One ACL LOG entry, with the fields Redis 7.0 reports.
struct ACLLogEntry {
    var count: Int
    /// `command`, `key`, `channel` or `auth`.
    let reason: String
    /// `toplevel`, `multi` or `lua`.
    let context: String
    /// The command's full name, the key, the channel, or for `auth` the command as typed.
    let object: [UInt8]
    let username: [UInt8]
    /// Unix milliseconds of the latest occurrence.
    var createdAt: Int64
    /// CLIENT INFO of the latest client.
    var clientInfo: [UInt8]

    /// Whether `other` is a repeat Redis folds into this entry (within a minute).
    func matches(_ other: ACLLogEntry) -> Bool {
        reason == other.reason && context == other.context && object == other.object
            && username == other.username && other.createdAt - createdAt < 60_000
    }
}

/// The ACL: users by name, with `default` always present, and the log of refusals
/// (Redis's `acl.c`).
struct AccessControl {
    /// Users by name; ACL USERS and LIST sort them.
    private(set) var users: [[UInt8]: ACLUser]
    /// The `default` user, which unauthenticated clients run as.
    let defaultUser: ACLUser
    /// Newest first.
    var log: [ACLLogEntry] = []

    /// The users of a fresh server: `default`, open to all, with `requirepass` as its password.
    init(requirePass: String, table: CommandTable) {
        let user = ACLUser(name: "default")
        for rule in ["+@all", "~*", "&*", "on", "nopass"] {
            try? user.apply(Array(rule.utf8), table: table)
        }
        defaultUser = user
        users = [user.nameBytes: user]
        setDefaultPassword(requirePass, table: table)
    }

    /// Redis's `ACLUpdateDefaultUserPassword`: `requirepass` sets the default user's one
    /// password, or makes it `nopass` when empty.
    func setDefaultPassword(_ password: String, table: CommandTable) {
        try? defaultUser.apply(Array("resetpass".utf8), table: table)
        try? defaultUser.apply(password.isEmpty ? Array("nopass".utf8) : Array((">" + password).utf8), table: table)
    }

    /// Whether clients must authenticate before running commands (Redis's `authRequired`).
    var authenticationRequired: Bool { !(defaultUser.noPassword && defaultUser.enabled) }

    func user(named name: [UInt8]) -> ACLUser? { users[name] }

    /// Adds a user or changes it in place.
    mutating func store(_ user: ACLUser) {
        if let existing = users[user.nameBytes] {
            existing.replaceState(with: user)
        } else {
            users[user.nameBytes] = user
        }
    }

    mutating func remove(_ name: [UInt8]) -> ACLUser? { users.removeValue(forKey: name) }

    /// Replaces every user with `loaded` (ACL LOAD); the default user keeps its identity.
    mutating func replaceUsers(with loaded: [ACLUser], table: CommandTable) {
        var fresh: [[UInt8]: ACLUser] = [defaultUser.nameBytes: defaultUser]
        var defaultLoaded = false
        for user in loaded {
            if user.nameBytes == defaultUser.nameBytes {
                defaultUser.replaceState(with: user)
                defaultLoaded = true
            } else {
                fresh[user.nameBytes] = users[user.nameBytes].map { existing in
                    existing.replaceState(with: user)
                    return existing
                } ?? user
            }
        }
        if !defaultLoaded {
            let open = AccessControl(requirePass: "", table: table).defaultUser
            defaultUser.replaceState(with: open)
        }
        users = fresh
    }

    /// Records a refusal, folding it into a matching recent entry, and keeps `maxLength`.
    mutating func record(_ entry: ACLLogEntry, maxLength: Int) {
        if let i = log.firstIndex(where: { $0.matches(entry) }) {
            var existing = log.remove(at: i)
            existing.count += 1
            existing.createdAt = entry.createdAt
            existing.clientInfo = entry.clientInfo
            log.insert(existing, at: 0)
        } else {
            log.insert(entry, at: 0)
        }
        if log.count > maxLength { log.removeLast(log.count - maxLength) }
    }
}
