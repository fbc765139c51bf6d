import NIOCore

/// Integer parsing and formatting with exactly the rules Redis applies (`string2ll`, `ll2string`).
public enum RedisInteger {
    /// Parses a signed 64-bit integer the way Redis's `string2ll` does: an optional `-`, no `+`,
    /// no leading zeros, no spaces, at most 20 characters, and no overflow. Returns `nil` otherwise.
    @inlinable
    public static func parse<C: Collection>(_ bytes: C) -> Int64? where C.Element == UInt8 {
        let count = bytes.count
        if count == 0 || count >= 21 { return nil }
        var index = bytes.startIndex
        if count == 1 && bytes[index] == UInt8(ascii: "0") { return 0 }
        var negative = false
        if bytes[index] == UInt8(ascii: "-") {
            negative = true
            index = bytes.index(after: index)
            if index == bytes.endIndex { return nil }
        }
        let first = bytes[index]
        guard first >= UInt8(ascii: "1") && first <= UInt8(ascii: "9") else { return nil }
        var value = UInt64(first - UInt8(ascii: "0"))
        index = bytes.index(after: index)
        while index != bytes.endIndex {
            let c = bytes[index]
            guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            if o1 { return nil }
            let (s, o2) = m.addingReportingOverflow(UInt64(c - UInt8(ascii: "0")))
            if o2 { return nil }
            value = s
            index = bytes.index(after: index)
        }
        if negative {
            if value > UInt64(Int64.max) + 1 { return nil }
            return value == UInt64(Int64.max) + 1 ? Int64.min : -Int64(value)
        }
        if value > UInt64(Int64.max) { return nil }
        return Int64(value)
    }

    /// Parses a readable slice of a buffer with `parse(_:)`'s rules.
    @inlinable
    public static func parse(_ buffer: ByteBuffer) -> Int64? {
        buffer.withUnsafeReadableBytes { parse($0) }
    }

    /// The decimal digits of `value`, as bytes.
    public static func bytes(_ value: Int64) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(20)
        appendDigits(value, to: &out)
        return out
    }

    /// Appends the decimal digits of `value` to `out`.
    @inlinable
    public static func appendDigits(_ value: Int64, to out: inout [UInt8]) {
        var magnitude = value.magnitude
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &tmp) { raw in
            var i = 24
            repeat {
                i -= 1
                raw[i] = UInt8(truncatingIfNeeded: magnitude % 10) &+ UInt8(ascii: "0")
                magnitude /= 10
            } while magnitude != 0
            out.append(contentsOf: raw[i..<24])
        }
    }
}

extension ByteBuffer {
    /// Writes the decimal digits of `value` without going through `String`.
    @inlinable
    @discardableResult
    public mutating func writeDecimal(_ value: Int64) -> Int {
        if value >= 0 && value < 10 {
            return writeInteger(UInt8(value) &+ UInt8(ascii: "0"))
        }
        var magnitude = value.magnitude
        var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &tmp) { raw in
            var i = 24
            repeat {
                i -= 1
                raw[i] = UInt8(truncatingIfNeeded: magnitude % 10) &+ UInt8(ascii: "0")
                magnitude /= 10
            } while magnitude != 0
            if value < 0 {
                i -= 1
                raw[i] = UInt8(ascii: "-")
            }
            return writeBytes(UnsafeRawBufferPointer(rebasing: raw[i..<24]))
        }
    }
}
