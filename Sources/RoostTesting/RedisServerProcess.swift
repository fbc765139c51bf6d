import Foundation
import RoostClient

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real `redis-server` child process on a free loopback port, for the length of a test.
///
/// The server runs in a fresh temporary folder without persistence (`--save ""`,
/// `--appendonly no`, which `extraArguments` may override) and listens on 127.0.0.1 only. Its
/// log, and anything it prints, goes to ``logPath``; a failed start quotes the end of it.
///
/// ``stop()`` kills the server with SIGKILL and reaps it, and so does `deinit`. A server that is
/// never stopped is killed when the test process exits normally. Prefer
/// ``withRedisServer(arguments:isolation:_:)``, which always stops it.
// @unchecked: `pid` is guarded by `lock`; every other stored property is immutable.
public final class RedisServerProcess: RedisTestServer, @unchecked Sendable {
    /// The TCP port the server listens on, on 127.0.0.1.
    public let port: Int
    /// The server's log file (removed with its folder by ``stop()``).
    public let logPath: String
    private var pid: pid_t
    private let directory: String
    private let password: String?
    private let lock = NSLock()

    /// The `redis-server` that is started: the first found on `PATH`, then in `/usr/local/bin`,
    /// `/opt/homebrew/bin`, `/usr/bin` and `/usr/sbin`; nil when there is none.
    public static var executablePath: String? { ChildProcess.executable(named: "redis-server") }

    /// Whether `redis-server` is installed (see ``executablePath``). Use it to skip tests, e.g.
    /// `@Test(.enabled(if: RedisServerProcess.isAvailable))`.
    public static var isAvailable: Bool { executablePath != nil }

    /// Whether the server on `port` answers `PING` (with PONG or an error such as NOAUTH: either
    /// way it serves). The probe then QUITs and waits for the close,
    /// so the server has freed its client before a test starts: CLIENT KILL or CLIENT LIST in a
    /// test never sees it.
    private static func answersPing(port: Int) -> Bool {
        guard let connection = try? RawConnection(port: port, timeout: 2),
              (try? connection.text(["PING"])) != nil else { return false }
        _ = try? connection.text(["QUIT"])
        _ = try? connection.readUntilClosed()
        return true
    }

    /// Starts `redis-server` on a free loopback port and waits until it answers `PING`.
    ///
    /// The port, bind address, log file, log level and `daemonize` are set after
    /// `extraArguments`, so those cannot be changed; anything else can (`--requirepass x`,
    /// `--maxmemory 10mb`…). When another process takes the probed port first, the start is
    /// retried on a new port. This call blocks its thread until the server is ready.
    /// - Parameters:
    ///   - extraArguments: command-line options for `redis-server`.
    ///   - startTimeout: seconds to wait for the server to answer.
    /// - Throws: ``RoostTestingError`` ``RoostTestingError/Code-swift.struct/toolNotFound`` when
    ///   `redis-server` is not installed, ``RoostTestingError/Code-swift.struct/startFailed`` when
    ///   it exits or does not answer in time (the message quotes its log).
    ///   - configFile: a configuration file to start from (then `save` is left to it).
    public init(extraArguments: [String] = [], configFile: String? = nil, startTimeout: Double = 30) throws {
        guard let executable = Self.executablePath else {
            throw RoostTestingError(.toolNotFound,
                                    "redis-server is not installed (apt-get install redis-server, brew install redis) nor on PATH")
        }
        let directory = try Self.makeTemporaryDirectory(prefix: "roost-redis")
        let logPath = directory + "/redis-server.log"
        do {
            (port, pid) = try Self.launch(executable: executable, logPath: logPath, timeout: startTimeout) { port in
                (configFile.map { [$0] } ?? ["--save", ""]) + ["--appendonly", "no", "--dir", directory] + extraArguments
                    + Self.fixedArguments(port: port, logPath: logPath)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        self.directory = directory
        self.logPath = logPath
        self.password = extraArguments.firstIndex(of: "--requirepass").flatMap {
            $0 + 1 < extraArguments.count ? extraArguments[$0 + 1] : nil
        }
    }

    deinit { stop() }

    /// `redis://127.0.0.1:<port>`.
    public var url: String { "redis://127.0.0.1:\(port)" }

    /// The server's process ID, or nil once it has been stopped.
    public var processID: pid_t? {
        lock.lock()
        defer { lock.unlock() }
        return pid > 0 ? pid : nil
    }

    /// The server's log so far (empty once it has been stopped).
    public var log: String {
        String(decoding: FileManager.default.contents(atPath: logPath) ?? Data(), as: UTF8.self)
    }

    /// A client configuration for this server, with the `--requirepass` password when one was
    /// given.
    public var clientConfiguration: RedisClientConfiguration {
        var configuration = RedisClientConfiguration(endpoint: .tcp(host: "127.0.0.1", port: port))
        configuration.password = password
        return configuration
    }

    /// Kills the server with SIGKILL, reaps it and removes its folder. Calling it again does
    /// nothing.
    public func stop() {
        lock.lock()
        let stopped = pid
        pid = 0
        lock.unlock()
        if stopped > 0 { ChildProcess.kill(stopped, signal: SIGKILL) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Sends `signal` to the server without waiting (`SIGSTOP` and `SIGCONT` pause and resume
    /// it). Does nothing once it has been stopped.
    public func signal(_ signal: Int32) {
        lock.lock()
        defer { lock.unlock() }
        if pid > 0 { ChildProcess.signal(pid, signal) }
    }
}

/// Runs `body` with a fresh `redis-server` on a free loopback port (see ``RedisServerProcess``),
/// and kills it when `body` returns or throws, or the task is cancelled.
///
///     try await withRedisServer { server in
///         try await server.withClient { client in
///             try await client.set("k", "v")
///         }
///     }
///
/// - Parameter arguments: extra `redis-server` options (`--maxmemory 10mb`…).
/// - Throws: what ``RedisServerProcess/init(extraArguments:configFile:startTimeout:)`` throws, or what
///   `body` throws.
extension RedisServerProcess {
    /// Starts a redis-server as ``init(extraArguments:configFile:startTimeout:)`` does, but waits on a
    /// thread of its own, so an async caller never holds a cooperative-pool thread (of which a
    /// 2-core machine has two) while the server starts.
    public static func start(extraArguments: [String] = [], configFile: String? = nil,
                             startTimeout: Double = 30) async throws -> RedisServerProcess {
        try await StartThreads.run {
            try RedisServerProcess(extraArguments: extraArguments, configFile: configFile, startTimeout: startTimeout)
        }
    }
}

public func withRedisServer<Result>(
    arguments: [String] = [],
    isolation: isolated (any Actor)? = #isolation,
    _ body: (RedisServerProcess) async throws -> Result
) async throws -> Result {
    // The start blocks while it waits; it does so on a thread of its own.
    let server = try await RedisServerProcess.start(extraArguments: arguments)
    defer { server.stop() }
    return try await body(server)
}

extension RedisServerProcess {
    /// The options that pin a server to its port, its log and the foreground.
    static func fixedArguments(port: Int, logPath: String) -> [String] {
        ["--port", "\(port)", "--bind", "127.0.0.1", "--daemonize", "no", "--logfile", logPath, "--loglevel", "notice"]
    }

    /// A new empty folder under the temporary directory.
    static func makeTemporaryDirectory(prefix: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Starts `executable` with `arguments(port)` on a free port (or on `fixedPort`) and waits
    /// until its log says it is ready and it answers `PING`. A child that is alive and logged
    /// that it is ready owns the port (it exits when it cannot bind), so a `PING` answered then
    /// is its own. When the port was taken meanwhile, tries again on a new one (up to 3 times).
    /// - Returns: the port and the process ID.
    /// - Throws: ``RoostTestingError/Code-swift.struct/startFailed``, quoting the log.
    static func launch(executable: String, logPath: String, timeout: Double, fixedPort: Int? = nil,
                       arguments: (Int) throws -> [String]) throws -> (port: Int, pid: pid_t) {
        var attempt = 0
        while true {
            attempt += 1
            let port = try fixedPort ?? FreePort.find()
            let logStart = (try? FileManager.default.attributesOfItem(atPath: logPath)[.size] as? Int) ?? 0
            let pid = try ChildProcess.spawn(executable, try arguments(port), outputPath: logPath, killAtExit: true)
            let deadline = Date().addingTimeInterval(timeout)
            var exitStatus: Int32?
            var logged = ""
            while Date() < deadline {
                if let status = ChildProcess.exitStatus(pid) {
                    exitStatus = status
                    break
                }
                logged = String(decoding: (FileManager.default.contents(atPath: logPath) ?? Data()).dropFirst(logStart), as: UTF8.self)
                if logged.contains("Ready to accept connections"), Self.answersPing(port: port) {
                    return (port, pid)
                }
                usleep(10_000)
            }
            if exitStatus == nil { ChildProcess.kill(pid, signal: SIGKILL) }
            logged = String(decoding: (FileManager.default.contents(atPath: logPath) ?? Data()).dropFirst(logStart), as: UTF8.self)
            if exitStatus != nil, fixedPort == nil, attempt < 3, logged.contains("Address already in use") { continue }
            let what = exitStatus.map { "exited with status \($0) while starting on port \(port)" }
                ?? "did not answer PING on port \(port) within \(timeout) s"
            let tail = logged.split(separator: "\n").suffix(20).joined(separator: "\n")
            throw RoostTestingError(.startFailed, "\(executable) \(what); its log ends:\n\(tail)")
        }
    }
}
