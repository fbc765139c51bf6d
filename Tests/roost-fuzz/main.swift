import ArgumentParser
import Foundation
import NIOConcurrencyHelpers
import RoostFuzzing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Runs fuzz inputs against the engine and the request parser; exits non-zero, naming the
/// input and how to reproduce it, on a crash or on an input that runs past the time limit.
@main
struct RoostFuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roost-fuzz",
        abstract: "Fuzz Roost's engine and RESP parser with seeded, structure-aware inputs.")

    @Option(help: "commands, resp or all (alternating).")
    var target: String = "all"
    @Option(help: "The run's seed; each input derives from the seed and its index.")
    var seed: UInt64 = 1
    @Option(help: "The first input's index.")
    var start: Int = 0
    @Option(help: "How many inputs to run.")
    var count: Int = 100_000
    @Option(help: "Seconds one input may take before it counts as a hang.")
    var timeout: Double = 30
    @Flag(help: "Print each input before running it.")
    var print = false
    @Option(help: "Write the inputs' RESP streams into this directory (a libFuzzer seed corpus) instead of running them.")
    var writeCorpus: String?

    func run() throws {
        let targets: [EngineFuzzer.Target]
        if target == "all" { targets = EngineFuzzer.Target.allCases } else if let t = EngineFuzzer.Target(rawValue: target) {
            targets = [t]
        } else {
            throw ValidationError("unknown target \(target)")
        }
        let fuzzer = EngineFuzzer()
        if let directory = writeCorpus {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for index in start..<(start + count) {
                let url = URL(fileURLWithPath: directory).appendingPathComponent("input-\(seed)-\(index)")
                try Data(fuzzer.stream(index, seed: seed)).write(to: url)
            }
            Swift.print("roost-fuzz: wrote \(count) inputs to \(directory)")
            return
        }
        CrashReport.install()
        let progress = NIOLockedValueBox<(index: Int, started: Double)>((start, Date().timeIntervalSince1970))
        Watchdog.start(progress: progress, timeout: timeout) { index in
            let t = targets[index % targets.count]
            return "roost-fuzz: input \(index) (\(t.rawValue), seed \(seed)) ran past \(timeout) s:\n"
                + fuzzer.describe(index, seed: seed, target: t)
                + "\nreproduce: roost-fuzz --target \(t.rawValue) --seed \(seed) --start \(index) --count 1 --print\n"
        }
        let began = Date()
        for index in start..<(start + count) {
            let t = targets[index % targets.count]
            progress.withLockedValue { $0 = (index, Date().timeIntervalSince1970) }
            CrashReport.prepare(index: index, target: t.rawValue, seed: seed)
            if print {
                let text = "input \(index) (\(t.rawValue)):\n" + fuzzer.describe(index, seed: seed, target: t) + "\n"
                FileHandle.standardError.write(text.data(using: .utf8)!)
            }
            fuzzer.run(index, seed: seed, target: t)
            let done = index - start + 1
            if done % 10_000 == 0 {
                let rate = Double(done) / Date().timeIntervalSince(began)
                FileHandle.standardError.write("roost-fuzz: \(done) inputs, \(Int(rate))/s\n".data(using: .utf8)!)
            }
        }
        let seconds = Date().timeIntervalSince(began)
        Swift.print("roost-fuzz: \(count) inputs from \(start) (seed \(seed), \(target)) in \(Int(seconds)) s: no crash, no hang")
    }
}

/// Prints the input that was running when the process took a fatal signal (a Swift trap, a
/// segmentation fault), then lets the signal kill the process. The report is formatted before
/// each input, so the handler only calls `write`, which is async-signal-safe.
enum CrashReport {
    static let capacity = 512
    // Written by the fuzz loop between inputs, read by the signal handler on the same thread.
    nonisolated(unsafe) static let report = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    // Same as `report`: one writer between inputs, the handler reads it on that thread.
    nonisolated(unsafe) static var length = 0

    // The handlers installed before ours (the Swift runtime's backtracer), restored on a crash
    // so that it still prints the stack. Written once, before any input runs.
    nonisolated(unsafe) static var previous: [Int32: sigaction] = [:]

    static func install() {
        for signal in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in
                _ = write(2, CrashReport.report, CrashReport.length)
                if var old = CrashReport.previous[signal] { sigaction(signal, &old, nil) } else { Glibc.signal(signal, SIG_DFL) }
                raise(signal)
            }
            var old = sigaction()
            sigaction(signal, &action, &old)
            previous[signal] = old
        }
    }

    /// Formats the report for the input about to run.
    static func prepare(index: Int, target: String, seed: UInt64) {
        let text = "\nroost-fuzz: CRASH in input \(index) (\(target), seed \(seed)); reproduce with: "
            + "roost-fuzz --target \(target) --seed \(seed) --start \(index) --count 1 --print\n"
        let bytes = Array(text.utf8.prefix(capacity))
        bytes.withUnsafeBufferPointer { report.update(from: $0.baseAddress!, count: $0.count) }
        length = bytes.count
    }
}

/// A thread that ends the process when one input runs longer than the limit.
enum Watchdog {
    static func start(
        progress: NIOLockedValueBox<(index: Int, started: Double)>, timeout: Double,
        describe: @escaping @Sendable (Int) -> String
    ) {
        let thread = Thread {
            while true {
                Thread.sleep(forTimeInterval: 0.25)
                let (index, started) = progress.withLockedValue { $0 }
                if Date().timeIntervalSince1970 - started > timeout {
                    FileHandle.standardError.write(describe(index).data(using: .utf8)!)
                    exit(3)
                }
            }
        }
        thread.start()
    }
}
