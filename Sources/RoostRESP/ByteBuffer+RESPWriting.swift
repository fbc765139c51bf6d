import NIOCore

/// Low-level RESP framing written straight into a `ByteBuffer`. These know nothing about the
/// protocol version; version-dependent shapes (null, map, double…) live with the caller.
extension ByteBuffer {
    @usableFromInline static let crlf: StaticString = "\r\n"

    /// `+text\r\n`
    @inlinable
    public mutating func writeRESPSimpleString(_ text: StaticString) {
        writeInteger(UInt8(ascii: "+"))
        writeStaticString(text)
        writeStaticString("\r\n")
    }

    /// `+text\r\n` from bytes. The caller guarantees there is no CR or LF in `bytes`.
    @inlinable
    public mutating func writeRESPSimpleString<Bytes: Sequence>(bytes: Bytes) where Bytes.Element == UInt8 {
        writeInteger(UInt8(ascii: "+"))
        writeBytes(bytes)
        writeStaticString("\r\n")
    }

    /// `-text\r\n`; `text` carries its own code (`ERR`, `WRONGTYPE`…).
    @inlinable
    public mutating func writeRESPError<Bytes: Sequence>(bytes: Bytes) where Bytes.Element == UInt8 {
        writeInteger(UInt8(ascii: "-"))
        writeBytes(bytes)
        writeStaticString("\r\n")
    }

    /// `:n\r\n`
    @inlinable
    public mutating func writeRESPInteger(_ value: Int64) {
        writeInteger(UInt8(ascii: ":"))
        writeDecimal(value)
        writeStaticString("\r\n")
    }

    /// `<prefix>n\r\n`, the header of an aggregate or of a bulk string.
    @inlinable
    public mutating func writeRESPHeader(_ prefix: UInt8, _ count: Int) {
        writeInteger(prefix)
        writeDecimal(Int64(count))
        writeStaticString("\r\n")
    }

    /// `$len\r\nbytes\r\n`, framed and copied in one write (the hot path of every GET).
    @inlinable
    public mutating func writeRESPBulk(_ bytes: UnsafeRawBufferPointer) {
        let count = bytes.count
        var digits = 1
        var rest = count
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        writeWithUnsafeMutableBytes(minimumWritableBytes: count + digits + 5) { out in
            out[0] = UInt8(ascii: "$")
            var value = count
            var i = digits
            repeat {
                out[i] = UInt8(truncatingIfNeeded: value % 10) &+ UInt8(ascii: "0")
                value /= 10
                i -= 1
            } while i > 0
            out[digits + 1] = 13
            out[digits + 2] = 10
            let start = digits + 3
            if count > 0 {
                UnsafeMutableRawBufferPointer(rebasing: out[start..<(start + count)]).copyMemory(from: bytes)
            }
            out[start + count] = 13
            out[start + count + 1] = 10
            return start + count + 2
        }
    }

    /// `$len\r\nbytes\r\n`
    @inlinable
    public mutating func writeRESPBulk(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { writeRESPBulk($0) }
    }

    /// `$len\r\nbytes\r\n` from the readable bytes of another buffer.
    @inlinable
    public mutating func writeRESPBulk(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { writeRESPBulk($0) }
    }

    /// `$len\r\ntext\r\n`
    @inlinable
    public mutating func writeRESPBulk(_ text: StaticString) {
        writeRESPHeader(UInt8(ascii: "$"), text.utf8CodeUnitCount)
        writeStaticString(text)
        writeStaticString("\r\n")
    }

    /// `$len\r\ntext\r\n` from a `String` (for cold paths such as INFO and COMMAND DOCS).
    @inlinable
    public mutating func writeRESPBulk(string: String) {
        writeRESPHeader(UInt8(ascii: "$"), string.utf8.count)
        writeString(string)
        writeStaticString("\r\n")
    }
}
