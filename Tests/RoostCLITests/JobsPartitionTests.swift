import RoostClient
import RoostJobs
import RoostTestSupport
import Testing

@Suite("roost jobs on a partitioned queue, against Roost and redis-server")
struct JobsPartitionTests {
    @Test(arguments: CLIBackend.available)
    func statsListShowAndRetrySeeEveryPartition(_ backend: CLIBackend) async throws {
        try await withCLIBackend(backend) { url, client in
            let queue = JobQueue("q", on: client, partitions: 3)
            let ids = try await queue.enqueue([Greet(who: "a"), Greet(who: "b"), Greet(who: "c")])
            try await queue.setLimits(concurrency: 6)

            let text = try await RoostCLI.jobs(["stats"], url: url)
            #expect(text.status == 0)
            #expect(Array(text.fields.prefix(4)) == [["queue", "q"], ["partitions", "3"], ["paused", "no"], ["waiting", "3"]])
            #expect(text.fields.contains(["concurrency", "6"]))

            let list = try await RoostCLI.jobs(["list", "waiting", "--json"], url: url).json(ListOutput.self)
            #expect(Set(list.jobs.map(\.id)) == Set(ids))

            // A job of partition 1 or 2 (ids `p:<seq>`).
            let last = try #require(ids.first { $0.contains(":") })
            let show = try await RoostCLI.jobs(["show", last, "--json"], url: url).json(ShowOutput.self)
            #expect(show.id == last && show.state == "waiting")

            _ = try await queue.cancel(last, timeout: .seconds(20))
            #expect(try await RoostCLI.jobs(["retry", "--all"], url: url).status == 0)
            #expect(try await queue.counts()[.waiting] == 3)
        }
    }
}
