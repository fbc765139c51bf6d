import RoostTestSupport
import Testing

@Suite struct ConnectionDifferentialTests {
    @Test func pingEchoSelectMatchRedis() async throws {
        try await Differential.check(#"""
            PING
            PING hello
            PING ""
            PING "a\x00b\r\n\xff"
            PING a b
            ping
            ECHO x
            ECHO ""
            ECHO "a\x00b\r\n\xff"
            ECHO
            ECHO a b
            SELECT 0
            SELECT 15
            SELECT 16
            SELECT -1
            SELECT x
            SELECT 4294967296
            SELECT 1.5
            SELECT ""
            SELECT 1 2
            SELECT
            SELECT 2
            SET k v
            SELECT 0
            GET k
            SELECT 2
            GET k
            """#)
    }

    @Test func quitClosesAfterOK() async throws {
        try await Differential.check(#"""
            !rawclose *1\r\n$4\r\nQUIT\r\n
            """#)
        try await Differential.check(#"""
            !rawclose *2\r\n$4\r\nQUIT\r\n$5\r\nextra\r\n
            """#)
    }

    @Test func swapdbMatchesRedis() async throws {
        try await Differential.check(#"""
            SET a 1
            SELECT 1
            SET b 2
            SWAPDB 0 1
            GET b
            GET a
            SELECT 0
            GET a
            GET b
            SWAPDB 0 0
            GET b
            SWAPDB a 1
            SWAPDB 1 a
            SWAPDB 99 1
            SWAPDB 1 99
            SWAPDB -1 1
            SWAPDB 0 16
            SWAPDB 4294967296 1
            SWAPDB 0
            SWAPDB 0 1 2
            DBSIZE
            """#)
    }

    @Test func resetMatchesRedis() async throws {
        try await Differential.check(#"""
            SELECT 3
            CLIENT SETNAME conn
            RESET
            CLIENT GETNAME
            SET k v
            SELECT 3
            GET k
            RESET x
            ?HELLO 3
            RESET
            PING
            """#)
    }

    @Test func authWithoutPasswordMatchesRedis() async throws {
        try await Differential.check(#"""
            AUTH x
            AUTH default x
            AUTH other x
            AUTH a b c
            AUTH
            PING
            """#)
    }

    @Test func authWithPasswordMatchesRedis() async throws {
        try await Differential.check(#"""
            PING
            GET k
            ECHO x
            AUTH wrong
            AUTH default wrong
            AUTH nobody pw
            AUTH a b c
            PING
            HELLO
            HELLO 3
            HELLO 2 AUTH default wrong
            HELLO 2 SETNAME x
            AUTH pw
            PING
            SET k v
            GET k
            AUTH default pw
            @2 GET k
            @2 AUTH default pw
            @2 GET k
            @2 RESET
            @2 GET k
            @3 ?HELLO 2 AUTH default pw
            @3 GET k
            """#, redisArguments: ["--requirepass", "pw"], configure: { $0.requirePass = "pw" })
    }

    @Test func helloMatchesRedis() async throws {
        try await Differential.check(#"""
            ?HELLO
            ?HELLO 2
            HELLO 4
            HELLO 1
            HELLO 0
            HELLO x
            HELLO -3
            HELLO 3 AUTH
            HELLO 3 AUTH default
            HELLO 2 SETNAME
            HELLO 2 SETNAME a b
            HELLO 2 foo
            HELLO 2 SETNAME "bad name"
            ?HELLO 2 SETNAME good
            CLIENT GETNAME
            ?HELLO 2 AUTH default anything
            ?HELLO 3
            PING
            ECHO x
            CLIENT GETNAME
            HELLO 2 SETNAME "a\x00b"
            ?HELLO 2
            PING
            """#)
    }

    @Test func clientCommandsMatchRedis() async throws {
        try await Differential.check(#"""
            CLIENT GETNAME
            CLIENT SETNAME myname
            CLIENT GETNAME
            CLIENT SETNAME "with space"
            CLIENT SETNAME "new\nline"
            CLIENT SETNAME "\xff"
            CLIENT GETNAME
            CLIENT SETNAME ""
            CLIENT GETNAME
            CLIENT SETNAME
            CLIENT SETNAME a b
            ?CLIENT ID
            CLIENT ID x
            CLIENT GETNAME x
            CLIENT
            CLIENT FOO
            CLIENT HELP
            CLIENT help
            CLIENT HELP x
            CLIENT LIST TYPE foo
            CLIENT LIST ID x
            CLIENT LIST ID 0
            CLIENT LIST ID -5
            CLIENT LIST ID 999999
            CLIENT LIST foo
            CLIENT LIST TYPE pubsub
            CLIENT LIST TYPE master
            CLIENT LIST TYPE replica
            ?CLIENT LIST
            ?CLIENT LIST TYPE normal
            ?CLIENT INFO
            CLIENT INFO x
            CLIENT KILL 1.2.3.4:5
            CLIENT KILL ID x
            CLIENT KILL ID 0
            CLIENT KILL ID 999999
            CLIENT KILL FOO bar
            CLIENT KILL TYPE foo
            CLIENT KILL TYPE pubsub
            CLIENT KILL SKIPME maybe
            CLIENT KILL USER bob
            CLIENT KILL USER default
            CLIENT KILL ADDR 1.2.3.4:5
            CLIENT KILL LADDR 1.2.3.4:5
            CLIENT KILL ID 1 TYPE
            CLIENT KILL
            """#)
    }

    @Test func clientKillClosesOtherConnections() async throws {
        try await Differential.check(#"""
            @2 PING
            @3 PING
            CLIENT KILL TYPE normal
            CLIENT KILL TYPE normal SKIPME yes
            PING
            !rawclose *6\r\n$6\r\nCLIENT\r\n$4\r\nKILL\r\n$4\r\nTYPE\r\n$6\r\nnormal\r\n$6\r\nSKIPME\r\n$2\r\nno\r\n
            """#)
    }
}
