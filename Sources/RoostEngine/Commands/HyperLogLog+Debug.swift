import NIOCore

/// PFSELFTEST and PFDEBUG (Redis's `hyperloglog.c`): the self-test of the sketch code, and the
/// debugging views of one sketch — its registers, its sparse opcodes, its encoding — and its
/// conversion to dense.
enum HyperLogLogDebugCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("pfselftest", arity: 1, flags: [.admin], categories: ["hyperloglog", "admin", "slow", "dangerous"],
                    group: "hyperloglog", since: "2.8.9", summary: "An internal command for testing HyperLogLog values",
                    complexity: "N/A", handler: selfTest),
        CommandSpec("pfdebug", arity: 3, flags: [.write, .denyoom, .admin],
                    categories: ["write", "hyperloglog", "admin", "slow", "dangerous"],
                    group: "hyperloglog", since: "2.8.9", summary: "Internal commands for debugging HyperLogLog values",
                    complexity: "N/A", handler: debug),
    ]

    /// Redis's `HLL_TEST_CYCLES`.
    static let testCycles = 1000

    /// PFSELFTEST: registers keep what is written to them without disturbing their neighbours,
    /// and estimates stay within six standard errors at every power of ten up to ten million,
    /// with the sparse and dense encodings agreeing while the sketch is small.
    static func selfTest(_ c: CommandContext) throws(RedisError) {
        typealias Sketch = HyperLogLogSketch
        var random = SplitMix64(seed: UInt64.random(in: 0...UInt64.max))
        var dense = Sketch.empty()
        guard Sketch.sparseToDense(&dense) else { throw .corruptHyperLogLog }
        var expected = [UInt8](repeating: 0, count: Sketch.registerCount)
        for _ in 0..<testCycles {
            for i in 0..<Sketch.registerCount {
                let r = Int(random.next() & 63)
                expected[i] = UInt8(r)
                Sketch.setDenseRegister(&dense, i, r)
            }
            for i in 0..<Sketch.registerCount where Sketch.denseRegister(dense, i) != Int(expected[i]) {
                throw .format("TESTFAILED Register \(i) should be \(expected[i]) but is \(Sketch.denseRegister(dense, i))")
            }
        }
        for i in Sketch.headerSize..<dense.count { dense[i] = 0 }
        var sparse = Sketch.empty()
        let sparseMaxBytes = c.engine.configuration.hllSparseMaxBytes
        let relativeError = 1.04 / Double(Sketch.registerCount).squareRoot()
        var checkpoint: UInt64 = 1
        let seed = random.next()
        for j: UInt64 in 1...10_000_000 {
            let (index, count) = position(ofEight: j ^ seed)
            _ = Sketch.denseSet(&dense, index, count)
            if sparse[4] == Sketch.sparse {
                guard Sketch.sparseSet(&sparse, index, count, sparseMaxBytes: sparseMaxBytes) >= 0 else {
                    throw .corruptHyperLogLog
                }
            } else {
                _ = Sketch.denseSet(&sparse, index, count)
            }
            guard j == checkpoint else { continue }
            if j < UInt64(sparseMaxBytes / 2) && sparse[4] != Sketch.sparse {
                throw .format("TESTFAILED sparse encoding not used")
            }
            let estimate = Sketch.estimate(Sketch.histogram(dense) ?? Sketch.histogram(registers: []))
            if estimate != Sketch.estimate(Sketch.histogram(sparse) ?? Sketch.histogram(registers: [])) {
                throw .format("TESTFAILED dense/sparse disagree")
            }
            var maxError = UInt64((relativeError * 6 * Double(checkpoint)).rounded(.up))
            // Collisions make a larger error at ten likely enough to allow for it.
            if j == 10 { maxError = 1 }
            let error = (Int64(checkpoint) - Int64(estimate)).magnitude
            if error > maxError {
                throw .format("TESTFAILED Too big error. card:\(checkpoint) abserr:\(error)")
            }
            checkpoint *= 10
        }
        c.reply.ok()
    }

    /// `HyperLogLogSketch.position(of:)` for the 8 little-endian bytes of `element`: MurmurHash64A
    /// of one block and no tail, written out so that ten million of them stay quick.
    static func position(ofEight element: UInt64) -> (index: Int, count: Int) {
        let m: UInt64 = 0xc6a4_a793_5bd1_e995
        var h: UInt64 = 0xadc8_3b19 ^ (8 &* m)
        var k = element &* m
        k ^= k >> 47
        k = k &* m
        h ^= k
        h = h &* m
        h ^= h >> 47
        h = h &* m
        h ^= h >> 47
        let index = Int(h & UInt64(HyperLogLogSketch.registerCount - 1))
        h >>= UInt64(HyperLogLogSketch.precision)
        h |= 1 << UInt64(HyperLogLogSketch.q)
        return (index, h.trailingZeroBitCount + 1)
    }

    /// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key.
    static func debug(_ c: CommandContext) throws(RedisError) {
        let db = c.database, key = c.key(2)
        guard let value = c.engine.lookupWrite(db, key) else {
            throw RedisError("ERR The specified key does not exist")
        }
        var bytes = try HyperLogLogCommands.sketch(value)
        // Redis unshares the value first, turning an embedded string into a raw one.
        if case .string(.embstr) = value { c.engine.store(db, key, .string(.raw(bytes))) }
        if c.argument(1, is: "getreg") {
            try convertToDense(c, &bytes)
            c.reply.arrayHeader(HyperLogLogSketch.registerCount)
            for i in 0..<HyperLogLogSketch.registerCount { c.reply.integer(HyperLogLogSketch.denseRegister(bytes, i)) }
        } else if c.argument(1, is: "decode") {
            guard bytes[4] == HyperLogLogSketch.sparse else { throw RedisError("ERR HLL encoding is not sparse") }
            c.reply.bulk(string: decode(bytes))
        } else if c.argument(1, is: "encoding") {
            c.reply.status(bytes[4] == HyperLogLogSketch.sparse ? "sparse" : "dense")
        } else if c.argument(1, is: "todense") {
            let sparse = bytes[4] == HyperLogLogSketch.sparse
            try convertToDense(c, &bytes)
            c.reply.integer(sparse ? 1 : 0)
        } else {
            throw .format("Unknown PFDEBUG subcommand '\(cString: c.arguments[1])'")
        }
    }

    /// Rewrites a sparse sketch as dense in place; a change Redis counts but does not signal.
    static func convertToDense(_ c: CommandContext, _ bytes: inout [UInt8]) throws(RedisError) {
        guard bytes[4] == HyperLogLogSketch.sparse else { return }
        guard HyperLogLogSketch.sparseToDense(&bytes) else { throw .corruptHyperLogLog }
        c.engine.store(c.database, c.key(2), .string(.raw(bytes)))
        c.engine.countChanges(1)
    }

    /// The sparse opcodes as Redis prints them: `z:run`, `Z:run` and `v:value,run`.
    static func decode(_ bytes: [UInt8]) -> String {
        var words: [String] = []
        var p = HyperLogLogSketch.headerSize
        while p < bytes.count {
            let op = bytes[p]
            if HyperLogLogSketch.isZero(op) {
                words.append("z:\(Int(op & 0x3f) + 1)")
                p += 1
            } else if HyperLogLogSketch.isXZero(op) {
                let next = p + 1 < bytes.count ? Int(bytes[p + 1]) : 0
                words.append("Z:\(((Int(op & 0x3f) << 8) | next) + 1)")
                p += 2
            } else {
                words.append("v:\(HyperLogLogSketch.valValue(op)),\(HyperLogLogSketch.valRun(op))")
                p += 1
            }
        }
        return words.joined(separator: " ")
    }
}
