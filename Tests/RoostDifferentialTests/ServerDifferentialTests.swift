import Foundation
import RoostEngine
import RoostTestSupport
import Testing

@Suite struct ServerDifferentialTests {
    @Test func dbsizeAndFlushMatchRedis() async throws {
        try await Differential.check(#"""
            DBSIZE
            SET a 1
            SET b 2
            SET "\x00\xff" 3
            DBSIZE
            DBSIZE x
            SELECT 1
            SET c 3
            DBSIZE
            FLUSHDB
            DBSIZE
            SELECT 0
            DBSIZE
            FLUSHDB x
            FLUSHDB ASYNC SYNC
            FLUSHDB sync
            DBSIZE
            SET a 1
            SELECT 2
            SET z 1
            FLUSHALL x
            FLUSHALL ASYNC SYNC
            FLUSHALL ASYNC
            DBSIZE
            SELECT 0
            DBSIZE
            SET a 1
            FLUSHALL
            GET a
            FLUSHALL SYNC
            """#)
    }

    @Test func timeAndLastsaveMatchRedis() async throws {
        try await Differential.check(#"""
            ?TIME
            TIME x
            ?LASTSAVE
            LASTSAVE x
            """#)
    }

    @Test func configMatchesRedis() async throws {
        try await Differential.check(#"""
            CONFIG GET hz
            CONFIG GET timeout
            CONFIG GET databases
            CONFIG GET maxmemory
            CONFIG GET maxmemory-policy
            CONFIG GET lfu-log-factor
            CONFIG GET lfu-decay-time
            CONFIG GET proto-max-bulk-len
            CONFIG GET requirepass
            CONFIG GET protected-mode
            CONFIG GET unixsocket
            CONFIG GET HZ
            CONFIG GET nosuch
            CONFIG GET nosuch*
            ~CONFIG GET hz timeout
            ~CONFIG GET lfu-*
            ~CONFIG GET hz hz h?
            CONFIG GET
            CONFIG SET
            CONFIG SET hz
            CONFIG SET x y
            CONFIG SET hz 20
            CONFIG GET hz
            CONFIG SET hz 600
            CONFIG GET hz
            CONFIG SET hz 0
            CONFIG GET hz
            CONFIG SET hz 10
            CONFIG SET hz x
            CONFIG SET hz -1
            CONFIG SET hz 5 hz 6
            CONFIG SET hz 5 timeout
            CONFIG SET hz 5 nosuch 1
            CONFIG SET timeout -1
            CONFIG SET timeout 2147483648
            CONFIG SET timeout 30 hz 15
            CONFIG GET timeout
            CONFIG GET hz
            CONFIG SET databases 5
            CONFIG SET unixsocket /tmp/x
            CONFIG SET maxmemory 1gb
            CONFIG GET maxmemory
            CONFIG SET maxmemory 100mb
            CONFIG GET maxmemory
            CONFIG SET maxmemory 2k
            CONFIG GET maxmemory
            CONFIG SET maxmemory 1x
            CONFIG SET maxmemory 0
            CONFIG SET maxmemory-policy foo
            CONFIG SET maxmemory-policy ALLKEYS-LRU
            CONFIG GET maxmemory-policy
            CONFIG SET maxmemory-policy noeviction
            CONFIG SET protected-mode maybe
            CONFIG SET protected-mode no
            CONFIG GET protected-mode
            CONFIG SET proto-max-bulk-len 10
            CONFIG SET proto-max-bulk-len 2mb
            CONFIG GET proto-max-bulk-len
            CONFIG SET maxclients 0
            CONFIG SET lfu-log-factor -1
            CONFIG SET lfu-log-factor 5 lfu-decay-time 2
            ~CONFIG GET lfu*
            CONFIG SET hz 1 timeout bad
            CONFIG GET hz
            CONFIG RESETSTAT
            CONFIG RESETSTAT x
            CONFIG HELP
            CONFIG FOO
            CONFIG
            """#)
    }

    @Test func requirepassCanBeSet() async throws {
        try await Differential.check(#"""
            CONFIG SET requirepass secret
            CONFIG GET requirepass
            @2 GET k
            @2 AUTH wrong
            @2 AUTH secret
            @2 SET k v
            GET k
            CONFIG SET requirepass ""
            @3 GET k
            """#)
    }

    @Test func infoMatchesRedisInShape() async throws {
        try await Differential.check(#"""
            ?INFO
            ?INFO server
            ?INFO all
            ?INFO default
            ?INFO everything
            ?INFO server clients
            INFO nosuch
            INFO keyspace
            INFO KEYSPACE
            INFO nosuch keyspace
            SET a 1
            SET b 2
            SELECT 3
            SET c 3
            INFO keyspace
            SELECT 0
            FLUSHALL
            INFO keyspace
            """#)
    }

    @Test func commandIntrospectionMatchesRedis() async throws {
        try await Differential.check(#"""
            COMMAND INFO ping
            COMMAND INFO echo
            COMMAND INFO quit
            COMMAND INFO select
            COMMAND INFO reset
            COMMAND INFO swapdb
            COMMAND INFO auth
            COMMAND INFO hello
            COMMAND INFO dbsize
            COMMAND INFO flushdb
            COMMAND INFO flushall
            COMMAND INFO time
            COMMAND INFO lastsave
            COMMAND INFO shutdown
            COMMAND INFO info
            ?COMMAND INFO command
            COMMAND INFO config|get
            COMMAND INFO config|set
            COMMAND INFO config|resetstat
            COMMAND INFO config|help
            COMMAND INFO client|id
            COMMAND INFO client|setname
            COMMAND INFO client|getname
            COMMAND INFO client|list
            COMMAND INFO client|kill
            COMMAND INFO client|info
            COMMAND INFO client|help
            COMMAND INFO CLIENT|ID
            COMMAND INFO PING ECHO nosuch
            COMMAND INFO nosuch
            COMMAND INFO config|nosuch
            COMMAND INFO "a\x00b"
            ?COMMAND INFO
            ?COMMAND
            ?COMMAND COUNT
            COMMAND COUNT x
            COMMAND DOCS nosuch
            ?COMMAND DOCS ping
            COMMAND HELP
            COMMAND FOO
            COMMAND LIST FILTERBY foo x
            COMMAND LIST FILTERBY
            COMMAND LIST x
            COMMAND LIST FILTERBY ACLCAT nosuch
            COMMAND LIST FILTERBY MODULE x
            COMMAND LIST FILTERBY PATTERN xyz*
            COMMAND LIST FILTERBY pattern client|k*
            ~COMMAND LIST FILTERBY pattern config|[gs]et
            ~COMMAND LIST FILTERBY pattern [fd][lb]*
            ?COMMAND LIST
            COMMAND GETKEYS get
            COMMAND GETKEYS nosuch a
            COMMAND GETKEYS get a b
            COMMAND GETKEYS ping a
            COMMAND GETKEYS config get
            COMMAND GETKEYS config nosuch
            COMMAND GETKEYS flushall
            COMMAND GETKEYSANDFLAGS ping
            COMMAND GETKEYS get a
            COMMAND GETKEYS GET "a\x00b"
            COMMAND GETKEYS set k v
            COMMAND GETKEYS set k v EX 10
            COMMAND GETKEYS del a b c
            COMMAND GETKEYS exists a
            COMMAND GETKEYS del
            COMMAND GETKEYS client list
            COMMAND GETKEYS client nosuch
            COMMAND GETKEYSANDFLAGS
            COMMAND GETKEYSANDFLAGS nosuch x
            """#)
    }

    @Test func resp3RepliesMatchRedis() async throws {
        try await Differential.check(#"""
            ?HELLO 3
            COMMAND INFO ping echo nosuch
            COMMAND INFO config|set client|list
            COMMAND INFO lastsave
            CONFIG GET hz
            ~CONFIG GET lfu-*
            CONFIG GET nosuch
            COMMAND GETKEYSANDFLAGS ping
            COMMAND DOCS nosuch
            COMMAND LIST FILTERBY pattern client|k*
            INFO keyspace
            ?INFO
            ?CLIENT INFO
            ?CLIENT LIST
            CLIENT GETNAME
            CLIENT SETNAME n
            CLIENT GETNAME
            ?TIME
            PING
            ECHO "\x00"
            CLIENT HELP
            """#)
    }

    @Test func shutdownErrorsMatchRedis() async throws {
        try await Differential.check(#"""
            SHUTDOWN foo
            SHUTDOWN ABORT
            SHUTDOWN NOSAVE SAVE
            SHUTDOWN ABORT NOW
            SHUTDOWN NOSAVE ABORT
            SHUTDOWN SAVE NOSAVE
            """#)
    }

    @Test func shutdownClosesTheConnection() async throws {
        try await Differential.check(#"""
            !rawclose *2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n
            """#)
    }

    /// INFO's structure, checked on Roost alone: its figures are Roost's own.
    @Test func infoStructure() async throws {
        let server = try await RoostTestServer.start()
        let connection = try RawConnection(port: server.port)
        try connection.send(command: [Array("SET".utf8), Array("a".utf8), Array("1".utf8)])
        _ = try connection.readReply()
        try connection.send(command: [Array("GET".utf8), Array("a".utf8)])
        _ = try connection.readReply()
        try connection.send(command: [Array("GET".utf8), Array("missing".utf8)])
        _ = try connection.readReply()
        try connection.send(command: [Array("INFO".utf8)])
        let reply = String(decoding: try connection.readReply(), as: UTF8.self)
        try await server.stop()
        for header in ["# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Keyspace"] {
            #expect(reply.contains("\(header)\r\n"))
        }
        #expect(reply.contains("redis_version:7.0.15\r\n"))
        #expect(reply.contains("roost_version:\(Engine.version)\r\n"))
        #expect(reply.contains("connected_clients:1\r\n"))
        #expect(reply.contains("keyspace_hits:1\r\n"))
        #expect(reply.contains("keyspace_misses:1\r\n"))
        #expect(reply.contains("db0:keys=1,expires=0,avg_ttl=0\r\n"))
        #expect(reply.contains("total_commands_processed:4\r\n"))
        #expect(reply.contains("used_memory:"))
        let body = reply.split(separator: "\r\n", omittingEmptySubsequences: false).dropFirst()
        for line in body where !line.isEmpty && !line.hasPrefix("#") {
            #expect(line.contains(":"), "malformed INFO line \(line)")
        }
    }
}

/// COMMAND INFO for every command in the table, compared with Redis. Containers are compared
/// subcommand by subcommand: Redis lists subcommands in hash order, and has some Roost lacks.
@Suite struct ServerDifferentialCommandTableTests {
    /// The full names to compare for the given groups (`nil`: every group).
    static func names(groups: Set<String>?) -> [String] {
        var out: [String] = []
        // WAITAOF is Redis 7.2's: redis-server 7.0.15 does not know it.
        for spec in CommandTable.standard.commands where (groups?.contains(spec.group) ?? true) && spec.name != "waitaof" {
            if spec.subcommands.isEmpty {
                out.append(spec.name)
            } else {
                for sub in spec.subcommands { out.append("\(spec.name)|\(sub.name)") }
            }
        }
        return out
    }

    static func script(_ names: [String]) -> String {
        names.map { "COMMAND INFO \($0)" }.joined(separator: "\n")
    }

    @Test func connectionAndServerCommandInfoMatchesRedis() async throws {
        let names = Self.names(groups: ["connection", "server"])
        #expect(names.count >= 30)
        try await Differential.check(Self.script(names))
    }

    @Test func everyCommandInfoMatchesRedis() async throws {
        try await Differential.check(Self.script(Self.names(groups: nil)))
    }
}
