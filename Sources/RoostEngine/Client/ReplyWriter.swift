import NIOCore
import RoostRESP

/// Writes one client's replies straight into its output buffer, in the shape its protocol
/// version (RESP2 or RESP3) calls for.
public final class ReplyWriter {
    /// Bytes waiting to be sent to the client.
    @exclusivity(unchecked) public var buffer: ByteBuffer
    /// 2 or 3, as chosen by HELLO.
    @exclusivity(unchecked) public var protocolVersion: Int

    init(allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        buffer = allocator.buffer(capacity: 256)
        protocolVersion = 2
    }

    /// Hands over what has been written and starts an empty buffer.
    public func take() -> ByteBuffer {
        let out = buffer
        buffer = ByteBufferAllocator().buffer(capacity: 256)
        return out
    }

    public var isResp3: Bool { protocolVersion == 3 }

    /// Reply bytes written and not yet taken for the socket.
    public var bufferedBytes: Int { buffer.readableBytes }

    /// A finished scan with nothing in it: cursor `0` and no elements (SSCAN, HSCAN and ZSCAN
    /// of a missing key, Redis's `shared.emptyscan`).
    public func emptyScan() {
        arrayHeader(2)
        bulk("0")
        arrayHeader(0)
    }

    public func ok() { buffer.writeStaticString("+OK\r\n") }
    public func status(_ text: StaticString) { buffer.writeRESPSimpleString(text) }
    public func status(_ text: String) { buffer.writeRESPSimpleString(bytes: text.utf8) }
    public func error(_ error: RedisError) { buffer.writeRESPError(bytes: error.bytes) }
    public func integer(_ value: Int64) { buffer.writeRESPInteger(value) }
    public func integer(_ value: Int) { buffer.writeRESPInteger(Int64(value)) }
    public func bulk(_ bytes: [UInt8]) { buffer.writeRESPBulk(bytes) }
    public func bulk(_ bytes: ByteString) { bytes.withUnsafeBytes { buffer.writeRESPBulk($0) } }
    public func bulk(_ slice: ByteBuffer) { buffer.writeRESPBulk(slice) }
    public func bulk(_ text: StaticString) { buffer.writeRESPBulk(text) }
    public func bulk(string: String) { buffer.writeRESPBulk(string: string) }
    /// A bulk string holding the decimal form of `value`.
    public func bulk(decimal value: Int64) {
        let digits = RedisInteger.bytes(value)
        buffer.writeRESPBulk(digits)
    }

    /// The string value, written as Redis writes a string object.
    public func bulk(_ value: StringValue) {
        switch value {
        case .int(let i): bulk(decimal: i)
        case .short, .embstr, .raw: value.withUnsafeBytes { buffer.writeRESPBulk($0) }
        }
    }

    /// RESP2 `$-1`, RESP3 `_`.
    public func nullBulk() {
        buffer.writeStaticString(isResp3 ? "_\r\n" : "$-1\r\n")
    }

    /// RESP2 `*-1`, RESP3 `_`.
    public func nullArray() {
        buffer.writeStaticString(isResp3 ? "_\r\n" : "*-1\r\n")
    }

    public func arrayHeader(_ count: Int) { buffer.writeRESPHeader(UInt8(ascii: "*"), count) }

    /// A map of `count` pairs: `%` in RESP3, a flat array of twice the length in RESP2.
    public func mapHeader(_ count: Int) {
        if isResp3 { buffer.writeRESPHeader(UInt8(ascii: "%"), count) } else { arrayHeader(count * 2) }
    }

    /// A set: `~` in RESP3, an array in RESP2.
    public func setHeader(_ count: Int) {
        buffer.writeRESPHeader(isResp3 ? UInt8(ascii: "~") : UInt8(ascii: "*"), count)
    }

    /// A push message: `>` in RESP3, an array in RESP2.
    public func pushHeader(_ count: Int) {
        buffer.writeRESPHeader(isResp3 ? UInt8(ascii: ">") : UInt8(ascii: "*"), count)
    }

    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    public func boolean(_ value: Bool) {
        if isResp3 { buffer.writeStaticString(value ? "#t\r\n" : "#f\r\n") } else { integer(value ? 1 : 0) }
    }

    /// A double as Redis's `addReplyDouble` writes it: `%.17g`, and `inf`/`-inf`.
    public func double(_ value: Double) {
        let text: String
        if value.isInfinite { text = value > 0 ? "inf" : "-inf" } else { text = DoubleFormat.g17(value) }
        if isResp3 {
            buffer.writeInteger(UInt8(ascii: ","))
            buffer.writeString(text)
            buffer.writeStaticString("\r\n")
        } else {
            buffer.writeRESPBulk(string: text)
        }
    }

    /// A verbatim string (`=`) in RESP3, a bulk string in RESP2.
    public func verbatim(_ text: String, format: StaticString = "txt") {
        if isResp3 {
            buffer.writeRESPHeader(UInt8(ascii: "="), text.utf8.count + 4)
            buffer.writeStaticString(format)
            buffer.writeInteger(UInt8(ascii: ":"))
            buffer.writeString(text)
            buffer.writeStaticString("\r\n")
        } else {
            bulk(string: text)
        }
    }

    /// Writes bytes that are already RESP-encoded.
    public func raw(_ bytes: ByteBuffer) {
        buffer.writeImmutableBuffer(bytes)
    }
}

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// C-compatible number formatting, for the places where Redis uses `printf` formats.
public enum DoubleFormat {
    /// `printf("%.17g", value)`. Whole numbers below 10^15 (which `%.17g` prints as plain
    /// integers) skip printf.
    public static func g17(_ value: Double) -> String {
        if value.magnitude < 1e15, value == value.rounded(.towardZero), !(value == 0 && value.sign == .minus) {
            return String(Int64(value))
        }
        return c(format: "%.17g", value)
    }

    /// `printf(format, value)` for one double argument.
    public static func c(format: String, _ value: Double) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 512) { buf in
            let n = withVaList([value]) { vsnprintf(buf.baseAddress, 512, format, $0) }
            return String(decoding: UnsafeRawBufferPointer(start: buf.baseAddress, count: Int(max(0, min(n, 511)))), as: UTF8.self)
        }
    }
}
