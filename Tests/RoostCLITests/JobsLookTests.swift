import RoostClient
import RoostJobs
import RoostTestSupport
import Testing

/// `roost jobs --json` outputs, as the tests read them.
struct StatsOutput: Decodable {
    struct Rate: Decodable { var count: Int; var perMilliseconds: Int }
    var queue: String
    var paused: Bool
    var counts: [String: Int]
    var concurrency: Int?
    var rate: Rate?
    var schedules: Int
}

struct ListOutput: Decodable {
    struct Job: Decodable {
        var id, name: String
        var attempt, maxAttempts, priority: Int
        var enqueuedAt, ageMilliseconds: Int64
    }
    var queue, state: String
    var jobs: [Job]
}

struct ShowOutput: Decodable {
    var id, name, state: String
    var attempt, maxAttempts, priority: Int
    var enqueuedAt: Int64
    var startedAt, finishedAt: Int64?
    var payload: [String: String]
    var result: String?
    var progress: [String: Int]?
    var error: String?
    var logs: [String]
}

@Suite("roost jobs stats, list and show, against Roost and redis-server")
struct JobsLookTests {
    @Test(arguments: CLIBackend.available)
    func statsCountsStatesAndShowsPauseLimitsAndSchedules(_ backend: CLIBackend) async throws {
        try await withCLIBackend(backend) { url, client in
            let queue = JobQueue("q", on: client)
            _ = try await queue.enqueue([Greet(who: "a"), Greet(who: "b")])
            _ = try await queue.enqueue(Greet(who: "later"), options: .init(delay: .seconds(3600)))
            try await queue.pause()
            try await queue.setLimits(concurrency: 4, rate: (count: 100, per: .seconds(1)))
            try await queue.schedule(Greet(who: "hourly"), try RepeatSchedule(every: .seconds(3600)), name: "hourly")

            let text = try await RoostCLI.jobs(["stats"], url: url)
            #expect(text.status == 0)
            #expect(text.fields == [["queue", "q"], ["paused", "yes"], ["waiting", "2"], ["delayed", "1"], ["active", "0"],
                                    ["completed", "0"], ["failed", "0"], ["waiting-children", "0"], ["concurrency", "4"],
                                    ["rate", "100", "per", "1s"],
                                    ["schedules", "1"]])

            let json = try await RoostCLI.jobs(["stats", "--json"], url: url).json(StatsOutput.self)
            #expect(json.queue == "q" && json.paused && json.schedules == 1)
            #expect(json.counts == ["waiting": 2, "delayed": 1, "active": 0, "completed": 0, "failed": 0, "waiting-children": 0])
            #expect(json.concurrency == 4 && json.rate?.count == 100 && json.rate?.perMilliseconds == 1000)

            try await queue.resume()
            try await queue.setLimits()
            let after = try await RoostCLI.jobs(["stats", "--json"], url: url).json(StatsOutput.self)
            #expect(!after.paused && after.concurrency == nil && after.rate == nil)
        }
    }

    @Test(arguments: CLIBackend.available)
    func listShowsIdsNamesAttemptsAndAgesInQueueOrder(_ backend: CLIBackend) async throws {
        try await withCLIBackend(backend) { url, client in
            let queue = JobQueue("q", on: client)
            let ids = try await queue.enqueue([Greet(who: "a"), Greet(who: "b"), Greet(who: "c")])

            let text = try await RoostCLI.jobs(["list", "waiting", "--limit", "2"], url: url)
            #expect(text.status == 0)
            #expect(text.fields.count == 3)
            #expect(text.fields.first == ["ID", "NAME", "ATTEMPT", "AGE"])
            #expect(text.fields.dropFirst().map { Array($0.prefix(3)) } == [[ids[0], "greet", "0/3"], [ids[1], "greet", "0/3"]])
            #expect(text.fields.dropFirst().allSatisfy { $0.count == 4 && ($0[3].hasSuffix("ms") || $0[3].hasSuffix("s")) })

            let json = try await RoostCLI.jobs(["list", "waiting", "--json"], url: url).json(ListOutput.self)
            #expect(json.queue == "q" && json.state == "waiting")
            #expect(json.jobs.map(\.id) == ids)
            #expect(json.jobs.allSatisfy { $0.name == "greet" && $0.attempt == 0 && $0.maxAttempts == 3 && $0.ageMilliseconds >= 0 })

            let none = try await RoostCLI.jobs(["list", "failed"], url: url)
            #expect(none.status == 0 && none.text == "no failed jobs in queue q\n")
            #expect(try await RoostCLI.jobs(["list", "failed", "--json"], url: url).json(ListOutput.self).jobs.isEmpty)
        }
    }

    @Test(arguments: CLIBackend.available)
    func showPrintsEveryFieldWithPayloadResultAndLogs(_ backend: CLIBackend) async throws {
        try await withCLIBackend(backend) { url, client in
            let queue = JobQueue("q", on: client)
            let id = try await queue.enqueue(Greet(who: "Ada"))
            try await whileWorking(queue, { job, context in
                try await context.log("greeting \(job.who)")
                try await context.progress(["percent": 100])
                return "hello \(job.who)"
            }) {
                _ = try await queue.finished(id, timeout: .seconds(20))
            }

            let text = try await RoostCLI.jobs(["show", id], url: url)
            #expect(text.status == 0)
            let lines = text.fields
            #expect(lines.contains(["id", id]) && lines.contains(["name", "greet"]) && lines.contains(["state", "completed"]))
            #expect(lines.contains(["attempt", "1", "of", "3"]) && lines.contains(["priority", "0"]))
            #expect(lines.contains(["payload", #"{"who":"Ada"}"#]) && lines.contains(["result", #""hello"#, #"Ada""#]))
            #expect(lines.contains(["progress", #"{"percent":100}"#]) && lines.contains(["error", "-"]))
            #expect(lines.contains { $0.first == "finished" && $0.last == "ago)" })
            #expect(lines.contains(["logs", "1"]) && text.text.hasSuffix("\n  greeting Ada\n"))

            let json = try await RoostCLI.jobs(["show", id, "--json"], url: url).json(ShowOutput.self)
            #expect(json.id == id && json.name == "greet" && json.state == "completed" && json.attempt == 1)
            #expect(json.payload == ["who": "Ada"] && json.result == "hello Ada" && json.progress == ["percent": 100])
            #expect(json.error == nil && json.logs == ["greeting Ada"])
            #expect(json.startedAt != nil && json.finishedAt.map { $0 >= json.enqueuedAt } == true)
        }
    }

    @Test(arguments: CLIBackend.available)
    func showPrintsTheErrorOfAFailedJob(_ backend: CLIBackend) async throws {
        try await withCLIBackend(backend) { url, client in
            let queue = JobQueue("q", on: client)
            let id = try #require(try await failedJobs(queue, count: 1).first)
            let json = try await RoostCLI.jobs(["show", id, "--json"], url: url).json(ShowOutput.self)
            #expect(json.state == "failed" && json.result == nil && json.error?.contains("bad input") == true)
            let text = try await RoostCLI.jobs(["show", id], url: url)
            #expect(text.fields.contains { $0.first == "error" && $0.contains("input") })
        }
    }

    @Test func showOfAJobTheQueueDoesNotHaveFailsWithExitCode1() async throws {
        try await withCLIBackend(.roost) { url, _ in
            let result = try await RoostCLI.jobs(["show", "nope"], url: url, queue: "empty")
            #expect(result.status == 1 && result.text.isEmpty)
            #expect(result.errorText == "Error: no job nope in queue empty\n")
        }
    }
}
