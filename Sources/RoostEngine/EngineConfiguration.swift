import RoostRESP

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The parameters an engine runs with. CONFIG GET and CONFIG SET read and write these; the
/// server reads the listener-related ones when it starts.
public struct EngineConfiguration: Sendable {
    /// `databases`
    public var databases = 16
    /// `requirepass`; empty means no password.
    public var requirePass: String = ""
    /// `aclfile`: where ACL SAVE writes users and ACL LOAD (and start-up) reads them; empty for none.
    public var aclFile: String = ""
    /// `acllog-max-len`: the entries ACL LOG keeps.
    public var aclLogMaxLength = 128
    /// `acl-pubsub-default`: the channels new users and selectors start with, `resetchannels` or `allchannels`.
    public var aclPubsubDefault = "resetchannels"
    /// `slowlog-log-slower-than`: microseconds from which a command is logged; negative: never.
    public var slowlogLogSlowerThan = 10000
    /// `slowlog-max-len`: entries kept.
    public var slowlogMaxLength = 128
    /// `tracking-table-max-keys`: keys client-side caching tracks at most; 0 for no limit.
    public var trackingTableMaxKeys = 1_000_000
    /// `latency-monitor-threshold`: milliseconds from which LATENCY records an event; 0: never.
    public var latencyMonitorThreshold: Int64 = 0
    /// `latency-tracking`: whether each command's latency histogram is kept (INFO latencystats).
    public var latencyTracking = true
    /// `latency-tracking-info-percentiles`: the percentiles INFO latencystats prints.
    public var latencyTrackingInfoPercentiles: [Double] = [50, 99, 99.9]
    /// `maxclients`
    public var maxClients = 10000
    /// `timeout`: seconds of idleness before a client is closed; 0 disables.
    public var idleTimeout = 0
    /// `proto-max-bulk-len`
    public var protoMaxBulkLength = 512 * 1024 * 1024
    /// `client-query-buffer-limit`
    public var clientQueryBufferLimit = 1024 * 1024 * 1024
    /// `client-output-buffer-limit`
    public var clientOutputBufferLimits = ClientOutputBufferLimits()
    /// `hz`: how many times a second background work (active expiry) runs.
    public var hz = 10
    /// `notify-keyspace-events`: the keyspace event classes published (Engine+Notifications.swift).
    public var keyspaceEvents: KeyspaceEvents = []
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
    /// `maxmemory-policy`; setting it also sets `evictionPolicy`.
    public var maxMemoryPolicy = "noeviction" {
        didSet { evictionPolicy = EvictionPolicy(name: maxMemoryPolicy) ?? .noEviction }
    }
    /// `maxmemory-policy` as the engine reads it on every access.
    public private(set) var evictionPolicy = EvictionPolicy.noEviction
    /// `lfu-log-factor`
    public var lfuLogFactor = 10
    /// `lfu-decay-time`
    public var lfuDecayTime = 1
    /// `maxmemory-samples`: keys sampled per database for each eviction.
    public var maxMemorySamples = 5
    /// `maxmemory-eviction-tenacity`: 0…100, how long one command may spend evicting.
    public var maxMemoryEvictionTenacity = 10
    /// `list-max-listpack-size` (alias `list-max-ziplist-size`): a positive number caps a
    /// quicklist node's entries, -1…-5 cap its bytes at 4, 8, 16, 32 or 64 KB.
    public var listMaxListpackSize = -2
    /// `list-compress-depth`
    public var listCompressDepth = 0
    /// `hash-max-listpack-entries` (alias `hash-max-ziplist-entries`)
    public var hashMaxListpackEntries = 512
    /// `hash-max-listpack-value` (alias `hash-max-ziplist-value`)
    public var hashMaxListpackValue = 64
    /// `set-max-intset-entries`
    public var setMaxIntsetEntries = 512
    /// `zset-max-listpack-entries` (alias `zset-max-ziplist-entries`)
    public var zsetMaxListpackEntries = 128
    /// `stream-node-max-bytes` and `stream-node-max-entries`: when a stream starts a new node.
    public var streamNodeMaxBytes = 4096
    public var streamNodeMaxEntries = 100
    /// `zset-max-listpack-value` (alias `zset-max-ziplist-value`)
    public var zsetMaxListpackValue = 64
    /// `hll-sparse-max-bytes`
    public var hllSparseMaxBytes = 3000
    /// `busy-reply-threshold` (alias `lua-time-limit`): milliseconds a script runs before other
    /// clients get BUSY and SCRIPT KILL may stop it; 0 never.
    public var busyReplyThreshold = 5000
    /// `dir`: where SAVE writes and where the server looks for its RDB file at start; empty
    /// means the working directory. CONFIG SET checks that it exists and stores it absolute.
    public var dir = ""
    /// `dbfilename`
    public var dbFilename = "dump.rdb"
    /// `rdbcompression`: LZF-compress strings longer than 20 bytes in RDB files.
    public var rdbCompression = true
    /// `rdbchecksum`: end RDB files with a CRC-64 (else zero) and check it on load.
    public var rdbChecksum = true
    /// `save`: a BGSAVE starts when one of these points is met. Empty by default (`save ""`),
    /// unlike redis-server's built-in `3600 1 300 100 60 10000`: an engine embedded in a
    /// process, or a `roost server` started by a test, writes no `dump.rdb` into its working
    /// directory unless asked to (a configuration file or `--save`).
    public var savePoints: [SavePoint] = []
    /// `stop-writes-on-bgsave-error`: refuse writes with MISCONF after a failed BGSAVE while
    /// save points are set.
    public var stopWritesOnBackgroundSaveError = true
    /// `enable-debug-command`: `no`, `yes`, or `local` (loopback and Unix-socket clients, and
    /// in-process ones).
    public var enableDebugCommand = "no"
    /// `enable-protected-configs`: whether CONFIG SET may change `dir` and `dbfilename` (`no`,
    /// `yes`, or `local`).
    public var enableProtectedConfigs = "no"
    /// `enable-module-command`: whether MODULE LOAD, LOADEX and UNLOAD may run (`no`, `yes`, or
    /// `local`). Even when they may, Roost loads no modules (Commands/Modules.swift).
    public var enableModuleCommand = "no"
    /// `appendonly`: log every write to the append-only file (Engine+AppendOnly.swift).
    public var appendOnly = false
    /// `appenddirname`: the folder in `dir` holding the manifest, base and incremental files.
    public var appendDirName = "appendonlydir"
    /// `appendfilename`: the stem of the append-only files' names.
    public var appendFilename = "appendonly.aof"
    /// `appendfsync`
    public var appendFsync = AppendFsyncPolicy.everysec
    /// `aof-use-rdb-preamble`: rewrites write the base as an RDB image (Roost always does).
    public var aofUseRDBPreamble = true
    /// `aof-load-truncated`: load a log whose last command is torn, cutting it off.
    public var aofLoadTruncated = true
    /// `auto-aof-rewrite-percentage`: growth over the size after the last rewrite that starts
    /// one; 0 disables.
    public var autoAOFRewritePercentage: Int64 = 100
    /// `rdb-key-save-delay`: microseconds a snapshot waits per key written (nanoseconds when
    /// negative), Redis's testing knob for slow BGSAVEs and rewrites.
    public var rdbKeySaveDelay: Int64 = 0
    /// `auto-aof-rewrite-min-size`
    public var autoAOFRewriteMinSize: Int64 = 64 * 1024 * 1024
    /// `aof-rewrite-incremental-fsync`, `no-appendfsync-on-rewrite`, `aof-timestamp-enabled`:
    /// accepted and reported; they do not change what Roost does.
    public var aofRewriteIncrementalFsync = true
    public var noAppendfsyncOnRewrite = false
    public var aofTimestampEnabled = false

    /// The file the server was started from, absolute; CONFIG REWRITE rewrites it. Nil for none.
    public var configFile: String?
    /// The file's `user` directives (name and rules), applied as the engine starts.
    public var userDirectives: [[String]] = []

    public init() {}
}

/// One `save` point: BGSAVE once at least `changes` writes happened and more than `seconds`
/// passed since the last save.
public struct SavePoint: Sendable, Equatable {
    public var seconds: Int64
    public var changes: Int64

    public init(seconds: Int64, changes: Int64) {
        self.seconds = seconds
        self.changes = changes
    }

    /// Redis's defaults, for a configuration that wants them: `3600 1 300 100 60 10000`.
    public static let redisDefaults = [
        SavePoint(seconds: 3600, changes: 1), SavePoint(seconds: 300, changes: 100), SavePoint(seconds: 60, changes: 10000),
    ]

    /// `save`'s words as Redis's `setConfigSaveOption` reads them: pairs of seconds (at least 1)
    /// and changes (at least 0); a lone `""` (or nothing) means none. Nil when invalid.
    static func parse(_ words: [String]) -> [SavePoint]? {
        var words = words
        if words.count == 1 && (words[0].isEmpty || words[0] == "\"\"") { words = [] }
        guard words.count % 2 == 0 else { return nil }
        var points: [SavePoint] = []
        var i = 0
        while i < words.count {
            guard let seconds = Int64(words[i]), seconds >= 1, let changes = Int64(words[i + 1]), changes >= 0 else { return nil }
            points.append(SavePoint(seconds: seconds, changes: changes))
            i += 2
        }
        return points
    }

    /// CONFIG GET's form: `seconds changes` pairs joined by spaces.
    static func text(_ points: [SavePoint]) -> String {
        points.map { "\($0.seconds) \($0.changes)" }.joined(separator: " ")
    }
}

/// A configuration parameter that could not be applied.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

extension EngineConfiguration {
    /// Applies a redis.conf-style file: one `name value…` directive a line, `#` comments.
    /// - Throws: `ConfigurationError` naming the line of an unknown or invalid directive.
    public mutating func apply(configurationFile text: String) throws {
        // The file's first `save` line replaces the points; later ones add to them, as in Redis.
        var savePointsSoFar: [SavePoint]?
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: " \t\r")
            if line.isEmpty || line.hasPrefix("#") { continue }
            // Words as Redis's `sdssplitargs` reads them, so that quoted values (as CONFIG
            // REWRITE writes them) load back.
            guard let words = AOFManifest.splitArguments(line), !words.isEmpty else {
                throw ConfigurationError(description: "line \(number + 1): Unbalanced quotes in configuration line")
            }
            if words[0].lowercased() == "user" {
                userDirectives.append(Array(words.dropFirst()))
                continue
            }
            do {
                try set(words[0].lowercased(), Array(words.dropFirst()))
                if words[0].lowercased() == "save" {
                    savePoints = (savePointsSoFar ?? []) + savePoints
                    savePointsSoFar = savePoints
                }
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
        // Memory sizes take redis.conf's units (`1gb`, as CONFIG REWRITE writes them).
        if let parameter = Self.parameters.first(where: { $0.name == name }), case .memory = parameter.kind {
            if let reason = setParameter(name, try one()) { throw ConfigurationError(description: "\(reason) for '\(name)'") }
            return
        }
        switch name {
        case "port": port = try int()
        case "bind": bind = values
        case "requirepass": requirePass = try one()
        case "aclfile": aclFile = try one()
        case "acllog-max-len": aclLogMaxLength = try int()
        case "acl-pubsub-default": if let reason = setParameter(name, try one()) { throw ConfigurationError(description: "\(reason) for '\(name)'") }
        case "maxclients": maxClients = try int()
        case "slowlog-log-slower-than": slowlogLogSlowerThan = try int()
        case "slowlog-max-len": slowlogMaxLength = try int()
        case "tracking-table-max-keys": trackingTableMaxKeys = try int()
        case "timeout": idleTimeout = try int()
        case "databases": databases = try int()
        case "hz": hz = try int()
        case "notify-keyspace-events":
            // redis.conf writes "no events" as `notify-keyspace-events ""`.
            let text = try one()
            guard let events = KeyspaceEvents(parsing: text == "\"\"" ? "" : text) else {
                throw ConfigurationError(description: KeyspaceEvents.invalidCharacterReason)
            }
            keyspaceEvents = events
        case "protected-mode": protectedMode = try bool()
        case "unixsocket": unixSocket = try one()
        case "proto-max-bulk-len": protoMaxBulkLength = try int()
        case "client-query-buffer-limit": clientQueryBufferLimit = try int()
        case "client-output-buffer-limit":
            if let reason = clientOutputBufferLimits.apply(configurationWords: values) {
                throw ConfigurationError(description: "\(reason) for '\(name)'")
            }
        case "list-max-listpack-size", "list-max-ziplist-size": listMaxListpackSize = try int()
        case "list-compress-depth": listCompressDepth = try int()
        case "hash-max-listpack-entries", "hash-max-ziplist-entries": hashMaxListpackEntries = try int()
        case "hash-max-listpack-value", "hash-max-ziplist-value": hashMaxListpackValue = try int()
        case "set-max-intset-entries": setMaxIntsetEntries = try int()
        case "zset-max-listpack-entries", "zset-max-ziplist-entries": zsetMaxListpackEntries = try int()
        case "stream-node-max-bytes": streamNodeMaxBytes = try int()
        case "stream-node-max-entries": streamNodeMaxEntries = try int()
        case "zset-max-listpack-value", "zset-max-ziplist-value": zsetMaxListpackValue = try int()
        case "hll-sparse-max-bytes": hllSparseMaxBytes = try int()
        case "busy-reply-threshold", "lua-time-limit": busyReplyThreshold = try int()
        case "rdbchecksum": rdbChecksum = try bool()
        case "save":
            guard let points = SavePoint.parse(values.flatMap { $0.split(separator: " ").map(String.init) }.ifEmpty([""])) else {
                throw ConfigurationError(description: "Invalid save parameters for '\(name)'")
            }
            savePoints = points
        case "stop-writes-on-bgsave-error": stopWritesOnBackgroundSaveError = try bool()
        case "enable-debug-command", "enable-protected-configs", "enable-module-command":
            let v = try one().lowercased()
            guard ["no", "yes", "local"].contains(v) else {
                throw ConfigurationError(description: "argument(s) must be one of the following: no, yes, local for '\(name)'")
            }
            switch name {
            case "enable-debug-command": enableDebugCommand = v
            case "enable-module-command": enableModuleCommand = v
            default: enableProtectedConfigs = v
            }
        case "appenddirname", "appendfilename":
            let v = try one()
            if v.contains("/") { throw ConfigurationError(description: "\(name) can't be a path, just a filename for '\(name)'") }
            if name == "appenddirname" { appendDirName = v } else { appendFilename = v }
        case "dir", "dbfilename", "rdbcompression", "appendonly", "appendfsync", "aof-use-rdb-preamble",
             "aof-load-truncated", "auto-aof-rewrite-percentage", "auto-aof-rewrite-min-size",
             "aof-rewrite-incremental-fsync", "no-appendfsync-on-rewrite", "aof-timestamp-enabled", "rdb-key-save-delay":
            if let reason = setParameter(name, try one()) {
                throw ConfigurationError(description: "\(reason) for '\(name)'")
            }
        case "maxmemory", "maxmemory-policy", "lfu-log-factor", "lfu-decay-time", "maxmemory-samples",
             "maxmemory-eviction-tenacity", "latency-monitor-threshold", "latency-tracking":
            if let reason = setParameter(name, try one()) {
                throw ConfigurationError(description: "\(reason) for '\(name)'")
            }
        case "latency-tracking-info-percentiles":
            if let reason = setParameter(name, values.joined(separator: " ")) {
                throw ConfigurationError(description: "\(reason) for '\(name)'")
            }
        default: throw ConfigurationError(description: "Bad directive or wrong number of arguments: '\(name)'")
        }
    }
}

extension Array {
    /// `replacement` when empty, else the array.
    func ifEmpty(_ replacement: [Element]) -> [Element] { isEmpty ? replacement : self }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}

/// CONFIG GET and CONFIG SET: the parameters Roost has, their types and bounds, as Redis 7.0
/// declares them.
extension EngineConfiguration {
    /// How a parameter's value is read and checked.
    public enum ParameterKind: Sendable {
        case integer(min: Int64, max: Int64)
        case memory(min: Int64, max: Int64)
        case boolean
        case string
        case enumeration([String])
        /// Readable with CONFIG GET only.
        case immutable
    }

    /// A parameter CONFIG knows.
    public struct Parameter: Sendable {
        public let name: String
        public let kind: ParameterKind
    }

    static let intMax = Int64(Int32.max)

    /// Every parameter, in the order CONFIG GET lists matches.
    public static let parameters: [Parameter] = [
        Parameter(name: "databases", kind: .immutable),
        Parameter(name: "requirepass", kind: .string),
        Parameter(name: "aclfile", kind: .immutable),
        Parameter(name: "acllog-max-len", kind: .integer(min: 0, max: Int64.max)),
        Parameter(name: "acl-pubsub-default", kind: .enumeration(["allchannels", "resetchannels"])),
        Parameter(name: "maxclients", kind: .integer(min: 1, max: Int64(UInt32.max))),
        Parameter(name: "slowlog-log-slower-than", kind: .integer(min: -1, max: Int64.max)),
        Parameter(name: "slowlog-max-len", kind: .integer(min: 0, max: Int64.max)),
        Parameter(name: "tracking-table-max-keys", kind: .integer(min: 0, max: Int64.max)),
        Parameter(name: "latency-monitor-threshold", kind: .integer(min: 0, max: Int64.max)),
        Parameter(name: "latency-tracking", kind: .boolean),
        // Checked by `percentiles(parsing:)`, which gives Redis's reasons.
        Parameter(name: "latency-tracking-info-percentiles", kind: .string),
        Parameter(name: "timeout", kind: .integer(min: 0, max: intMax)),
        Parameter(name: "proto-max-bulk-len", kind: .memory(min: 1024 * 1024, max: Int64.max)),
        Parameter(name: "client-query-buffer-limit", kind: .memory(min: 1024 * 1024, max: Int64.max)),
        // Checked by ClientOutputBufferLimits, which gives Redis's reasons.
        Parameter(name: "client-output-buffer-limit", kind: .string),
        Parameter(name: "hz", kind: .integer(min: 0, max: intMax)),
        // Roost binds its listeners once, at start.
        Parameter(name: "port", kind: .immutable),
        Parameter(name: "bind", kind: .immutable),
        Parameter(name: "protected-mode", kind: .boolean),
        Parameter(name: "unixsocket", kind: .immutable),
        Parameter(name: "unixsocketperm", kind: .immutable),
        Parameter(name: "maxmemory", kind: .memory(min: 0, max: Int64.max)),
        Parameter(name: "maxmemory-policy", kind: .enumeration([
            "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu",
            "allkeys-random", "noeviction",
        ])),
        Parameter(name: "lfu-log-factor", kind: .integer(min: 0, max: intMax)),
        Parameter(name: "lfu-decay-time", kind: .integer(min: 0, max: intMax)),
        Parameter(name: "maxmemory-samples", kind: .integer(min: 1, max: intMax)),
        Parameter(name: "maxmemory-eviction-tenacity", kind: .integer(min: 0, max: 100)),
        // Compact-encoding thresholds; the `ziplist` names are Redis 7's aliases.
        Parameter(name: "list-max-listpack-size", kind: .integer(min: Int64(Int32.min), max: intMax)),
        Parameter(name: "list-max-ziplist-size", kind: .integer(min: Int64(Int32.min), max: intMax)),
        Parameter(name: "list-compress-depth", kind: .integer(min: 0, max: intMax)),
        Parameter(name: "hash-max-listpack-entries", kind: .integer(min: 0, max: Int64.max)),
        Parameter(name: "hash-max-ziplist-entries", kind: .integer(min: 0, max: Int64.max)),
        Parameter(name: "hash-max-listpack-value", kind: .memory(min: 0, max: Int64.max)),
        Parameter(name: "hash-max-ziplist-value", kind: .memory(min: 0, max: Int64.max)),
        Parameter(name: "set-max-intset-entries", kind: .integer(min: 0, max: Int64.max)),
        Parameter(name: "zset-max-listpack-entries", kind: .integer(min: 0, max: Int64.max)),
        Parameter(name: "zset-max-ziplist-entries", kind: .integer(min: 0, max: Int64.max)),
        Parameter(name: "zset-max-listpack-value", kind: .memory(min: 0, max: Int64.max)),
        Parameter(name: "zset-max-ziplist-value", kind: .memory(min: 0, max: Int64.max)),
        Parameter(name: "hll-sparse-max-bytes", kind: .memory(min: 0, max: Int64.max)),
        Parameter(name: "stream-node-max-bytes", kind: .memory(min: 0, max: Int64.max)),
        Parameter(name: "stream-node-max-entries", kind: .integer(min: 0, max: Int64.max)),
        Parameter(name: "busy-reply-threshold", kind: .integer(min: 0, max: Int64.max)),
        Parameter(name: "lua-time-limit", kind: .integer(min: 0, max: Int64.max)),
        Parameter(name: "dir", kind: .string),
        Parameter(name: "dbfilename", kind: .string),
        Parameter(name: "rdbcompression", kind: .boolean),
        Parameter(name: "rdbchecksum", kind: .immutable),
        Parameter(name: "save", kind: .string),
        Parameter(name: "stop-writes-on-bgsave-error", kind: .boolean),
        Parameter(name: "enable-debug-command", kind: .immutable),
        Parameter(name: "enable-module-command", kind: .immutable),
        Parameter(name: "enable-protected-configs", kind: .immutable),
        Parameter(name: "appendonly", kind: .boolean),
        Parameter(name: "appendfsync", kind: .enumeration(["always", "everysec", "no"])),
        Parameter(name: "appenddirname", kind: .immutable),
        Parameter(name: "appendfilename", kind: .immutable),
        Parameter(name: "aof-use-rdb-preamble", kind: .boolean),
        Parameter(name: "aof-load-truncated", kind: .boolean),
        Parameter(name: "auto-aof-rewrite-percentage", kind: .integer(min: 0, max: intMax)),
        Parameter(name: "auto-aof-rewrite-min-size", kind: .memory(min: 0, max: Int64.max)),
        Parameter(name: "aof-rewrite-incremental-fsync", kind: .boolean),
        Parameter(name: "no-appendfsync-on-rewrite", kind: .boolean),
        Parameter(name: "aof-timestamp-enabled", kind: .boolean),
        Parameter(name: "rdb-key-save-delay", kind: .integer(min: Int64(Int32.min), max: intMax)),
        // Checked by KeyspaceEvents, which gives Redis's reason.
        Parameter(name: "notify-keyspace-events", kind: .string),
    ]

    /// The value CONFIG GET reports for `name`, or nil for an unknown name.
    public func value(of name: String) -> String? {
        switch name {
        case "databases": return String(databases)
        case "requirepass": return requirePass
        case "aclfile": return aclFile
        case "acllog-max-len": return String(aclLogMaxLength)
        case "acl-pubsub-default": return aclPubsubDefault
        case "maxclients": return String(maxClients)
        case "slowlog-log-slower-than": return String(slowlogLogSlowerThan)
        case "slowlog-max-len": return String(slowlogMaxLength)
        case "tracking-table-max-keys": return String(trackingTableMaxKeys)
        case "latency-monitor-threshold": return String(latencyMonitorThreshold)
        case "latency-tracking": return latencyTracking ? "yes" : "no"
        case "latency-tracking-info-percentiles":
            return latencyTrackingInfoPercentiles.map(Self.percentileText).joined(separator: " ")
        case "timeout": return String(idleTimeout)
        case "proto-max-bulk-len": return String(protoMaxBulkLength)
        case "client-query-buffer-limit": return String(clientQueryBufferLimit)
        case "client-output-buffer-limit": return clientOutputBufferLimits.description
        case "hz": return String(Swift.min(Swift.max(hz, 1), 500))
        case "notify-keyspace-events": return keyspaceEvents.text
        case "port": return String(port)
        case "bind": return bind.joined(separator: " ")
        case "protected-mode": return protectedMode ? "yes" : "no"
        case "unixsocket": return unixSocket
        case "unixsocketperm": return String(unixSocketPermissions, radix: 8)
        case "maxmemory": return String(maxMemory)
        case "maxmemory-policy": return maxMemoryPolicy
        case "lfu-log-factor": return String(lfuLogFactor)
        case "lfu-decay-time": return String(lfuDecayTime)
        case "maxmemory-samples": return String(maxMemorySamples)
        case "maxmemory-eviction-tenacity": return String(maxMemoryEvictionTenacity)
        case "list-max-listpack-size", "list-max-ziplist-size": return String(listMaxListpackSize)
        case "list-compress-depth": return String(listCompressDepth)
        case "hash-max-listpack-entries", "hash-max-ziplist-entries": return String(hashMaxListpackEntries)
        case "hash-max-listpack-value", "hash-max-ziplist-value": return String(hashMaxListpackValue)
        case "set-max-intset-entries": return String(setMaxIntsetEntries)
        case "zset-max-listpack-entries", "zset-max-ziplist-entries": return String(zsetMaxListpackEntries)
        case "stream-node-max-bytes": return String(streamNodeMaxBytes)
        case "stream-node-max-entries": return String(streamNodeMaxEntries)
        case "zset-max-listpack-value", "zset-max-ziplist-value": return String(zsetMaxListpackValue)
        case "hll-sparse-max-bytes": return String(hllSparseMaxBytes)
        case "busy-reply-threshold", "lua-time-limit": return String(busyReplyThreshold)
        case "dir": return Self.absoluteDirectory(dir) ?? dir
        case "dbfilename": return dbFilename
        case "rdbcompression": return rdbCompression ? "yes" : "no"
        case "rdbchecksum": return rdbChecksum ? "yes" : "no"
        case "save": return SavePoint.text(savePoints)
        case "stop-writes-on-bgsave-error": return stopWritesOnBackgroundSaveError ? "yes" : "no"
        case "enable-debug-command": return enableDebugCommand
        case "enable-module-command": return enableModuleCommand
        case "enable-protected-configs": return enableProtectedConfigs
        case "appendonly": return appendOnly ? "yes" : "no"
        case "appendfsync": return appendFsync.rawValue
        case "appenddirname": return appendDirName
        case "appendfilename": return appendFilename
        case "aof-use-rdb-preamble": return aofUseRDBPreamble ? "yes" : "no"
        case "aof-load-truncated": return aofLoadTruncated ? "yes" : "no"
        case "auto-aof-rewrite-percentage": return String(autoAOFRewritePercentage)
        case "auto-aof-rewrite-min-size": return String(autoAOFRewriteMinSize)
        case "aof-rewrite-incremental-fsync": return aofRewriteIncrementalFsync ? "yes" : "no"
        case "no-appendfsync-on-rewrite": return noAppendfsyncOnRewrite ? "yes" : "no"
        case "aof-timestamp-enabled": return aofTimestampEnabled ? "yes" : "no"
        case "rdb-key-save-delay": return String(rdbKeySaveDelay)
        default: return nil
        }
    }

    /// `path` resolved to an absolute directory (Redis chdirs to `dir`; Roost keeps the path
    /// instead, so that engines in one process can have different ones). Nil, with `errno`
    /// set, when it does not name a directory.
    static func absoluteDirectory(_ path: String) -> String? {
        guard let resolved = realpath(path.isEmpty ? "." : path, nil) else { return nil }
        defer { free(resolved) }
        var info = stat()
        guard stat(resolved, &info) == 0 else { return nil }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            errno = ENOTDIR
            return nil
        }
        return String(cString: resolved)
    }

    /// `latency-tracking-info-percentiles` words as Redis reads them: numbers from 0 to 100,
    /// none for an empty value.
    static func percentiles(parsing text: String) -> Result<[Double], ConfigurationError> {
        var values: [Double] = []
        for word in text.split(separator: " ") {
            guard let v = Double(word), !v.isNaN else {
                return .failure(ConfigurationError(description: "Invalid latency-tracking-info-percentiles parameters"))
            }
            guard v >= 0 && v <= 100 else {
                return .failure(ConfigurationError(
                    description: "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"))
            }
            values.append(v)
        }
        return .success(values)
    }

    /// A percentile as Redis prints it: `%f` without trailing zeros (`50`, `99.9`).
    static func percentileText(_ value: Double) -> String {
        var text = GeoCommands.cFormat("%f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    /// `strerror(code)`.
    static func systemError(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// Whether DEBUG may run for `client` under `enable-debug-command`.
    func allowsDebugCommand(from client: Client) -> Bool { Self.allows(enableDebugCommand, client) }

    /// Whether MODULE LOAD, LOADEX and UNLOAD may run for `client` under `enable-module-command`.
    func allowsModuleCommand(from client: Client) -> Bool { Self.allows(enableModuleCommand, client) }

    /// Whether CONFIG SET may change a protected parameter for `client`.
    func allowsProtectedConfigs(from client: Client) -> Bool { Self.allows(enableProtectedConfigs, client) }

    /// Redis's `allowProtectedAction`: `yes`, or `local` for a loopback or Unix-socket client.
    static func allows(_ setting: String, _ client: Client) -> Bool {
        switch setting {
        case "yes": return true
        case "local":
            let a = client.address
            return a.isEmpty || a.hasPrefix("127.") || a.hasPrefix("::1") || a.hasPrefix("[::1]") || a.hasPrefix("/")
        default: return false
        }
    }

    /// A memory amount as Redis's `memtoull` reads it: digits with an optional `b`, `k`, `kb`,
    /// `m`, `mb`, `g` or `gb` suffix, any case.
    static func memoryValue(_ text: String) -> Int64? {
        let lower = text.lowercased()
        let units: [(String, Int64)] = [
            ("gb", 1024 * 1024 * 1024), ("mb", 1024 * 1024), ("kb", 1024), ("g", 1_000_000_000),
            ("m", 1_000_000), ("k", 1000), ("b", 1),
        ]
        var digits = Substring(lower)
        var multiplier: Int64 = 1
        for (suffix, m) in units where lower.hasSuffix(suffix) {
            digits = digits.dropLast(suffix.count)
            multiplier = m
            break
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= "0" && $0 <= "9" }), let n = Int64(digits) else { return nil }
        let (product, overflow) = n.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }

    /// The parameters CONFIG SET changes only under `enable-protected-configs`.
    static let protectedParameters: Set<String> = ["dir", "dbfilename"]

    /// Applies CONFIG SET `name value`. Returns Redis's reason text when the value is rejected.
    public mutating func setParameter(_ name: String, _ text: String) -> String? {
        guard let parameter = Self.parameters.first(where: { $0.name == name }) else { return "unknown parameter" }
        var number: Int64 = 0
        switch parameter.kind {
        case .immutable:
            return "can't set immutable config"
        case .integer(let lo, let hi), .memory(let lo, let hi):
            if case .memory = parameter.kind {
                guard let v = Self.memoryValue(text) else { return "argument must be a memory value" }
                number = v
            } else {
                guard let v = RedisInteger.parse(Array(text.utf8)) else {
                    return "argument couldn't be parsed into an integer"
                }
                number = v
            }
            if number < lo || number > hi { return "argument must be between \(lo) and \(hi) inclusive" }
        case .boolean:
            guard ["yes", "no"].contains(text.lowercased()) else { return "argument must be 'yes' or 'no'" }
        case .enumeration(let names):
            guard names.contains(text.lowercased()) else {
                return "argument(s) must be one of the following: " + names.joined(separator: ", ")
            }
        case .string:
            break
        }
        switch name {
        case "requirepass": requirePass = text
        case "acllog-max-len": aclLogMaxLength = Int(number)
        case "acl-pubsub-default": aclPubsubDefault = text.lowercased()
        case "maxclients": maxClients = Int(number)
        case "slowlog-log-slower-than": slowlogLogSlowerThan = Int(number)
        case "slowlog-max-len": slowlogMaxLength = Int(number)
        case "tracking-table-max-keys": trackingTableMaxKeys = Int(number)
        case "latency-monitor-threshold": latencyMonitorThreshold = number
        case "latency-tracking": latencyTracking = text.lowercased() == "yes"
        case "latency-tracking-info-percentiles":
            switch Self.percentiles(parsing: text) {
            case .success(let values): latencyTrackingInfoPercentiles = values
            case .failure(let reason): return reason.description
            }
        case "timeout": idleTimeout = Int(number)
        case "proto-max-bulk-len": protoMaxBulkLength = Int(number)
        case "client-query-buffer-limit": clientQueryBufferLimit = Int(number)
        case "client-output-buffer-limit":
            if let reason = clientOutputBufferLimits.apply(configSetValue: text) { return reason }
        case "hz": hz = Int(number)
        case "notify-keyspace-events":
            guard let events = KeyspaceEvents(parsing: text) else { return KeyspaceEvents.invalidCharacterReason }
            keyspaceEvents = events
        case "protected-mode": protectedMode = text.lowercased() == "yes"
        case "maxmemory": maxMemory = Int(number)
        case "maxmemory-policy": maxMemoryPolicy = text.lowercased()
        case "lfu-log-factor": lfuLogFactor = Int(number)
        case "lfu-decay-time": lfuDecayTime = Int(number)
        case "maxmemory-samples": maxMemorySamples = Int(number)
        case "maxmemory-eviction-tenacity": maxMemoryEvictionTenacity = Int(number)
        case "list-max-listpack-size", "list-max-ziplist-size": listMaxListpackSize = Int(number)
        case "list-compress-depth": listCompressDepth = Int(number)
        case "hash-max-listpack-entries", "hash-max-ziplist-entries": hashMaxListpackEntries = Int(number)
        case "hash-max-listpack-value", "hash-max-ziplist-value": hashMaxListpackValue = Int(number)
        case "set-max-intset-entries": setMaxIntsetEntries = Int(number)
        case "zset-max-listpack-entries", "zset-max-ziplist-entries": zsetMaxListpackEntries = Int(number)
        case "stream-node-max-bytes": streamNodeMaxBytes = Int(number)
        case "stream-node-max-entries": streamNodeMaxEntries = Int(number)
        case "zset-max-listpack-value", "zset-max-ziplist-value": zsetMaxListpackValue = Int(number)
        case "hll-sparse-max-bytes": hllSparseMaxBytes = Int(number)
        case "busy-reply-threshold", "lua-time-limit": busyReplyThreshold = Int(number)
        case "dir":
            guard let absolute = Self.absoluteDirectory(text) else { return Self.systemError(errno) }
            dir = absolute
        case "dbfilename":
            if text.contains("/") { return "dbfilename can't be a path, just a filename" }
            dbFilename = text
        case "rdbcompression": rdbCompression = text.lowercased() == "yes"
        case "rdbchecksum": rdbChecksum = text.lowercased() == "yes"
        case "save":
            guard let points = SavePoint.parse(text.split(separator: " ").map(String.init).ifEmpty([""])) else {
                return "Invalid save parameters"
            }
            savePoints = points
        case "stop-writes-on-bgsave-error": stopWritesOnBackgroundSaveError = text.lowercased() == "yes"
        case "appendonly": appendOnly = text.lowercased() == "yes"
        case "appendfsync": appendFsync = AppendFsyncPolicy(rawValue: text.lowercased()) ?? .everysec
        case "aof-use-rdb-preamble": aofUseRDBPreamble = text.lowercased() == "yes"
        case "aof-load-truncated": aofLoadTruncated = text.lowercased() == "yes"
        case "auto-aof-rewrite-percentage": autoAOFRewritePercentage = number
        case "auto-aof-rewrite-min-size": autoAOFRewriteMinSize = number
        case "aof-rewrite-incremental-fsync": aofRewriteIncrementalFsync = text.lowercased() == "yes"
        case "no-appendfsync-on-rewrite": noAppendfsyncOnRewrite = text.lowercased() == "yes"
        case "aof-timestamp-enabled": aofTimestampEnabled = text.lowercased() == "yes"
        case "rdb-key-save-delay": rdbKeySaveDelay = number
        default: return "can't set immutable config"
        }
        return nil
    }
}

/// `maxmemory-policy`: what to evict once used memory passes `maxmemory`, as Redis 7.0 names it.
public enum EvictionPolicy: Sendable {
    case noEviction, allKeysLRU, volatileLRU, allKeysLFU, volatileLFU, allKeysRandom, volatileRandom, volatileTTL

    /// The policy named `name` (lowercase), or nil.
    public init?(name: String) {
        switch name {
        case "noeviction": self = .noEviction
        case "allkeys-lru": self = .allKeysLRU
        case "volatile-lru": self = .volatileLRU
        case "allkeys-lfu": self = .allKeysLFU
        case "volatile-lfu": self = .volatileLFU
        case "allkeys-random": self = .allKeysRandom
        case "volatile-random": self = .volatileRandom
        case "volatile-ttl": self = .volatileTTL
        default: return nil
        }
    }

    /// Whether key access updates LFU counters rather than the LRU clock.
    public var isLFU: Bool { self == .allKeysLFU || self == .volatileLFU }
    /// Whether only keys with a TTL may be evicted.
    public var isVolatile: Bool { self == .volatileLRU || self == .volatileLFU || self == .volatileRandom || self == .volatileTTL }
}
