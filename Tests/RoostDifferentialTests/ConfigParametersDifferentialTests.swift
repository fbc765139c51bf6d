import Foundation
import NIOCore
import RoostEngine
import RoostRESP
import RoostTestSupport
import Testing

/// CONFIG GET and CONFIG SET for every parameter redis-server 7.0.15 has, against it: the same
/// names, the same values byte for byte, CONFIG SET to the value in force accepted (or refused)
/// alike, invalid values refused with the same errors, several parameters set atomically, and
/// the inert parameters rewritten and loaded back from files as Redis does.
@Suite struct ConfigParametersDifferentialTests {
    /// Parameters whose values differ because each server of a test run has its own: they are
    /// compared by name only.
    static let perRun: [String: String] = [
        "port": "each server listens on its own free port",
        "dir": "each server works in its own temporary directory",
        "logfile": "the harness gives redis-server a log file; Roost logs through swift-log and reports Redis's default",
    ]

    /// Redis's testing knobs, which `CONFIG GET *` leaves out and an exact name finds.
    static let hidden = ["rdb-key-save-delay", "key-load-delay", "watchdog-period", "use-exit-on-panic",
                         "loading-process-events-interval-bytes"]

    static func command(_ connection: RawConnection, _ words: [String]) throws -> [UInt8] {
        try connection.send(command: words.map { Array($0.utf8) })
        return try connection.readReply()
    }

    /// A RESP2 `CONFIG GET` reply as name-value pairs.
    static func pairs(_ reply: [UInt8]) throws -> [(String, String)] {
        var buffer = ByteBuffer(bytes: reply)
        guard case .array(let items?)? = try RESPValueParser().parse(&buffer) else { return [] }
        var result: [(String, String)] = []
        var i = 0
        while i + 1 < items.count {
            if case .bulkString(let name?) = items[i], case .bulkString(let value?) = items[i + 1] {
                result.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
            }
            i += 2
        }
        return result
    }

    @Test func everyParameterReadsAndSetsAsRedis() async throws {
        try await Differential.with { pair in
            let (redis, roost) = try pair.clients(1)
            let theirs = try Self.pairs(try Self.command(redis, ["CONFIG", "GET", "*"]))
            let mine = try Self.pairs(try Self.command(roost, ["CONFIG", "GET", "*"]))
            #expect(theirs.count >= 190)
            let theirNames = Set(theirs.map(\.0)), myNames = Set(mine.map(\.0))
            #expect(myNames == theirNames, "only redis: \(theirNames.subtracting(myNames).sorted()), only roost: \(myNames.subtracting(theirNames).sorted())")
            #expect(mine.count == Set(mine.map(\.0)).count, "CONFIG GET * lists a name twice")

            let myValues = Dictionary(mine, uniquingKeysWith: { a, _ in a })
            for (name, value) in theirs {
                if Self.perRun[name] != nil {
                    #expect(myValues[name] != nil, "\(name)")
                    continue
                }
                try pair.step("CONFIG GET \(name)")
                try pair.step("CONFIG GET \(name.uppercased())")
                // Set to the value in force, on each server its own value.
                let own = myValues[name] ?? value
                let redisReply = try Self.command(redis, ["CONFIG", "SET", name, value])
                let roostReply = try Self.command(roost, ["CONFIG", "SET", name, own])
                #expect(roostReply == redisReply, "CONFIG SET \(name) \(value): redis \(RawConnection.escape(redisReply)), roost \(RawConnection.escape(roostReply))")
            }
            for name in Self.perRun.keys.sorted() {
                let own = { (connection: RawConnection) throws -> [UInt8] in
                    let value = try Self.pairs(try Self.command(connection, ["CONFIG", "GET", name])).first?.1 ?? ""
                    return try Self.command(connection, ["CONFIG", "SET", name, value])
                }
                let redisReply = try own(redis), roostReply = try own(roost)
                #expect(roostReply == redisReply, "CONFIG SET \(name) to its own value")
            }
            for name in Self.hidden {
                try pair.step("CONFIG GET \(name)")
                try pair.step("CONFIG SET \(name) 0")
            }
            // Nothing changed.
            let after = try Self.pairs(try Self.command(roost, ["CONFIG", "GET", "*"]))
            #expect(after.map(\.0) == mine.map(\.0) && after.map(\.1) == mine.map(\.1))
        }
    }

    @Test(arguments: ["", "HELLO 3"])
    func patternsListEachParameterOnce(prelude: String) async throws {
        try await Differential.check((prelude.isEmpty ? "" : "?\(prelude)\n") + #"""
            ~CONFIG GET slave*
            ~CONFIG GET replica* slave* *replica*
            ~CONFIG GET *ziplist* hash-*
            ~CONFIG GET *delay*
            ~CONFIG GET tls-* tls-port TLS-PORT
            ~CONFIG GET cluster-*
            ~CONFIG GET *lazyfree* lazyfree-lazy-expire
            ~CONFIG GET repl-ping-slave-period repl-ping-replica-period
            ~CONFIG GET [a-c]*
            ~CONFIG GET ?????
            CONFIG GET SLAVE-PRIORITY
            CONFIG GET slave-priority slave-priority
            ~CONFIG GET rdb-key-save-delay key-load-delay
            CONFIG GET nosuch-parameter
            ~CONFIG GET use-exit-on-panic watchdog-period loading-process-events-interval-bytes
            """#)
    }

    @Test func invalidValuesFailAsInRedis() async throws {
        try await Differential.check(#"""
            # Wrong type.
            CONFIG SET tcp-keepalive abc
            CONFIG SET tcp-keepalive 1.5
            CONFIG SET tcp-keepalive 0300
            CONFIG SET repl-timeout ""
            CONFIG SET activerehashing maybe
            CONFIG SET lazyfree-lazy-expire 1
            CONFIG SET slave-read-only on
            CONFIG SET repl-backlog-size 1zb
            CONFIG SET repl-backlog-size -1
            CONFIG SET cluster-link-sendbuf-limit -1
            CONFIG SET active-defrag-ignore-bytes 10q
            CONFIG SET maxmemory-clients -5
            CONFIG SET maxmemory-clients 1.5
            CONFIG SET maxmemory-clients %
            CONFIG SET maxmemory-clients -5%
            # Out of range.
            CONFIG SET repl-timeout 0
            CONFIG SET repl-ping-replica-period 0
            CONFIG SET repl-ping-slave-period -1
            CONFIG SET tcp-keepalive 2147483648
            CONFIG SET active-defrag-cycle-min 0
            CONFIG SET active-defrag-cycle-max 100
            CONFIG SET active-defrag-threshold-upper 1001
            CONFIG SET active-defrag-max-scan-fields 0
            CONFIG SET active-defrag-max-scan-fields -1
            CONFIG SET active-defrag-ignore-bytes 0
            CONFIG SET active-expire-effort 0
            CONFIG SET active-expire-effort 11
            CONFIG SET cluster-announce-port 65536
            CONFIG SET replica-announce-port -1
            CONFIG SET repl-backlog-size 0
            CONFIG SET maxmemory-clients 101%
            CONFIG SET shutdown-timeout -1
            CONFIG SET repl-backlog-ttl -1
            CONFIG SET cluster-node-timeout -1
            CONFIG SET key-load-delay 2147483648
            CONFIG SET loading-process-events-interval-bytes 1023
            CONFIG SET port 65536
            CONFIG SET port -1
            # Bad enum and special values.
            CONFIG SET loglevel loud
            CONFIG SET loglevel ""
            CONFIG SET repl-diskless-load yes
            CONFIG SET sanitize-dump-payload always
            CONFIG SET oom-score-adj sometimes
            CONFIG SET propagation-error-behavior crash
            CONFIG SET cluster-preferred-endpoint-type dns
            CONFIG SET tls-auth-clients maybe
            CONFIG SET shutdown-on-sigint "save nosave"
            CONFIG SET shutdown-on-sigterm "now later"
            CONFIG SET shutdown-on-sigterm ""
            CONFIG SET shutdown-on-sigint "now  force"
            CONFIG SET oom-score-adj-values "1 2"
            CONFIG SET oom-score-adj-values "1 2 3 4"
            CONFIG SET oom-score-adj-values "0 200 x"
            CONFIG SET oom-score-adj-values "0 200 2001"
            CONFIG SET oom-score-adj-values "0  200 800"
            CONFIG SET oom-score-adj-values ""
            CONFIG SET proc-title-template "{title}"
            CONFIG SET proc-title-template "{nosuch}"
            CONFIG SET proc-title-template "{title"
            CONFIG SET proc-title-template "{"
            CONFIG SET proc-title-template ""
            CONFIG SET cluster-announce-hostname "a_b"
            CONFIG SET cluster-announce-hostname "a b"
            CONFIG SET activedefrag yes
            CONFIG SET activedefrag maybe
            CONFIG SET bind "a b c d e f g h i j k l m n o p q"
            # Immutable and protected.
            CONFIG SET daemonize no
            CONFIG SET io-threads 1
            CONFIG SET io-threads-do-reads no
            CONFIG SET cluster-enabled no
            CONFIG SET cluster-config-file nodes.conf
            CONFIG SET cluster-port 0
            CONFIG SET supervised no
            CONFIG SET pidfile ""
            CONFIG SET logfile ""
            CONFIG SET syslog-enabled no
            CONFIG SET syslog-ident redis
            CONFIG SET syslog-facility local0
            CONFIG SET tcp-backlog 511
            CONFIG SET socket-mark-id 0
            CONFIG SET server_cpulist ""
            CONFIG SET bgsave_cpulist ""
            CONFIG SET disable-thp yes
            CONFIG SET always-show-logo no
            CONFIG SET set-proc-title yes
            CONFIG SET replicaof "no one"
            CONFIG SET SlaveOf "no one"
            CONFIG SET unixsocketperm 700
            CONFIG SET dir .
            CONFIG SET dbfilename x.rdb
            # Unknown names and argument counts.
            CONFIG SET nosuch-parameter 1
            CONFIG SET tcp-keepalive
            CONFIG SET tcp-keepalive 1 repl-timeout
            """#)
    }

    @Test func inertValuesReadBackAsInRedis() async throws {
        try await Differential.check(#"""
            CONFIG SET loglevel WARNING
            CONFIG GET loglevel
            CONFIG SET oom-score-adj relative
            CONFIG GET oom-score-adj
            CONFIG SET oom-score-adj Absolute
            CONFIG GET oom-score-adj
            # With oom-score-adj on, Redis writes /proc/self/oom_score_adj (negative values need privileges).
            CONFIG SET oom-score-adj no
            CONFIG SET oom-score-adj-values "-100 +5 2000"
            CONFIG GET oom-score-adj-values
            CONFIG SET shutdown-on-sigint "NOW nosave"
            CONFIG GET shutdown-on-sigint
            CONFIG SET shutdown-on-sigterm "default save force"
            CONFIG GET shutdown-on-sigterm
            CONFIG SET shutdown-on-sigterm default
            CONFIG GET shutdown-on-sigterm
            CONFIG SET maxmemory-clients 10%
            CONFIG GET maxmemory-clients
            CONFIG SET maxmemory-clients 0%
            CONFIG GET maxmemory-clients
            CONFIG SET maxmemory-clients 2mb
            CONFIG GET maxmemory-clients
            CONFIG SET repl-backlog-size 2MB
            CONFIG GET repl-backlog-size
            CONFIG SET active-defrag-ignore-bytes 1g
            CONFIG GET active-defrag-ignore-bytes
            CONFIG SET slave-priority 5
            CONFIG GET replica-priority
            CONFIG GET slave-priority
            CONFIG SET replica-read-only NO
            CONFIG GET slave-read-only
            CONFIG SET min-slaves-to-write 3 min-replicas-max-lag 20
            CONFIG GET min-replicas-to-write
            CONFIG GET min-slaves-max-lag
            CONFIG SET cluster-announce-hostname "node-1.example"
            CONFIG GET cluster-announce-hostname
            CONFIG SET masteruser "u" masterauth "p w"
            ~CONFIG GET master*
            CONFIG SET proc-title-template "{{x {title} {port} {unixsocket} {config-file}"
            CONFIG GET proc-title-template
            CONFIG SET tls-ciphers "HIGH:!aNULL" tls-session-cache-size 100 tls-auth-clients optional
            CONFIG GET tls-ciphers
            CONFIG GET tls-session-cache-size
            CONFIG GET tls-auth-clients
            CONFIG SET tls-port 0 tls-replication no tls-cluster no
            CONFIG SET active-expire-effort 10
            CONFIG GET active-expire-effort
            CONFIG SET tcp-keepalive 0 lazyfree-lazy-user-flush yes jemalloc-bg-thread no
            CONFIG GET tcp-keepalive
            CONFIG GET lazyfree-lazy-user-flush
            CONFIG GET jemalloc-bg-thread
            """#)
    }

    @Test func severalParametersAreSetAtomically() async throws {
        try await Differential.check(#"""
            CONFIG SET tcp-keepalive 100 repl-timeout 0
            CONFIG GET tcp-keepalive
            CONFIG SET loglevel debug maxmemory-clients 200%
            CONFIG GET loglevel
            CONFIG SET slave-priority 7 replica-priority 8
            CONFIG GET replica-priority
            CONFIG SET hz 20 tcp-keepalive 5 daemonize no
            CONFIG GET hz
            CONFIG GET tcp-keepalive
            CONFIG SET hz 20 nosuch 1 tcp-keepalive 5
            CONFIG GET hz
            CONFIG SET maxmemory-clients 5% shutdown-timeout 1 oom-score-adj-values "1 2"
            CONFIG GET maxmemory-clients
            CONFIG GET shutdown-timeout
            CONFIG SET maxmemory-clients 5% shutdown-timeout 1 timeout 30
            CONFIG GET maxmemory-clients
            CONFIG GET shutdown-timeout
            CONFIG GET timeout
            CONFIG SET tcp-keepalive 1 TCP-KEEPALIVE 2
            CONFIG GET tcp-keepalive
            """#)
    }

    /// Inert parameters from a file and from CONFIG SET, rewritten: the same file as Redis's.
    @Test func inertParametersRewriteAsRedis() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-inert-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let original = """
            # Inert parameters (and `save ""`: Roost's default has no save points).
            save ""
            slave-read-only no
            tcp-keepalive 60
            oom-score-adj-values 0 100 900
            repl-backlog-size 2mb
            masterauth secret
            daemonize no
            slaveof no one
            shutdown-on-sigterm nosave now

            """
        let redisFile = directory + "/redis.conf", roostFile = directory + "/roost.conf"
        try original.write(toFile: redisFile, atomically: true, encoding: .utf8)
        try original.write(toFile: roostFile, atomically: true, encoding: .utf8)
        let redis = try await RedisServerProcess.start(configFile: redisFile)
        defer { redis.stop() }
        var loadError: Error?
        let roost = try await RoostTestServer.start { configuration in
            do { try configuration.apply(configurationFile: original) } catch { loadError = error }
            configuration.configFile = roostFile
        }
        #expect(loadError == nil)
        let redisConnection = try RawConnection(port: redis.port), roostConnection = try RawConnection(port: roost.port)
        let changes: [[String]] = [
            ["maxmemory-clients", "10%"], ["cluster-node-timeout", "5000"], ["loglevel", "notice"],
            ["proc-title-template", "{title} {port}"], ["tls-ciphers", "HIGH"], ["replica-announce-ip", "10.0.0.1"],
            ["cluster-slave-validity-factor", "3"], ["sanitize-dump-payload", "clients"], ["masteruser", ""],
            ["active-defrag-ignore-bytes", "200mb"], ["oom-score-adj", "relative"], ["bind-source-addr", "127.0.0.1"],
            ["active-expire-effort", "3"], ["ignore-warnings", "ARM64-COW-BUG"],
        ]
        let roostText = try ConfigRewriteTests.setAndRewrite(changes, redis: (redisConnection, redisFile),
                                                             roost: (roostConnection, roostFile))

        // The rewritten file loads back to the values in force.
        var reloaded = EngineConfiguration()
        try reloaded.apply(configurationFile: roostText)
        for name in changes.map({ $0[0] }) + ["slave-read-only", "tcp-keepalive", "oom-score-adj-values", "masterauth"] {
            let value = try Self.pairs(try Self.command(roostConnection, ["CONFIG", "GET", name])).first?.1
            #expect(reloaded.value(of: name) == value, "\(name)")
        }
        try await roost.stop()
    }

    /// CONFIG SET's values for `requirepass`, `masterauth` and `masteruser` are `(redacted)` in
    /// the slow log, even when the command fails (MONITOR shows no admin command).
    @Test func sensitiveValuesAreRedacted() async throws {
        try await Differential.with { pair in
            try pair.run(#"""
                SLOWLOG RESET
                CONFIG SET slowlog-log-slower-than 0
                CONFIG SET masterauth secret-1 MasterUser u1 tcp-keepalive 10
                CONFIG SET requirepass "" nosuch secret-2
                CONFIG SET daemonize yes masterauth secret-3
                CONFIG SET masterauth x y
                """#)
            let (redis, roost) = try pair.clients(1)
            let theirs = try SlowLogDifferentialTests.entries(redis), mine = try SlowLogDifferentialTests.entries(roost)
            #expect(mine == theirs)
            #expect(theirs.contains { $0.contains("(redacted)") })
        }
    }

    @Test func filesCannotClaimFeaturesRoostLacks() throws {
        for line in ["cluster-enabled yes", "replicaof 127.0.0.1 6379", "slaveof 127.0.0.1 6379", "tls-port 6380",
                     "tls-replication yes", "activedefrag yes", "io-threads 0", "supervised maybe", "daemonize"] {
            var configuration = EngineConfiguration()
            #expect(throws: ConfigurationError.self, "\(line)") { try configuration.apply(configurationFile: line) }
        }
        var configuration = EngineConfiguration()
        try configuration.apply(configurationFile: """
            daemonize yes
            cluster-enabled no
            replicaof no one
            io-threads 4
            syslog-facility LOCAL3
            shutdown-on-sigint save now
            """)
        #expect(configuration.value(of: "daemonize") == "yes")
        #expect(configuration.value(of: "io-threads") == "4")
        #expect(configuration.value(of: "syslog-facility") == "local3")
        #expect(configuration.value(of: "shutdown-on-sigint") == "save now")
        #expect(configuration.value(of: "replicaof") == "")
    }
}

/// `aof-disable-auto-gc`, which Roost acts on: the files a rewrite retires stay listed as
/// history while it is on, and go when it is turned off, as in Redis.
@Suite struct AOFAutoGCDifferentialTests {
    /// The names in a server's append-only folder, sorted, and its manifest.
    static func appendOnlyFolder(_ connection: RawConnection) throws -> (names: [String], manifest: String) {
        let dir = try ConfigParametersDifferentialTests.pairs(
            try ConfigParametersDifferentialTests.command(connection, ["CONFIG", "GET", "dir"])).first?.1 ?? ""
        let folder = dir + "/appendonlydir"
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        let manifest = (try? String(contentsOfFile: folder + "/appendonly.aof.manifest", encoding: .utf8)) ?? ""
        return (names, manifest)
    }

    @Test func historyStaysUntilTurnedOff() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-autogc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await Differential.with(configure: { $0.dir = directory }) { pair in
            try pair.run("""
                CONFIG SET aof-disable-auto-gc yes
                CONFIG GET aof-disable-auto-gc
                CONFIG SET appendonly yes
                """)
            try await AOFRewriteDifferentialTests.waitUntilIdle(pair)
            try pair.run("""
                SET a 1
                ?BGREWRITEAOF
                """)
            try await AOFRewriteDifferentialTests.waitUntilIdle(pair)
            let (redis, roost) = try pair.clients(1)
            let kept = try Self.appendOnlyFolder(redis)
            #expect(kept.names.count == 5, "\(kept.names)")
            let mine = try Self.appendOnlyFolder(roost)
            #expect(mine.names == kept.names)
            #expect(mine.manifest == kept.manifest)
            try pair.run("CONFIG SET aof-disable-auto-gc no")
            // Redis deletes the files in a background thread.
            try await eventually(timeout: .seconds(20), "history files deleted") {
                try Self.appendOnlyFolder(redis).names.count == 3
            }
            let after = try Self.appendOnlyFolder(roost), theirs = try Self.appendOnlyFolder(redis)
            #expect(after.names == theirs.names)
            #expect(after.manifest == theirs.manifest)
        }
    }
}
