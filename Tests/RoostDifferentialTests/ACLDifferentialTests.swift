import Foundation
import NIOCore
import RoostRESP
import RoostTestSupport
import Testing

/// ACL against redis-server 7.0.15: the subcommands' replies and errors, NOPERM refusals of
/// commands, keys and channels (at top level, while queueing, inside EXEC and inside scripts),
/// AUTH and HELLO AUTH, `requirepass` as the default user's password, ACL LOG's entries, and
/// ACL SAVE / LOAD through `aclfile`; in RESP2 and RESP3.
@Suite struct ACLDifferentialTests {
    @Test(arguments: ["", "?HELLO 3"])
    func subcommandsMatchRedis(prelude: String) async throws {
        try await Differential.check(prelude + #"""

            ACL HELP
            ACL WHOAMI
            ACL USERS
            ACL LIST
            ACL GETUSER default
            ACL GETUSER nosuch
            ACL SETUSER alice on >pw ~k* %R~r* %W~w* &ch* +@read +@write -get
            ACL GETUSER alice
            ACL SETUSER bob
            ACL GETUSER bob
            ACL LIST
            ACL USERS
            ACL SETUSER carol reset
            ACL GETUSER carol
            ACL SETUSER carol on nopass allkeys allchannels +@all
            ACL GETUSER carol
            ACL SETUSER carol resetpass >a >b >a
            ACL GETUSER carol
            ACL SETUSER carol <a
            ACL SETUSER carol <nosuch
            ACL SETUSER carol !ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb
            ACL SETUSER carol #abc
            ACL SETUSER carol #3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d
            ACL GETUSER carol
            ACL SETUSER carol ~x
            ACL SETUSER carol &x
            ACL SETUSER carol resetkeys %X~y
            ACL SETUSER carol %~y
            ACL SETUSER carol +nosuch
            ACL SETUSER carol +@nosuch
            ACL SETUSER carol bogus
            ACL SETUSER carol "on off"
            ACL SETUSER carol skip-sanitize-payload
            ACL LIST
            ACL SETUSER dave (~x +get) "(+set" "%W~y)"
            ACL GETUSER dave
            ACL LIST
            ACL SETUSER dave "(+get ~x"
            ACL SETUSER dave "("
            ACL SETUSER dave (bogus)
            ACL SETUSER dave clearselectors
            ACL GETUSER dave
            ACL SETUSER t1 -@all -get
            ACL SETUSER t2 +@all +get
            ACL SETUSER t3 +@all -get -get +get
            ACL SETUSER t4 -@all +@read -@read
            ACL SETUSER t5 -@all +@read -get +get
            ACL SETUSER t6 +@all -@read +get
            ACL SETUSER t7 -@all +config +config|get
            ACL SETUSER t8 -@all +config|get -config
            ACL SETUSER t9 -@all +client -client|kill
            ACL SETUSER t10 -@all +GET +@Hash
            ACL SETUSER t11 allcommands -get nocommands +set
            ACL SETUSER t12 +@all -flushall -@dangerous
            ACL LIST
            ACL DELUSER default
            ACL DELUSER nosuch t1 t2
            ACL USERS
            ACL CAT
            ~ACL CAT geo
            ~ACL CAT Transaction
            ACL CAT nosuch
            ACL CAT read extra
            ?ACL GENPASS
            ?ACL GENPASS 5
            ACL GENPASS 0
            ACL GENPASS 4097
            ACL GENPASS x
            ACL DRYRUN alice get k1
            ACL DRYRUN alice set k1 v
            ACL DRYRUN alice set x v
            ACL DRYRUN alice mget r1 k1 zz
            ACL DRYRUN alice publish zz m
            ACL DRYRUN alice publish ch1 m
            ACL DRYRUN alice flushall
            ACL DRYRUN nosuch get x
            ACL DRYRUN alice nosuch
            ACL DRYRUN alice get
            ACL DRYRUN dave set y v
            ACL DRYRUN dave get y
            ACL LOG
            ACL LOG 0
            ACL LOG -1
            ACL LOG x
            ACL LOG RESET
            ACL LOG 1 2
            ACL NOSUCH
            ACL
            ACL SAVE
            ACL LOAD
            """#)
    }

    @Test(arguments: ["", "?HELLO 3"])
    func refusalsMatchRedis(prelude: String) async throws {
        try await Differential.check(#"""
            ACL SETUSER alice on >pw ~k* %R~r* %W~w* &ch* +@all -flushall -get
            """# + (prelude.isEmpty ? "" : "\n@2 " + prelude) + #"""

            @2 GET k1
            @2 AUTH alice nope
            @2 AUTH nosuch pw
            @2 AUTH pw
            @2 AUTH alice pw
            @2 ACL WHOAMI
            @2 GET k1
            @2 SET k1 v
            @2 SET x v
            @2 SET w1 v
            @2 GETRANGE w1 0 -1
            @2 STRLEN r1
            @2 SET r1 v
            @2 MGET r1 k1 zz
            @2 EXISTS r1 w1
            @2 FLUSHALL
            @2 CONFIG GET maxmemory
            @2 PUBLISH ch1 m
            @2 PUBLISH zz m
            @2 SSUBSCRIBE zz
            @2 MULTI
            @2 SET k1 v
            @2 GET k1
            @2 SET zz v
            @2 EXEC
            @2 MULTI
            @2 SET k2 v
            ACL SETUSER alice resetkeys ~w* -ping
            @2 SET k2 v
            @2 PING
            @2 SET w2 v
            @2 EXEC
            ACL SETUSER alice ~k* &ch* -publish
            @2 EVAL "return redis.call('flushall')" 0
            @2 EVAL "return redis.pcall('flushall')" 0
            @2 EVAL "return redis.call('set','b',1)" 0
            @2 EVAL "return redis.pcall('set','b',1)" 0
            @2 EVAL "return redis.call('set','k9',1)" 0
            @2 EVAL "return redis.acl_check_cmd('set','b','1')" 0
            @2 EVAL "return redis.acl_check_cmd('set','k1','1')" 0
            @2 EVAL "return redis.acl_check_cmd('flushall')" 0
            ACL SETUSER alice +publish
            @2 EVAL "return redis.call('publish','x',1)" 0
            @2 EVAL "return redis.pcall('publish','ch2',1)" 0
            ACL SETUSER alice off
            @2 PING
            @3 AUTH alice pw
            @3 HELLO 3 AUTH alice pw
            ACL SETUSER alice on
            @3 HELLO 2 AUTH alice nope
            @3 ?HELLO 2 AUTH alice pw
            @3 ACL WHOAMI
            @3 RESET
            @3 ACL WHOAMI
            ACL DELUSER alice
            ACL SETUSER default resetpass
            @4 PING
            @4 HELLO 3
            @4 AUTH default x
            ACL SETUSER default nopass
            @4 PING
            ACL SETUSER sel on nopass -@all +get ~a* (+set %W~b*) (+get +mget ~c*) resetchannels &news.* +subscribe +psubscribe
            @5 AUTH sel x
            @5 GET a1
            @5 GET c1
            @5 GET b1
            @5 SET b1 v
            @5 SET a1 v
            @5 MGET c1 c2
            @5 MGET a1 c1
            @5 MGET c1 a1 zz
            @5 DEL a1
            @5 PSUBSCRIBE news.x
            @5 PSUBSCRIBE news.*
            @5 SUBSCRIBE other
            @5 SUBSCRIBE news.1 news.2 other
            @5 SUBSCRIBE news.1 news.2
            ACL SETUSER sub on nopass +@all &n*
            @6 AUTH sub x
            @6 SUBSCRIBE n1
            @7 AUTH sub x
            CLIENT KILL USER nosuch
            ACL SETUSER sub &m*
            ACL SETUSER sub resetchannels &m*
            CLIENT KILL USER sub
            """#)
    }

    /// Redis 7.0's first-argument rules: `+select|0` allows one first argument of a command
    /// without subcommands (compared ignoring case, dropped by any later rule on the command),
    /// `-select|0` and first arguments of subcommands are errors. Each user differs from its
    /// base in one command only, since Redis lists single commands in its dict's random order.
    @Test(arguments: ["", "?HELLO 3"])
    func firstArgumentRulesMatchRedis(prelude: String) async throws {
        try await Differential.check(prelude + #"""

            ACL SETUSER f1 on nopass +select|0 +select|1 +SELECT|Ab +select|ab
            ACL GETUSER f1
            ACL SETUSER f2 +@all -select +select|0
            ACL SETUSER f3 +select|0 +select
            ACL SETUSER f4 +select +select|0
            ACL SETUSER f5 +select|0 -select
            ACL SETUSER f6 +select|0 +@all
            ACL SETUSER f7 +select|0 +@connection
            ACL SETUSER f8 +select|0 -@connection
            ACL SETUSER f9 "+get|a b"
            ACL SETUSER f10 +CONFIG|GET
            ACL SETUSER f11 +debug|object
            ACL LIST
            ACL SETUSER f1 -select|0
            ACL SETUSER f1 +config|get|maxmemory
            ACL SETUSER f1 +client|kill|x
            ACL SETUSER f1 +config|get|x|y
            ACL SETUSER f1 +select|
            ACL SETUSER f1 +config|
            ACL SETUSER f1 +config||
            ACL SETUSER f1 +nosuch|x
            ACL SETUSER f1 +config|nosuch
            ACL SETUSER f1 -get|x
            ACL SETUSER f1 -config|get|x
            ACL SETUSER f1 +@all -config|get
            ACL GETUSER f1
            ACL SETUSER f1 -@all +select|0 +select|1 +get|X ~*
            ACL DRYRUN f1 select 0
            ACL DRYRUN f1 select 2
            ACL DRYRUN f1 SELECT 1
            ACL DRYRUN f1 get x
            ACL DRYRUN f1 get k
            ACL DRYRUN f1 select
            ACL SETUSER f12 on nopass -@all +select|1 +get|K ~* +auth +eval
            @2 AUTH f12 x
            @2 SELECT 1
            @2 SELECT 2
            @2 GET k
            @2 GET x
            @2 EVAL "return redis.call('select','1')" 0
            @2 SELECT
            """#)
    }

    /// Key and channel pattern rules as Redis 7.0 reads them: `~*` and `&*` are the same as
    /// `allkeys` and `allchannels` (so no error after them), `%RW~*` is a pattern, each access
    /// letter once, `%R` is the empty pattern, and no blanks in patterns.
    @Test func patternRulesMatchRedis() async throws {
        try await Differential.check(#"""
            ACL SETUSER z1 allkeys ~*
            ACL SETUSER z1 allkeys %RW~*
            ACL SETUSER z1 allkeys ~a
            ACL SETUSER z2 allchannels &*
            ACL SETUSER z2 ALLCHANNELS &a
            ACL SETUSER z2 resetchannels &a* &* &b
            ACL SETUSER z3 "~a b"
            ACL SETUSER z3 "&a b"
            ACL SETUSER z3 "%R~a b"
            ACL SETUSER z3 "~a\tb"
            ACL SETUSER z3 "&a\x00b"
            ACL SETUSER z3 %RW~* ~a
            ACL GETUSER z3
            ACL SETUSER z4 %rw~* %R~*
            ACL GETUSER z4
            ACL SETUSER z5 %~x
            ACL SETUSER z5 %
            ACL SETUSER z5 %RR~x
            ACL SETUSER z5 %RWR~x
            ACL SETUSER z5 %Rx~a
            ACL SETUSER z5 %R
            ACL SETUSER z5 %W~ ~ %r~a %WR~b
            ACL GETUSER z5
            ACL SETUSER z6 %R~* ~*
            ACL GETUSER z6
            ACL SETUSER z7 ~a ~* ~b
            ACL LIST
            """#)
    }

    /// `acl-pubsub-default`: the channels of new users, of `(…)` selectors and of `reset`.
    @Test(arguments: ["", "?HELLO 3"])
    func pubsubDefaultMatchesRedis(prelude: String) async throws {
        try await Differential.check(prelude + #"""

            CONFIG GET acl-pubsub-default
            CONFIG SET acl-pubsub-default ALLCHANNELS
            CONFIG GET acl-pubsub-default
            CONFIG SET acl-pubsub-default nope
            ACL SETUSER p1
            ACL SETUSER p2 (+get ~x) reset (+set)
            ACL SETUSER p3 resetchannels &a (+get)
            ACL GETUSER p2
            ACL LIST
            ACL DRYRUN p1 publish ch m
            CONFIG SET acl-pubsub-default resetchannels
            ACL SETUSER p1 reset
            ACL SETUSER p4 (+get)
            ACL LIST
            ACL DRYRUN p1 publish ch m
            """#)
    }

    /// User names: no blanks and no NUL in ACL SETUSER, any other byte allowed.
    @Test func usernamesMatchRedis() async throws {
        try await Differential.check(#"""
            ACL SETUSER "a b" on
            ACL SETUSER "a\x00b" on
            ACL SETUSER "a\tb" on
            ACL SETUSER "a\x0bb" on
            ACL SETUSER "a\rb" on
            ACL SETUSER "a\nb" on
            ACL SETUSER "a\x0cb" on
            ACL SETUSER "a\x01b" on
            ACL SETUSER "" on
            ACL SETUSER "\xff" on
            ACL USERS
            ACL GETUSER "a b"
            ACL DRYRUN "a\x00b" get x
            ACL DRYRUN "a\rb" get x
            ACL DRYRUN "" get x
            ACL DRYRUN default "no\x00such"
            ACL DELUSER "a\x01b" ""
            AUTH "a b" x
            """#)
    }

    @Test func requirepassIsTheDefaultUsersPassword() async throws {
        try await Differential.check(#"""
            PING
            AUTH wrong
            AUTH default wrong
            AUTH secret
            ACL GETUSER default
            ACL LIST
            CONFIG SET requirepass other
            ACL LIST
            @2 AUTH secret
            @2 AUTH other
            CONFIG SET requirepass ""
            ACL LIST
            @3 PING
            @3 AUTH x
            """#, redisArguments: ["--requirepass", "secret"], configure: { $0.requirePass = "secret" })
    }

    /// ACL LOG entries with `age-seconds` and the `client-info` fields that name a connection
    /// (id, address, ages, memory figures) left out.
    static func logEntries(_ connection: RawConnection) throws -> [RESPValue] {
        try connection.send(command: [Array("ACL".utf8), Array("LOG".utf8)])
        var buffer = ByteBuffer(bytes: try connection.readReply())
        let reply = try RESPValueParser().parse(&buffer)
        let entries: [RESPValue]
        switch reply {
        case .array(let list?)?: entries = list
        default: return [.error(Array("not an array".utf8))]
        }
        let kept: Set<String> = ["name", "flags", "db", "sub", "psub", "ssub", "multi", "cmd", "user", "resp"]
        return entries.map { entry in
            let pairs: [(RESPValue, RESPValue)]
            switch entry {
            case .map(let p): pairs = p
            case .array(let flat?):
                pairs = stride(from: 0, to: flat.count - 1, by: 2).map { (flat[$0], flat[$0 + 1]) }
            default: return .error(Array("malformed".utf8))
            }
            return .map(pairs.map { key, value in
                guard case .bulkString(let name?) = key else { return (key, value) }
                switch String(decoding: name, as: UTF8.self) {
                case "age-seconds": return (key, .null)
                case "client-info":
                    guard case .bulkString(let info?) = value else { return (key, value) }
                    let fields = String(decoding: info, as: UTF8.self).split(separator: " ").filter { field in
                        kept.contains(String(field.prefix { $0 != "=" }))
                    }
                    return (key, .bulkString(Array(fields.joined(separator: " ").utf8)))
                default: return (key, value)
                }
            })
        }
    }

    @Test(arguments: [2, 3])
    func logEntriesMatchRedis(protocolVersion: Int) async throws {
        try await Differential.with { pair in
            if protocolVersion == 3 { try pair.step("?HELLO 3") }
            try pair.run(#"""
                ACL SETUSER alice on >pw ~k* &ch* +@all -flushall
                @2 AUTH alice pw
                @2 CLIENT SETNAME worker
                @2 GET x
                @2 GET x
                @2 FLUSHALL
                @2 PUBLISH zz m
                @2 MULTI
                @2 GET y
                @2 DISCARD
                @2 EVAL "return redis.pcall('get','z')" 0
                @3 AUTH alice wrong
                @3 HELLO 3 AUTH nosuch pw
                """#)
            let (redis, roost) = try pair.clients(1)
            let theirs = try Self.logEntries(redis)
            let mine = try Self.logEntries(roost)
            #expect(mine == theirs, "ACL LOG (RESP\(protocolVersion))\n redis: \(theirs)\n roost: \(mine)")
            try pair.run(#"""
                ?ACL LOG 2
                ACL LOG RESET
                ACL LOG
                """#)
        }
    }

    @Test func saveAndLoadRoundTripThroughTheACLFile() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-acl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let redisFile = directory.appendingPathComponent("redis.acl").path
        let roostFile = directory.appendingPathComponent("roost.acl").path
        try Data().write(to: URL(fileURLWithPath: redisFile))
        try Data().write(to: URL(fileURLWithPath: roostFile))
        try await Differential.with(redisArguments: ["--aclfile", redisFile], configure: { $0.aclFile = roostFile }) { pair in
            try pair.run(#"""
                ACL LIST
                ACL SETUSER alice on >pw ~k* %R~r* &ch* +@read -get (~x +set)
                ACL SETUSER bob off #3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d -@all +ping
                ACL SAVE
                ACL SETUSER alice reset
                ACL DELUSER bob
                ACL SETUSER carol on nopass
                ACL LOAD
                ACL LIST
                ACL USERS
                @2 AUTH alice pw
                @2 GET k
                @2 EXISTS k
                """#)
            let saved = try String(contentsOfFile: redisFile, encoding: .utf8)
            let mine = try String(contentsOfFile: roostFile, encoding: .utf8)
            #expect(mine == saved)
            // A file with a bad line loads nothing.
            try "user eve on nosuchrule\n".write(toFile: roostFile, atomically: true, encoding: .utf8)
            try "user eve on nosuchrule\n".write(toFile: redisFile, atomically: true, encoding: .utf8)
            try pair.run(#"""
                ?ACL LOAD
                ACL USERS
                """#)
        }
    }
}
