import Foundation
import RoostCompute
import RoostTestSupport
import Testing

/// Three files in a scratch directory: lines crossing the small splits, empty lines, non-UTF-8
/// bytes, a second file without a trailing newline and an empty third file.
private func withFiles(_ body: ([String], String) async throws -> Void) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-builtins-cli-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let paths = ["\(directory)/one.txt", "\(directory)/two.txt", "\(directory)/empty.txt"]
    try Data(LineCorpus.text(lines: 6_000, seed: 0xB17_0C11)).write(to: URL(fileURLWithPath: paths[0]))
    try Data(LineCorpus.text(lines: 2_000, seed: 0xB17_0C12, trailingNewline: false)).write(to: URL(fileURLWithPath: paths[1]))
    try Data().write(to: URL(fileURLWithPath: paths[2]))
    try await body(paths, directory)
}

/// `LC_ALL=C tool arguments…`'s standard output.
private func reference(_ tool: String, _ arguments: [String]) throws -> [UInt8] {
    let env = try #require(ChildProcess.executable(named: "env"))
    let result = try ChildProcess.run(env, ["LC_ALL=C", tool] + arguments, timeout: 60)
    #expect(result.status <= 1, "\(tool): \(result.errorText)")
    return result.output
}

/// Where the jobs run: the embedded server, or a server at `--url` with one local worker.
enum JobPlacement: String, CaseIterable, CustomStringConvertible {
    case embedded
    case url
    case cluster
    var description: String { rawValue }
}

/// Runs `roost arguments…` with small splits and two local workers, on a redis-server at
/// `--url` for `.url` and a 6-node Redis Cluster for `.cluster` (the embedded server when
/// there is no redis-server).
private func roost(_ arguments: [String], _ placement: JobPlacement) async throws -> ProcessResult {
    let small = ["--split-size", "4096", "--workers", "2"]
    switch placement {
    case .embedded:
        return try await RoostCLI.run(arguments + small, timeout: 300)
    case .url:
        guard RedisServerProcess.isAvailable else { return try await RoostCLI.run(arguments + small, timeout: 300) }
        let server = try await RedisServerProcess.start()
        defer { server.stop() }
        return try await RoostCLI.run(arguments + small + ["--url", server.url, "--namespace", "cli"], timeout: 300)
    case .cluster:
        guard RedisClusterProcess.isAvailable else { return try await RoostCLI.run(arguments + small, timeout: 300) }
        let cluster = try await RedisClusterProcess.start()
        defer { cluster.stop() }
        return try await RoostCLI.run(arguments + small + ["--url", cluster.urls[0], "--cluster"], timeout: 300)
    }
}

@Suite("roost grep, index and sort: the same bytes as grep -HnF, a one-process index and LC_ALL=C sort")
struct BuiltinFileJobsCLITests {
    @Test(arguments: JobPlacement.allCases)
    func grepPrintsWhatGrepHnFPrints(_ placement: JobPlacement) async throws {
        try await withFiles { paths, _ in
            let result = try await roost(["grep", "-F", "needle"] + paths, placement)
            #expect(result.status == 0, "\(result.errorText)")
            let expected = try reference("grep", ["-HnF", "needle"] + paths)
            #expect(!expected.isEmpty)
            #expect(result.output == expected)
        }
    }

    @Test func grepIgnoringCaseAndCountingMatchesGrep() async throws {
        try await withFiles { paths, directory in
            let output = "\(directory)/out.txt"
            let folded = try await roost(["grep", "-F", "-i", "neEdle", "--output", output] + paths, .embedded)
            #expect(folded.status == 0, "\(folded.errorText)")
            #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: output))) == (try reference("grep", ["-HniF", "neEdle"] + paths)))
            let counted = try await roost(["grep", "-F", "-c", "hay"] + paths, .embedded)
            #expect(counted.output == (try reference("grep", ["-HcF", "hay"] + paths)))
            // A regular expression that grep -E reads the same way.
            let regex = try await roost(["grep", "^needle\thay"] + paths, .embedded)
            #expect(regex.output == (try reference("grep", ["-HnE", "^needle\thay"] + paths)))
            let bad = try await RoostCLI.run(["grep", "(", paths[0]])
            #expect(bad.status == 64 && bad.errorText.contains("not a regular expression"))
        }
    }

    @Test(arguments: JobPlacement.allCases)
    func sortPrintsWhatCSortPrints(_ placement: JobPlacement) async throws {
        try await withFiles { paths, _ in
            let result = try await roost(["sort"] + paths, placement)
            #expect(result.status == 0, "\(result.errorText)")
            #expect(result.output == (try reference("sort", paths)))
            let reversed = try await roost(["sort", "-r"] + paths, .embedded)
            #expect(reversed.output == (try reference("sort", ["-r"] + paths)))
        }
    }

    @Test(arguments: JobPlacement.allCases)
    func theIndexMatchesAOneProcessIndex(_ placement: JobPlacement) async throws {
        try await withFiles { paths, _ in
            let result = try await roost(["index"] + paths, placement)
            #expect(result.status == 0, "\(result.errorText)")
            var postings: [[UInt8]: [(String, Int)]] = [:]
            for path in paths {
                var tally = WordTally()
                tally.add(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))))
                tally.forEach { word, count in postings[Array(word), default: []].append((path, count)) }
            }
            var expected: [UInt8] = []
            for word in postings.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                expected += word + [0x09] + Array(postings[word]!.map { "\($0.0):\($0.1)" }.joined(separator: ",").utf8) + [0x0A]
            }
            #expect(!expected.isEmpty)
            #expect(result.output == expected)
        }
    }

    @Test func aMissingFileIsAClearError() async throws {
        for command in ["grep", "index", "sort"] {
            let missing = "/nonexistent-\(UUID().uuidString).txt"
            let result = try await RoostCLI.run([command] + (command == "grep" ? ["x"] : []) + [missing, "--workers", "1"])
            #expect(result.status == 1)
            #expect(result.errorText.contains("\(missing): no such file"))
        }
    }
}
