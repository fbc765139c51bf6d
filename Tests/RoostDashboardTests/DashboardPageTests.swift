import Hummingbird
import RoostClient
@testable import RoostDashboard
import RoostJobs
import RoostTestSupport
import Testing

@Suite("RoostDashboard pages against Roost and redis-server with real queues")
struct DashboardPageTests {
    @Test(arguments: dashboardBackends)
    func overviewListsEveryQueueWithCountsPerState(_ backend: TestBackend) async throws {
        try await withDashboard(backend) { fixture in
            let mail = fixture.queue("mail")
            _ = try await mail.enqueue([Mail(to: "a"), Mail(to: "b")])
            try await mail.enqueue(Mail(to: "later"), options: EnqueueOptions(delay: .seconds(3600)))
            try await fixture.queue("reports").enqueue(Report(day: 1))
            try await fixture.queue("reports").pause()
            let page = try await fixture.get("/")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.text.hasPrefix("<!DOCTYPE html>"))
            #expect(page.text.contains("data-testid=\"queue-link-mail\""))
            #expect(page.text.contains("data-testid=\"queue-link-reports\""))
            #expect(page.text.contains("data-testid=\"count-mail-waiting\">2</a>"))
            #expect(page.text.contains("data-testid=\"count-mail-delayed\">1</a>"))
            #expect(page.text.contains("data-testid=\"count-reports-waiting\">1</a>"))
            #expect(page.text.contains("data-testid=\"paused-reports\">paused</span>"))
            #expect(page.text.contains("data-testid=\"paused-mail\">running</span>"))
            #expect(page.text.contains("data-testid=\"no-workers\""))
        }
    }

    @Test(arguments: dashboardBackends)
    func overviewShowsRunningWorkersWithTheirHeartbeats(_ backend: TestBackend) async throws {
        try await withDashboard(backend) { fixture in
            let queue = fixture.queue("busy")
            try await queue.enqueue(Mail(to: "x"))
            let worker = quietWorker(queue, concurrency: 3)
            let started = AsyncStream<Void>.makeStream()
            worker.register(Mail.self) { _, _ in
                started.continuation.yield()
                try await Task.sleep(for: .seconds(3600)) // until the worker is cancelled
                return Empty()
            }
            try await whileRunning([worker]) {
                var iterator = started.stream.makeAsyncIterator()
                await iterator.next()
                try await eventually("the worker announced its running job") {
                    try await queue.workers().first?.running.isEmpty == false
                }
                let page = try await fixture.get("/")
                #expect(page.text.contains("data-testid=\"workers\""))
                #expect(page.text.contains("data-testid=\"worker-row\""))
                #expect(page.text.contains("<td>1/3</td>"))
                #expect(page.text.contains("data-testid=\"worker-heartbeat\""))
                #expect(page.text.contains(Worker.version))
            }
            // A worker that stopped withdraws its announcement.
            #expect(try await queue.workers().isEmpty)
        }
    }

    @Test(arguments: dashboardBackends)
    func queuePageShowsAStateInPages(_ backend: TestBackend) async throws {
        try await withDashboard(backend) { fixture in
            let ids = try await fixture.queue("paged").enqueue((0..<7).map { Mail(to: "user\($0)") })
            let first = try await fixture.get("/queues/paged")
            #expect(first.status == .ok)
            #expect(first.text.contains("data-testid=\"queue-name\">paged</span>"))
            for id in ids.prefix(3) { #expect(first.text.contains("data-testid=\"job-row-\(id)\"")) }
            #expect(!first.text.contains("data-testid=\"job-row-\(ids[3])\""))
            #expect(first.text.contains("page 1 of 3"))
            #expect(first.text.contains("data-testid=\"page-next\""))
            #expect(!first.text.contains("data-testid=\"page-prev\""))
            let last = try await fixture.get("/queues/paged?state=waiting&page=3")
            #expect(last.text.contains("data-testid=\"job-row-\(ids[6])\""))
            #expect(!last.text.contains("data-testid=\"job-row-\(ids[5])\""))
            #expect(last.text.contains("data-testid=\"page-prev\""))
            let empty = try await fixture.get("/queues/paged?state=failed")
            #expect(empty.text.contains("data-testid=\"no-jobs\""))
        }
    }

    @Test(arguments: dashboardBackends)
    func queuePageSearchesByIdAndByName(_ backend: TestBackend) async throws {
        try await withDashboard(backend) { fixture in
            let queue = fixture.queue("mixed")
            let mails = try await queue.enqueue([Mail(to: "a"), Mail(to: "b")])
            let report = try await queue.enqueue(Report(day: 2), options: EnqueueOptions(id: "report-day-2"))
            let byName = try await fixture.get("/queues/mixed?state=waiting&q=mai")
            for id in mails { #expect(byName.text.contains("data-testid=\"job-row-\(id)\"")) }
            #expect(!byName.text.contains("data-testid=\"job-row-\(report)\""))
            let byID = try await fixture.get("/queues/mixed?state=waiting&q=report-day-2")
            #expect(byID.text.contains("data-testid=\"job-row-report-day-2\""))
            #expect(!byID.text.contains("data-testid=\"job-row-\(mails[0])\""))
            let none = try await fixture.get("/queues/mixed?state=waiting&q=nothing+like+this")
            #expect(none.text.contains("data-testid=\"no-jobs\""))
        }
    }

    @Test(arguments: dashboardBackends)
    func jobInspectorShowsPayloadErrorProgressLogsAndTimings(_ backend: TestBackend) async throws {
        try await withDashboard(backend) { fixture in
            let queue = fixture.queue("inspect")
            let id = try await queue.enqueue(Mail(to: "<script>alert(1)</script>"))
            try await failJobs(queue, [id], message: "smtp said no")
            let page = try await fixture.get("/queues/inspect/jobs/\(id)")
            #expect(page.status == .ok)
            #expect(page.text.contains("data-testid=\"job-state\">failed</span>"))
            #expect(page.text.contains("data-testid=\"job-attempt\">1 of 3</span>"))
            #expect(page.text.contains("smtp said no"))
            #expect(page.text.contains("data-testid=\"job-progress\""))
            #expect(page.text.contains("<code>sending</code>"))
            #expect(page.text.contains("waited "))
            #expect(page.text.contains("ran "))
            // The payload is shown as text, never as markup.
            #expect(page.text.contains("&lt;script&gt;alert(1)&lt;"))
            #expect(!page.text.contains("<script>alert(1)"))
            #expect(page.text.contains("data-testid=\"action-retry\""))
            let missing = try await fixture.get("/queues/inspect/jobs/no-such-job")
            #expect(missing.status == .notFound)
        }
    }

    @Test(arguments: dashboardBackends)
    func jobInspectorShowsAFlowsParentAndChildren(_ backend: TestBackend) async throws {
        try await withDashboard(backend) { fixture in
            let added = try await FlowProducer(on: fixture.client).add(FlowJob(Report(day: 9), in: "flow-parents", children: [
                FlowJob(Mail(to: "one"), in: "flow-children"), FlowJob(Mail(to: "two"), in: "flow-children"),
            ]))
            let parent = try await fixture.get("/queues/flow-parents/jobs/\(added.job.id)")
            #expect(parent.text.contains("data-testid=\"job-state\">waiting-children</span>"))
            #expect(parent.text.components(separatedBy: "data-testid=\"job-child\"").count == 3)
            #expect(parent.text.contains("2 pending"))
            let child = added.children[0].job
            let childPage = try await fixture.get("/queues/flow-children/jobs/\(child.id)")
            #expect(childPage.text.contains("data-testid=\"job-parent\""))
            #expect(childPage.text.contains("/queues/flow-parents/jobs/\(added.job.id)"))
        }
    }

    @Test(arguments: dashboardBackends)
    func serverPageShowsInfoFiguresKeyspaceAndSlowLog(_ backend: TestBackend) async throws {
        try await withDashboard(backend) { fixture in
            let empty = try await fixture.get("/server")
            #expect(empty.status == .ok)
            #expect(empty.text.contains("data-testid=\"info-used_memory_human\""))
            #expect(empty.text.contains("data-testid=\"info-connected_clients\""))
            #expect(empty.text.contains("data-testid=\"info-total_commands_processed\""))
            #expect(empty.text.contains("data-testid=\"info-rdb_changes_since_last_save\""))
            #expect(empty.text.contains("data-testid=\"keyspace-empty\""))
            // Every command is slow at a threshold of 0 µs.
            _ = try await fixture.client.execute(RedisCommand("CONFIG", ["SET", "slowlog-log-slower-than", "0"]), timeout: nil)
            try await fixture.queue("server-page").enqueue(Mail(to: "a"))
            let page = try await fixture.get("/server")
            #expect(page.text.contains("data-testid=\"keyspace\""))
            #expect(page.text.contains("<td>db0</td><td>keys="))
            #expect(page.text.contains("data-testid=\"slowlog-row\""))
        }
    }

    @Test(arguments: dashboardBackends)
    func metricsExposeQueueAndServerFiguresForPrometheus(_ backend: TestBackend) async throws {
        try await withDashboard(backend) { fixture in
            let queue = fixture.queue("scraped")
            _ = try await queue.enqueue([Mail(to: "a"), Mail(to: "b")])
            try await queue.pause()
            let metrics = try await fixture.get("/metrics")
            #expect(metrics.status == .ok)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            #expect(metrics.text.contains("roost_jobs{queue=\"scraped\",state=\"waiting\"} 2"))
            #expect(metrics.text.contains("roost_jobs{queue=\"scraped\",state=\"failed\"} 0"))
            #expect(metrics.text.contains("roost_queue_paused{queue=\"scraped\"} 1"))
            #expect(metrics.text.contains("# TYPE roost_server_connected_clients gauge"))
            #expect(metrics.text.contains("roost_server_keys{db=\"db0\"}"))
        }
    }

    @Test(arguments: dashboardBackends)
    func assetsAreServedFromTheModulesResources(_ backend: TestBackend) async throws {
        try await withDashboard(backend) { fixture in
            let css = try await fixture.get("/assets/dashboard.css")
            #expect(css.status == .ok)
            #expect(css.headers[.contentType] == "text/css; charset=utf-8")
            #expect(css.text.contains("table.grid"))
            let script = try await fixture.get("/assets/dashboard.js")
            #expect(script.status == .ok)
            #expect(script.text.contains("EventSource"))
            #expect(try await fixture.get("/assets/other.js").status == .notFound)
        }
    }
}
