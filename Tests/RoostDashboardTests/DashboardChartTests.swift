import Hummingbird
import HummingbirdTesting
import Logging
import RoostClient
@testable import RoostDashboard
import RoostJobs
import RoostTestSupport
import Testing

@Suite("RoostDashboard's last-hour charts against Roost and redis-server")
struct DashboardChartTests {
    @Test(arguments: dashboardBackends)
    func overviewAndQueuePageChartTheLastHourAndANewDashboardStillDoes(_ backend: TestBackend) async throws {
        try await withDashboard(backend) { fixture in
            let queue = fixture.queue("charted")
            let worker = quietWorker(queue)
            worker.register(Mail.self) { _, _ in Empty() }
            try await whileRunning([worker]) {
                for id in try await queue.enqueue((0..<5).map { Mail(to: "ok\($0)") }) {
                    _ = try await queue.finished(id, timeout: .seconds(20))
                }
            }
            try await failJobs(queue, try await queue.enqueue([Mail(to: "x"), Mail(to: "y")]), message: "bounced")
            // Another queue's figures add to the overview's chart, not to this queue's.
            try await failJobs(fixture.queue("other"), [try await fixture.queue("other").enqueue(Mail(to: "z"))], message: "no")

            let overview = try await fixture.get("/").text
            #expect(overview.contains("data-testid=\"chart-throughput-all\""))
            #expect(overview.contains("data-chart=\"throughput\" data-chart-queue=\"\" data-completed=\"5\""))
            #expect(overview.contains("data-chart=\"failure-rate\" data-chart-queue=\"\" data-failed=\"3\" data-finished=\"8\""))
            #expect(overview.contains("aria-label=\"Completed per minute, last hour: 5 in total, at most 5 in a minute\""))
            #expect(overview.contains("<title>Failure rate per minute, last hour: 3 failed of 8 finished (37.5%)</title>"))
            #expect(overview.components(separatedBy: "<rect ").count - 1 == 2 * 60)

            let page = try await fixture.get("/queues/charted").text
            #expect(page.contains("data-testid=\"chart-failure-rate-charted\""))
            #expect(page.contains("data-chart-queue=\"charted\" data-completed=\"5\""))
            #expect(page.contains("data-chart-queue=\"charted\" data-failed=\"2\" data-finished=\"7\""))
            #expect(page.contains("<strong data-chart-total>28.6%</strong>"))

            let metrics = try await fixture.get("/metrics").text
            #expect(metrics.contains("roost_jobs_completed_last_hour{queue=\"charted\"} 5"))
            #expect(metrics.contains("roost_jobs_failed_last_hour{queue=\"charted\"} 2"))
            #expect(metrics.contains("roost_jobs_failed_last_hour{queue=\"other\"} 1"))

            let live = try await fixture.get("/events?limit=1").text
            #expect(live.contains("\"lastHour\":{"))

            // The history is in Redis: a dashboard started afresh draws the same.
            var logger = Logger(label: "roost.dashboard.test")
            logger.logLevel = .critical
            let restarted = Dashboard(client: fixture.client, configuration: fixture.dashboard.configuration, logger: logger)
            try await restarted.application().test(.router) { http in
                let text = try await http.execute(uri: "/queues/charted", method: .get) { String(buffer: $0.body) }
                #expect(text.contains("data-chart-queue=\"charted\" data-completed=\"5\""))
                #expect(text.contains("data-chart-queue=\"charted\" data-failed=\"2\" data-finished=\"7\""))
            }
        }
    }

    @Test
    func chartsDrawOneBarPerMinuteScaledToThePeak() {
        let start: Int64 = 29_000_000 * 60_000
        let figures = QueueThroughput(start: start, completed: [0, 10, 5] + Array(repeating: 0, count: 57),
                                      failed: [0, 10, 0] + Array(repeating: 0, count: 57))
        let throughput = Charts.throughput(figures, queue: "q").text
        #expect(throughput.contains("<rect x=\"11\" y=\"4\" width=\"8\" height=\"96\"><title>\(Charts.clock(start + 60_000)): 10 completed</title></rect>"))
        #expect(throughput.contains("<rect x=\"21\" y=\"52\" width=\"8\" height=\"48\">"))
        let rate = Charts.failureRate(figures, queue: "q").text
        // Minute 1: 10 of 20 failed; minute 0: nothing finished, no bar.
        #expect(rate.contains("<rect x=\"11\" y=\"52\" width=\"8\" height=\"48\">"))
        #expect(rate.contains("<rect x=\"1\" y=\"100\" width=\"8\" height=\"0\"><title>\(Charts.clock(start)): 0 failed of 0</title>"))
        #expect(Charts.percent(10, of: 25) == "40.0%" && Charts.percent(0, of: 0) == "–")
        // A queue read a minute later shifts into the window of the latest one.
        let later = QueueThroughput(start: start + 60_000, completed: [1] + Array(repeating: 0, count: 59),
                                    failed: Array(repeating: 0, count: 60))
        let sum = QueueThroughput.sum([figures, later])
        #expect(sum.start == start + 60_000 && sum.completed.prefix(2) == [11, 5])
        let empty = QueueThroughput(start: start, completed: Array(repeating: 0, count: 60), failed: Array(repeating: 0, count: 60))
        var moved = empty
        moved.start += 60_000
        #expect(empty == moved && figures != later)
    }
}
