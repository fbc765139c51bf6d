import RoostRESP

/// The parameters Redis 7.0 has for features Roost's server does not offer (replication,
/// cluster mode, TLS, logging, daemon and process management, allocator and thread tuning).
///
/// CONFIG GET reports each with Redis's default and formatting, CONFIG SET and configuration
/// files check values exactly as Redis does (type, range, enum names, immutability) and store
/// them, and CONFIG REWRITE writes them back; nothing else reads them. README's "What the
/// server does not offer, and why" lists them. A few values would claim a feature that is not
/// there, and are refused instead, with Redis's own text for the failure: TLS on
/// (`tls-port`, `tls-replication`, `tls-cluster`), `activedefrag yes`, and, in a file,
/// `cluster-enabled yes` and `replicaof HOST PORT`.
extension EngineConfiguration {
    /// An inert parameter: how its values are read and checked, and its default as CONFIG GET
    /// prints it.
    struct InertParameter: Sendable {
        /// How values are read, checked and written back.
        enum Check: Sendable {
            case integer(min: Int64, max: Int64)
            case memory(min: Int64, max: Int64)
            /// `maxmemory-clients`: a memory amount, or `N%` (at most `-min` percent).
            case memoryOrPercent(min: Int64, max: Int64)
            case boolean
            /// A string; `emptyIsNull` strings are left out of rewritten files when empty.
            case string(emptyIsNull: Bool)
            /// `cluster-announce-hostname`: letters, digits, `-` and `.`, under 256 bytes.
            case hostname
            /// `proc-title-template`: Redis's `{variable}` template, non-empty once expanded.
            case procTitleTemplate
            /// One of `names`; a name in `synonyms` reads back as the name it maps to.
            case enumeration([String], synonyms: [String: String] = [:])
            /// `shutdown-on-sigint` and `-sigterm`: any of `save`, `nosave`, `now`, `force`
            /// (not both `save` and `nosave`), or `default`.
            case shutdownFlags
            /// `oom-score-adj-values`: three integers from -2000 to 2000.
            case oomScoreAdjValues
            /// `replicaof`: `no one` only.
            case replicaOf
            /// A boolean that refuses `yes` with `refusal` (a feature Roost lacks).
            case booleanRefusingYes(refusal: String)
            /// An integer that refuses anything but 0 with `refusal`.
            case integerRefusingNonZero(min: Int64, max: Int64, refusal: String)
        }

        let name: String
        let alias: String?
        let check: Check
        let defaultValue: String
        let isImmutable: Bool
        let isHidden: Bool

        init(_ name: String, alias: String? = nil, _ check: Check, _ defaultValue: String,
             immutable: Bool = false, hidden: Bool = false) {
            self.name = name
            self.alias = alias
            self.check = check
            self.defaultValue = defaultValue
            self.isImmutable = immutable
            self.isHidden = hidden
        }

        /// Whether CONFIG SET splits the value at spaces (Redis's `MULTI_ARG_CONFIG`).
        var isMultiArgument: Bool {
            switch check {
            case .shutdownFlags, .oomScoreAdjValues, .replicaOf: return true
            default: return false
            }
        }
    }

    static let intMin = Int64(Int32.min)
    static let uintMax = Int64(UInt32.max)
    static let tlsRefusal = "Unable to update TLS configuration. Check server logs."

    /// Every inert parameter, as Redis 7.0.15 declares it (`config.c`).
    static let inertParameters: [InertParameter] = [
        // Process and daemon management: Roost runs in the foreground of its process (or
        // embedded in another), which the host manages.
        InertParameter("daemonize", .boolean, "no", immutable: true),
        InertParameter("supervised", .enumeration(["upstart", "systemd", "auto", "no"]), "no", immutable: true),
        InertParameter("pidfile", .string(emptyIsNull: true), "", immutable: true),
        InertParameter("always-show-logo", .boolean, "no", immutable: true),
        InertParameter("set-proc-title", .boolean, "yes", immutable: true),
        InertParameter("proc-title-template", .procTitleTemplate, "{title} {listen-addr} {server-mode}"),
        InertParameter("shutdown-on-sigint", .shutdownFlags, "default"),
        InertParameter("shutdown-on-sigterm", .shutdownFlags, "default"),
        InertParameter("shutdown-timeout", .integer(min: 0, max: intMax), "10"),
        InertParameter("crash-log-enabled", .boolean, "yes"),
        InertParameter("crash-memcheck-enabled", .boolean, "yes"),
        InertParameter("use-exit-on-panic", .boolean, "no", hidden: true),
        InertParameter("watchdog-period", .integer(min: 0, max: intMax), "0", hidden: true),
        InertParameter("oom-score-adj", .enumeration(["no", "yes", "relative", "absolute"], synonyms: ["relative": "yes"]), "no"),
        InertParameter("oom-score-adj-values", .oomScoreAdjValues, "0 200 800"),
        InertParameter("disable-thp", .boolean, "yes", immutable: true),
        InertParameter("ignore-warnings", .string(emptyIsNull: false), ""),
        // Logging: Roost logs through swift-log, configured by the host process.
        InertParameter("logfile", .string(emptyIsNull: false), "", immutable: true),
        InertParameter("loglevel", .enumeration(["debug", "verbose", "notice", "warning"]), "notice"),
        InertParameter("syslog-enabled", .boolean, "no", immutable: true),
        InertParameter("syslog-ident", .string(emptyIsNull: false), "redis", immutable: true),
        InertParameter("syslog-facility", .enumeration([
            "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
        ]), "local0", immutable: true),
        // Threads, CPU affinity and the allocator: Roost's engine runs commands on one thread
        // and leaves memory to the Swift runtime.
        InertParameter("io-threads", .integer(min: 1, max: 128), "1", immutable: true),
        InertParameter("io-threads-do-reads", .boolean, "no", immutable: true),
        InertParameter("server_cpulist", .string(emptyIsNull: true), "", immutable: true),
        InertParameter("bio_cpulist", .string(emptyIsNull: true), "", immutable: true),
        InertParameter("aof_rewrite_cpulist", .string(emptyIsNull: true), "", immutable: true),
        InertParameter("bgsave_cpulist", .string(emptyIsNull: true), "", immutable: true),
        InertParameter("jemalloc-bg-thread", .boolean, "yes"),
        InertParameter("activedefrag", .booleanRefusingYes(refusal: "Active defragmentation cannot be enabled: it requires a "
            + "Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source "
            + "distribution"), "no"),
        InertParameter("active-defrag-cycle-min", .integer(min: 1, max: 99), "1"),
        InertParameter("active-defrag-cycle-max", .integer(min: 1, max: 99), "25"),
        InertParameter("active-defrag-threshold-lower", .integer(min: 0, max: 1000), "10"),
        InertParameter("active-defrag-threshold-upper", .integer(min: 0, max: 1000), "100"),
        InertParameter("active-defrag-ignore-bytes", .memory(min: 1, max: Int64.max), "104857600"),
        InertParameter("active-defrag-max-scan-fields", .integer(min: 1, max: Int64.max), "1000"),
        InertParameter("activerehashing", .boolean, "yes"),
        InertParameter("dynamic-hz", .boolean, "yes"),
        InertParameter("lazyfree-lazy-eviction", .boolean, "no"),
        InertParameter("lazyfree-lazy-expire", .boolean, "no"),
        InertParameter("lazyfree-lazy-server-del", .boolean, "no"),
        InertParameter("lazyfree-lazy-user-del", .boolean, "no"),
        InertParameter("lazyfree-lazy-user-flush", .boolean, "no"),
        // Sockets: listeners are SwiftNIO's defaults.
        InertParameter("tcp-backlog", .integer(min: 0, max: intMax), "511", immutable: true),
        InertParameter("tcp-keepalive", .integer(min: 0, max: intMax), "300"),
        InertParameter("socket-mark-id", .integer(min: 0, max: uintMax), "0", immutable: true),
        // Client eviction.
        InertParameter("maxmemory-clients", .memoryOrPercent(min: -100, max: Int64.max), "0"),
        // Persistence knobs for what Roost does otherwise: it loads in one pass, checks every
        // RESTORE payload in full, and keeps no sync files for replicas.
        InertParameter("rdb-del-sync-files", .boolean, "no"),
        InertParameter("rdb-save-incremental-fsync", .boolean, "yes"),
        InertParameter("sanitize-dump-payload", .enumeration(["no", "yes", "clients"]), "no"),
        InertParameter("key-load-delay", .integer(min: intMin, max: intMax), "0", hidden: true),
        InertParameter("loading-process-events-interval-bytes", .integer(min: 1024, max: intMax), "2097152", hidden: true),
        // Replication: Roost is a master with no replicas.
        InertParameter("replicaof", alias: "slaveof", .replicaOf, "", immutable: true),
        InertParameter("masterauth", .string(emptyIsNull: true), ""),
        InertParameter("masteruser", .string(emptyIsNull: true), ""),
        InertParameter("replica-announce-ip", alias: "slave-announce-ip", .string(emptyIsNull: true), ""),
        InertParameter("replica-announce-port", alias: "slave-announce-port", .integer(min: 0, max: 65535), "0"),
        InertParameter("replica-announced", .boolean, "yes"),
        InertParameter("replica-lazy-flush", alias: "slave-lazy-flush", .boolean, "no"),
        InertParameter("replica-serve-stale-data", alias: "slave-serve-stale-data", .boolean, "yes"),
        InertParameter("replica-read-only", alias: "slave-read-only", .boolean, "yes"),
        InertParameter("replica-ignore-maxmemory", alias: "slave-ignore-maxmemory", .boolean, "yes"),
        InertParameter("replica-ignore-disk-write-errors", .boolean, "no"),
        InertParameter("replica-priority", alias: "slave-priority", .integer(min: 0, max: intMax), "100"),
        InertParameter("min-replicas-to-write", alias: "min-slaves-to-write", .integer(min: 0, max: intMax), "0"),
        InertParameter("min-replicas-max-lag", alias: "min-slaves-max-lag", .integer(min: 0, max: intMax), "10"),
        InertParameter("repl-ping-replica-period", alias: "repl-ping-slave-period", .integer(min: 1, max: intMax), "10"),
        InertParameter("repl-timeout", .integer(min: 1, max: intMax), "60"),
        InertParameter("repl-backlog-size", .memory(min: 1, max: Int64.max), "1048576"),
        InertParameter("repl-backlog-ttl", .integer(min: 0, max: Int64.max), "3600"),
        InertParameter("repl-disable-tcp-nodelay", .boolean, "no"),
        InertParameter("repl-diskless-sync", .boolean, "yes"),
        InertParameter("repl-diskless-sync-delay", .integer(min: 0, max: intMax), "5"),
        InertParameter("repl-diskless-sync-max-replicas", .integer(min: 0, max: intMax), "0"),
        InertParameter("repl-diskless-load", .enumeration(["disabled", "on-empty-db", "swapdb"]), "disabled"),
        InertParameter("propagation-error-behavior", .enumeration(["ignore", "panic", "panic-on-replicas"]), "ignore"),
        InertParameter("bind-source-addr", .string(emptyIsNull: true), ""),
        // Cluster mode: Roost's server is standalone; scaling out is Redis Cluster's job.
        InertParameter("cluster-enabled", .boolean, "no", immutable: true),
        InertParameter("cluster-config-file", .string(emptyIsNull: false), "nodes.conf", immutable: true),
        InertParameter("cluster-port", .integer(min: 0, max: 65535), "0", immutable: true),
        InertParameter("cluster-node-timeout", .integer(min: 0, max: Int64.max), "15000"),
        InertParameter("cluster-announce-ip", .string(emptyIsNull: true), ""),
        InertParameter("cluster-announce-hostname", .hostname, ""),
        InertParameter("cluster-announce-port", .integer(min: 0, max: 65535), "0"),
        InertParameter("cluster-announce-bus-port", .integer(min: 0, max: 65535), "0"),
        InertParameter("cluster-announce-tls-port", .integer(min: 0, max: 65535), "0"),
        InertParameter("cluster-preferred-endpoint-type", .enumeration(["ip", "hostname", "unknown-endpoint"]), "ip"),
        InertParameter("cluster-require-full-coverage", .boolean, "yes"),
        InertParameter("cluster-replica-no-failover", alias: "cluster-slave-no-failover", .boolean, "no"),
        InertParameter("cluster-replica-validity-factor", alias: "cluster-slave-validity-factor", .integer(min: 0, max: intMax), "10"),
        InertParameter("cluster-migration-barrier", .integer(min: 0, max: intMax), "1"),
        InertParameter("cluster-allow-replica-migration", .boolean, "yes"),
        InertParameter("cluster-allow-reads-when-down", .boolean, "no"),
        InertParameter("cluster-allow-pubsubshard-when-down", .boolean, "yes"),
        InertParameter("cluster-link-sendbuf-limit", .memory(min: 0, max: Int64.max), "0"),
        // TLS: Roost's server listens in plain TCP and on Unix sockets (put a TLS proxy in
        // front); its client speaks TLS.
        InertParameter("tls-port", .integerRefusingNonZero(min: 0, max: 65535, refusal: tlsRefusal), "0"),
        InertParameter("tls-replication", .booleanRefusingYes(refusal: tlsRefusal), "no"),
        InertParameter("tls-cluster", .booleanRefusingYes(refusal: tlsRefusal), "no"),
        InertParameter("tls-auth-clients", .enumeration(["no", "yes", "optional"]), "yes"),
        InertParameter("tls-prefer-server-ciphers", .boolean, "no"),
        InertParameter("tls-session-caching", .boolean, "yes"),
        InertParameter("tls-session-cache-size", .integer(min: 0, max: intMax), "20480"),
        InertParameter("tls-session-cache-timeout", .integer(min: 0, max: intMax), "300"),
    ] + [
        "tls-cert-file", "tls-key-file", "tls-key-file-pass", "tls-client-cert-file", "tls-client-key-file",
        "tls-client-key-file-pass", "tls-dh-params-file", "tls-ca-cert-file", "tls-ca-cert-dir", "tls-protocols",
        "tls-ciphers", "tls-ciphersuites",
    ].map { InertParameter($0, .string(emptyIsNull: true), "") }

    /// Each inert parameter under its name and its alias.
    static let inertParametersByName: [String: InertParameter] = {
        var table: [String: InertParameter] = [:]
        for parameter in inertParameters {
            table[parameter.name] = parameter
            if let alias = parameter.alias { table[alias] = parameter }
        }
        return table
    }()

    /// The inert parameters (aliases included) as CONFIG sees them.
    static let inertParameterEntries: [Parameter] = inertParameters.flatMap { inert in
        let kind: ParameterKind = inert.isImmutable ? .immutable : .string
        return [Parameter(name: inert.name, kind: kind)] + (inert.alias.map { [Parameter(name: $0, kind: kind)] } ?? [])
    }

    /// The value CONFIG GET reports for the inert parameter `name` (or its alias), or nil.
    func inertValue(of name: String) -> String? {
        guard let parameter = Self.inertParametersByName[name] else { return nil }
        return inertValues[parameter.name] ?? parameter.defaultValue
    }

    /// Checks `text` for the inert parameter `name` and stores it as CONFIG GET prints it.
    /// Returns Redis's reason when the value is rejected, nil when stored; `fromFile` for a
    /// configuration file's directive, where a few values that would claim a feature are refused.
    mutating func setInert(_ name: String, _ text: String, fromFile: Bool = false) -> String? {
        guard let parameter = Self.inertParametersByName[name] else { return "can't set immutable config" }
        switch Self.inertCanonical(parameter, text, unixSocket: unixSocket) {
        case .failure(let reason):
            return reason.description
        case .success(let value):
            if fromFile && parameter.name == "cluster-enabled" && value == "yes" {
                return "Roost's server has no cluster mode; use Redis Cluster"
            }
            inertValues[parameter.name] = value
            return nil
        }
    }

    /// `text` checked as Redis checks `parameter`, in the form CONFIG GET prints it.
    static func inertCanonical(_ parameter: InertParameter, _ text: String, unixSocket: String) -> Result<String, ConfigurationError> {
        func fail(_ reason: String) -> Result<String, ConfigurationError> { .failure(ConfigurationError(description: reason)) }
        func bounded(_ value: Int64, _ lo: Int64, _ hi: Int64) -> Result<String, ConfigurationError> {
            value < lo || value > hi ? fail("argument must be between \(lo) and \(hi) inclusive") : .success(String(value))
        }
        // MULTI_ARG_CONFIG values are split at each space, as `sdssplitlen` does.
        let words = text.isEmpty ? [] : text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        switch parameter.check {
        case .integer(let lo, let hi), .integerRefusingNonZero(let lo, let hi, _):
            guard let v = RedisInteger.parse(Array(text.utf8)) else { return fail("argument couldn't be parsed into an integer") }
            if case .integerRefusingNonZero(_, _, let refusal) = parameter.check, v != 0, v >= lo, v <= hi {
                return fail(refusal)
            }
            return bounded(v, lo, hi)
        case .memory(let lo, let hi):
            guard let v = memoryValue(text) else { return fail("argument must be a memory value") }
            return bounded(v, lo, hi)
        case .memoryOrPercent(let lo, let hi):
            if let v = memoryValue(text) { return bounded(v, lo, hi) }
            if text.count > 1, text.hasSuffix("%"), let p = RedisInteger.parse(Array(text.dropLast().utf8)), p >= 0 {
                if -p < lo { return fail("percentage argument must be less or equal to \(-lo)") }
                return .success(p == 0 ? "0" : "\(p)%")
            }
            return fail("argument must be a memory or percent value")
        case .boolean, .booleanRefusingYes:
            switch text.lowercased() {
            case "yes":
                if case .booleanRefusingYes(let refusal) = parameter.check { return fail(refusal) }
                return .success("yes")
            case "no": return .success("no")
            default: return fail("argument must be 'yes' or 'no'")
            }
        case .string:
            return .success(text)
        case .hostname:
            if text.utf8.count >= 256 { return fail("Hostnames must be less than 256 characters") }
            let allowed = text.utf8.allSatisfy { c in
                (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 45 || c == 46
            }
            return allowed ? .success(text) : fail("Hostnames may only contain alphanumeric characters, hyphens or dots")
        case .procTitleTemplate:
            return procTitleTemplateIsValid(text, unixSocket: unixSocket)
                ? .success(text) : fail("template format is invalid or contains unknown variables")
        case .enumeration(let names, let synonyms):
            let lower = text.lowercased()
            guard names.contains(lower) else {
                return fail("argument(s) must be one of the following: " + names.joined(separator: ", "))
            }
            return .success(synonyms[lower] ?? lower)
        case .shutdownFlags:
            let names = ["default", "save", "nosave", "now", "force"]
            var chosen = Set<String>()
            for word in words {
                guard names.contains(word.lowercased()) else {
                    return fail("argument(s) must be one of the following: " + names.joined(separator: ", "))
                }
                chosen.insert(word.lowercased())
            }
            if words.isEmpty { return fail("argument(s) must be one of the following: " + names.joined(separator: ", ")) }
            if chosen.contains("save") && chosen.contains("nosave") {
                return fail("shutdown options SAVE and NOSAVE can't be used simultaneously")
            }
            let flags = names.dropFirst().filter { chosen.contains($0) }
            return .success(flags.isEmpty ? "default" : flags.joined(separator: " "))
        case .oomScoreAdjValues:
            guard words.count == 3 else { return fail("wrong number of arguments") }
            var values: [Int64] = []
            for word in words {
                // `strtoll` with the whole word consumed: an optional sign and digits.
                guard let v = cIntegerPrefix(word), v >= -2000, v <= 2000 else {
                    return fail("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
                }
                values.append(v)
            }
            return .success(values.map(String.init).joined(separator: " "))
        case .replicaOf:
            guard words.count == 2 else { return fail("wrong number of arguments") }
            if words[0].lowercased() == "no" && words[1].lowercased() == "one" { return .success("") }
            return fail("REPLICAOF not allowed: Roost does not support replication.")
        }
    }

    /// A whole word as C's `strtoll(word, &end, 10)` reads it with `*end == 0`: leading white
    /// space, a sign, digits (none reads as 0). Nil when something else is left.
    static func cIntegerPrefix(_ word: String) -> Int64? {
        var rest = Substring(word).drop(while: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{0B}" || $0 == "\u{0C}" })
        var negative = false
        if let sign = rest.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            rest = rest.dropFirst()
        }
        if rest.isEmpty { return word.isEmpty ? 0 : nil }
        guard rest.allSatisfy({ $0 >= "0" && $0 <= "9" }), let magnitude = Int64(rest) else { return nil }
        return negative ? -magnitude : magnitude
    }

    /// Redis's `validateProcTitleTemplate`: every `{variable}` is known (`{{` is a literal
    /// brace) and the expansion, with an empty title, is not blank.
    static func procTitleTemplateIsValid(_ template: String, unixSocket: String) -> Bool {
        var expanded = ""
        var rest = Substring(template)
        while !rest.isEmpty {
            guard let open = rest.firstIndex(of: "{") else {
                expanded += rest
                break
            }
            expanded += rest[..<open]
            let afterOpen = rest.index(after: open)
            guard afterOpen < rest.endIndex else { return false }
            if rest[afterOpen] == "{" {
                expanded += "{"
                rest = rest[rest.index(after: afterOpen)...]
                continue
            }
            guard let close = rest[afterOpen...].firstIndex(of: "}") else { return false }
            switch rest[afterOpen..<close] {
            case "title", "server-mode": break
            case "listen-addr", "config-file", "port", "tls-port": expanded += "x"
            case "unixsocket": expanded += unixSocket
            default: return false
            }
            rest = rest[rest.index(after: close)...]
        }
        return !expanded.trimmingCharacters(in: " ").isEmpty
    }

    /// The line CONFIG REWRITE writes for an inert parameter, with whether it must be written
    /// (Redis's `force`); nil when the parameter is left out of the file.
    static func inertRewriteLine(_ parameter: InertParameter, value: String) -> (line: String, force: Bool)? {
        let name = parameter.name
        let changed = value != parameter.defaultValue
        switch parameter.check {
        case .string(emptyIsNull: true), .hostname:
            return value.isEmpty ? nil : (name + " " + ConfigRewrite.quoted(value), true)
        case .string, .procTitleTemplate:
            return (name + " " + ConfigRewrite.quoted(value), changed)
        case .replicaOf:
            return nil
        case .memory:
            return (name + " " + ConfigRewrite.memory(Int64(value) ?? 0), changed)
        case .memoryOrPercent:
            return (name + " " + (value.hasSuffix("%") ? value : ConfigRewrite.memory(Int64(value) ?? 0)), changed)
        default:
            return (name + " " + value, changed)
        }
    }
}
