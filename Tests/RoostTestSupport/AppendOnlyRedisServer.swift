import Foundation
import RoostTesting

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A `redis-server` (or `roost server`) child process with the append-only file on and fsynced before every reply
/// (`appendfsync always` unless told otherwise), which a test can kill -9 and start again on the same port and data
/// folder: what it acknowledged must be there after the restart.
// @unchecked: `port`, `directory` and `executable` are immutable; `pid` is guarded by `lock`.
public final class AppendOnlyRedisServer: @unchecked Sendable {
    /// The port it listens on, on 127.0.0.1, across restarts.
    public let port: Int
    /// Its data folder (the append-only files and the log).
    public let directory: String
    private let executable: String
    /// Whether it runs `roost server` rather than redis-server, and its `appendfsync`.
    private let isRoost: Bool
    private let appendfsync: String
    private var pid: pid_t?
    private let lock = NSLock()

    /// Chooses a port and a fresh data folder; nothing runs until `launch()`.
    /// - Throws: `RoostTestingError` `.toolNotFound` without redis-server, `.startFailed` when no
    ///   port is free.
    public init(roost: Bool = false, appendfsync: String = "always") throws {
        guard let executable = roost ? PackagePaths.roostExecutable : RedisServerProcess.executablePath else {
            throw RoostTestingError(.toolNotFound, roost ? "roost is not built" : "redis-server is not installed")
        }
        self.executable = executable
        self.isRoost = roost
        self.appendfsync = appendfsync
        port = try FreePort.find()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-aof-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { stop() }

    /// The server's log so far.
    public var log: String {
        String(decoding: FileManager.default.contents(atPath: directory + "/redis-server.log") ?? Data(), as: UTF8.self)
    }

    /// Starts the server (replaying its append-only file, if any) and waits, without blocking a
    /// thread, until it answers PING.
    /// - Throws: `RoostTestingError` `.startFailed` when it exits or does not answer in 120 s.
    public func launch() async throws {
        var arguments = ["--port", "\(port)", "--bind", "127.0.0.1", "--daemonize", "no", "--dir", directory,
                         "--appendonly", "yes", "--appendfsync", appendfsync, "--save", "",
                         "--logfile", directory + "/redis-server.log"]
        if isRoost {
            let configuration = directory + "/roost.conf"
            _ = FileManager.default.createFile(atPath: configuration, contents: Data("appendonly yes\nappendfsync \(appendfsync)\n".utf8))
            arguments = ["server", "--port", "\(port)", "--bind", "127.0.0.1", "--dir", directory, "--config", configuration]
        }
        // roost logs to its standard streams: kept in the same log file.
        let started = try ChildProcess.spawn(executable, arguments, outputPath: isRoost ? directory + "/redis-server.log" : nil,
                                             killAtExit: true)
        lock.withLock { pid = started }
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if ChildProcess.exitStatus(started) != nil {
                lock.withLock { pid = nil }
                break
            }
            if (try? RawConnection.text(port: port, timeout: 1, ["PING"])) == "PONG" { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        kill9()
        let tail = log.split(separator: "\n").suffix(10).joined(separator: "\n")
        throw RoostTestingError(.startFailed, "\(isRoost ? "roost server" : "redis-server") did not start on port \(port); its log ends:\n\(tail)")
    }

    /// kill -9s the server and reaps it; its data folder stays for the next `launch()`.
    public func kill9() {
        let running = lock.withLock { () -> pid_t? in
            defer { pid = nil }
            return pid
        }
        if let running { ChildProcess.kill(running, signal: SIGKILL) }
    }

    /// Kills the server and removes its data folder.
    public func stop() {
        kill9()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
