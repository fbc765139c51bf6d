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

    /// The first of `names` found in the usual binary folders.
    public static func tool(_ name: String) -> String? {
        for dir in ["/usr/bin", "/usr/local/bin", "/bin"] {
            let path = dir + "/" + name
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}

/// The outcome of a finished child process.
public struct ProcessResult: Sendable {
    /// Exit status, or -1 when it was killed after its timeout.
    public var status: Int32
    /// Everything it wrote to standard output.
    public var output: [UInt8]
    /// Everything it wrote to standard error.
    public var errorOutput: [UInt8]
    /// Standard output as text.
    public var text: String { String(decoding: output, as: UTF8.self) }
    /// Standard error as text.
    public var errorText: String { String(decoding: errorOutput, as: UTF8.self) }
}

extension ChildProcess {
    /// Runs `path` with `arguments` and `input` on standard input, collecting its output.
    /// The process is killed after `timeout` seconds (status -1).
    public static func run(_ path: String, _ arguments: [String], input: [UInt8] = [],
                           environment: [String: String] = [:], timeout: Double = 60) throws -> ProcessResult {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-run-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let inPath = directory + "/in", outPath = directory + "/out", errPath = directory + "/err"
        _ = FileManager.default.createFile(atPath: inPath, contents: Data(input))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in envp { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard rc == 0 else { throw RawConnection.Error(description: "posix_spawn \(path) failed: \(rc)") }
        var status = ChildProcess.wait(pid, timeout: timeout)
        if status == nil {
            ChildProcess.kill(pid, signal: SIGKILL)
            status = -1
        }
        let output = (try? Data(contentsOf: URL(fileURLWithPath: outPath))).map { [UInt8]($0) } ?? []
        let errorOutput = (try? Data(contentsOf: URL(fileURLWithPath: errPath))).map { [UInt8]($0) } ?? []
        return ProcessResult(status: status ?? -1, output: output, errorOutput: errorOutput)
    }
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
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_port = 0
        local.sin_addr.s_addr = inet_addr(source)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw RawConnection.Error(description: "bind \(source) failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
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
        guard let system = findOnPath("python3") ?? PackagePaths.tool("python3") else {
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

    /// `name` found in a folder of `PATH`.
    static func findOnPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// Connection probes that close each socket exactly once. (`RawConnection.init` closes its socket
/// when `connect` fails and its `deinit` closes the same number again, which can close a socket
/// that another thread of the test process has opened meanwhile; these probes avoid that path.)
public enum PortProbe {
    /// Whether something accepts connections on `127.0.0.1:port` right now.
    public static func isAccepting(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return rc == 0
    }

    /// Polls until something accepts connections on `port`.
    public static func waitUntilAccepting(port: Int, timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if isAccepting(port: port) { return }
            usleep(10_000)
        }
        throw RawConnection.Error(description: "nothing accepted connections on port \(port) within \(timeout) s")
    }
}
