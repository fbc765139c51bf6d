import RoostTestSupport
import Testing

/// PFDEBUG and PFSELFTEST against redis-server 7.0.15, in RESP2 and RESP3: registers, sparse
/// opcodes, encodings and the dense conversion byte for byte, the changes they make (stored
/// bytes, OBJECT ENCODING, WATCH), and every error.
@Suite struct HyperLogLogDebugDifferentialTests {
    /// An empty sparse sketch: header, then one XZERO opcode covering all 16384 registers.
    static let emptySparse = #""HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff""#
    /// A sparse sketch whose opcodes cover one register only.
    static let shortSparse = #""HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00""#

    @Test(arguments: ["", "?HELLO 3"])
    func debugSubcommandsMatchRedis(prelude: String) async throws {
        try await Differential.check(prelude + #"""

            PFDEBUG
            PFDEBUG GETREG
            PFDEBUG GETREG h x
            PFDEBUG GETREG nosuch
            PFDEBUG NOSUCH nosuch
            RPUSH list a
            PFDEBUG ENCODING list
            SET str hello
            PFDEBUG ENCODING str
            SET int 12345
            PFDEBUG ENCODING int
            PFADD h a b c d e f g
            PFDEBUG NOSUCH h
            PFDEBUG ENCODING h
            pfdebug encoding h
            PFDEBUG DECODE h
            PFDEBUG GETREG h
            PFDEBUG ENCODING h
            PFDEBUG DECODE h
            PFDEBUG TODENSE h
            PFCOUNT h
            GET h
            PFADD h2 x y
            PFDEBUG TODENSE h2
            PFDEBUG TODENSE h2
            GET h2
            PFADD h2 z
            PFCOUNT h2
            PFADD big 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30
            PFDEBUG DECODE big
            PFDEBUG GETREG big
            GET big
            """# + "\nSET e \(Self.emptySparse)\n" + #"""
            OBJECT ENCODING e
            PFDEBUG ENCODING e
            OBJECT ENCODING e
            PFDEBUG DECODE e
            PFCOUNT e
            """# + "\nSET bad \(Self.shortSparse)\n" + #"""
            PFDEBUG DECODE bad
            PFDEBUG ENCODING bad
            PFDEBUG GETREG bad
            PFDEBUG TODENSE bad
            PFADD w a
            WATCH w
            @2 PFDEBUG TODENSE w
            MULTI
            PING
            EXEC
            PFSELFTEST x
            MULTI
            PFDEBUG ENCODING h
            PFDEBUG DECODE h
            EXEC
            EVAL "return redis.pcall('pfdebug', 'encoding', KEYS[1])" 1 h
            """#)
    }

    /// PFSELFTEST's ten million additions, in RESP2 and RESP3; a debug build takes a while.
    @Test func selfTestPasses() async throws {
        try await Differential.with { pair in
            try pair.clients(1).roost.setTimeout(600)
            try pair.run(#"""
                PFSELFTEST
                ?HELLO 3
                PFSELFTEST
                """#)
        }
    }
}
