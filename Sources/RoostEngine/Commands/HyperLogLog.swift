import NIOCore

/// PFADD, PFCOUNT and PFMERGE over HyperLogLog sketches stored as strings (see
/// `HyperLogLogSketch` for the representation).
enum HyperLogLogCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("pfadd", arity: -2, flags: [.write, .denyoom, .fast], categories: ["write", "hyperloglog", "fast"],
                    group: "hyperloglog", since: "2.8.9",
                    summary: "Adds the specified elements to the specified HyperLogLog.",
                    handler: pfadd),
        CommandSpec("pfcount", arity: -2, flags: [.readonly], categories: ["read", "hyperloglog", "slow"],
                    group: "hyperloglog", since: "2.8.9",
                    summary: "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
                    handler: pfcount),
        CommandSpec("pfmerge", arity: -2, flags: [.write, .denyoom], categories: ["write", "hyperloglog", "slow"],
                    group: "hyperloglog", since: "2.8.9",
                    summary: "Merge N different HyperLogLogs into a single one.",
                    handler: pfmerge),
    ]

    /// The sketch bytes of `value`, or the error Redis gives for a value that is not one.
    static func sketch(_ value: Value) throws(RedisError) -> [UInt8] {
        guard case .string(let s) = value else { throw .wrongType }
        switch s {
        case .raw(let bytes), .embstr(let bytes):
            guard HyperLogLogSketch.isValid(bytes) else { throw .notHyperLogLog }
            return bytes
        case .short:
            // Seven bytes are never a sketch (its header alone is 16).
            throw .notHyperLogLog
        case .int:
            // An integer-encoded string is never a sketch, whatever its digits.
            throw .notHyperLogLog
        }
    }

    static func pfadd(_ c: CommandContext) throws(RedisError) {
        let db = c.database, key = c.key(1)
        var bytes: [UInt8]
        var updated = 0
        if let value = c.engine.lookupWrite(db, key) {
            bytes = try sketch(value)
        } else {
            bytes = HyperLogLogSketch.empty()
            updated += 1
        }
        let created = updated > 0
        let sparseMaxBytes = c.engine.configuration.hllSparseMaxBytes
        for i in 2..<c.count {
            let result = c.arguments[i].withUnsafeReadableBytes {
                HyperLogLogSketch.add(&bytes, $0, sparseMaxBytes: sparseMaxBytes)
            }
            if result < 0 { throw .corruptHyperLogLog }
            updated += result
        }
        c.engine.countChanges(updated)
        if updated > 0 {
            HyperLogLogSketch.invalidateCache(&bytes)
            if created {
                c.engine.setKey(db, key, .string(.raw(bytes)))
            } else {
                c.engine.updateKey(db, key, .string(.raw(bytes)))
            }
            c.notify(.string, "pfadd", key)
        }
        c.reply.integer(updated > 0 ? 1 : 0)
    }

    static func pfcount(_ c: CommandContext) throws(RedisError) {
        if c.count > 2 {
            var registers = [UInt8](repeating: 0, count: HyperLogLogSketch.registerCount)
            for i in 1..<c.count {
                guard let value = c.engine.lookupRead(c.database, c.key(i)) else { continue }
                let bytes = try sketch(value)
                guard HyperLogLogSketch.merge(bytes, into: &registers) else { throw .corruptHyperLogLog }
            }
            c.reply.integer(Int64(HyperLogLogSketch.estimate(HyperLogLogSketch.histogram(registers: registers))))
            return
        }
        let db = c.database, key = c.key(1)
        guard let value = c.engine.lookupWrite(db, key) else {
            c.reply.integer(0)
            return
        }
        var bytes = try sketch(value)
        if let cached = HyperLogLogSketch.cachedCount(bytes) {
            c.reply.integer(Int64(bitPattern: cached))
            return
        }
        guard let histogram = HyperLogLogSketch.histogram(bytes) else { throw .corruptHyperLogLog }
        let count = HyperLogLogSketch.estimate(histogram)
        // Like Redis, a recount is stored in the key and counts as a change (WATCH sees it).
        HyperLogLogSketch.setCachedCount(&bytes, count)
        c.engine.updateKey(db, key, .string(.raw(bytes)))
        c.reply.integer(Int64(bitPattern: count))
    }

    static func pfmerge(_ c: CommandContext) throws(RedisError) {
        let db = c.database, key = c.key(1)
        var registers = [UInt8](repeating: 0, count: HyperLogLogSketch.registerCount)
        var useDense = false
        // The destination is the first source, as in Redis.
        for i in 1..<c.count {
            guard let value = c.engine.lookupRead(db, c.key(i)) else { continue }
            let bytes = try sketch(value)
            if bytes[4] == HyperLogLogSketch.dense { useDense = true }
            guard HyperLogLogSketch.merge(bytes, into: &registers) else { throw .corruptHyperLogLog }
        }
        var created = false
        var bytes: [UInt8]
        if let value = c.engine.lookupWrite(db, key) {
            bytes = try sketch(value)
        } else {
            bytes = HyperLogLogSketch.empty()
            created = true
        }
        if useDense && !HyperLogLogSketch.sparseToDense(&bytes) { throw .corruptHyperLogLog }
        let sparseMaxBytes = c.engine.configuration.hllSparseMaxBytes
        for (index, register) in registers.enumerated() where register != 0 {
            if bytes[4] == HyperLogLogSketch.dense {
                _ = HyperLogLogSketch.denseSet(&bytes, index, Int(register))
            } else {
                _ = HyperLogLogSketch.sparseSet(&bytes, index, Int(register), sparseMaxBytes: sparseMaxBytes)
            }
        }
        HyperLogLogSketch.invalidateCache(&bytes)
        if created {
            c.engine.setKey(db, key, .string(.raw(bytes)))
        } else {
            c.engine.updateKey(db, key, .string(.raw(bytes)))
        }
        c.notify(.string, "pfadd", key)
        c.reply.ok()
    }
}
