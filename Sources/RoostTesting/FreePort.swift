import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Free loopback ports.
package enum FreePort {
    /// A port that was free on 127.0.0.1 a moment ago. Another process may take it before the
    /// caller binds it, so whoever starts a server on it must retry on failure.
    /// - Throws: ``RoostTestingError/Code-swift.struct/startFailed`` when no port can be bound.
    package static func find() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RoostTestingError(.startFailed, "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = LoopbackAddress.make(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw RoostTestingError(.startFailed, "no free loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Connection probes that close each socket exactly once.
package enum PortProbe {
    /// Whether something accepts connections on `127.0.0.1:port` right now.
    package static func isAccepting(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = LoopbackAddress.make(port: port)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return rc == 0
    }

    /// Polls until something accepts connections on `port`.
    /// - Throws: ``RoostTestingError/Code-swift.struct/startFailed`` after `timeout` seconds.
    package static func waitUntilAccepting(port: Int, timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if isAccepting(port: port) { return }
            usleep(10_000)
        }
        throw RoostTestingError(.startFailed, "nothing accepted connections on port \(port) within \(timeout) s")
    }
}

/// IPv4 socket addresses.
package enum LoopbackAddress {
    /// `host:port` as a `sockaddr_in` (`host` a dotted IPv4 address, 127.0.0.1 by default).
    package static func make(port: Int, host: String = "127.0.0.1") -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr(host)
        return address
    }
}
