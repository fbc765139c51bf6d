/// Redis's HyperLogLog, byte for byte: a string value whose bytes are a 16-byte header and either
/// a sparse run-length encoding or 16,384 dense 6-bit registers. Using the same layout, hash and
/// estimator means GET of a HyperLogLog key and PFCOUNT give Redis's answers for the same input.
///
/// Header: `HYLL`, the encoding byte (0 dense, 1 sparse), three zero bytes, then the cached
/// cardinality as a little-endian 64-bit integer whose top bit marks the cache stale.
///
/// Sparse opcodes: `00xxxxxx` ZERO (1…64 zero registers), `01xxxxxx yyyyyyyy` XZERO (1…16384 zero
/// registers), `1vvvvvxx` VAL (value 1…32 repeated 1…4 times).
enum HyperLogLogSketch {
    static let precision = 14
    static let registerCount = 1 << precision
    /// Bits of the hash left once the register index is taken.
    static let q = 64 - precision
    static let headerSize = 16
    static let denseSize = headerSize + (registerCount * 6 + 7) / 8
    static let dense: UInt8 = 0
    static let sparse: UInt8 = 1

    static let sparseValueMax = 32
    static let sparseValueMaxRun = 4
    static let sparseZeroMaxRun = 64
    static let sparseXZeroMaxRun = 16384

    /// An empty sketch: sparse, one XZERO covering every register, a valid cached count of 0.
    static func empty() -> [UInt8] {
        var bytes = Array("HYLL".utf8) + [sparse, 0, 0, 0] + [UInt8](repeating: 0, count: 8)
        var remaining = registerCount
        while remaining > 0 {
            let run = min(remaining, sparseXZeroMaxRun)
            appendXZero(&bytes, run)
            remaining -= run
        }
        return bytes
    }

    /// Whether `bytes` look like a HyperLogLog: magic, known encoding, exact dense size.
    static func isValid(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= headerSize, bytes[0] == 0x48, bytes[1] == 0x59, bytes[2] == 0x4c, bytes[3] == 0x4c
        else { return false }
        if bytes[4] > sparse { return false }
        return bytes[4] != dense || bytes.count == denseSize
    }

    // MARK: Cached cardinality

    static func cachedCount(_ bytes: [UInt8]) -> UInt64? {
        if bytes[15] & 0x80 != 0 { return nil }
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[8 + i]) << (8 * UInt64(i)) }
        return value
    }

    static func setCachedCount(_ bytes: inout [UInt8], _ value: UInt64) {
        for i in 0..<8 { bytes[8 + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }

    static func invalidateCache(_ bytes: inout [UInt8]) { bytes[15] |= 0x80 }

    // MARK: Hashing

    /// MurmurHash64A, as Redis uses it (little-endian reads of 8-byte blocks).
    static func murmurHash64A<C: Collection>(_ data: C, seed: UInt64) -> UInt64 where C.Element == UInt8, C.Index == Int {
        let m: UInt64 = 0xc6a4_a793_5bd1_e995
        let r: UInt64 = 47
        let length = data.count
        var h = seed ^ (UInt64(truncatingIfNeeded: length) &* m)
        let start = data.startIndex
        let blocks = length / 8
        for block in 0..<blocks {
            var k: UInt64 = 0
            let base = start + block * 8
            for i in 0..<8 { k |= UInt64(data[base + i]) << (8 * UInt64(i)) }
            k = k &* m
            k ^= k >> r
            k = k &* m
            h ^= k
            h = h &* m
        }
        let tail = start + blocks * 8
        let rest = length & 7
        if rest > 0 {
            for i in stride(from: rest - 1, through: 0, by: -1) {
                h ^= UInt64(data[tail + i]) << (8 * UInt64(i))
            }
            h = h &* m
        }
        h ^= h >> r
        h = h &* m
        h ^= h >> r
        return h
    }

    /// The register an element lands in, and the length of its run of zero bits plus one.
    static func position<C: Collection>(of element: C) -> (index: Int, count: Int) where C.Element == UInt8, C.Index == Int {
        var hash = murmurHash64A(element, seed: 0xadc8_3b19)
        let index = Int(hash & UInt64(registerCount - 1))
        hash >>= UInt64(precision)
        hash |= 1 << UInt64(q)
        return (index, hash.trailingZeroBitCount + 1)
    }

    // MARK: Dense registers

    static func denseRegister(_ bytes: [UInt8], _ index: Int) -> Int {
        let bit = index * 6
        let byte = headerSize + bit / 8
        let shift = bit & 7
        let b0 = Int(bytes[byte])
        let b1 = byte + 1 < bytes.count ? Int(bytes[byte + 1]) : 0
        return ((b0 >> shift) | (b1 << (8 - shift))) & 63
    }

    static func setDenseRegister(_ bytes: inout [UInt8], _ index: Int, _ value: Int) {
        let bit = index * 6
        let byte = headerSize + bit / 8
        let shift = bit & 7
        bytes[byte] = (bytes[byte] & ~UInt8(truncatingIfNeeded: 63 << shift)) | UInt8(truncatingIfNeeded: value << shift)
        if byte + 1 < bytes.count {
            bytes[byte + 1] = (bytes[byte + 1] & ~UInt8(truncatingIfNeeded: 63 >> (8 - shift)))
                | UInt8(truncatingIfNeeded: value >> (8 - shift))
        }
    }

    /// Raises register `index` to `count` if it is lower. Returns whether it changed.
    static func denseSet(_ bytes: inout [UInt8], _ index: Int, _ count: Int) -> Bool {
        guard count > denseRegister(bytes, index) else { return false }
        setDenseRegister(&bytes, index, count)
        return true
    }

    // MARK: Sparse opcodes

    static func appendXZero(_ bytes: inout [UInt8], _ run: Int) {
        bytes.append(UInt8((run - 1) >> 8) | 0x40)
        bytes.append(UInt8((run - 1) & 0xff))
    }

    static func zeroOpcode(_ run: Int) -> UInt8 { UInt8(run - 1) }
    static func valOpcode(_ value: Int, _ run: Int) -> UInt8 { UInt8(((value - 1) << 2) | (run - 1)) | 0x80 }

    static func isZero(_ op: UInt8) -> Bool { op & 0xc0 == 0 }
    static func isXZero(_ op: UInt8) -> Bool { op & 0xc0 == 0x40 }
    static func isVal(_ op: UInt8) -> Bool { op & 0x80 != 0 }
    static func valValue(_ op: UInt8) -> Int { Int((op >> 2) & 0x1f) + 1 }
    static func valRun(_ op: UInt8) -> Int { Int(op & 0x3) + 1 }

    /// Calls `body(value, run)` for each opcode. Returns whether the opcodes cover exactly every
    /// register; stops early (and returns false) if `body` returns false.
    @discardableResult
    static func forEachRun(_ bytes: [UInt8], _ body: (Int, Int) -> Bool) -> Bool {
        var p = headerSize
        var covered = 0
        while p < bytes.count {
            let op = bytes[p]
            let value: Int, run: Int
            if isZero(op) {
                value = 0; run = Int(op & 0x3f) + 1; p += 1
            } else if isXZero(op) {
                guard p + 1 < bytes.count else { return false }
                value = 0; run = ((Int(op & 0x3f) << 8) | Int(bytes[p + 1])) + 1; p += 2
            } else {
                value = valValue(op); run = valRun(op); p += 1
            }
            if !body(value, run) { return false }
            covered += run
        }
        return covered == registerCount
    }

    /// Rewrites a sparse sketch as dense, keeping the header (and so the cache state).
    /// Returns false for a sparse encoding that does not cover every register.
    static func sparseToDense(_ bytes: inout [UInt8]) -> Bool {
        guard bytes[4] == sparse else { return true }
        var out = Array(bytes[0..<headerSize]) + [UInt8](repeating: 0, count: denseSize - headerSize)
        out[4] = dense
        var index = 0
        let complete = forEachRun(bytes) { value, run in
            guard index + run <= registerCount else { return false }
            if value != 0 {
                for i in index..<(index + run) { setDenseRegister(&out, i, value) }
            }
            index += run
            return true
        }
        guard complete else { return false }
        bytes = out
        return true
    }

    /// Raises register `index` to `count` in a sparse sketch, splitting the opcode that covers it
    /// and merging equal neighbours afterwards, as Redis does, or converting to dense when the
    /// value does not fit a VAL opcode or the sketch would outgrow `sparseMaxBytes`.
    /// Returns 1 when a register changed, 0 when not, -1 for a corrupt sketch.
    static func sparseSet(_ bytes: inout [UInt8], _ index: Int, _ count: Int, sparseMaxBytes: Int) -> Int {
        if count > sparseValueMax { return promote(&bytes, index, count) }
        // Find the opcode covering `index`.
        var p = headerSize
        var first = 0
        var previous: Int?
        var span = 0
        while p < bytes.count {
            let op = bytes[p]
            var length = 1
            if isZero(op) {
                span = Int(op & 0x3f) + 1
            } else if isVal(op) {
                span = valRun(op)
            } else {
                guard p + 1 < bytes.count else { return -1 }
                span = ((Int(op & 0x3f) << 8) | Int(bytes[p + 1])) + 1
                length = 2
            }
            if index <= first + span - 1 { break }
            previous = p
            p += length
            first += span
        }
        if span == 0 || p >= bytes.count { return -1 }
        let op = bytes[p]
        let wasXZero = isXZero(op)
        let wasZero = isZero(op)
        let run = wasZero ? Int(op & 0x3f) + 1 : wasXZero ? span : valRun(op)

        var replaced = false
        if isVal(op) {
            if valValue(op) >= count { return 0 }
            if run == 1 {
                bytes[p] = valOpcode(count, 1)
                replaced = true
            }
        }
        if !replaced && wasZero && run == 1 {
            bytes[p] = valOpcode(count, 1)
            replaced = true
        }
        if !replaced {
            // Split into up to three opcodes: before, the new value, after.
            var sequence: [UInt8] = []
            let last = first + span - 1
            func zeros(_ length: Int) {
                if length > sparseZeroMaxRun {
                    sequence.append(UInt8((length - 1) >> 8) | 0x40)
                    sequence.append(UInt8((length - 1) & 0xff))
                } else {
                    sequence.append(zeroOpcode(length))
                }
            }
            if wasZero || wasXZero {
                if index != first { zeros(index - first) }
                sequence.append(valOpcode(count, 1))
                if index != last { zeros(last - index) }
            } else {
                let current = valValue(op)
                if index != first { sequence.append(valOpcode(current, index - first)) }
                sequence.append(valOpcode(count, 1))
                if index != last { sequence.append(valOpcode(current, last - index)) }
            }
            let oldLength = wasXZero ? 2 : 1
            let delta = sequence.count - oldLength
            if delta > 0 && bytes.count + delta > sparseMaxBytes { return promote(&bytes, index, count) }
            bytes.replaceSubrange(p..<(p + oldLength), with: sequence)
        }
        // Merge adjacent VAL opcodes of the same value, scanning up to five opcodes from the one
        // before the change.
        var q = previous ?? headerSize
        var scans = 5
        while q < bytes.count && scans > 0 {
            scans -= 1
            let op = bytes[q]
            if isXZero(op) { q += 2; continue }
            if isZero(op) { q += 1; continue }
            if q + 1 < bytes.count && isVal(bytes[q + 1]) {
                let next = bytes[q + 1]
                if valValue(op) == valValue(next) {
                    let length = valRun(op) + valRun(next)
                    if length <= sparseValueMaxRun {
                        bytes[q + 1] = valOpcode(valValue(op), length)
                        bytes.remove(at: q)
                        continue
                    }
                }
            }
            q += 1
        }
        invalidateCache(&bytes)
        return 1
    }

    private static func promote(_ bytes: inout [UInt8], _ index: Int, _ count: Int) -> Int {
        guard sparseToDense(&bytes) else { return -1 }
        // A promotion happens only because a register must grow, so this always changes it.
        _ = denseSet(&bytes, index, count)
        return 1
    }

    /// Adds one element. Returns 1 when a register changed, 0 when not, -1 for a corrupt sketch.
    static func add<C: Collection>(_ bytes: inout [UInt8], _ element: C, sparseMaxBytes: Int) -> Int
    where C.Element == UInt8, C.Index == Int {
        let (index, count) = position(of: element)
        if bytes[4] == dense { return denseSet(&bytes, index, count) ? 1 : 0 }
        return sparseSet(&bytes, index, count, sparseMaxBytes: sparseMaxBytes)
    }

    // MARK: Counting and merging

    /// Raises each of `registers` (one byte per register) to the sketch's value.
    /// Returns false for a corrupt sparse sketch.
    static func merge(_ bytes: [UInt8], into registers: inout [UInt8]) -> Bool {
        if bytes[4] == dense {
            for i in 0..<registerCount {
                let v = UInt8(denseRegister(bytes, i))
                if v > registers[i] { registers[i] = v }
            }
            return true
        }
        var index = 0
        let complete = forEachRun(bytes) { value, run in
            if value == 0 {
                index += run
                return true
            }
            guard index + run <= registerCount else { return false }
            for i in index..<(index + run) where UInt8(value) > registers[i] { registers[i] = UInt8(value) }
            index += run
            return true
        }
        return complete
    }

    /// The histogram of register values of a sketch, or nil for a corrupt sparse sketch.
    static func histogram(_ bytes: [UInt8]) -> [Int]? {
        var histogram = [Int](repeating: 0, count: 64)
        if bytes[4] == dense {
            for i in 0..<registerCount { histogram[denseRegister(bytes, i)] += 1 }
            return histogram
        }
        let complete = forEachRun(bytes) { value, run in
            histogram[value] += run
            return true
        }
        return complete ? histogram : nil
    }

    /// The histogram of one-byte-per-register values.
    static func histogram(registers: [UInt8]) -> [Int] {
        var histogram = [Int](repeating: 0, count: 64)
        for r in registers { histogram[Int(r & 63)] += 1 }
        return histogram
    }

    /// The cardinality estimate from a register histogram, with Ertl's improved estimator
    /// ("New cardinality estimation algorithms for HyperLogLog sketches", 2017) as Redis uses it.
    static func estimate(_ histogram: [Int]) -> UInt64 {
        let m = Double(registerCount)
        var z = m * tau((m - Double(histogram[q + 1])) / m)
        for j in stride(from: q, through: 1, by: -1) {
            z += Double(histogram[j])
            z *= 0.5
        }
        z += m * sigma(Double(histogram[0]) / m)
        let alphaInfinity = 0.721347520444481703680
        let e = (alphaInfinity * m * m / z).rounded(.toNearestOrAwayFromZero)
        return UInt64(e)
    }

    static func sigma(_ start: Double) -> Double {
        if start == 1 { return .infinity }
        var x = start, y = 1.0, z = start, previous = 0.0
        repeat {
            x *= x
            previous = z
            z += x * y
            y += y
        } while previous != z
        return z
    }

    static func tau(_ start: Double) -> Double {
        if start == 0 || start == 1 { return 0 }
        var x = start, y = 1.0, z = 1 - start, previous = 0.0
        repeat {
            x = x.squareRoot()
            previous = z
            y *= 0.5
            let d = 1 - x
            z -= d * d * y
        } while previous != z
        return z / 3
    }
}
