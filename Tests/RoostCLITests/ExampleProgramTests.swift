import Foundation
import NIOPosix
import RoostTestSupport
import Testing

/// The programs of Examples/ (built with the package as `example-*`), run as a user runs them:
/// with no arguments but their input, on the embedded server.
@Suite("Examples/: each program runs on the embedded server and prints what it shows")
struct ExampleProgramTests {
    /// The threads that wait for the child processes, so that no cooperative-pool thread is held.
    private static let threads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 3)
        pool.start()
        return pool
    }()

    /// Runs example `name` with `arguments` to its end; its standard output's lines.
    private func run(_ name: String, _ arguments: [String] = []) async throws -> [String] {
        let executable = try #require(ProbeProcess.executable(named: name), "\(name) is not built (swift build --build-tests)")
        let result = try await Self.threads.runIfActive { try ChildProcess.run(executable, arguments, timeout: 300) }
        #expect(result.status == 0, "\(result.errorText)")
        return result.text.split(separator: "\n").map(String.init)
    }

    @Test func fileMapReduceCountsWordsOfTheFilesOnWorkerProcesses() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-example-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = "\(directory)/a.txt", second = "\(directory)/b.txt"
        try Data(String(repeating: "The cat saw the dog.\nthe END\n", count: 500).utf8).write(to: URL(fileURLWithPath: first))
        try Data("Cat, dog; cat!".utf8).write(to: URL(fileURLWithPath: second))
        let lines = try await run("example-file-mapreduce", ["run", first, second, "--workers", "2"])
        #expect(lines.first?.hasPrefix("2 file(s), 2 map task(s): 3503 words, 5 distinct") == true, "\(lines)")
        #expect(Array(lines.dropFirst()) == ["1500\tthe", "502\tcat", "501\tdog", "500\tend", "500\tsaw"])
    }

    @Test func tasksAndFuturesShowsResultsDependentsAndFailures() async throws {
        let lines = try await run("example-tasks-and-futures")
        #expect(lines == [
            "squares of 1...5: [1, 4, 9, 16, 25]",
            "sum of the squares, run after all five: 55",
            "square(3) again: the same task: true, value 9, the function ran 5 times in all",
            "price(ACME) with tax: 15.0",
            "price(NOPE) failed after 2 attempts: no price for NOPE",
            "with-tax after price(NOPE) did not run: no price for NOPE",
        ])
    }

    @Test func memoizedFunctionRunsOnceForConcurrentCallers() async throws {
        let lines = try await run("example-memoized-function")
        #expect(lines.count == 3, "\(lines)")
        #expect(lines.first?.hasPrefix("8 concurrent callers: the function ran 1 time(s)") == true, "\(lines)")
        #expect(lines.first?.hasSuffix(": true") == true, "\(lines)")
        #expect(lines.dropFirst().first?.hasSuffix("the function ran 1 time(s)") == true, "\(lines)")
        #expect(lines.last?.hasPrefix("after invalidate: computed again by caller 100; the function ran 2 time(s)") == true)
    }
}
