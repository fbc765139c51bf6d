import RoostTestSupport
import Testing

/// INFO is bytes, not text: an error whose first word is not UTF-8 (a script's
/// `redis.error_reply` with byte 0xff, as redis-py's `test_info_with_non_utf8_errorstat` sends)
/// is counted under its raw bytes, and INFO errorstats prints them as Redis does, byte for byte,
/// with `#`, `:`, CR and LF made `_` and the name ending at a NUL byte.
@Suite struct InfoBytesDifferentialTests {
    @Test(arguments: ["HELLO 2", "HELLO 3"])
    func errorstatsKeepRawBytes(prelude: String) async throws {
        try await Differential.check(#"""
            ?\#(prelude)
            CONFIG RESETSTAT
            EVAL "return redis.error_reply(ARGV[1])" 0 "\xff\xfe oops"
            EVAL "return redis.error_reply(ARGV[1])" 0 "\xff\xfe again"
            EVAL "return redis.error_reply(ARGV[1])" 0 "caf\xc3\xa9 accented"
            EVAL "return redis.error_reply(ARGV[1])" 0 "A#B:C\xff d"
            EVAL "return redis.error_reply(ARGV[1])" 0 "NUL\x00AFTER x"
            EVAL "return {err=ARGV[1]}" 0 "-\x80 dash"
            GET
            INFO errorstats
            INFO ERRORSTATS
            """#)
    }
}
