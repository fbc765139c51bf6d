import Foundation
import RoostTestSupport
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// CLOCK_MONOTONIC in nanoseconds, the time line of the probes' logs.
func monotonicNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// One `roost-coordination-probe` child process and its log.
// @unchecked: `pid` and `logPath` are immutable; `reaped` is guarded by `lock`.
final class SafetyProbe: @unchecked Sendable {
    let pid: pid_t
    let logPath: String
    private var reaped: Int32?
    private let lock = NSLock()

    /// The probe executable, built with the package next to the test bundle.
    static let executable: String? = {
        var candidates: [String] = []
        if let test = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: test).deletingLastPathComponent().appendingPathComponent("roost-coordination-probe").path)
        }
        for build in [".build/debug", ".build/x86_64-unknown-linux-gnu/debug", ".build/aarch64-unknown-linux-gnu/debug"] {
            candidates.append(PackagePaths.root + "/" + build + "/roost-coordination-probe")
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    init(executable: String, arguments: [String], logPath: String) throws {
        self.logPath = logPath
        pid = try ChildProcess.spawn(executable, arguments + ["--log", logPath])
    }

    /// The log's complete lines so far.
    var events: [ProbeEvent] {
        guard let data = FileManager.default.contents(atPath: logPath) else { return [] }
        return ProbeEvent.parse(String(decoding: data, as: UTF8.self))
    }

    /// Sends `signal` unless the process has been reaped.
    func signal(_ signal: Int32) {
        lock.lock()
        defer { lock.unlock() }
        if reaped == nil { Glibc.kill(pid, signal) }
    }

    /// Whether the kernel reports the process stopped (state `T` in /proc/<pid>/stat).
    var isStopped: Bool {
        guard let stat = FileManager.default.contents(atPath: "/proc/\(pid)/stat"),
              let close = stat.lastIndex(of: UInt8(ascii: ")")), close + 2 < stat.count
        else { return false }
        return stat[close + 2] == UInt8(ascii: "T")
    }

    /// kill -9, reaped; returns a CLOCK_MONOTONIC instant after the process was gone.
    func kill9() -> Int64 {
        lock.lock()
        defer { lock.unlock() }
        if reaped == nil {
            ChildProcess.kill(pid, signal: SIGKILL)
            reaped = -9
        }
        return monotonicNanoseconds()
    }

    /// The exit status once the process has exited (reaping it), else nil.
    var exitStatus: Int32? {
        lock.lock()
        defer { lock.unlock() }
        if reaped == nil { reaped = ChildProcess.exitStatus(pid) }
        return reaped
    }

    /// Kills the process if it still runs (also when stopped) and reaps it.
    func terminate() { _ = kill9() }
}

/// The probe executable was not found next to the test bundle.
struct ProbeMissing: Error, CustomStringConvertible {
    var description: String { "roost-coordination-probe is not built (swift build --build-tests builds it)" }
}

/// A group of probes contending for one lock or semaphore, with their logs in a fresh folder.
struct SafetyProbeGroup: Sendable {
    let probes: [SafetyProbe]
    let directory: String

    /// Starts `count` probes with `arguments` (server, name, timings), each logging to its own file.
    init(count: Int, arguments: [String]) throws {
        guard let executable = SafetyProbe.executable else {
            throw ProbeMissing()
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-safety-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var started: [SafetyProbe] = []
        do {
            for index in 0..<count {
                started.append(try SafetyProbe(executable: executable, arguments: arguments, logPath: "\(directory)/probe-\(index).log"))
            }
        } catch {
            for probe in started { probe.terminate() }
            throw error
        }
        probes = started
    }

    /// Every probe's events so far.
    var events: [ProbeEvent] { probes.flatMap(\.events) }

    func probe(pid: Int) -> SafetyProbe? { probes.first { Int($0.pid) == pid } }

    /// A live probe inside a section that has written its fenced value and not yet begun its
    /// counter step, with the section's token.
    func holderBetweenWriteAndCounter() -> (SafetyProbe, Int64)? {
        let history = SafetyHistory(events: events)
        for section in history.sections.reversed() where section.has("wrote") && section.events.count == 2 {
            if let probe = probe(pid: section.pid), probe.exitStatus == nil { return (probe, section.token) }
        }
        return nil
    }

    /// Waits until every probe in `probes` has exited; their exit statuses by pid.
    func waitForExit(of probes: [SafetyProbe], timeout: Duration) async throws -> [Int: Int32] {
        try await eventually(timeout: timeout, "the probes to finish") {
            probes.allSatisfy { $0.exitStatus != nil }
        }
        return Dictionary(uniqueKeysWithValues: probes.map { (Int($0.pid), $0.exitStatus ?? -1) })
    }

    /// Kills every probe still running and removes the logs.
    func stop() {
        for probe in probes { probe.terminate() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Every log, for a failure message.
    var transcript: String {
        probes.map { probe in
            "--- pid \(probe.pid)\n" + ((FileManager.default.contents(atPath: probe.logPath)).map { String(decoding: $0, as: UTF8.self) } ?? "")
        }.joined(separator: "\n")
    }
}
