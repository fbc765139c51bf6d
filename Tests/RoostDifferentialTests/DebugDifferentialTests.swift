import RoostTestSupport
import Testing

/// DEBUG's subcommands besides RELOAD (RDBDifferentialTests) with `enable-debug-command yes`,
/// byte for byte against redis-server: ERROR (what client test suites use to fake LOADING,
/// READONLY or OOM), SLEEP and SET-ACTIVE-EXPIRE.
@Suite struct DebugDifferentialTests {
    @Test(arguments: ["HELLO 2", "HELLO 3"])
    func subcommandsMatchRedis(prelude: String) async throws {
        try await Differential.with(redisArguments: ["--enable-debug-command", "yes"],
                                    configure: { $0.enableDebugCommand = "yes" }) { pair in
            try pair.step("CONFIG RESETSTAT")
            try pair.run(#"""
                ?\#(prelude)
                DEBUG ERROR "LOADING Redis is loading the dataset in memory"
                DEBUG ERROR "READONLY You can't write against a read only replica."
                DEBUG ERROR "two\r\nlines"
                DEBUG ERROR ""
                DEBUG ERROR
                DEBUG ERROR a b
                DEBUG error x
                DEBUG SLEEP 0
                DEBUG SLEEP 0.001
                DEBUG SLEEP abc
                DEBUG SLEEP
                DEBUG SET-ACTIVE-EXPIRE 1
                DEBUG SET-ACTIVE-EXPIRE x
                DEBUG NOSUCH
                """#)
            // DEBUG ERROR's replies are not error replies Redis counts.
            try InfoStatsDifferentialTests.expectSameCounts(pair)
        }
    }

    /// With active expiry off a key past its time stays until something reads it.
    @Test func activeExpiryCanBeTurnedOff() async throws {
        try await Differential.check(#"""
            DEBUG SET-ACTIVE-EXPIRE 0
            SET k v PX 1
            DEBUG SLEEP 0.2
            DBSIZE
            GET k
            DBSIZE
            DEBUG SET-ACTIVE-EXPIRE 1
            """#, redisArguments: ["--enable-debug-command", "yes"], configure: { $0.enableDebugCommand = "yes" })
    }
}
