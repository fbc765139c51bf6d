import Foundation
import RoostTesting

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A child process built with the package (a test's probe: a lock holder, a job worker) that a
/// test can signal, SIGSTOP, resume and kill -9, with its standard output and error in a file.
// @unchecked: `pid`, `name` and `outputPath` are immutable; `reaped` is guarded by `lock`.
public final class ProbeProcess: @unchecked Sendable {
    public let pid: pid_t
    /// The executable's name.
    public let name: String
    /// Where its standard output and standard error go.
    public let outputPath: String
    private var reaped: Int32?
    private let lock = NSLock()

    /// The executable `name` built with the package next to the test bundle (or in the
    /// package's debug build folder); nil when it has not been built.
    public static func executable(named name: String) -> String? {
        var candidates: [String] = []
        if let test = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: test).deletingLastPathComponent().appendingPathComponent(name).path)
        }
        for build in [".build/debug", ".build/x86_64-unknown-linux-gnu/debug", ".build/aarch64-unknown-linux-gnu/debug"] {
            candidates.append(PackagePaths.root + "/" + build + "/" + name)
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Starts `executable` with `arguments`, its output appended to `outputPath`. It is killed
    /// when the test process exits, if nothing reaped it before.
    /// - Throws: `RoostTestingError` `.startFailed`.
    public init(executable: String, arguments: [String], outputPath: String) throws {
        name = URL(fileURLWithPath: executable).lastPathComponent
        self.outputPath = outputPath
        pid = try ChildProcess.spawn(executable, arguments, outputPath: outputPath, killAtExit: true)
    }

    /// What it wrote to standard output and standard error so far.
    public var output: String {
        String(decoding: FileManager.default.contents(atPath: outputPath) ?? Data(), as: UTF8.self)
    }

    /// Sends `signal` (SIGSTOP, SIGCONT…) unless the process has been reaped.
    public func signal(_ signal: Int32) {
        lock.lock()
        defer { lock.unlock() }
        if reaped == nil { ChildProcess.signal(pid, signal) }
    }

    /// Whether the kernel reports the process stopped (state `T` in /proc/<pid>/stat).
    public var isStopped: Bool {
        guard let stat = FileManager.default.contents(atPath: "/proc/\(pid)/stat"),
              let close = stat.lastIndex(of: UInt8(ascii: ")")), close + 2 < stat.count
        else { return false }
        return stat[close + 2] == UInt8(ascii: "T")
    }

    /// kill -9, and reaps it: when this returns, the process is gone.
    public func kill9() {
        lock.lock()
        defer { lock.unlock() }
        if reaped == nil {
            ChildProcess.kill(pid, signal: SIGKILL)
            reaped = -9
        }
    }

    /// The exit status once the process has exited (reaping it; -9 when `kill9` ended it),
    /// else nil.
    public var exitStatus: Int32? {
        lock.lock()
        defer { lock.unlock() }
        if reaped == nil { reaped = ChildProcess.exitStatus(pid) }
        return reaped
    }
}
