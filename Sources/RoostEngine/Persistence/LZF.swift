/// LZF, the compressor of Redis's RDB strings. The compressor follows Redis's `lzf_compress`
/// (liblzf 3.6) step by step (16-bit hash table, the "very fast" re-hashing after a back reference, the same
/// literal and back-reference limits and the same out-of-space checks), so that compressed RDB
/// strings are byte-identical to the ones Redis writes.
///
/// One known difference: Redis does not clear its hash table between calls (it lives, uninitialised,
/// on the stack), so an offset left by an earlier compression can, rarely, name a position of the
/// new input that a fresh table would not, and yield a different back reference. Roost always
/// starts from an empty table.
public enum LZF {
    /// 2^HLOG slots in the hash table.
    private static let hashLog = 16
    /// A literal run holds at most 32 bytes.
    private static let maxLiteral = 1 << 5
    /// A back reference reaches at most 8192 bytes back.
    private static let maxOffset = 1 << 13
    /// A back reference copies at most 264 bytes.
    private static let maxReference = (1 << 8) + (1 << 3)

    @inline(__always)
    private static func slot(_ h: UInt32) -> Int {
        Int(((h >> UInt32(24 - hashLog)) &- (h &* 5)) & UInt32((1 << hashLog) - 1))
    }

    /// Compresses `input` into at most `limit` bytes; nil when the input is empty, `limit` is 0,
    /// or the output would not fit (Redis's `lzf_compress` returning 0).
    public static func compress(_ input: [UInt8], limit: Int) -> [UInt8]? {
        let inEnd = input.count
        let outEnd = limit
        if inEnd == 0 || outEnd <= 0 { return nil }
        // LZF never writes more than about 33/32 of its input, so a huge limit needs no huge buffer.
        var output = [UInt8](repeating: 0, count: min(outEnd, inEnd * 2 + 64) + 8)
        var table = [Int](repeating: 0, count: 1 << hashLog)
        return input.withUnsafeBufferPointer { inp -> [UInt8]? in
            output.withUnsafeMutableBufferPointer { out -> [UInt8]? in
                table.withUnsafeMutableBufferPointer { htab -> [UInt8]? in
                    @inline(__always) func byte(_ i: Int) -> UInt32 { i < inEnd ? UInt32(inp[i]) : 0 }
                    var ip = 0
                    var op = 1
                    var lit = 0
                    var hval = (byte(0) << 8) | byte(1)
                    while ip < inEnd - 2 {
                        hval = (hval << 8) | UInt32(inp[ip + 2])
                        let h = slot(hval)
                        let ref = htab[h]
                        htab[h] = ip
                        let off = ip - ref - 1
                        if off >= 0 && off < maxOffset && ref > 0
                            && inp[ref] == inp[ip] && inp[ref + 1] == inp[ip + 1] && inp[ref + 2] == inp[ip + 2] {
                            var len = 2
                            let maxlen = min(inEnd - ip - len, maxReference)
                            out[op - lit - 1] = UInt8(truncatingIfNeeded: lit - 1)
                            if lit == 0 { op -= 1 }
                            if op + 3 + 1 >= outEnd { return nil }
                            var mismatched = false
                            if maxlen > 16 {
                                for _ in 0..<16 {
                                    len += 1
                                    if inp[ref + len] != inp[ip + len] { mismatched = true; break }
                                }
                            }
                            if !mismatched {
                                repeat { len += 1 } while len < maxlen && inp[ref + len] == inp[ip + len]
                            }
                            len -= 2
                            ip += 1
                            if len < 7 {
                                out[op] = UInt8(truncatingIfNeeded: (off >> 8) + (len << 5))
                                op += 1
                            } else {
                                out[op] = UInt8(truncatingIfNeeded: (off >> 8) + (7 << 5))
                                out[op + 1] = UInt8(truncatingIfNeeded: len - 7)
                                op += 2
                            }
                            out[op] = UInt8(truncatingIfNeeded: off)
                            op += 2
                            lit = 0
                            ip += len + 1
                            if ip >= inEnd - 2 { break }
                            // Hash the two positions before the new one, as Redis's VERY_FAST mode does.
                            ip -= 2
                            hval = (UInt32(inp[ip]) << 8) | UInt32(inp[ip + 1])
                            hval = (hval << 8) | UInt32(inp[ip + 2])
                            htab[slot(hval)] = ip
                            ip += 1
                            hval = (hval << 8) | UInt32(inp[ip + 2])
                            htab[slot(hval)] = ip
                            ip += 1
                        } else {
                            if op >= outEnd { return nil }
                            lit += 1
                            out[op] = inp[ip]
                            op += 1
                            ip += 1
                            if lit == maxLiteral {
                                out[op - lit - 1] = UInt8(lit - 1)
                                lit = 0
                                op += 1
                            }
                        }
                    }
                    if op + 3 > outEnd { return nil }
                    while ip < inEnd {
                        lit += 1
                        out[op] = inp[ip]
                        op += 1
                        ip += 1
                        if lit == maxLiteral {
                            out[op - lit - 1] = UInt8(lit - 1)
                            lit = 0
                            op += 1
                        }
                    }
                    out[op - lit - 1] = UInt8(truncatingIfNeeded: lit - 1)
                    if lit == 0 { op -= 1 }
                    return Array(out[0..<op])
                }
            }
        }
    }

    /// Decompresses `input` into at most `limit` bytes; nil when the stream is corrupt or its
    /// output would exceed `limit` (Redis's `lzf_decompress` failing with EINVAL or E2BIG).
    public static func decompress(_ input: ArraySlice<UInt8>, limit: Int) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(min(limit, 1 << 20))
        var ip = input.startIndex
        let inEnd = input.endIndex
        while ip < inEnd {
            var control = Int(input[ip])
            ip += 1
            if control < 32 {
                control += 1
                if output.count + control > limit { return nil }
                if ip + control > inEnd { return nil }
                output.append(contentsOf: input[ip..<(ip + control)])
                ip += control
            } else {
                var len = control >> 5
                var ref = output.count - ((control & 0x1f) << 8) - 1
                if ip >= inEnd { return nil }
                if len == 7 {
                    len += Int(input[ip])
                    ip += 1
                    if ip >= inEnd { return nil }
                }
                ref -= Int(input[ip])
                ip += 1
                if output.count + len + 2 > limit { return nil }
                if ref < 0 { return nil }
                for i in 0..<(len + 2) { output.append(output[ref + i]) }
            }
        }
        return output
    }
}
