import RoostTestSupport
import Testing

@Suite struct SmokeDifferentialTests {
    @Test func basicsMatchRedis() async throws {
        try await Differential.check(#"""
            PING
            PING hello
            ECHO "a\x00b\r\nc"
            SET k v
            GET k
            GET missing
            GET
            DEL k k missing
            EXISTS k
            NOSUCHCOMMAND a b
            SELECT 3
            SELECT 16
            SELECT x
            """#)
    }

    @Test func protocolErrorsMatchRedis() async throws {
        try await Differential.check(#"""
            !rawclose *1\r\n$x\r\n
            """#)
        try await Differential.check(#"""
            !rawclose *a\r\n
            """#)
        try await Differential.check(#"""
            !rawclose *2\r\n$3\r\nGET\r\n:1\r\n
            """#)
        try await Differential.check(#"""
            !rawclose PING "unbalanced\r\n
            """#)
    }
}
