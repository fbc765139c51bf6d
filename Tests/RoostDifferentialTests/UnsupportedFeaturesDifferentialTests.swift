import RoostEngine
import RoostTestSupport
import Testing

/// The commands of features Roost does not offer — cluster mode, modules, replication, the Lua
/// debugger — against a standalone redis-server 7.0.15 with default settings: declarations
/// (COMMAND INFO), arity and syntax errors, and every answer Redis gives without the feature,
/// in RESP2 and RESP3. Where Redis would start replicating or debugging, Roost's own refusal is
/// checked on Roost alone.
@Suite struct UnsupportedFeaturesDifferentialTests {
    /// CLUSTER's subcommands with their arities, as Redis declares them.
    static let clusterSubcommands: [(String, Int)] = [
        ("addslotsrange", -4), ("reset", -2), ("nodes", 2), ("forget", 3), ("delslots", -3), ("getkeysinslot", 4),
        ("info", 2), ("replicate", 3), ("help", 2), ("meet", -4), ("countkeysinslot", 3), ("slots", 2),
        ("set-config-epoch", 3), ("flushslots", 2), ("saveconfig", 2), ("myid", 2), ("setslot", -4),
        ("delslotsrange", -4), ("shards", 2), ("addslots", -3), ("slaves", 3), ("links", 2),
        ("count-failure-reports", 3), ("replicas", 3), ("failover", -2), ("keyslot", 3), ("bumpepoch", 2),
    ]

    /// Each subcommand with just enough arguments, with one too many (or too few), and with
    /// extra arguments where its arity allows them.
    static var clusterScript: String {
        var lines: [String] = []
        for (name, arity) in clusterSubcommands {
            let needed = abs(arity) - 2
            let arguments = Array(repeating: "1", count: needed)
            lines.append((["CLUSTER", name] + arguments).joined(separator: " "))
            if arity > 0 {
                lines.append((["CLUSTER", name] + arguments + ["1"]).joined(separator: " "))
            } else {
                lines.append((["CLUSTER", name] + arguments + ["1", "2", "3"]).joined(separator: " "))
                if needed > 0 { lines.append((["CLUSTER", name] + arguments.dropLast()).joined(separator: " ")) }
            }
        }
        return lines.joined(separator: "\n")
    }

    @Test(arguments: ["", "?HELLO 3"])
    func clusterModeIsDisabledAsInRedis(prelude: String) async throws {
        try await Differential.check(prelude + "\n" + Self.clusterScript + #"""

            CLUSTER
            CLUSTER NOSUCH
            cluster Help
            READONLY
            READONLY x
            READWRITE
            READWRITE x
            ASKING
            ASKING x
            MULTI
            CLUSTER INFO
            READONLY
            ASKING
            EXEC
            EVAL "return redis.pcall('cluster', 'info')" 0
            EVAL "return redis.call('readonly')" 0
            EVAL "return redis.call('cluster', 'reset')" 0
            SET k v
            RESTORE-ASKING
            RESTORE-ASKING k 0 x
            DUMP k
            """#)
    }

    @Test(arguments: ["", "?HELLO 3"])
    func restoreAskingRestoresAsRestore(prelude: String) async throws {
        try await Differential.with { pair in
            try pair.run(prelude + "\n" + #"""
                RPUSH l a b c
                ZADD z 1 a 2 b
                """#)
            // Both servers produce the same payloads (DumpRestoreDifferentialTests); send each
            // server's own back.
            let (redis, roost) = try pair.clients(1)
            for key in ["l", "z"] {
                var payloads: [[UInt8]] = []
                for connection in [redis, roost] {
                    try connection.send(command: [Array("DUMP".utf8), Array(key.utf8)])
                    let reply = try connection.readReply()
                    // `$len\r\n…\r\n`
                    guard reply.first == UInt8(ascii: "$"), let end = reply.firstIndex(of: 10) else {
                        Issue.record("DUMP \(key): \(RawConnection.escape(reply))")
                        return
                    }
                    payloads.append(Array(reply[(end + 1)..<(reply.count - 2)]))
                }
                #expect(payloads[0] == payloads[1])
                try pair.step("DEL \(key)")
                for (connection, payload) in zip([redis, roost], payloads) {
                    try connection.send(command: [Array("RESTORE-ASKING".utf8), Array(key.utf8), Array("0".utf8), payload])
                }
                let a = try redis.readReply(), b = try roost.readReply()
                #expect(a == b && a == Array("+OK\r\n".utf8), "\(RawConnection.escape(a)) vs \(RawConnection.escape(b))")
                for (connection, payload) in zip([redis, roost], payloads) {
                    try connection.send(command: [Array("RESTORE-ASKING".utf8), Array(key.utf8), Array("0".utf8), payload])
                }
                let c = try redis.readReply(), d = try roost.readReply()
                #expect(c == d, "\(RawConnection.escape(c)) vs \(RawConnection.escape(d))")
            }
            try pair.run(#"""
                LRANGE l 0 -1
                ZRANGE z 0 -1 WITHSCORES
                OBJECT ENCODING l
                RESTORE-ASKING l 0 "bad payload" REPLACE
                RESTORE-ASKING l -1 x
                RESTORE-ASKING l 0 x NOSUCH
                """#)
        }
    }

    @Test(arguments: ["", "?HELLO 3"])
    func modulesAnswerAsRedisWithNoneLoaded(prelude: String) async throws {
        try await Differential.check(prelude + #"""

            MODULE LIST
            MODULE HELP
            module help
            MODULE LOAD /nonexistent/module.so
            MODULE LOAD /nonexistent/module.so a b
            MODULE LOADEX /nonexistent/module.so CONFIG a b ARGS c
            MODULE UNLOAD nosuch
            MODULE
            MODULE NOSUCH
            MODULE LIST x
            MODULE HELP x
            MODULE LOAD
            MODULE LOADEX
            MODULE UNLOAD
            MODULE UNLOAD a b
            CONFIG GET enable-module-command
            CONFIG SET enable-module-command yes
            MULTI
            MODULE LIST
            EXEC
            EVAL "return redis.pcall('module', 'list')" 0
            """#)
    }

    @Test(arguments: ["", "?HELLO 3"])
    func moduleCommandsWhenEnabledFailAsRedisFails(prelude: String) async throws {
        try await Differential.check(prelude + #"""

            CONFIG GET enable-module-command
            MODULE LOAD /nonexistent/module.so
            MODULE LOADEX /nonexistent/module.so CONFIG a b ARGS c
            MODULE LOADEX /nonexistent/module.so CONFIG a
            MODULE UNLOAD nosuch
            MODULE LIST
            """#, redisArguments: ["--enable-module-command", "yes"], configure: { $0.enableModuleCommand = "yes" })
    }

    @Test(arguments: ["", "?HELLO 3"])
    func replicationAnswersAsAMasterWithNoReplicas(prelude: String) async throws {
        try await Differential.check(prelude + #"""

            ROLE
            REPLICAOF NO ONE
            replicaof no one
            SLAVEOF NO ONE
            REPLICAOF
            REPLICAOF a
            REPLICAOF a b c
            REPLICAOF localhost abc
            REPLICAOF localhost 70000
            REPLICAOF localhost -1
            REPLICAOF NO TWO
            SLAVEOF localhost 65536
            FAILOVER
            FAILOVER ABORT
            FAILOVER ABORT x
            FAILOVER TIMEOUT
            FAILOVER TIMEOUT 0
            FAILOVER TIMEOUT -5
            FAILOVER TIMEOUT x
            FAILOVER TIMEOUT 10
            FAILOVER TO h
            FAILOVER TO h x
            FAILOVER TO h 1
            FAILOVER TO h 1 FORCE
            FAILOVER TO h 1 TO h 2
            FAILOVER FORCE
            FAILOVER FORCE FORCE
            FAILOVER NOSUCH
            FAILOVER TIMEOUT 5 TIMEOUT 6
            FAILOVER TIMEOUT 5 TO h 1 FORCE
            REPLCONF
            REPLCONF a
            REPLCONF listening-port 1
            REPLCONF listening-port x
            REPLCONF ip-address 1.2.3.4
            REPLCONF capa eof capa psync2 capa nosuch
            REPLCONF nosuch bar
            REPLCONF rdb-only 0
            REPLCONF rdb-only 1
            REPLCONF rdb-only 2
            REPLCONF rdb-only x
            REPLCONF rdb-filter-only functions
            REPLCONF rdb-filter-only "functions FUNCTIONS"
            REPLCONF rdb-filter-only ""
            REPLCONF rdb-filter-only nosuch
            REPLCONF rdb-filter-only "functions nosuch"
            REPLCONF rdb-filter-only "\"unterminated"
            REPLCONF listening-port 1 nosuch 2
            """# + "\nREPLCONF ip-address \(String(repeating: "a", count: 255))"
            + "\nREPLCONF ip-address \(String(repeating: "a", count: 256))\n" + #"""
            !noreply REPLCONF ACK 100
            !noreply REPLCONF GETACK *
            !noreply REPLCONF listening-port 1 ACK 5
            PING
            PSYNC
            PSYNC a
            PSYNC a b FAILOVER
            PSYNC a b failover c
            SYNC x
            MULTI
            SYNC
            PSYNC ? -1
            REPLICAOF NO ONE
            EXEC
            EVAL "return redis.pcall('replicaof', 'no', 'one')" 0
            EVAL "return redis.pcall('failover')" 0
            EVAL "return redis.pcall('replconf')" 0
            !raw PING\r\nSYNC\r\n
            <
            !raw PING\r\nPSYNC ? -1\r\n
            <
            """#)
    }

    @Test(arguments: ["", "?HELLO 3"])
    func scriptDebugAnswersAsRedisWhereRedisDefinesIt(prelude: String) async throws {
        try await Differential.check(prelude + #"""

            SCRIPT DEBUG NO
            script debug no
            SCRIPT DEBUG MAYBE
            SCRIPT DEBUG
            SCRIPT DEBUG NO x
            MULTI
            SCRIPT DEBUG NO
            SCRIPT DEBUG YES
            EXEC
            EVAL "return redis.pcall('script', 'debug', 'no')" 0
            !raw PING\r\nSCRIPT DEBUG NO\r\n
            <
            !raw PING\r\nSCRIPT DEBUG YES\r\n
            <
            SCRIPT HELP
            """#)
    }

    /// Redis lists a container's subcommands in its hash table's order, which changes from
    /// one process to the next, so containers are compared one subcommand at a time.
    @Test func declarationsMatchRedis() async throws {
        let clusterNames = Self.clusterSubcommands.map { "cluster|\($0.0)" }.joined(separator: " ")
        try await Differential.check(#"""
            COMMAND INFO readonly readwrite asking
            COMMAND INFO sync psync replconf replicaof slaveof failover
            COMMAND INFO restore-asking lolwut pfselftest pfdebug
            COMMAND INFO module|list module|load module|loadex module|unload module|help
            COMMAND INFO script|debug script|flush script|load script|kill script|exists script|help
            COMMAND GETKEYS restore-asking k 0 x
            COMMAND GETKEYS pfdebug getreg k
            COMMAND GETKEYSANDFLAGS restore-asking k 0 x
            COMMAND GETKEYSANDFLAGS pfdebug todense k
            COMMAND GETKEYS cluster info
            COMMAND GETKEYS replicaof no one
            ~COMMAND LIST FILTERBY PATTERN cluster*
            ~COMMAND LIST FILTERBY PATTERN module*
            ~COMMAND LIST FILTERBY PATTERN script*
            ~COMMAND LIST FILTERBY PATTERN *sync
            ~COMMAND LIST FILTERBY PATTERN read*
            ~COMMAND LIST FILTERBY PATTERN *aveof
            ~COMMAND LIST FILTERBY PATTERN repl*
            ~COMMAND LIST FILTERBY PATTERN pf*
            ~COMMAND LIST FILTERBY ACLCAT hyperloglog
            """# + "\nCOMMAND INFO \(clusterNames)\n")
    }

    /// Where Redis would become a replica, send its dataset or start its debugger, Roost
    /// refuses with its own text.
    @Test(arguments: [2, 3])
    func refusalsSayRoostDoesNotReplicate(protocolVersion: Int) async throws {
        let server = try await RoostTestServer.start()
        do {
            try Self.expectRefusals(port: server.port, protocolVersion: protocolVersion)
        } catch {
            try? await server.stop()
            throw error
        }
        try await server.stop()
    }

    static func expectRefusals(port: Int, protocolVersion: Int) throws {
        let connection = try RawConnection(port: port)
        if protocolVersion == 3 {
            try connection.send(command: [Array("HELLO".utf8), Array("3".utf8)])
            _ = try connection.readReply()
        }
        let expectations: [([String], String)] = [
            (["REPLICAOF", "localhost", "6379"], "-ERR REPLICAOF not allowed: Roost does not support replication.\r\n"),
            (["SLAVEOF", "127.0.0.1", "0"], "-ERR REPLICAOF not allowed: Roost does not support replication.\r\n"),
            (["SYNC"], "-ERR SYNC and PSYNC not allowed: Roost does not support replication.\r\n"),
            (["PSYNC", "?", "-1"], "-ERR SYNC and PSYNC not allowed: Roost does not support replication.\r\n"),
            (["SCRIPT", "DEBUG", "YES"], "-ERR SCRIPT DEBUG YES and SYNC not allowed: Roost has no Lua debugger.\r\n"),
            (["SCRIPT", "DEBUG", "sync"], "-ERR SCRIPT DEBUG YES and SYNC not allowed: Roost has no Lua debugger.\r\n"),
            (["ROLE"], "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n"),
        ]
        for (command, expected) in expectations {
            try connection.send(command: command.map { Array($0.utf8) })
            let reply = try connection.readReply()
            #expect(reply == Array(expected.utf8), "\(command): \(RawConnection.escape(reply))")
        }
    }
}
