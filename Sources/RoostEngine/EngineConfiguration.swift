/// The parameters an engine runs with. CONFIG GET and CONFIG SET read and write these; the
/// server reads the listener-related ones when it starts.
public struct EngineConfiguration: Sendable {
    /// `databases`
    public var databases = 16
    /// `requirepass`; empty means no password.
    public var requirePass: String = ""
    /// `maxclients`
    public var maxClients = 10000
    /// `timeout`: seconds of idleness before a client is closed; 0 disables.
    public var idleTimeout = 0
    /// `proto-max-bulk-len`
    public var protoMaxBulkLength = 512 * 1024 * 1024
    /// `client-query-buffer-limit`
    public var clientQueryBufferLimit = 1024 * 1024 * 1024
    /// `hz`: how many times a second background work (active expiry) runs.
    public var hz = 10
    /// `port`
    public var port = 6379
    /// `bind`
    public var bind: [String] = ["127.0.0.1", "-::1"]
    /// `protected-mode`
    public var protectedMode = true
    /// `unixsocket`; empty means none.
    public var unixSocket = ""
    /// `unixsocketperm`
    public var unixSocketPermissions = 0
    /// `maxmemory`
    public var maxMemory = 0
    /// `maxmemory-policy`
    public var maxMemoryPolicy = "noeviction"
    /// `lfu-log-factor`
    public var lfuLogFactor = 10
    /// `lfu-decay-time`
    public var lfuDecayTime = 1

    public init() {}
}

/// A configuration parameter that could not be applied.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

extension EngineConfiguration {
    /// Applies a redis.conf-style file: one `name value…` directive a line, `#` comments.
    /// - Throws: `ConfigurationError` naming the line of an unknown or invalid directive.
    public mutating func apply(configurationFile text: String) throws {
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: " \t\r")
            if line.isEmpty || line.hasPrefix("#") { continue }
            let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            do {
                try set(words[0].lowercased(), Array(words.dropFirst()))
            } catch let error as ConfigurationError {
                throw ConfigurationError(description: "line \(number + 1): \(error.description)")
            }
        }
    }

    /// Sets one parameter from its textual value(s).
    public mutating func set(_ name: String, _ values: [String]) throws {
        func one() throws -> String {
            guard values.count == 1 else { throw ConfigurationError(description: "wrong number of arguments for '\(name)'") }
            return values[0]
        }
        func int() throws -> Int {
            guard let v = Int(try one()) else { throw ConfigurationError(description: "argument couldn't be parsed into an integer for '\(name)'") }
            return v
        }
        func bool() throws -> Bool {
            switch try one().lowercased() {
            case "yes": return true
            case "no": return false
            default: throw ConfigurationError(description: "argument must be 'yes' or 'no' for '\(name)'")
            }
        }
        switch name {
        case "port": port = try int()
        case "bind": bind = values
        case "requirepass": requirePass = try one()
        case "maxclients": maxClients = try int()
        case "timeout": idleTimeout = try int()
        case "databases": databases = try int()
        case "hz": hz = try int()
        case "protected-mode": protectedMode = try bool()
        case "unixsocket": unixSocket = try one()
        case "proto-max-bulk-len": protoMaxBulkLength = try int()
        case "client-query-buffer-limit": clientQueryBufferLimit = try int()
        default: throw ConfigurationError(description: "Bad directive or wrong number of arguments: '\(name)'")
        }
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
