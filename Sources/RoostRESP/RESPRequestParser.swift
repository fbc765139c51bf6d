import NIOCore

/// An incremental parser for client requests: RESP multibulk arrays and inline commands, with
/// Redis's limits and Redis's exact protocol-error texts.
///
/// The parser reads from a caller-owned buffer and keeps only small state between calls, so any
/// split of the input gives the same commands. A declared bulk length is never allocated up
/// front: arguments are slices of the caller's buffer, taken once their bytes have arrived.
public struct RESPRequestParser: Sendable {
    /// Limits, named after the Redis configuration parameters that set them.
    public struct Limits: Sendable {
        /// `proto-max-bulk-len`: the longest bulk string a request may carry.
        public var maxBulkLength: Int
        /// The longest inline request or length line without a newline (Redis's 64 KB).
        public var inlineMaxSize: Int

        public init(maxBulkLength: Int = 512 * 1024 * 1024, inlineMaxSize: Int = 64 * 1024) {
            self.maxBulkLength = maxBulkLength
            self.inlineMaxSize = inlineMaxSize
        }
    }

    /// A malformed request. `message` is the error text Redis replies with (without `-`);
    /// after it the connection must be closed.
    public struct ProtocolError: Error, Hashable, Sendable {
        /// The error text as bytes, exactly as Redis sends it (it may hold a raw non-UTF-8 byte).
        public let bytes: [UInt8]
        /// The error text (lossy where `bytes` is not UTF-8).
        public var message: String { String(decoding: bytes, as: UTF8.self) }
        init(_ message: String) { self.bytes = Array(message.utf8) }
        init(bytes: [UInt8]) { self.bytes = bytes }
    }

    public var limits: Limits
    /// While set, Redis's tighter limits for unauthenticated clients apply.
    public var unauthenticated = false

    private var remainingArguments = 0
    private var bulkLength = -1
    private var inMultibulk = false

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Whether a request has started but not finished.
    public var isInsideRequest: Bool { inMultibulk }

    /// Parses at most one request from `buffer`, appending its arguments to `arguments`.
    ///
    /// - Returns: `true` when a whole request was read; `arguments` then holds it, and may be empty
    ///   (an empty inline line or `*0`), which callers skip. `false` when more bytes are needed;
    ///   arguments read so far stay in `arguments` and the call resumes where it stopped.
    /// - Throws: `ProtocolError` for malformed input.
    public mutating func parse(_ buffer: inout ByteBuffer, into arguments: inout [ByteBuffer]) throws(ProtocolError) -> Bool {
        if !inMultibulk {
            // getInteger reads in place; readableBytesView would retain and release the storage.
            guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return false }
            if first != UInt8(ascii: "*") {
                return try parseInline(&buffer, into: &arguments)
            }
            guard let line = lineEnd(buffer), line <= limits.inlineMaxSize else {
                if buffer.readableBytes > limits.inlineMaxSize {
                    throw ProtocolError("ERR Protocol error: too big mbulk count string")
                }
                return false
            }
            let count = buffer.withUnsafeReadableBytes { RedisInteger.parse($0[1..<line]) }
            guard let count, count <= Int64(Int32.max) else {
                throw ProtocolError("ERR Protocol error: invalid multibulk length")
            }
            if count > 10 && unauthenticated {
                throw ProtocolError("ERR Protocol error: unauthenticated multibulk length")
            }
            buffer.moveReaderIndex(forwardBy: line + 2)
            if count <= 0 { return true }
            remainingArguments = Int(count)
            inMultibulk = true
            bulkLength = -1
        }
        while remainingArguments > 0 {
            if bulkLength < 0 {
                guard let line = lineEnd(buffer), line <= limits.inlineMaxSize else {
                    if buffer.readableBytes > limits.inlineMaxSize {
                        throw ProtocolError("ERR Protocol error: too big bulk count string")
                    }
                    return false
                }
                let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self)
                guard let first, first == UInt8(ascii: "$") else {
                    // Redis formats the byte with %c and turns CR and LF in error texts into spaces.
                    var byte = first ?? 0x20
                    if byte == 0x0d || byte == 0x0a { byte = 0x20 }
                    throw ProtocolError(bytes: Array("ERR Protocol error: expected '$', got '".utf8) + [byte, UInt8(ascii: "'")])
                }
                let length = buffer.withUnsafeReadableBytes { RedisInteger.parse($0[1..<line]) }
                guard let length, length >= 0, length <= Int64(limits.maxBulkLength) else {
                    throw ProtocolError("ERR Protocol error: invalid bulk length")
                }
                if length > 16384 && unauthenticated {
                    throw ProtocolError("ERR Protocol error: unauthenticated bulk length")
                }
                buffer.moveReaderIndex(forwardBy: line + 2)
                bulkLength = Int(length)
            }
            // Redis skips the two bytes after the payload without checking them.
            // Subtracted, not added: proto-max-bulk-len may allow lengths up to Int.max.
            guard buffer.readableBytes - 2 >= bulkLength else { return false }
            arguments.append(buffer.readSlice(length: bulkLength)!)
            buffer.moveReaderIndex(forwardBy: 2)
            bulkLength = -1
            remainingArguments -= 1
        }
        inMultibulk = false
        return true
    }

    /// The offset of the `\r` that ends the current line, found the way Redis's `strchr` finds it
    /// (a NUL byte ends the search), provided one more byte follows it.
    private func lineEnd(_ buffer: ByteBuffer) -> Int? {
        buffer.withUnsafeReadableBytes { bytes -> Int? in
            var i = 0
            let n = bytes.count
            while i < n {
                let c = bytes[i]
                if c == UInt8(ascii: "\r") { return i + 1 < n ? i : nil }
                if c == 0 { return nil }
                i += 1
            }
            return nil
        }
    }

    private mutating func parseInline(_ buffer: inout ByteBuffer, into arguments: inout [ByteBuffer]) throws(ProtocolError) -> Bool {
        let newline: Int? = buffer.withUnsafeReadableBytes { bytes in
            for i in 0..<bytes.count {
                let c = bytes[i]
                if c == UInt8(ascii: "\n") { return i }
                if c == 0 { return nil }
            }
            return nil
        }
        // A line longer than the limit fails whether or not its newline has arrived yet, so the
        // outcome does not depend on how the input was split into reads.
        guard let newline, newline <= limits.inlineMaxSize else {
            if buffer.readableBytes > limits.inlineMaxSize {
                throw ProtocolError("ERR Protocol error: too big inline request")
            }
            return false
        }
        var lineLength = newline
        if newline > 0 && buffer.readableBytesView[buffer.readerIndex + newline - 1] == UInt8(ascii: "\r") {
            lineLength -= 1
        }
        let tokens = buffer.withUnsafeReadableBytes { InlineSplitter.split($0[0..<lineLength]) }
        guard let tokens else {
            throw ProtocolError("ERR Protocol error: unbalanced quotes in request")
        }
        buffer.moveReaderIndex(forwardBy: newline + 1)
        for token in tokens {
            var slice = ByteBufferAllocator().buffer(capacity: token.count)
            slice.writeBytes(token)
            arguments.append(slice)
        }
        return true
    }

}

/// Splits an inline request into arguments with the rules of Redis's `sdssplitargs`.
public enum InlineSplitter {
    static func isSpace(_ c: UInt8) -> Bool {
        c == 0x20 || (c >= 0x09 && c <= 0x0d)
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// The arguments of `line`, or `nil` for unbalanced quotes. Input ends at the first NUL byte,
    /// as it does for the C function.
    public static func split<C: Collection>(_ line: C) -> [[UInt8]]? where C.Element == UInt8 {
        var bytes = Array(line)
        if let nul = bytes.firstIndex(of: 0) { bytes.removeSubrange(nul...) }
        bytes.append(0)
        var p = 0
        var result: [[UInt8]] = []
        while true {
            while bytes[p] != 0 && isSpace(bytes[p]) { p += 1 }
            if bytes[p] == 0 { return result }
            var current: [UInt8] = []
            var inDouble = false
            var inSingle = false
            var done = false
            while !done {
                let c = bytes[p]
                if inDouble {
                    if c == UInt8(ascii: "\\") && bytes[p + 1] == UInt8(ascii: "x"),
                       p + 3 < bytes.count, let hi = hexValue(bytes[p + 2]), let lo = hexValue(bytes[p + 3]) {
                        current.append(hi * 16 + lo)
                        p += 3
                    } else if c == UInt8(ascii: "\\") && bytes[p + 1] != 0 {
                        p += 1
                        switch bytes[p] {
                        case UInt8(ascii: "n"): current.append(0x0a)
                        case UInt8(ascii: "r"): current.append(0x0d)
                        case UInt8(ascii: "t"): current.append(0x09)
                        case UInt8(ascii: "b"): current.append(0x08)
                        case UInt8(ascii: "a"): current.append(0x07)
                        default: current.append(bytes[p])
                        }
                    } else if c == UInt8(ascii: "\"") {
                        if bytes[p + 1] != 0 && !isSpace(bytes[p + 1]) { return nil }
                        done = true
                    } else if c == 0 {
                        return nil
                    } else {
                        current.append(c)
                    }
                } else if inSingle {
                    if c == UInt8(ascii: "\\") && bytes[p + 1] == UInt8(ascii: "'") {
                        p += 1
                        current.append(UInt8(ascii: "'"))
                    } else if c == UInt8(ascii: "'") {
                        if bytes[p + 1] != 0 && !isSpace(bytes[p + 1]) { return nil }
                        done = true
                    } else if c == 0 {
                        return nil
                    } else {
                        current.append(c)
                    }
                } else {
                    switch c {
                    case 0x20, 0x0a, 0x0d, 0x09, 0x00: done = true
                    case UInt8(ascii: "\""): inDouble = true
                    case UInt8(ascii: "'"): inSingle = true
                    default: current.append(c)
                    }
                }
                if bytes[p] != 0 { p += 1 }
            }
            result.append(current)
        }
    }
}
