import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The package's own paths, found from this file's location.
public enum PackagePaths {
    /// The package root (the folder holding Package.swift).
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The built `roost` executable (`.build/debug/roost`), or nil when it has not been built.
    public static var roostExecutable: String? {
        for candidate in [".build/debug/roost", ".build/x86_64-unknown-linux-gnu/debug/roost",
                          ".build/aarch64-unknown-linux-gnu/debug/roost"] {
            let path = root + "/" + candidate
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// `name` found on `PATH` or in the usual binary folders.
    public static func tool(_ name: String) -> String? { ChildProcess.executable(named: name) }
}

/// Raw TCP helpers that `RawConnection` does not cover.
public enum RawSocket {
    /// Connects to `127.0.0.1:port` from the source address `source` (another loopback address
    /// such as 127.0.0.2), sends `bytes`, and returns everything received until the peer closes
    /// or `timeout` seconds pass without data.
    public static func exchange(port: Int, from source: String, sending bytes: [UInt8], timeout: Double = 5) throws -> [UInt8] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawConnection.Error(description: "socket() failed") }
        defer { close(fd) }
        var local = LoopbackAddress.make(port: 0, host: source)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw RawConnection.Error(description: "bind \(source) failed: errno \(errno)") }
        var address = LoopbackAddress.make(port: port)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw RawConnection.Error(description: "connect failed: errno \(errno)") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        if !bytes.isEmpty {
            _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 65536, 0) }
            if n <= 0 { break }
            received += chunk[0..<n]
        }
        return received
    }

    /// Sends `bytes` on a new connection to `127.0.0.1:port`, ignoring send failures (the server
    /// may close early), then closes it.
    public static func blast(port: Int, _ bytes: [UInt8]) throws {
        let connection = try RawConnection(port: port, timeout: 2)
        try? connection.send(raw: bytes)
    }
}

/// A Python virtual environment with redis-py, under `.build/pyvenv` (scripts/install-deps.sh
/// makes it too).
public enum PythonRedis {
    /// The venv's folder.
    public static let directory = PackagePaths.root + "/.build/pyvenv"

    private static let lock = NSLock()

    /// The venv's python with `redis` importable, creating the venv (pip install from PyPI) when
    /// needed. Throws with the reason when that fails.
    public static func python() throws -> String {
        lock.lock()
        defer { lock.unlock() }
        let python = directory + "/bin/python"
        if FileManager.default.isExecutableFile(atPath: python),
           (try? ChildProcess.run(python, ["-c", "import redis"], timeout: 30))?.status == 0 {
            return python
        }
        guard let system = ChildProcess.executable(named: "python3") else {
            throw RawConnection.Error(description: "python3 is not installed")
        }
        let venv = try ChildProcess.run(system, ["-m", "venv", directory], timeout: 120)
        guard venv.status == 0 else {
            throw RawConnection.Error(description: "python3 -m venv failed (apt-get install python3-venv?): \(venv.errorText)")
        }
        let pip = try ChildProcess.run(directory + "/bin/pip", ["install", "-q", "redis"], timeout: 300)
        guard pip.status == 0 else {
            throw RawConnection.Error(description: "pip install redis failed: \(pip.errorText)")
        }
        return python
    }
}
