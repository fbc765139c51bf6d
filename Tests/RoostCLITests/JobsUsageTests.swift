import Foundation
import RoostClient
import RoostJobs
import RoostTestSupport
import Testing

@Suite("roost jobs: usage errors exit with 64, runtime errors with 1, each with one clear message")
struct JobsUsageTests {
    /// Where nothing listens: URLs that fail before connecting never get there.
    static let nowhere = "redis://127.0.0.1:1"

    @Test(arguments: [
        ("http://127.0.0.1:6379", "unsupported scheme 'http'"),
        ("redis://127.0.0.1:99999", "port 99999 is out of range"),
        ("redis://127.0.0.1:6379/abc", "database 'abc' is not a non-negative integer"),
        ("redis:///0", "missing host"),
        ("127.0.0.1:6379", "invalid Redis URL"),
    ])
    func aBadURLIsAUsageError(_ url: String, _ message: String) async throws {
        let result = try await RoostCLI.jobs(["stats"], url: url)
        #expect(result.status == 64)
        #expect(result.text.isEmpty)
        #expect(result.errorText.hasPrefix("Error: ") && result.errorText.contains(message))
    }

    @Test func aClusterSeedMustBeATCPAddressOnDatabase0() async throws {
        let database = try await RoostCLI.jobs(["stats", "--cluster"], url: "redis://127.0.0.1:7000/3")
        #expect(database.status == 64 && database.errorText.contains("a cluster has only database 0"))
        let socket = try await RoostCLI.jobs(["stats", "--cluster"], url: "unix:///tmp/roost.sock")
        #expect(socket.status == 64 && socket.errorText.contains("cluster nodes need TCP addresses"))
    }

    @Test(arguments: [["list", "running"], ["list", "Waiting"], ["clean", "--state", "waiting"],
                      ["delete", "--state", "paused", "--all"]])
    func anUnknownStateIsAUsageErrorNamingTheValidOnes(_ arguments: [String]) async throws {
        let result = try await RoostCLI.jobs(arguments, url: Self.nowhere)
        #expect(result.status == 64 && result.text.isEmpty)
        // Up to five values are listed in quotes, more one per line.
        #expect(result.errorText.contains("is invalid") && result.errorText.contains("completed"))
    }

    @Test(arguments: [
        (["retry"], "give the ids of failed jobs, or --all"),
        (["retry", "7", "--all"], "give the ids of failed jobs, or --all"),
        (["delete"], "give job ids, or --state STATE --all"),
        (["delete", "--all"], "give job ids, or --state STATE --all"),
        (["delete", "--state", "failed"], "give job ids, or --state STATE --all"),
        (["delete", "7", "--state", "failed", "--all"], "(not both)"),
        (["delete", "--state", "active", "--all"], "running jobs cannot be deleted"),
        (["clean"], "Missing expected argument '--state <state>'"),
        (["clean", "--state", "completed", "--older-than", "1x"], "'1x' is not a duration"),
        (["clean", "--state", "completed", "--older-than=-1h"], "is not a duration"),
        (["clean", "--state", "completed", "--keep=-1"], "--keep must not be negative"),
        (["list", "waiting", "--limit", "0"], "--limit must be at least 1"),
        (["show"], "Missing expected argument '<id>'"),
    ])
    func argumentsThatDoNotFitAreUsageErrors(_ arguments: [String], _ message: String) async throws {
        let result = try await RoostCLI.jobs(arguments, url: Self.nowhere)
        #expect(result.status == 64 && result.text.isEmpty)
        #expect(result.errorText.contains(message), "stderr: \(result.errorText)")
    }

    @Test func theQueueMustBeNamed() async throws {
        let missing = try await RoostCLI.run(["jobs", "stats", "--url", Self.nowhere])
        #expect(missing.status == 64 && missing.errorText.contains("Missing expected argument '--queue <queue>'"))
        let empty = try await RoostCLI.run(["jobs", "stats", "--url", Self.nowhere, "--queue", ""])
        #expect(empty.status == 64 && empty.errorText.contains("--queue must not be empty"))
    }

    @Test func helpNamesTheLocalServerAsTheDefaultURL() async throws {
        let help = try await RoostCLI.run(["jobs", "stats", "--help"])
        // The help wraps its lines: look for the parts.
        #expect(help.status == 0 && help.text.contains("(default:") && help.text.contains("redis://127.0.0.1:6379)"))
        let group = try await RoostCLI.run(["jobs", "--help"])
        for subcommand in ["stats", "list", "show", "retry", "delete", "pause", "resume", "clean"] {
            #expect(group.text.contains("  \(subcommand) "), "\(subcommand) missing from: \(group.text)")
        }
    }

    @Test(arguments: [["stats"], ["list", "failed"], ["show", "7"], ["retry", "--all"], ["delete", "7"], ["pause"],
                      ["resume"], ["clean", "--state", "failed"]])
    func anUnreachableServerIsARuntimeErrorOnOneLine(_ arguments: [String]) async throws {
        let port = try FreePort.find()
        // It gives up after its few connect attempts (not timed here: a loaded machine is slow).
        let result = try await RoostCLI.jobs(arguments, url: "redis://127.0.0.1:\(port)")
        #expect(result.status == 1 && result.text.isEmpty)
        #expect(result.errorText == "Error: cannot reach the server at 127.0.0.1:\(port): connection refused\n")
    }

    @Test func aPasswordInTheURLIsUsedAndAMissingOneIsARuntimeError() async throws {
        let server = try await RoostTestServer.start { $0.requirePass = "s3cret" }
        do {
            let refused = try await RoostCLI.jobs(["stats"], url: "redis://127.0.0.1:\(server.port)")
            #expect(refused.status == 1 && refused.errorText.hasPrefix("Error: the server at 127.0.0.1:\(server.port) answered: NOAUTH"))
            #expect(refused.errorText.split(separator: "\n").count == 1)
            let admitted = try await RoostCLI.jobs(["stats", "--json"], url: "redis://:s3cret@127.0.0.1:\(server.port)/0")
            #expect(admitted.status == 0)
            #expect(try admitted.json(StatsOutput.self).counts["waiting"] == 0)
        } catch {
            try? await server.stop()
            throw error
        }
        try await server.stop()
    }

    @Test(.enabled(if: RedisClusterProcess.isAvailable))
    func theClusterFlagReachesAQueueOnRedisCluster() async throws {
        let cluster = try await RedisClusterProcess.start()
        defer { cluster.stop() }
        try await cluster.withClient { client in
            let queue = JobQueue("q", on: client)
            let ids = try await queue.enqueue([Greet(who: "a"), Greet(who: "b")])
            let stats = try await RoostCLI.jobs(["stats", "--cluster", "--json"], url: cluster.urls[0]).json(StatsOutput.self)
            #expect(stats.counts["waiting"] == 2)
            let deleted = try await RoostCLI.jobs(["delete", ids[0], "--cluster"], url: cluster.urls[1])
            #expect(deleted.status == 0 && deleted.text == "1 job deleted\n")
            #expect(try await queue.ids(in: .waiting) == [ids[1]])
        }
    }
}
