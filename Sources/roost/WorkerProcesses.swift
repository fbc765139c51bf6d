import Foundation
import RoostCompute

/// The `roost worker` child processes of one `roost wordcount` or `roost demo`.
final class WorkerProcesses {
    private var processes: [Process] = []

    /// Starts `count` workers of `namespace` on `url`, each running one task at a time, with
    /// `extraArguments` for `roost worker`; `command` names the caller in errors.
    init(count: Int, url: String, namespace: String, command: String, extraArguments: [String] = []) throws {
        guard count > 0 else { return }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        for _ in 0..<count {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["worker", "--url", url, "--namespace", namespace, "--concurrency", "1"] + extraArguments
            process.standardOutput = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            do {
                try process.run()
            } catch {
                stop()
                throw JobsCommandError("\(command): cannot start a worker (\(executable)): \(error.localizedDescription)")
            }
            processes.append(process)
        }
    }

    /// The process ids of the workers.
    var pids: [Int32] { processes.map(\.processIdentifier) }

    /// Kills worker `index` with SIGKILL, as a crash would.
    func kill(_ index: Int) {
        Foundation.kill(processes[index].processIdentifier, SIGKILL)
    }

    /// Stops the workers (SIGTERM) and waits for them.
    func stop() {
        for process in processes where process.isRunning { process.terminate() }
        for process in processes { process.waitUntilExit() }
        processes = []
    }
}

/// The progress bar on standard error: tasks of each phase, bytes counted, rate and workers.
struct ProgressBar {
    let totalBytes: Int64
    let width = 30

    func draw(_ progress: MapReduceProgress) {
        let mapShare = progress.map.total > 0 ? Double(progress.map.committed) / Double(progress.map.total) : 0
        let reduceShare = progress.reduce.total > 0 ? Double(progress.reduce.committed) / Double(progress.reduce.total) : 0
        let done = progress.phase == .done ? width : min(Int((mapShare * 0.9 + reduceShare * 0.1) * Double(width)), width)
        let bar = String(repeating: "#", count: done) + String(repeating: ".", count: width - done)
        // bytesIn counts the reduce side's intermediate bytes too: show the input's share.
        let megabytes = Double(min(progress.bytesIn, totalBytes)) / 1e6
        let line = "\r[\(bar)] map \(progress.map.committed)/\(progress.map.total)"
            + " reduce \(progress.reduce.committed)/\(progress.reduce.total)"
            + " \(Self.format(megabytes))/\(Self.format(Double(totalBytes) / 1e6)) MB"
            + " \(Self.format(progress.bytesPerSecond / 1e6)) MB/s"
            + " \(progress.liveWorkers) worker\(progress.liveWorkers == 1 ? "" : "s")\u{1B}[K"
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        FileHandle.standardError.write(Data("\n".utf8))
    }

    private static func format(_ value: Double) -> String {
        String(format: "%.1f", value)
    }
}
