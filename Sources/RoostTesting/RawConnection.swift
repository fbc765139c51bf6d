import NIOCore
import RoostRESP

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A blocking TCP connection that sends raw bytes and reads whole RESP replies as raw bytes.
/// Tests use it to compare servers byte for byte.
package final class RawConnection {
    /// Errors from the socket.
    public struct Error: Swift.Error, CustomStringConvertible {
        public let description: String

        package init(description: String) {
            self.description = description
        }
    }

    private let fd: Int32
    private var inbox = ByteBuffer()
    private let parser = RESPValueParser()
    public private(set) var isClosedByPeer = false

    /// Connects to `127.0.0.1:port`, failing after `timeout` seconds of reading without data.
    /// A `receiveBufferSize` (SO_RCVBUF, set before connecting so the window stays small) makes a
    /// client that does not read back up the server's output quickly.
    public init(port: Int, timeout: Double = 10, receiveBufferSize: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Error(description: "socket() failed") }
        if var size = receiveBufferSize {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = LoopbackAddress.make(port: port)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            // No close here: every stored property is set, so deinit runs and closes `fd` once.
            throw Error(description: "connect to port \(port) failed: errno \(errno)")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        setTimeout(timeout)
    }

    deinit { close(fd) }

    /// Sets how long a read may wait for data.
    public func setTimeout(_ seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends bytes as they are.
    public func send(raw bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { throw Error(description: "send failed: errno \(errno)") }
            sent += n
        }
    }

    /// Sends a command as a RESP multibulk array.
    public func send(command arguments: [[UInt8]]) throws {
        try send(raw: RawConnection.encode(arguments))
    }

    /// The RESP multibulk encoding of `arguments`.
    public static func encode(_ arguments: [[UInt8]]) -> [UInt8] {
        var out = Array("*\(arguments.count)\r\n".utf8)
        for a in arguments {
            out += Array("$\(a.count)\r\n".utf8)
            out += a
            out += [13, 10]
        }
        return out
    }

    /// Reads one whole reply and returns its raw bytes.
    /// - Throws: when the connection closes or the read times out first.
    public func readReply() throws -> [UInt8] {
        while true {
            if let length = try parser.frameLength(inbox) {
                return inbox.readBytes(length: length)!
            }
            guard try fill() else {
                throw Error(description: "connection closed with \(inbox.readableBytes) unparsed bytes: \(RawConnection.escape(Array(inbox.readableBytesView)))")
            }
        }
    }

    /// Reads until the peer closes the connection, returning everything received.
    public func readUntilClosed() throws -> [UInt8] {
        while try fill() {}
        return inbox.readBytes(length: inbox.readableBytes) ?? []
    }

    /// Whether a reply arrives within `seconds`. Consumes nothing.
    public func hasReply(within seconds: Double) throws -> Bool {
        if try parser.frameLength(inbox) != nil { return true }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&pfd, 1, Int32(seconds * 1000)) > 0
    }

    /// Reads once from the socket. Returns false on EOF.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 65536, 0) }
        if n == 0 { isClosedByPeer = true; return false }
        if n < 0 {
            if errno == ECONNRESET { isClosedByPeer = true; return false }
            throw Error(description: "read timed out or failed (errno \(errno)); have \(RawConnection.escape(Array(inbox.readableBytesView)))")
        }
        inbox.writeBytes(chunk[0..<n])
        return true
    }

    /// A printable form of bytes: printable ASCII as is, the rest as `\xHH`, CRLF as `\r\n`.
    public static func escape(_ bytes: [UInt8]) -> String {
        var s = ""
        for b in bytes {
            switch b {
            case 13: s += "\\r"
            case 10: s += "\\n"
            case 0x20...0x7e: s.append(Character(UnicodeScalar(b)))
            default: s += "\\x" + String(b, radix: 16).leftPad(2)
            }
        }
        return s
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
