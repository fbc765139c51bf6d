import RoostRESP

/// Bit commands on strings: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO.
///
/// Bits are numbered from the most significant bit of the first byte. A missing key reads as an
/// endless run of zero bits; writes grow the string with zero bytes as needed and leave it in
/// the `raw` encoding, as Redis does after modifying a string in place.
enum BitCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("setbit", arity: 4, flags: [.write, .denyoom], categories: ["write", "bitmap", "slow"],
                    group: "bitmap", since: "2.2.0",
                    summary: "Sets or clears the bit at offset in the string value stored at key",
                    handler: setbit),
        CommandSpec("getbit", arity: 3, flags: [.readonly, .fast], categories: ["read", "bitmap", "fast"],
                    group: "bitmap", since: "2.2.0",
                    summary: "Returns the bit value at offset in the string value stored at key",
                    handler: getbit),
        CommandSpec("bitcount", arity: -2, flags: [.readonly], categories: ["read", "bitmap", "slow"],
                    group: "bitmap", since: "2.6.0",
                    summary: "Count set bits in a string",
                    handler: bitcount),
        CommandSpec("bitpos", arity: -3, flags: [.readonly], categories: ["read", "bitmap", "slow"],
                    group: "bitmap", since: "2.8.7",
                    summary: "Find first bit set or clear in a string",
                    handler: bitpos),
        CommandSpec("bitop", arity: -4, flags: [.write, .denyoom], categories: ["write", "bitmap", "slow"],
                    group: "bitmap", since: "2.6.0",
                    summary: "Perform bitwise operations between strings",
                    handler: bitop),
        CommandSpec("bitfield", arity: -2, flags: [.write, .denyoom], categories: ["write", "bitmap", "slow"],
                    group: "bitmap", since: "3.2.0",
                    summary: "Perform arbitrary bitfield integer operations on strings",
                    handler: bitfield),
        CommandSpec("bitfield_ro", arity: -2, flags: [.readonly, .fast], categories: ["read", "bitmap", "fast"],
                    group: "bitmap", since: "6.0.0",
                    summary: "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
                    handler: bitfieldRO),
    ]

    // MARK: - Shared helpers

    /// Parses a bit offset as Redis's `getBitOffsetFromArgument` does. With `hashBits`, a leading
    /// `#` multiplies the offset by the field width. Offsets whose byte lies at or beyond
    /// `proto-max-bulk-len` are refused.
    static func bitOffset(_ c: CommandContext, _ index: Int, hashBits: Int = 0) throws(RedisError) -> Int {
        let arg = c.bytes(index)
        let useHash = hashBits > 0 && arg.first == UInt8(ascii: "#")
        guard var value = RedisInteger.parse(useHash ? arg[1...] : arg[...]) else { throw .bitOffset }
        if useHash { value = value &* Int64(hashBits) }
        if value < 0 || (value >> 3) >= Int64(c.engine.configuration.protoMaxBulkLength) { throw .bitOffset }
        return Int(value)
    }

    /// The bytes of a string value (the decimal digits for an `int`).
    static func bytes(of value: Value) throws(RedisError) -> [UInt8] {
        guard case .string(let s) = value else { throw .wrongType }
        return s.bytes
    }

    /// Moves the bytes out of `value`, leaving a placeholder, so that they can be mutated without
    /// a copy. Callers have checked that `value` is a string.
    static func takeBytes(_ value: inout Value) -> [UInt8] {
        let taken = value
        value = .string(.int(0))
        switch consume taken {
        case .string(.raw(let b)), .string(.embstr(let b)): return b
        case .string(let s): return s.bytes
        case .list, .hash, .set, .zset, .stream: preconditionFailure("takeBytes needs a string value")
        }
    }

    /// Runs `body` on the bytes of the string at argument 1, created or zero-padded to at least
    /// `minimumLength` bytes, and stores them back as `raw`, keeping any TTL. `body` returns its
    /// result and whether it changed anything; WATCH is told when the string grew or changed.
    static func modifyString<R>(
        _ c: CommandContext, minimumLength: Int, _ body: (inout [UInt8]) -> (R, changed: Bool)
    ) throws(RedisError) -> R {
        let db = c.database
        let key = c.key(1)
        var exists = false
        if let value = c.engine.lookupWrite(db, key) {
            guard case .string = value else { throw .wrongType }
            exists = true
        }
        if !exists {
            var bytes = [UInt8](repeating: 0, count: minimumLength)
            let (result, _) = body(&bytes)
            c.engine.setKey(db, key, .string(.raw(bytes)))
            c.notify(.string, "setbit", key)
            return result
        }
        var grew = false
        var changed = false
        let result: R? = db.keys.modify(key) { value in
            var bytes = takeBytes(&value)
            if bytes.count < minimumLength {
                bytes.append(contentsOf: repeatElement(0, count: minimumLength - bytes.count))
                grew = true
            }
            let (r, ch) = body(&bytes)
            changed = ch
            value = .string(.raw(bytes))
            return r
        }
        if grew || changed {
            c.engine.signalModifiedKey(db, key)
            c.notify(.string, "setbit", key)
        }
        guard let result else { throw .noSuchKey }  // unreachable: the key was just found
        return result
    }

    /// The number of set bits in `bytes[from...through]`.
    static func popcount(_ bytes: [UInt8], from: Int, through: Int) -> Int {
        if from > through { return 0 }
        return bytes.withUnsafeBytes { raw -> Int in
            var count = 0
            var i = from
            let end = through + 1
            while i + 8 <= end {
                count += raw.loadUnaligned(fromByteOffset: i, as: UInt64.self).nonzeroBitCount
                i += 8
            }
            while i < end {
                count += raw[i].nonzeroBitCount
                i += 1
            }
            return count
        }
    }

    /// Bit `offset` of `bytes`, zero beyond the end.
    static func bit(_ bytes: [UInt8], _ offset: Int) -> Int {
        let byte = offset >> 3
        if byte >= bytes.count { return 0 }
        return Int(bytes[byte] >> (7 - UInt8(offset & 7))) & 1
    }

    // MARK: - SETBIT / GETBIT

    static func setbit(_ c: CommandContext) throws(RedisError) {
        let offset = try bitOffset(c, 2)
        guard let on = RedisInteger.parse(c.arguments[3]), on & ~1 == 0 else { throw .bitValue }
        let old = try modifyString(c, minimumLength: (offset >> 3) + 1) { bytes -> (Int, changed: Bool) in
            let byte = offset >> 3
            let mask = UInt8(1) << (7 - UInt8(offset & 7))
            let old = bytes[byte] & mask != 0 ? 1 : 0
            if on == 1 { bytes[byte] |= mask } else { bytes[byte] &= ~mask }
            return (old, old != Int(on))
        }
        c.reply.integer(old)
    }

    static func getbit(_ c: CommandContext) throws(RedisError) {
        let offset = try bitOffset(c, 2)
        guard let value = c.engine.lookupRead(c.database, c.key(1)) else {
            c.reply.integer(0)
            return
        }
        c.reply.integer(bit(try bytes(of: value), offset))
    }

    // MARK: - BITCOUNT / BITPOS

    /// Whether argument `index` chooses bit ranges (`BIT`) rather than byte ranges (`BYTE`).
    static func bitUnit(_ c: CommandContext, _ index: Int) throws(RedisError) -> Bool {
        if c.argument(index, is: "bit") { return true }
        if c.argument(index, is: "byte") { return false }
        throw .syntax
    }

    /// Resolves a start/end pair against a length as Redis does: negative values count from the
    /// end, then both are clamped into the string.
    static func clamp(_ start: Int64, _ end: Int64, length: Int64) -> (Int64, Int64) {
        var s = start, e = end
        if s < 0 { s += length }
        if e < 0 { e += length }
        if s < 0 { s = 0 }
        if e < 0 { e = 0 }
        if e >= length { e = length - 1 }
        return (s, e)
    }

    static func bitcount(_ c: CommandContext) throws(RedisError) {
        guard let value = c.engine.lookupRead(c.database, c.key(1)) else {
            c.reply.integer(0)
            return
        }
        let p = try bytes(of: value)
        if c.count == 2 {
            c.reply.integer(popcount(p, from: 0, through: p.count - 1))
            return
        }
        guard c.count == 4 || c.count == 5 else { throw .syntax }
        let start = try c.integer(2)
        let end = try c.integer(3)
        if start < 0 && end < 0 && start > end {
            c.reply.integer(0)
            return
        }
        let isBit = c.count == 5 ? try bitUnit(c, 4) : false
        let length = Int64(p.count) * (isBit ? 8 : 1)
        let (s, e) = clamp(start, end, length: length)
        if s > e {
            c.reply.integer(0)
            return
        }
        if !isBit {
            c.reply.integer(popcount(p, from: Int(s), through: Int(e)))
            return
        }
        // Whole bytes in the middle, single bits at the ragged edges.
        let sb = Int(s), eb = Int(e)
        var count = 0
        let firstWhole = (sb + 7) >> 3
        let lastWhole = ((eb + 1) >> 3) - 1
        if firstWhole <= lastWhole {
            count += popcount(p, from: firstWhole, through: lastWhole)
            for b in sb..<(firstWhole << 3) { count += bit(p, b) }
            for b in ((lastWhole + 1) << 3)..<(eb + 1) { count += bit(p, b) }
        } else {
            for b in sb...eb { count += bit(p, b) }
        }
        c.reply.integer(count)
    }

    /// The first bit in `[from, through]` of `p` equal to `target`, or nil.
    static func findBit(_ p: [UInt8], _ target: Int, from: Int, through: Int) -> Int? {
        var b = from
        let skip: UInt8 = target == 1 ? 0x00 : 0xFF
        let skipWord: UInt64 = target == 1 ? 0 : .max
        while b <= through {
            if b & 7 == 0 && b + 63 <= through {
                // Skip whole 8-byte words that hold no wanted bit.
                let lastWord = (through + 1) >> 3
                var byte = b >> 3
                p.withUnsafeBytes { raw in
                    while byte + 8 <= lastWord && raw.loadUnaligned(fromByteOffset: byte, as: UInt64.self) == skipWord {
                        byte += 8
                    }
                }
                b = byte << 3
            }
            if b & 7 == 0 && b + 7 <= through {
                let byte = p[b >> 3]
                if byte == skip {
                    b += 8
                    continue
                }
                let bits = target == 1 ? byte : ~byte
                return b + bits.leadingZeroBitCount
            }
            if bit(p, b) == target { return b }
            b += 1
        }
        return nil
    }

    static func bitpos(_ c: CommandContext) throws(RedisError) {
        guard let target = RedisInteger.parse(c.arguments[2]) else { throw .notInteger }
        guard target == 0 || target == 1 else { throw .bitposBit }
        guard let value = c.engine.lookupRead(c.database, c.key(1)) else {
            c.reply.integer(target == 1 ? -1 : 0)
            return
        }
        let p = try bytes(of: value)
        var isBit = false
        var endGiven = false
        var first: Int64 = 0
        var last: Int64 = Int64(p.count) - 1
        if c.count >= 4 && c.count <= 6 {
            let start = try c.integer(3)
            if c.count == 6 { isBit = try bitUnit(c, 5) }
            var end: Int64
            if c.count >= 5 {
                end = try c.integer(4)
                endGiven = true
            } else {
                end = Int64(p.count) - 1
            }
            (first, last) = clamp(start, end, length: Int64(p.count) * (isBit ? 8 : 1))
        } else if c.count != 3 {
            throw .syntax
        }
        if first > last {
            c.reply.integer(-1)
            return
        }
        let fromBit = isBit ? Int(first) : Int(first) * 8
        let throughBit = isBit ? Int(last) : Int(last) * 8 + 7
        if let found = findBit(p, Int(target), from: fromBit, through: throughBit) {
            c.reply.integer(found)
        } else if target == 1 || endGiven {
            c.reply.integer(-1)
        } else {
            // No clear bit in the range and no explicit end: the string reads as zero-padded.
            c.reply.integer(throughBit + 1)
        }
    }

    // MARK: - BITOP

    enum BitOperation { case and, or, xor, not }

    static func bitop(_ c: CommandContext) throws(RedisError) {
        let op: BitOperation
        if c.argument(1, is: "and") { op = .and }
        else if c.argument(1, is: "or") { op = .or }
        else if c.argument(1, is: "xor") { op = .xor }
        else if c.argument(1, is: "not") { op = .not }
        else { throw .syntax }
        if op == .not && c.count != 4 { throw .bitopNotArity }
        var sources: [[UInt8]] = []
        sources.reserveCapacity(c.count - 3)
        var maxLength = 0
        for i in 3..<c.count {
            if let value = c.engine.lookupRead(c.database, c.key(i)) {
                let b = try bytes(of: value)
                maxLength = max(maxLength, b.count)
                sources.append(b)
            } else {
                sources.append([])
            }
        }
        let destination = c.key(2)
        guard maxLength > 0 else {
            if c.engine.deleteKey(c.database, destination) { c.notify(.generic, "del", destination) }
            c.reply.integer(0)
            return
        }
        var result = [UInt8](repeating: 0, count: maxLength)
        let firstSource = sources[0]
        for (j, byte) in firstSource.enumerated() { result[j] = byte }
        switch op {
        case .not:
            for j in 0..<maxLength { result[j] = ~result[j] }
        case .and:
            for source in sources.dropFirst() {
                for j in 0..<maxLength { result[j] &= j < source.count ? source[j] : 0 }
            }
        case .or:
            for source in sources.dropFirst() {
                for j in 0..<source.count { result[j] |= source[j] }
            }
        case .xor:
            for source in sources.dropFirst() {
                for j in 0..<source.count { result[j] ^= source[j] }
            }
        }
        c.engine.setKey(c.database, destination, .string(.raw(result)))
        c.notify(.string, "set", destination)
        c.reply.integer(maxLength)
    }

    // MARK: - BITFIELD

    enum Overflow { case wrap, sat, fail }
    enum FieldOpcode { case get, set, incrby }

    struct FieldOp {
        var opcode: FieldOpcode
        var signed: Bool
        var bits: Int
        var offset: Int
        var value: Int64
        var overflow: Overflow
    }

    /// Parses `i1`…`i64` or `u1`…`u63`.
    static func fieldType(_ arg: [UInt8]) throws(RedisError) -> (signed: Bool, bits: Int) {
        guard let first = arg.first else { throw .bitfieldType }
        let signed: Bool
        if first == UInt8(ascii: "i") { signed = true }
        else if first == UInt8(ascii: "u") { signed = false }
        else { throw .bitfieldType }
        // Redis reads the width as a C string, stopping at a NUL byte.
        let digits = arg[1...].prefix { $0 != 0 }
        guard let bits = RedisInteger.parse(digits), bits >= 1, bits <= (signed ? 64 : 63) else {
            throw .bitfieldType
        }
        return (signed, Int(bits))
    }

    static func bitfield(_ c: CommandContext) throws(RedisError) { try bitfieldGeneric(c, readOnly: false) }
    static func bitfieldRO(_ c: CommandContext) throws(RedisError) { try bitfieldGeneric(c, readOnly: true) }

    static func bitfieldGeneric(_ c: CommandContext, readOnly: Bool) throws(RedisError) {
        var ops: [FieldOp] = []
        var overflow = Overflow.wrap
        var writes = false
        var highestWrite = 0
        var j = 2
        while j < c.count {
            let remaining = c.count - j - 1
            let opcode: FieldOpcode
            if c.argument(j, is: "get") && remaining >= 2 { opcode = .get }
            else if c.argument(j, is: "set") && remaining >= 3 { opcode = .set }
            else if c.argument(j, is: "incrby") && remaining >= 3 { opcode = .incrby }
            else if c.argument(j, is: "overflow") && remaining >= 1 {
                if c.argument(j + 1, is: "wrap") { overflow = .wrap }
                else if c.argument(j + 1, is: "sat") { overflow = .sat }
                else if c.argument(j + 1, is: "fail") { overflow = .fail }
                else { throw .bitfieldOverflowType }
                j += 2
                continue
            } else {
                throw .syntax
            }
            let (signed, bits) = try fieldType(c.bytes(j + 1))
            let offset = try bitOffset(c, j + 2, hashBits: bits)
            var value: Int64 = 0
            if opcode != .get {
                writes = true
                highestWrite = max(highestWrite, offset + bits - 1)
                value = try c.integer(j + 3)
            }
            ops.append(FieldOp(opcode: opcode, signed: signed, bits: bits, offset: offset, value: value,
                               overflow: overflow))
            j += opcode == .get ? 3 : 4
        }
        let results: [Int64?]
        if !writes {
            var p: [UInt8] = []
            if let value = c.engine.lookupRead(c.database, c.key(1)) { p = try bytes(of: value) }
            results = ops.map { Optional(get(p, $0)) }
        } else {
            if readOnly { throw .bitfieldReadOnly }
            results = try modifyString(c, minimumLength: (highestWrite >> 3) + 1) { p -> ([Int64?], changed: Bool) in
                var out: [Int64?] = []
                out.reserveCapacity(ops.count)
                for op in ops { out.append(apply(&p, op)) }
                return (out, true)
            }
        }
        c.reply.arrayHeader(results.count)
        for r in results {
            if let r { c.reply.integer(r) } else { c.reply.nullBulk() }
        }
    }

    /// Reads an unsigned field of `bits` bits at `offset`, zero beyond the end.
    static func getUnsigned(_ p: [UInt8], _ offset: Int, _ bits: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<bits { v = (v << 1) | UInt64(bit(p, offset + i)) }
        return v
    }

    /// Reads a two's-complement field of `bits` bits at `offset`.
    static func getSigned(_ p: [UInt8], _ offset: Int, _ bits: Int) -> Int64 {
        var v = getUnsigned(p, offset, bits)
        if bits < 64 && v & (UInt64(1) << (bits - 1)) != 0 { v |= UInt64.max << bits }
        return Int64(bitPattern: v)
    }

    /// Writes the low `bits` bits of `value` at `offset`; `p` is long enough.
    static func setField(_ p: inout [UInt8], _ offset: Int, _ bits: Int, _ value: UInt64) {
        for i in 0..<bits {
            let bitValue = (value >> UInt64(bits - 1 - i)) & 1
            let o = offset + i
            let mask = UInt8(1) << (7 - UInt8(o & 7))
            if bitValue == 1 { p[o >> 3] |= mask } else { p[o >> 3] &= ~mask }
        }
    }

    static func get(_ p: [UInt8], _ op: FieldOp) -> Int64 {
        op.signed ? getSigned(p, op.offset, op.bits) : Int64(bitPattern: getUnsigned(p, op.offset, op.bits))
    }

    /// Applies a SET or INCRBY (or a GET) to `p`; nil when OVERFLOW FAIL refused it.
    static func apply(_ p: inout [UInt8], _ op: FieldOp) -> Int64? {
        if op.opcode == .get { return get(p, op) }
        if op.signed {
            let old = getSigned(p, op.offset, op.bits)
            let base = op.opcode == .incrby ? old : op.value
            let increment = op.opcode == .incrby ? op.value : 0
            var (overflowed, limited) = signedOverflow(base, increment, bits: op.bits, mode: op.overflow)
            if !overflowed { limited = base &+ increment }
            if overflowed && op.overflow == .fail { return nil }
            setField(&p, op.offset, op.bits, UInt64(bitPattern: limited))
            return op.opcode == .incrby ? limited : old
        } else {
            let old = getUnsigned(p, op.offset, op.bits)
            let base = op.opcode == .incrby ? old : UInt64(bitPattern: op.value)
            let increment = op.opcode == .incrby ? op.value : 0
            var (overflowed, limited) = unsignedOverflow(base, increment, bits: op.bits, mode: op.overflow)
            if !overflowed { limited = base &+ UInt64(bitPattern: increment) }
            if overflowed && op.overflow == .fail { return nil }
            setField(&p, op.offset, op.bits, limited)
            return op.opcode == .incrby ? Int64(bitPattern: limited) : Int64(bitPattern: old)
        }
    }

    /// Whether `value + increment` leaves the range of an unsigned `bits`-bit field, and the value
    /// to store instead under WRAP or SAT.
    static func unsignedOverflow(_ value: UInt64, _ increment: Int64, bits: Int, mode: Overflow) -> (Bool, UInt64) {
        let maximum: UInt64 = bits == 64 ? .max : (UInt64(1) << bits) - 1
        let maxIncrement = Int64(bitPattern: maximum &- value)
        let minIncrement = Int64(bitPattern: 0 &- value)
        let wrapped = (value &+ UInt64(bitPattern: increment)) & ~(bits == 64 ? 0 : UInt64.max << bits)
        if value > maximum || (increment > 0 && increment > maxIncrement) {
            return (true, mode == .wrap ? wrapped : maximum)
        }
        if increment < 0 && increment < minIncrement {
            return (true, mode == .wrap ? wrapped : 0)
        }
        return (false, 0)
    }

    /// Whether `value + increment` leaves the range of a signed `bits`-bit field, and the value to
    /// store instead under WRAP or SAT.
    static func signedOverflow(_ value: Int64, _ increment: Int64, bits: Int, mode: Overflow) -> (Bool, Int64) {
        let maximum: Int64 = bits == 64 ? .max : (Int64(1) << (bits - 1)) - 1
        let minimum = -maximum - 1
        let maxIncrement = Int64(bitPattern: UInt64(bitPattern: maximum) &- UInt64(bitPattern: value))
        let minIncrement = minimum &- value
        var sum = UInt64(bitPattern: value) &+ UInt64(bitPattern: increment)
        if bits < 64 {
            let mask = UInt64.max << bits
            if sum & (UInt64(1) << (bits - 1)) != 0 { sum |= mask } else { sum &= ~mask }
        }
        let wrapped = Int64(bitPattern: sum)
        if value > maximum || (bits != 64 && increment > maxIncrement)
            || (value >= 0 && increment > 0 && increment > maxIncrement) {
            return (true, mode == .wrap ? wrapped : maximum)
        }
        if value < minimum || (bits != 64 && increment < minIncrement)
            || (value < 0 && increment < 0 && increment < minIncrement) {
            return (true, mode == .wrap ? wrapped : minimum)
        }
        return (false, 0)
    }
}
