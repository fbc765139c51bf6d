import RoostRESP

/// The compact blobs RDB files embed as strings: listpacks (Redis 7), ziplists (Redis 3.2–6.2)
/// and intsets. Encoders write what Redis writes; decoders check every length against the blob
/// and return nil for a malformed one.
enum RDBBlobs {
    // MARK: Listpack

    /// A listpack of `elements`, each stored as an integer when it is the canonical text of one
    /// (Redis's `lpStringToInt64`), else as a string.
    static func listpack(_ elements: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = [0, 0, 0, 0, 0, 0]
        for element in elements { appendListpackEntry(element, to: &out) }
        out.append(0xFF)
        let total = UInt32(out.count)
        for i in 0..<4 { out[i] = UInt8(truncatingIfNeeded: total >> UInt32(i * 8)) }
        let count = elements.count < 65535 ? UInt16(elements.count) : 65535
        out[4] = UInt8(count & 0xff)
        out[5] = UInt8(count >> 8)
        return out
    }

    /// The bytes one entry takes in a listpack (encoding, data and back-length).
    static func listpackEntrySize(_ element: [UInt8]) -> Int {
        var scratch: [UInt8] = []
        appendListpackEntry(element, to: &scratch)
        return scratch.count
    }

    static func appendListpackEntry(_ element: [UInt8], to out: inout [UInt8]) {
        let start = out.count
        if element.count <= 20, let v = RedisInteger.parse(element) {
            if v >= 0 && v <= 127 {
                out.append(UInt8(v))
            } else if v >= -4096 && v <= 4095 {
                let u = UInt16(bitPattern: Int16(v)) & 0x1fff
                out.append(0xC0 | UInt8(u >> 8))
                out.append(UInt8(u & 0xff))
            } else if v >= Int64(Int16.min) && v <= Int64(Int16.max) {
                out.append(0xF1)
                appendLittleEndian(UInt64(bitPattern: v), bytes: 2, to: &out)
            } else if v >= -(1 << 23) && v < (1 << 23) {
                out.append(0xF2)
                appendLittleEndian(UInt64(bitPattern: v), bytes: 3, to: &out)
            } else if v >= Int64(Int32.min) && v <= Int64(Int32.max) {
                out.append(0xF3)
                appendLittleEndian(UInt64(bitPattern: v), bytes: 4, to: &out)
            } else {
                out.append(0xF4)
                appendLittleEndian(UInt64(bitPattern: v), bytes: 8, to: &out)
            }
        } else if element.count < 64 {
            out.append(0x80 | UInt8(element.count))
            out.append(contentsOf: element)
        } else if element.count < 4096 {
            out.append(0xE0 | UInt8(element.count >> 8))
            out.append(UInt8(element.count & 0xff))
            out.append(contentsOf: element)
        } else {
            out.append(0xF0)
            appendLittleEndian(UInt64(element.count), bytes: 4, to: &out)
            out.append(contentsOf: element)
        }
        appendBacklen(out.count - start, to: &out)
    }

    /// The back-length (`lpEncodeBacklen`) of an entry of `size` bytes: 7 bits a byte, most
    /// significant first; every byte but the first has its top bit set.
    static func appendBacklen(_ size: Int, to out: inout [UInt8]) {
        var length = size
        var groups: [UInt8] = []
        repeat {
            groups.append(UInt8(length & 127))
            length >>= 7
        } while length > 0
        for (i, g) in groups.reversed().enumerated() { out.append(i == 0 ? g : g | 128) }
    }

    static func appendLittleEndian(_ v: UInt64, bytes: Int, to out: inout [UInt8]) {
        for i in 0..<bytes { out.append(UInt8(truncatingIfNeeded: v >> UInt64(i * 8))) }
    }

    static func littleEndian(_ b: [UInt8], _ at: Int, _ count: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in (0..<count).reversed() { v = v << 8 | UInt64(b[at + i]) }
        return v
    }

    static func signExtend(_ v: UInt64, bits: Int) -> Int64 {
        let shift = UInt64(64 - bits)
        return Int64(bitPattern: v << shift) >> Int64(shift)
    }

    /// The elements of a listpack, integers given back as their decimal text.
    static func listpackElements(_ b: [UInt8]) -> [[UInt8]]? {
        guard b.count >= 7, Int(littleEndian(b, 0, 4)) == b.count, b[b.count - 1] == 0xFF else { return nil }
        var p = 6
        var out: [[UInt8]] = []
        let end = b.count - 1
        while p < end {
            let start = p
            let e = b[p]
            func need(_ n: Int) -> Bool { n >= 0 && n <= end - p }
            if e & 0x80 == 0 {
                out.append(RedisInteger.bytes(Int64(e)))
                p += 1
            } else if e & 0xC0 == 0x80 {
                let n = Int(e & 0x3f)
                guard need(1 + n) else { return nil }
                out.append(Array(b[(p + 1)..<(p + 1 + n)]))
                p += 1 + n
            } else if e & 0xE0 == 0xC0 {
                guard need(2) else { return nil }
                out.append(RedisInteger.bytes(signExtend(UInt64(e & 0x1f) << 8 | UInt64(b[p + 1]), bits: 13)))
                p += 2
            } else if e & 0xF0 == 0xE0 {
                guard need(2) else { return nil }
                let n = Int(e & 0x0f) << 8 | Int(b[p + 1])
                guard need(2 + n) else { return nil }
                out.append(Array(b[(p + 2)..<(p + 2 + n)]))
                p += 2 + n
            } else {
                let widths: [UInt8: Int] = [0xF1: 2, 0xF2: 3, 0xF3: 4, 0xF4: 8]
                if e == 0xF0 {
                    guard need(5) else { return nil }
                    let n = littleEndian(b, p + 1, 4)
                    guard n <= UInt64(end - p - 5) else { return nil }
                    out.append(Array(b[(p + 5)..<(p + 5 + Int(n))]))
                    p += 5 + Int(n)
                } else if let w = widths[e] {
                    guard need(1 + w) else { return nil }
                    out.append(RedisInteger.bytes(signExtend(littleEndian(b, p + 1, w), bits: w * 8)))
                    p += 1 + w
                } else {
                    return nil
                }
            }
            // The back-length must name the entry's size.
            let size = p - start
            var expected: [UInt8] = []
            appendBacklen(size, to: &expected)
            guard expected.count <= end - p, Array(b[p..<(p + expected.count)]) == expected else { return nil }
            p += expected.count
        }
        let declared = Int(littleEndian(b, 4, 2))
        guard declared == 65535 || declared == out.count else { return nil }
        return out
    }

    // MARK: Ziplist

    /// The elements of a ziplist (RDB types 10, 12, 13 and quicklist version 1 nodes).
    static func ziplistElements(_ b: [UInt8]) -> [[UInt8]]? {
        guard b.count >= 11, Int(littleEndian(b, 0, 4)) == b.count, b[b.count - 1] == 0xFF else { return nil }
        var p = 10
        let end = b.count - 1
        var out: [[UInt8]] = []
        while p < end {
            // prevlen
            if b[p] == 0xFE { p += 5 } else { p += 1 }
            guard p < end else { return nil }
            let e = b[p]
            func need(_ n: Int) -> Bool { n >= 0 && n <= end - p }
            switch e >> 6 {
            case 0:
                let n = Int(e & 0x3f)
                guard need(1 + n) else { return nil }
                out.append(Array(b[(p + 1)..<(p + 1 + n)]))
                p += 1 + n
            case 1:
                guard need(2) else { return nil }
                let n = Int(e & 0x3f) << 8 | Int(b[p + 1])
                guard need(2 + n) else { return nil }
                out.append(Array(b[(p + 2)..<(p + 2 + n)]))
                p += 2 + n
            case 2:
                guard need(5) else { return nil }
                let n = Int(b[p + 1]) << 24 | Int(b[p + 2]) << 16 | Int(b[p + 3]) << 8 | Int(b[p + 4])
                guard need(5 + n) else { return nil }
                out.append(Array(b[(p + 5)..<(p + 5 + n)]))
                p += 5 + n
            default:
                let width: Int
                switch e {
                case 0xC0: width = 2
                case 0xD0: width = 4
                case 0xE0: width = 8
                case 0xF0: width = 3
                case 0xFE: width = 1
                default:
                    guard e >= 0xF1 && e <= 0xFD else { return nil }
                    out.append(RedisInteger.bytes(Int64(e & 0x0f) - 1))
                    p += 1
                    continue
                }
                guard need(1 + width) else { return nil }
                out.append(RedisInteger.bytes(signExtend(littleEndian(b, p + 1, width), bits: width * 8)))
                p += 1 + width
            }
        }
        return out
    }

    // MARK: Intset

    /// An intset blob: encoding width, count, then the sorted integers, all little-endian.
    static func intset(_ values: [Int64]) -> [UInt8] {
        var width = 2
        for v in values {
            if v < Int64(Int32.min) || v > Int64(Int32.max) { width = 8; break }
            if v < Int64(Int16.min) || v > Int64(Int16.max) { width = 4 }
        }
        var out: [UInt8] = []
        appendLittleEndian(UInt64(width), bytes: 4, to: &out)
        appendLittleEndian(UInt64(values.count), bytes: 4, to: &out)
        for v in values { appendLittleEndian(UInt64(bitPattern: v), bytes: width, to: &out) }
        return out
    }

    /// The integers of an intset blob, checked to be strictly ascending as Redis's
    /// `intsetValidateIntegrity` requires.
    static func intsetValues(_ b: [UInt8]) -> [Int64]? {
        guard b.count >= 8 else { return nil }
        let width = Int(littleEndian(b, 0, 4))
        guard width == 2 || width == 4 || width == 8 else { return nil }
        let count = littleEndian(b, 4, 4)
        guard count > 0, UInt64(b.count - 8) == count * UInt64(width) else { return nil }
        var out: [Int64] = []
        var previous: Int64?
        for i in 0..<Int(count) {
            let v = signExtend(littleEndian(b, 8 + i * width, width), bits: width * 8)
            if let previous, v <= previous { return nil }
            previous = v
            out.append(v)
        }
        return out
    }
}
