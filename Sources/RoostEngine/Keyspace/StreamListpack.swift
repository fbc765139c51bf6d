import RoostRESP

/// Reading and editing the listpacks a stream's nodes are made of, in Redis's own byte format
/// (`listpack.c`), so that a node is what Redis keeps in memory and writes to RDB files.
enum StreamListpack {
    /// One decoded element: an integer, or the byte range of a string inside the listpack.
    enum Element {
        case int(Int64)
        case string(Range<Int>)
    }

    /// The header (total bytes, element count) and the end byte of an empty listpack.
    static let empty: [UInt8] = [7, 0, 0, 0, 0, 0, 0xFF]

    /// The element at `p` and the offset of the next one. `lp` must be well formed.
    @inline(__always)
    static func element(_ lp: [UInt8], at p: Int) -> (Element, next: Int) {
        let b = lp[p]
        let value: Element
        let size: Int
        if b & 0x80 == 0 {
            value = .int(Int64(b))
            size = 1
        } else if b & 0xC0 == 0x80 {
            let n = Int(b & 0x3F)
            value = .string((p + 1)..<(p + 1 + n))
            size = 1 + n
        } else if b & 0xE0 == 0xC0 {
            let u = UInt64(b & 0x1F) << 8 | UInt64(lp[p + 1])
            value = .int(RDBBlobs.signExtend(u, bits: 13))
            size = 2
        } else if b & 0xF0 == 0xE0 {
            let n = Int(b & 0x0F) << 8 | Int(lp[p + 1])
            value = .string((p + 2)..<(p + 2 + n))
            size = 2 + n
        } else {
            switch b {
            case 0xF0:
                let n = Int(RDBBlobs.littleEndian(lp, p + 1, 4))
                value = .string((p + 5)..<(p + 5 + n))
                size = 5 + n
            case 0xF1:
                value = .int(RDBBlobs.signExtend(RDBBlobs.littleEndian(lp, p + 1, 2), bits: 16))
                size = 3
            case 0xF2:
                value = .int(RDBBlobs.signExtend(RDBBlobs.littleEndian(lp, p + 1, 3), bits: 24))
                size = 4
            case 0xF3:
                value = .int(RDBBlobs.signExtend(RDBBlobs.littleEndian(lp, p + 1, 4), bits: 32))
                size = 5
            default:
                value = .int(Int64(bitPattern: RDBBlobs.littleEndian(lp, p + 1, 8)))
                size = 9
            }
        }
        return (value, p + size + backlenSize(size))
    }

    /// The integer at `p` (a stream's counters, flags and deltas are always integers).
    @inline(__always)
    static func integer(_ lp: [UInt8], at p: Int) -> (Int64, next: Int) {
        let (e, next) = element(lp, at: p)
        switch e {
        case .int(let v): return (v, next)
        case .string(let r): return (RedisInteger.parse(lp[r]) ?? 0, next)
        }
    }

    /// The bytes of the element at `p`, integers as decimal text.
    static func bytes(_ lp: [UInt8], _ e: Element) -> [UInt8] {
        switch e {
        case .int(let v): return RedisIntegerBridge.bytes(v)
        case .string(let r): return Array(lp[r])
        }
    }

    /// Whether element `e` of `lp` equals `other`'s bytes.
    static func equals(_ lp: [UInt8], _ e: Element, _ other: [UInt8]) -> Bool {
        switch e {
        case .int(let v):
            return other.count <= 20 && RedisInteger.parse(other) == v
        case .string(let r):
            return r.count == other.count && lp[r].elementsEqual(other)
        }
    }

    /// The offset of the element that ends just before `p`, read from its back-length (Redis's
    /// `lpPrev`). `p` must not be the first element's offset.
    @inline(__always)
    static func previous(_ lp: [UInt8], before p: Int) -> Int {
        var q = p - 1
        var size = 0
        var shift = 0
        while true {
            let b = Int(lp[q])
            size |= (b & 127) << shift
            if b & 128 == 0 { break }
            shift += 7
            q -= 1
        }
        return p - size - backlenSize(size)
    }

    @inline(__always)
    static func backlenSize(_ size: Int) -> Int {
        size < 128 ? 1 : size < 16384 ? 2 : size < 2_097_152 ? 3 : size < 268_435_456 ? 4 : 5
    }

    /// The encoded bytes of an integer element.
    static func encoded(_ v: Int64) -> [UInt8] {
        var out: [UInt8] = []
        appendInteger(v, to: &out)
        return out
    }

    /// Appends an integer element (Redis's `lpAppendInteger`).
    @inline(__always)
    static func appendInteger(_ v: Int64, to out: inout [UInt8]) {
        if v >= 0 && v <= 127 {
            out.append(UInt8(v))
            out.append(1)
            return
        }
        let start = out.count
        if v >= -4096 && v <= 4095 {
            let u = UInt16(bitPattern: Int16(v)) & 0x1fff
            out.append(0xC0 | UInt8(u >> 8))
            out.append(UInt8(u & 0xff))
        } else if v >= Int64(Int16.min) && v <= Int64(Int16.max) {
            out.append(0xF1)
            RDBBlobs.appendLittleEndian(UInt64(bitPattern: v), bytes: 2, to: &out)
        } else if v >= -(1 << 23) && v < (1 << 23) {
            out.append(0xF2)
            RDBBlobs.appendLittleEndian(UInt64(bitPattern: v), bytes: 3, to: &out)
        } else if v >= Int64(Int32.min) && v <= Int64(Int32.max) {
            out.append(0xF3)
            RDBBlobs.appendLittleEndian(UInt64(bitPattern: v), bytes: 4, to: &out)
        } else {
            out.append(0xF4)
            RDBBlobs.appendLittleEndian(UInt64(bitPattern: v), bytes: 8, to: &out)
        }
        RDBBlobs.appendBacklen(out.count - start, to: &out)
    }

    /// Appends elements before the end byte of `lp` and updates its header.
    static func append(_ lp: inout [UInt8], elements: [UInt8], count: Int) {
        lp.removeLast()
        lp.append(contentsOf: elements)
        lp.append(0xFF)
        setHeader(&lp, addingElements: count)
    }

    /// Replaces the integer at `p` (whose encoding may change size) and fixes the header.
    static func replaceInteger(_ lp: inout [UInt8], at p: Int, with v: Int64) {
        let (_, next) = element(lp, at: p)
        let new = encoded(v)
        if new.count == next - p {
            for i in 0..<new.count { lp[p + i] = new[i] }
        } else {
            lp.replaceSubrange(p..<next, with: new)
            setHeader(&lp, addingElements: 0)
        }
    }

    /// Writes the total size, and the element count plus `added` (65535 once it does not fit).
    static func setHeader(_ lp: inout [UInt8], addingElements added: Int) {
        let total = UInt32(lp.count)
        for i in 0..<4 { lp[i] = UInt8(truncatingIfNeeded: total >> UInt32(i * 8)) }
        let old = Int(lp[4]) | Int(lp[5]) << 8
        if old == 65535 { return }
        let count = old + added
        let stored = count < 65535 ? count : 65535
        lp[4] = UInt8(stored & 0xff)
        lp[5] = UInt8(stored >> 8)
    }
}
