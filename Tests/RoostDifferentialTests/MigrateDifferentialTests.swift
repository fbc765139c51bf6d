import Foundation
import NIOCore
import RoostRESP
import RoostServer
import RoostTestSupport
import Testing

/// MIGRATE against redis-server 7.0.15. A redis-server and Roost, as sources, each migrate to a
/// target of their own of the same kind (both redis-server or both Roost), so the runs cover
/// Roost → Redis, Redis → Roost and Roost → Roost; replies (NOKEY, IOERR, the target's errors,
/// syntax errors), what stays at the source and what arrives at the target are compared byte
/// for byte, in RESP2 and RESP3.
@Suite struct MigrateDifferentialTests {
    /// A source and its target, with their connections.
    struct Side {
        let source: RawConnection
        let target: RawConnection
        let targetPort: Int
    }

    /// Runs `script` on both sides: a line starting with `T ` runs on the targets, any other on
    /// the sources with `$T` replaced by the side's target port and `$X` by a port nobody
    /// listens on; `~` compares only the reply's first byte. Returns the mismatches.
    static func run(_ script: String, _ sides: [Side], deadPort: Int) throws -> [String] {
        var mismatches: [String] = []
        for rawLine in script.split(separator: "\n") {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            var typeOnly = false
            if line.hasPrefix("~") {
                typeOnly = true
                line.removeFirst()
            }
            let onTarget = line.hasPrefix("T ")
            if onTarget { line.removeFirst(2) }
            var replies: [[UInt8]] = []
            for side in sides {
                let text = line.replacingOccurrences(of: "$T", with: String(side.targetPort))
                    .replacingOccurrences(of: "$X", with: String(deadPort))
                let connection = onTarget ? side.target : side.source
                try connection.send(command: Self.words(text))
                let reply = try connection.readReply()
                replies.append(typeOnly ? Array(reply.prefix(1)) : reply)
            }
            if replies[0] != replies[1] {
                mismatches.append("\(line)\n  redis: \(String(decoding: replies[0], as: UTF8.self).debugDescription)"
                                  + "\n  roost: \(String(decoding: replies[1], as: UTF8.self).debugDescription)")
            }
        }
        return mismatches
    }

    /// Words split at spaces; `""` is the empty string.
    static func words(_ line: String) -> [[UInt8]] {
        line.split(separator: " ").map { $0 == "\"\"" ? [] : Array($0.utf8) }
    }

    /// Starts the targets (redis-server or Roost, with `requirepass`), runs `body`, stops them.
    static func withTargets(roost: Bool, password: String?, prelude: String,
                            _ body: ([Side], Int, DifferentialPair) throws -> [String]) async throws {
        try await Differential.with { pair in
            var redisTargets: [RedisServerProcess] = []
            var roostTargets: [RoostServer] = []
            var ports: [Int] = []
            for _ in 0..<2 {
                if roost {
                    let server = try await RoostTestServer.start { if let password { $0.requirePass = password } }
                    roostTargets.append(server)
                    ports.append(server.port)
                } else {
                    let server = try await RedisServerProcess.start(extraArguments: password.map { ["--requirepass", $0] } ?? [])
                    redisTargets.append(server)
                    ports.append(server.port)
                }
            }
            do {
                let (redisSource, roostSource) = try pair.clients(1)
                var sides: [Side] = []
                for (source, port) in [(redisSource, ports[0]), (roostSource, ports[1])] {
                    let target = try RawConnection(port: port)
                    if let password {
                        try target.send(command: [Array("AUTH".utf8), Array(password.utf8)])
                        _ = try target.readReply()
                    }
                    if !prelude.isEmpty {
                        try source.send(command: words(prelude))
                        _ = try source.readReply()
                    }
                    sides.append(Side(source: source, target: target, targetPort: port))
                }
                let mismatches = try body(sides, try FreePort.find(), pair)
                for mismatch in mismatches { Issue.record(Comment(rawValue: mismatch)) }
            } catch {
                Issue.record(error)
            }
            for server in redisTargets { server.stop() }
            for server in roostTargets { try? await server.stop() }
        }
    }

    @Test(arguments: ["", "?HELLO 3"])
    func declarationMatchesRedis(prelude: String) async throws {
        try await Differential.check(prelude + #"""

            COMMAND INFO migrate
            COMMAND GETKEYS MIGRATE 127.0.0.1 1 k 0 1000
            COMMAND GETKEYS MIGRATE 127.0.0.1 1 k 0 1000 COPY REPLACE AUTH pw
            COMMAND GETKEYS MIGRATE 127.0.0.1 1 "" 0 1000 KEYS a b c
            COMMAND GETKEYS MIGRATE 127.0.0.1 1 "" 0 1000 AUTH2 u p KEYS a
            MIGRATE 127.0.0.1 1 k 0
            """#)
    }

    static let arguments: [(Bool, String)] = [(false, ""), (true, ""), (false, "HELLO 3"), (true, "HELLO 3")]

    @Test(arguments: arguments)
    func migrationsMatchRedis(targetIsRoost: Bool, prelude: String) async throws {
        try await Self.withTargets(roost: targetIsRoost, password: nil, prelude: prelude) { sides, deadPort, _ in
            try Self.run(#"""
                MIGRATE 127.0.0.1 $T missing 0 1000
                MIGRATE 127.0.0.1 $T "" 0 1000 KEYS m1 m2
                MIGRATE 127.0.0.1 $T a 0 1000 KEYS b
                MIGRATE 127.0.0.1 $T a 0 1000 NOSUCH
                MIGRATE 127.0.0.1 $T a 0 1000 AUTH
                MIGRATE 127.0.0.1 $T a 0 1000 AUTH2 user
                MIGRATE 127.0.0.1 $T a x 1000
                MIGRATE 127.0.0.1 $T a 0 x
                MIGRATE 127.0.0.1 $T a 0
                SET a 1
                MIGRATE 127.0.0.1 $X a 0 1000
                EXISTS a
                MIGRATE 127.0.0.1 $T a 0 1000 COPY
                EXISTS a
                T GET a
                MIGRATE 127.0.0.1 $T a 0 1000 COPY
                MIGRATE 127.0.0.1 $T a 0 1000 copy replace
                EXISTS a
                SET a 2
                MIGRATE 127.0.0.1 $T a 0 0 REPLACE
                EXISTS a
                T GET a
                RPUSH l x y z
                HSET h f v g w
                ZADD z 1 m 2.5 n
                SADD s m1 m2 3
                SET e v PX 100000
                XADD st 1-1 f v
                PFADD hll a b c
                MIGRATE 127.0.0.1 $T "" 3 1000 KEYS l h z s e st hll nokey
                DBSIZE
                T SELECT 3
                T DBSIZE
                T LRANGE l 0 -1
                T HGETALL h
                T ZRANGE z 0 -1 WITHSCORES
                T SCARD s
                T XRANGE st - +
                T PFCOUNT hll
                T GET e
                ~T PTTL e
                T SELECT 0
                SET b 1
                SET c 2
                T SET c taken
                MIGRATE 127.0.0.1 $T "" 0 1000 KEYS b c
                EXISTS b c
                MIGRATE 127.0.0.1 $T "" 0 1000 REPLACE KEYS b c
                EXISTS b c
                SET d 1
                MIGRATE 127.0.0.1 $T d 99 1000
                EXISTS d
                MIGRATE 127.0.0.1 $T d 0 1000 AUTH pw
                EXISTS d
                """#, sides, deadPort: deadPort)
        }
    }

    @Test(arguments: arguments)
    func authenticationMatchesRedis(targetIsRoost: Bool, prelude: String) async throws {
        try await Self.withTargets(roost: targetIsRoost, password: "pw", prelude: prelude) { sides, deadPort, _ in
            try Self.run(#"""
                SET a 1
                MIGRATE 127.0.0.1 $T a 0 1000
                EXISTS a
                MIGRATE 127.0.0.1 $T a 0 1000 AUTH wrong
                MIGRATE 127.0.0.1 $T a 0 1000 AUTH2 nosuch pw
                EXISTS a
                MIGRATE 127.0.0.1 $T a 0 1000 AUTH pw
                EXISTS a
                T GET a
                SET a 2
                MIGRATE 127.0.0.1 $T a 0 1000 AUTH2 default pw REPLACE
                T GET a
                # A target that accepts the connection but does not answer in time.
                SET p 1
                T CLIENT PAUSE 3000 ALL
                MIGRATE 127.0.0.1 $T p 0 100 AUTH pw
                EXISTS p
                """#, sides, deadPort: deadPort)
        }
    }

    /// As Redis, the source keeps its connection to a target for the next MIGRATE: one with AUTH
    /// authenticates it, so the next without AUTH succeeds, and SELECT is sent again only for
    /// another database. A connection the target closed is replaced by a new one, which without
    /// AUTH is refused. Each MIGRATE's timeout applies to the cached connection.
    @Test(arguments: [false, true])
    func connectionsToTargetsAreCachedAsInRedis(targetIsRoost: Bool) async throws {
        try await Self.withTargets(roost: targetIsRoost, password: "pw", prelude: "") { sides, deadPort, _ in
            try Self.run(#"""
                SET a 1
                SET b 2
                SET c 3
                MIGRATE 127.0.0.1 $T a 0 1000 AUTH pw
                MIGRATE 127.0.0.1 $T b 0 1000
                EXISTS a b
                T MGET a b
                MIGRATE 127.0.0.1 $T c 1 1000
                EXISTS c
                T SELECT 1
                T GET c
                T SELECT 0
                SET b 3
                MIGRATE 127.0.0.1 $T b 0 1000
                MIGRATE 127.0.0.1 $T b 0 1000 REPLACE
                T GET b
                T CLIENT KILL SKIPME yes
                SET d 4
                MIGRATE 127.0.0.1 $T d 0 1000
                EXISTS d
                MIGRATE 127.0.0.1 $T d 0 1000 AUTH wrong
                MIGRATE 127.0.0.1 $T d 0 1000
                MIGRATE 127.0.0.1 $T d 0 1000 AUTH2 default pw
                MIGRATE 127.0.0.1 $T "" 0 1000 KEYS d nosuch
                # A cached connection takes each MIGRATE's own timeout.
                SET p 1
                SET q 1
                MIGRATE 127.0.0.1 $T p 0 5000
                T CLIENT PAUSE 3000 ALL
                MIGRATE 127.0.0.1 $T q 0 100
                EXISTS q
                """#, sides, deadPort: deadPort)
        }
    }

    /// A cached connection unused for more than 10 seconds is closed, as Redis's
    /// `migrateCloseTimedoutSockets` closes it.
    @Test func idleCachedConnectionsAreClosed() async throws {
        try await Self.withTargets(roost: false, password: nil, prelude: "") { sides, deadPort, _ in
            var mismatches = try Self.run(#"""
                SET a 1
                MIGRATE 127.0.0.1 $T a 0 1000
                """#, sides, deadPort: deadPort)
            func connectedClients(_ side: Side) throws -> String {
                try side.target.send(command: Self.words("INFO clients"))
                let info = String(decoding: try side.target.readReply(), as: UTF8.self)
                return info.split(separator: "\r\n").first { $0.hasPrefix("connected_clients:") }.map(String.init) ?? info
            }
            for side in sides where try connectedClients(side) != "connected_clients:2" {
                mismatches.append("the target does not see the cached connection: \(try connectedClients(side))")
            }
            // Redis checks once a second for connections idle more than 10 s.
            let deadline = Date().addingTimeInterval(20)
            while try sides.contains(where: { try connectedClients($0) != "connected_clients:1" }) && Date() < deadline {
                usleep(100_000)
            }
            for side in sides where try connectedClients(side) != "connected_clients:1" {
                mismatches.append("the cached connection was not closed: \(try connectedClients(side))")
            }
            return mismatches
        }
    }

    /// The source signals `del` for the keys it gave away, and none with COPY.
    @Test func notificationsMatchRedis() async throws {
        try await Self.withTargets(roost: false, password: nil, prelude: "") { sides, deadPort, pair in
            let (redisListener, roostListener) = try pair.clients(2)
            for side in sides {
                try side.source.send(command: Self.words("CONFIG SET notify-keyspace-events Eg"))
                _ = try side.source.readReply()
            }
            var mismatches: [String] = []
            for listener in [redisListener, roostListener] {
                try listener.send(command: Self.words("SUBSCRIBE __keyevent@0__:del"))
                _ = try listener.readReply()
            }
            mismatches += try Self.run("""
                SET a 1
                SET b 2
                MIGRATE 127.0.0.1 $T a 0 1000 COPY
                MIGRATE 127.0.0.1 $T "" 0 1000 REPLACE KEYS a b
                """, sides, deadPort: deadPort)
            for _ in 0..<2 {
                let theirs = try redisListener.readReply(), mine = try roostListener.readReply()
                if theirs != mine { mismatches.append("del event: \(theirs) vs \(mine)") }
            }
            #expect(try !roostListener.hasReply(within: 0.2))
            return mismatches
        }
    }

    /// The source's append-only file records the keys given away as one DEL, and nothing for
    /// COPY, as Redis propagates MIGRATE.
    @Test func appendOnlyFileRecordsTheDeletion() async throws {
        let directory = try RDBDifferentialTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let target = try await RedisServerProcess.start()
        defer { target.stop() }
        let source = try await RoostTestServer.start { configuration in
            try? configuration.set("dir", [directory])
            try? configuration.set("appendonly", ["yes"])
        }
        let connection = try RawConnection(port: source.port)
        for line in ["SET a 1", "SET b 2", "MIGRATE 127.0.0.1 \(target.port) a 0 1000 COPY",
                     "MIGRATE 127.0.0.1 \(target.port) \"\" 0 1000 REPLACE KEYS a b"] {
            try connection.send(command: Self.words(line))
            #expect(try connection.readReply() == Array("+OK\r\n".utf8), "\(line)")
        }
        try await source.stop()
        let names = try FileManager.default.contentsOfDirectory(atPath: directory + "/appendonlydir")
        guard let incremental = names.first(where: { $0.hasSuffix(".incr.aof") }) else {
            Issue.record("no incremental file in \(names)")
            return
        }
        let text = try String(contentsOfFile: directory + "/appendonlydir/" + incremental, encoding: .utf8)
        #expect(text.hasSuffix("*3\r\n$3\r\nDEL\r\n$1\r\na\r\n$1\r\nb\r\n"), "\(text.debugDescription)")
        #expect(!text.lowercased().contains("migrate"))
    }
}
