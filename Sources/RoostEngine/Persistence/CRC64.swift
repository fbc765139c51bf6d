/// The CRC-64 of Redis's RDB files and DUMP payloads: the Jones polynomial
/// (0xad93d23594c935a9), reflected input and output, initial value 0, no final xor.
/// `checksum("123456789")` is 0xe9c6d914c4b8d9ca.
public enum CRC64 {
    /// The polynomial with its bits reversed, for the reflected (LSB-first) algorithm.
    private static let reflectedPolynomial: UInt64 = {
        let poly: UInt64 = 0xad93_d235_94c9_35a9
        var r: UInt64 = 0
        for i in 0..<64 where poly & (1 << UInt64(i)) != 0 { r |= 1 << UInt64(63 - i) }
        return r
    }()

    /// One entry per byte value: the CRC of that byte alone.
    private static let table: [UInt64] = (0..<256).map { (n: Int) -> UInt64 in
        var c = UInt64(n)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ reflectedPolynomial : c >> 1 }
        return c
    }

    /// The CRC of `bytes`, continuing from `crc` (0 to start).
    public static func checksum<C: Collection>(_ bytes: C, continuing crc: UInt64 = 0) -> UInt64
    where C.Element == UInt8 {
        var c = crc
        let t = table
        for b in bytes { c = t[Int(UInt8(truncatingIfNeeded: c) ^ b)] ^ (c >> 8) }
        return c
    }
}
