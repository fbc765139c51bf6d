import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A real `redis-server` started on a free loopback port for the length of a test.
// @unchecked: `pid` is guarded by `lock`; the rest is immutable.
public final class RedisServerProcess: @unchecked Sendable {
    public let port: Int
    private var pid: pid_t
    private let directory: String
    private let lock = NSLock()

    /// Whether `redis-server` is installed.
    public static var isAvailable: Bool { executable != nil }

    static let executable: String? = {
        for dir in ["/usr/bin", "/usr/local/bin", "/usr/sbin"] {
            let path = dir + "/redis-server"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }()

    /// Starts `redis-server` with no persistence and `extraArguments` (`--requirepass x`…).
    /// - Throws: when it is not installed or does not accept connections within 30 s.
    public init(extraArguments: [String] = []) throws {
        guard let executable = Self.executable else {
            throw RawConnection.Error(description: "redis-server is not installed (apt-get install -y redis-server)")
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-redis-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Another test may take the probed port before redis-server binds it; redis-server then
        // exits, and the start is retried on a new port.
        var attempt = 0
        while true {
            attempt += 1
            let candidate = try FreePort.find()
            let child = try ChildProcess.spawn(executable, [
                "--port", "\(candidate)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", directory, "--daemonize", "no", "--logfile", "", "--loglevel", "warning",
            ] + extraArguments)
            let deadline = Date().addingTimeInterval(30)
            var exited = false
            while Date() < deadline && !PortProbe.isAccepting(port: candidate) {
                if ChildProcess.exitStatus(child) != nil { exited = true; break }
                usleep(10_000)
            }
            if PortProbe.isAccepting(port: candidate) {
                port = candidate
                pid = child
                return
            }
            if !exited { ChildProcess.kill(child, signal: SIGKILL) }
            if !exited || attempt == 3 {
                try? FileManager.default.removeItem(atPath: directory)
                throw RawConnection.Error(description: "redis-server did not accept connections on port \(candidate) (attempt \(attempt))")
            }
        }
    }

    public func stop() {
        lock.lock()
        let p = pid
        pid = 0
        lock.unlock()
        if p > 0 { ChildProcess.kill(p, signal: SIGKILL) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Sends `signal` to the server without waiting.
    public func signal(_ signal: Int32) {
        lock.lock()
        defer { lock.unlock() }
        if pid > 0 { Glibc.kill(pid, signal) }
    }

    deinit { stop() }
}

/// Child processes started with `posix_spawn` (Foundation's `Process.waitUntilExit` can hang
/// inside Swift concurrency on Linux).
public enum ChildProcess {
    /// Starts `path` with `arguments`, its output discarded. Returns its pid.
    public static func spawn(_ path: String, _ arguments: [String], quiet: Bool = true) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if quiet {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard rc == 0 else { throw RawConnection.Error(description: "posix_spawn \(path) failed: \(rc)") }
        return pid
    }

    /// Sends `signal` and reaps the process.
    public static func kill(_ pid: pid_t, signal: Int32) {
        Glibc.kill(pid, signal)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    /// The exit status if the process has exited (and is reaped now), else nil. Does not wait.
    public static func exitStatus(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == pid ? (status >> 8) & 0xff : nil
    }

    /// Waits for the process to exit; returns its exit status, or nil after `timeout` seconds.
    public static func wait(_ pid: pid_t, timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while Date() < deadline {
            if waitpid(pid, &status, WNOHANG) == pid { return (status >> 8) & 0xff }
            usleep(10_000)
        }
        return nil
    }
}

/// Free loopback ports.
public enum FreePort {
    /// A port that was free a moment ago.
    public static func find() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw RawConnection.Error(description: "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
