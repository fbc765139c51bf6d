import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Child processes started with `posix_spawn` (Foundation's `Process.waitUntilExit` can hang
/// inside Swift concurrency on Linux).
///
/// Servers started through ``spawn(_:_:quiet:outputPath:killAtExit:)`` with `killAtExit` are
/// remembered and killed when the test process exits normally, so a test that forgets to stop
/// one (or fails before it can) leaves no server behind.
package enum ChildProcess {
    /// Starts `path` with `arguments`. Standard output and standard error go to `outputPath`
    /// (appended to) when given, else to `/dev/null` when `quiet`, else to the parent's.
    /// With `killAtExit`, the process is killed when this process exits (until ``kill(_:signal:)``
    /// reaps it). Returns its pid.
    /// - Throws: ``RoostTestingError/Code-swift.struct/startFailed`` when `posix_spawn` fails.
    package static func spawn(_ path: String, _ arguments: [String], quiet: Bool = true,
                              outputPath: String? = nil, killAtExit: Bool = false) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let outputPath {
            posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else if quiet {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        if killAtExit { ExitCleanup.install() }
        var pid: pid_t = 0
        // Spawning and registering under one lock: an exit in between cannot miss the child.
        let rc = ExitCleanup.pids.withLockedValue { pids -> Int32 in
            let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
            if rc == 0 && killAtExit { pids.insert(pid) }
            return rc
        }
        guard rc == 0 else { throw RoostTestingError(.startFailed, "posix_spawn \(path) failed: \(rc)") }
        return pid
    }

    /// Sends `signal`, waits for the process to exit and reaps it.
    package static func kill(_ pid: pid_t, signal: Int32) {
        forget(pid)
        _ = systemKill(pid, signal)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    /// Sends `signal` without waiting (SIGSTOP, SIGCONT, SIGTERM…).
    package static func signal(_ pid: pid_t, _ signal: Int32) {
        _ = systemKill(pid, signal)
    }

    /// The exit status if the process has exited (and is reaped now), else nil. Does not wait.
    package static func exitStatus(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
        forget(pid)
        return (status >> 8) & 0xff
    }

    /// Waits for the process to exit; returns its exit status, or nil after `timeout` seconds.
    package static func wait(_ pid: pid_t, timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let status = exitStatus(pid) { return status }
            usleep(10_000)
        }
        return nil
    }

    /// The first executable file named `name` in a folder of `PATH`, then in the usual binary
    /// folders (`/usr/local/bin`, `/opt/homebrew/bin`, `/usr/bin`, `/usr/sbin`, `/bin`).
    package static func executable(named name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init)
            + ["/usr/local/bin", "/opt/homebrew/bin", "/usr/bin", "/usr/sbin", "/bin"]
        for folder in folders where !folder.isEmpty {
            let candidate = folder + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    private static func forget(_ pid: pid_t) {
        _ = ExitCleanup.pids.withLockedValue { $0.remove(pid) }
    }

    private static func systemKill(_ pid: pid_t, _ signal: Int32) -> Int32 {
        #if canImport(Glibc)
        Glibc.kill(pid, signal)
        #else
        Darwin.kill(pid, signal)
        #endif
    }
}

/// The outcome of a finished child process.
package struct ProcessResult: Sendable {
    /// Exit status, or -1 when it was killed after its timeout.
    package var status: Int32
    /// Everything it wrote to standard output.
    package var output: [UInt8]
    /// Everything it wrote to standard error.
    package var errorOutput: [UInt8]
    /// Standard output as text.
    package var text: String { String(decoding: output, as: UTF8.self) }
    /// Standard error as text.
    package var errorText: String { String(decoding: errorOutput, as: UTF8.self) }
}

extension ChildProcess {
    /// Runs `path` with `arguments` and `input` on standard input, collecting its output.
    /// The process is killed after `timeout` seconds (status -1).
    /// - Throws: ``RoostTestingError/Code-swift.struct/startFailed`` when it cannot be started.
    package static func run(_ path: String, _ arguments: [String], input: [UInt8] = [],
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
        guard rc == 0 else { throw RoostTestingError(.startFailed, "posix_spawn \(path) failed: \(rc)") }
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

/// The servers to kill when the test process exits.
private enum ExitCleanup {
    static let pids = NIOLockedValueBox<Set<pid_t>>([])

    private static let installed: Void = {
        atexit {
            for pid in ExitCleanup.pids.withLockedValue({ $0 }) {
                #if canImport(Glibc)
                _ = Glibc.kill(pid, SIGKILL)
                #else
                _ = Darwin.kill(pid, SIGKILL)
                #endif
            }
        }
    }()

    /// Registers the exit handler (once).
    static func install() { _ = installed }
}
