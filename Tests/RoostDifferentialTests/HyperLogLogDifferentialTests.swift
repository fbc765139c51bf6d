import RoostTestSupport
import Testing

/// PFADD, PFCOUNT and PFMERGE against redis-server. GET of a sketch compares the representation
/// itself (sparse opcodes, dense registers, the cached count), not just the estimates.
@Suite struct HyperLogLogDifferentialTests {
    /// `PFADD key e<from> … e<to-1>` in batches of `batch`, each followed by PFCOUNT and GET.
    static func adds(_ key: String, _ range: Range<Int>, batch: Int, prefix: String = "e") -> String {
        var lines: [String] = []
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(start + batch, range.upperBound)
            lines.append("PFADD \(key) " + (start..<end).map { "\(prefix)\($0)" }.joined(separator: " "))
            lines.append("PFCOUNT \(key)")
            lines.append("GET \(key)")
            start = end
        }
        return lines.joined(separator: "\n")
    }

    @Test func smallSketchesMatchRedis() async throws {
        try await Differential.check(#"""
            PFADD h
            GET h
            PFCOUNT h
            GET h
            PFADD h a
            PFADD h a
            GET h
            PFADD h b c d e f g
            PFCOUNT h
            GET h
            PFCOUNT h
            OBJECT ENCODING h
            TYPE h
            STRLEN h
            PFADD bin "" "\x00" "a\x00b\r\n\xff" "\xff\xfe"
            PFCOUNT bin
            GET bin
            PFCOUNT missing
            PFCOUNT missing other
            PFCOUNT h bin
            PFCOUNT h bin missing
            GET h
            """#)
    }

    @Test func growthThroughSparseIntoDenseMatchesRedis() async throws {
        // Single elements at first (VAL splits and merges), then batches until the sparse form
        // passes hll-sparse-max-bytes (3000) and turns dense.
        let script = Self.adds("h", 0..<200, batch: 1) + "\n" + Self.adds("h", 200..<6000, batch: 250)
            + "\nSTRLEN h\nPFCOUNT h"
        try await Differential.check(script)
    }

    @Test func sparseLimitFollowsConfiguration() async throws {
        let script = "CONFIG SET hll-sparse-max-bytes 100\n" + Self.adds("h", 0..<120, batch: 3)
            + "\nSTRLEN h\nCONFIG SET hll-sparse-max-bytes 0\n" + Self.adds("z", 0..<3, batch: 1)
            + "\nCONFIG SET hll-sparse-max-bytes 3000"
        try await Differential.check(script)
    }

    @Test func mergeMatchesRedis() async throws {
        let setup = [
            Self.adds("s1", 0..<100, batch: 50, prefix: "a"),
            Self.adds("s2", 50..<300, batch: 125, prefix: "a"),
            Self.adds("d1", 0..<5000, batch: 1000, prefix: "b"),
        ].joined(separator: "\n")
        try await Differential.check(setup + #"""

            PFMERGE m1 s1 s2
            GET m1
            PFCOUNT m1
            PFCOUNT s1 s2
            PFMERGE m2 s1 d1
            GET m2
            PFCOUNT m2
            PFCOUNT s1 s2 d1
            PFMERGE s1 s2
            GET s1
            PFMERGE empty
            GET empty
            PFCOUNT empty
            PFMERGE empty missing1 missing2
            GET empty
            PFMERGE m1 m1
            GET m1
            SET ttl x
            DEL ttl
            PFADD ttl q
            EXPIRE ttl 100
            PFMERGE ttl s2
            TTL ttl
            PFADD ttl zz
            TTL ttl
            """#)
    }

    @Test func errorsMatchRedis() async throws {
        try await Differential.check(#"""
            PFADD
            PFCOUNT
            PFMERGE
            SET str hello
            PFADD str a
            PFCOUNT str
            PFCOUNT str missing
            PFMERGE d str
            EXISTS d
            PFMERGE str
            SET int 12345
            PFADD int a
            PFCOUNT int
            SET short HYLL
            PFCOUNT short
            SET badenc "HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x40\x00"
            PFCOUNT badenc
            SET shortdense "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
            PFCOUNT shortdense
            SET corrupt "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00"
            PFCOUNT corrupt
            PFCOUNT corrupt missing
            PFADD corrupt a
            PFMERGE m corrupt
            SET fake "HYLL\x01\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x7f\xff"
            PFCOUNT fake
            PFADD fake a
            PFCOUNT fake
            GET fake
            """#)
    }

    @Test func recountBreaksWatchLikeRedis() async throws {
        try await Differential.check(#"""
            PFADD h a b c
            WATCH h
            PFCOUNT h
            MULTI
            PING
            EXEC
            WATCH h
            PFCOUNT h
            MULTI
            PING
            EXEC
            """#)
    }

    @Test func hundredThousandElementsMatchRedis() async throws {
        try await Differential.check(Self.adds("big", 0..<100_000, batch: 5000, prefix: "element:"))
    }
}
