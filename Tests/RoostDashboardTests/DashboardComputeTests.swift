import Logging
import RoostClient
import RoostCompute
import RoostCoordination
@testable import RoostDashboard
import RoostTestSupport
import Testing

/// Whether the test let the held map attempts go on.
private actor Gate {
    private(set) var isOpen = false
    func open() { isOpen = true }
    nonisolated func wait() async throws { try await eventually(timeout: .seconds(60), "the test opens the gate") { await self.isOpen } }
}

/// The MapReduce pages and metrics while a real job runs (its map attempts held) and after.
@Suite("Dashboard compute pages")
struct DashboardComputeTests {
    @Test(arguments: dashboardBackends)
    func aRunningJobShowsItsAttemptsAndWorkersThenItsFigures(_ backend: TestBackend) async throws {
        // Nothing cached: the list is read before and after the job is submitted.
        try await withDashboard(backend, Dashboard.Configuration(scanLifetime: .zero)) { fixture in
            let client = fixture.client
            let lines = (0..<40).map { RedisArgument("word\($0 % 7) and more <words>") as any RedisArgumentConvertible }
            _ = try await client.rpush(RedisKey("dash:lines"), lines)
            let gate = Gate()
            let held = wordCount("test.<held>", beforeMap: { try await gate.wait() })
            let registry = MapReduceRegistry()
            registry.register(held)
            let mapReduce = MapReduce("dash", on: client)
            #expect(try await fixture.get("/compute").text.contains("data-testid=\"no-mapreduce\""))
            let run = try await mapReduce.submit(held, input: RedisListInput(key: "dash:lines", elementsPerSplit: 20), partitions: 2,
                                                 id: "job-1", settings: CoordinatorInstance.Settings(backupFraction: 1, backupAfter: .zero))
            try await withMapReduceWorkers(mapReduce, registry) { workers in
                try await eventually(timeout: .seconds(60), "both map tasks run twice on workers") {
                    let attempts = try await mapReduce.inspect("job-1")?.attempts ?? []
                    return attempts.count == 4 && attempts.allSatisfy { $0.worker != nil }
                }
                let list = try await fixture.get("/compute")
                #expect(list.status == .ok)
                #expect(list.text.contains("data-testid=\"nav-compute\""))
                #expect(list.text.contains("href=\"/compute/dash/job-1\""))
                #expect(list.text.contains("<td data-testid=\"mr-status-dash-job-1\">running</td>"))
                #expect(list.text.contains("<td data-testid=\"mr-phase-dash-job-1\">map</td>"))
                #expect(list.text.contains("test.&lt;held&gt;") && !list.text.contains("test.<held>"))
                #expect(list.text.contains("href=\"/queues/mapreduce%3Adash\""))
                let page = try await fixture.get("/compute/dash/job-1")
                #expect(page.status == .ok)
                #expect(!page.text.contains("data-live-final"))
                #expect(page.text.contains("data-live-fragment=\"/compute/dash/job-1/figures\""))
                #expect(page.text.contains("<td data-testid=\"phase-map-running\">2</td>"))
                #expect(workers.contains { page.text.contains("<td data-testid=\"attempt-worker\"><code>\($0.identity)</code></td>") })
                #expect(page.text.components(separatedBy: "data-testid=\"backup\"").count == 3)
                #expect(page.text.components(separatedBy: "data-testid=\"straggler\"").count == 5)
                let figures = try await fixture.get("/compute/dash/job-1/figures")
                #expect(figures.text.contains("data-testid=\"phase-map-running\"") && !figures.text.contains("<html"))
                let metrics = try await fixture.get("/metrics").text
                #expect(metrics.contains("roost_mapreduce_tasks{") && metrics.contains("state=\"running\""))
                await gate.open()
                try await run.wait(timeout: .seconds(120))
            }
            let list = try await fixture.get("/compute")
            #expect(list.text.contains("<td data-testid=\"mr-status-dash-job-1\">done</td>"))
            #expect(list.text.contains("<span data-testid=\"mr-tasks-done\">4/4</span>"))
            let page = try await fixture.get("/compute/dash/job-1")
            #expect(page.text.contains("data-live-final"))
            #expect(page.text.contains("<td data-testid=\"phase-map-done\">2</td>") && page.text.contains("<td data-testid=\"phase-reduce-done\">2</td>"))
            #expect(page.text.contains("<td data-testid=\"mr-records\">160</td>"))
            #expect(!page.text.contains("<td data-testid=\"mr-bytes-out\">0 B</td>"))
            #expect(page.text.contains("data-testid=\"no-attempts\""))
            // A finished job's stream sends its figures once and ends.
            let stream = try await fixture.get("/compute/dash/job-1/figures", headers: [.accept: "text/event-stream"])
            #expect(stream.headers[.contentType] == "text/event-stream")
            #expect(stream.text.components(separatedBy: "event: fragment\n").count == 2 && stream.text.contains("data-live-final"))
            let metrics = try await fixture.get("/metrics").text
            #expect(metrics.split(separator: "\n").contains { $0.hasPrefix("roost_mapreduce_tasks{") && $0.contains("job=\"job-1\"")
                && $0.contains("phase=\"reduce\"") && $0.contains("state=\"done\"") && ($0.hasSuffix(" 2") || $0.hasSuffix(" 2.0")) })
            #expect(try await fixture.get("/compute/dash/no-such-job").status == .notFound)
        }
    }
}
