import RoostClient
import RoostJobs
import RoostTestSupport
import Testing

@Suite("roost jobs retry, delete, pause, resume and clean, against Roost and redis-server")
struct JobsManageTests {
    struct Count: Decodable { var retried, deleted, removed: Int? }

    @Test(arguments: CLIBackend.available)
    func retrySendsNamedOrAllFailedJobsBackToWaiting(_ backend: CLIBackend) async throws {
        try await withCLIBackend(backend) { url, client in
            let queue = JobQueue("q", on: client)
            let ids = try await failedJobs(queue, count: 3)

            let one = try await RoostCLI.jobs(["retry", ids[0]], url: url)
            #expect(one.status == 0 && one.text == "1 job sent back to waiting\n")
            #expect(try await queue.ids(in: .waiting) == [ids[0]])
            #expect(try await queue.info(ids[0])?.attempt == 0)

            let all = try await RoostCLI.jobs(["retry", "--all", "--json"], url: url)
            #expect(all.status == 0)
            #expect(try all.json(Count.self).retried == 2)
            let counts = try await queue.counts()
            #expect(counts[.waiting] == 3 && counts[.failed] == 0)
        }
    }

    @Test(arguments: CLIBackend.available)
    func deleteRemovesNamedJobsOrEveryJobInAState(_ backend: CLIBackend) async throws {
        try await withCLIBackend(backend) { url, client in
            let queue = JobQueue("q", on: client)
            let failed = try await failedJobs(queue, count: 1)
            let ids = try await queue.enqueue([Greet(who: "a"), Greet(who: "b"), Greet(who: "c")])

            let one = try await RoostCLI.jobs(["delete", ids[0], failed[0]], url: url)
            #expect(one.status == 0 && one.text == "2 jobs deleted\n")
            #expect(try await queue.info(ids[0]) == nil)
            #expect(try await queue.info(failed[0]) == nil)

            let all = try await RoostCLI.jobs(["delete", "--state", "waiting", "--all", "--json"], url: url)
            #expect(all.status == 0)
            #expect(try all.json(Count.self).deleted == 2)
            #expect(try await queue.counts().values.allSatisfy { $0 == 0 })
        }
    }

    @Test(arguments: CLIBackend.available)
    func pauseAndResumeSwitchTheQueue(_ backend: CLIBackend) async throws {
        try await withCLIBackend(backend) { url, client in
            let queue = JobQueue("q", on: client)

            let paused = try await RoostCLI.jobs(["pause"], url: url)
            #expect(paused.status == 0 && paused.text == "queue q paused\n")
            #expect(try await queue.settings().isPaused)

            let resumed = try await RoostCLI.jobs(["resume", "--json"], url: url)
            #expect(resumed.status == 0 && resumed.text == #"{"queue":"q","paused":false}"# + "\n")
            #expect(try await !queue.settings().isPaused)
        }
    }

    @Test(arguments: CLIBackend.available)
    func cleanRemovesFinishedJobsByAgeSparingTheNewest(_ backend: CLIBackend) async throws {
        try await withCLIBackend(backend) { url, client in
            let queue = JobQueue("q", on: client)
            var ids: [String] = []
            try await whileWorking(queue, { job, _ in job.who }) {
                for who in ["a", "b", "c"] {
                    let id = try await queue.enqueue(Greet(who: who))
                    _ = try await queue.finished(id, timeout: .seconds(20))
                    ids.append(id)
                }
            }
            let failed = try await failedJobs(queue, count: 1)

            let young = try await RoostCLI.jobs(["clean", "--state", "completed", "--older-than", "1h"], url: url)
            #expect(young.status == 0 && young.text == "removed 0 completed jobs\n")
            #expect(try await queue.counts()[.completed] == 3)

            let kept = try await RoostCLI.jobs(["clean", "--state", "completed", "--keep", "1"], url: url)
            #expect(kept.status == 0 && kept.text == "removed 2 completed jobs\n")
            #expect(try await queue.ids(in: .completed) == [ids[2]])

            let rest = try await RoostCLI.jobs(["clean", "--state", "failed", "--older-than", "0s", "--json"], url: url)
            #expect(rest.status == 0)
            #expect(try rest.json(Count.self).removed == 1)
            #expect(try await queue.info(failed[0]) == nil)
            #expect(try await queue.counts()[.completed] == 1)
        }
    }
}
