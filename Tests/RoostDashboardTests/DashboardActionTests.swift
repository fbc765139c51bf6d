import HTTPTypes
import Hummingbird
import RoostClient
@testable import RoostDashboard
import RoostJobs
import RoostTestSupport
import Testing

@Suite("RoostDashboard actions: their effects in Redis, CSRF and cross-site refusal, read-only mode")
struct DashboardActionTests {
    @Test(arguments: dashboardBackends)
    func retryDeleteAndRetryAllActOnFailedJobs(_ backend: TestBackend) async throws {
        try await withDashboard(backend) { fixture in
            let queue = fixture.queue("act-failed")
            let ids = try await queue.enqueue((0..<4).map { Mail(to: "u\($0)") })
            try await failJobs(queue, ids, message: "down")
            let back = "/queues/act-failed?state=failed"
            let retried = try await fixture.post("/queues/act-failed/jobs/\(ids[0])/retry", [("_back", back)])
            #expect(retried.status == .seeOther)
            #expect(retried.headers[.location]?.hasPrefix(back + "&notice=") == true)
            #expect(try await queue.info(ids[0])?.state == .waiting)
            _ = try await fixture.post("/queues/act-failed/jobs/\(ids[1])/delete", [("_back", back)])
            #expect(try await queue.info(ids[1]) == nil)
            _ = try await fixture.post("/queues/act-failed/retry-failed", [("_back", back)])
            #expect(try await queue.counts()[.failed] == 0)
            #expect(try await queue.counts()[.waiting] == 3)
            // The notice the redirect carries shows on the page.
            let location = try #require(retried.headers[.location])
            #expect(try await fixture.get(location).text.contains("data-testid=\"notice\""))
        }
    }

    @Test(arguments: dashboardBackends)
    func promoteCancelPauseResumeAndClean(_ backend: TestBackend) async throws {
        try await withDashboard(backend) { fixture in
            let queue = fixture.queue("act-more")
            let later = try await queue.enqueue([Mail(to: "a"), Mail(to: "b")], options: EnqueueOptions(delay: .seconds(3600)))
            _ = try await fixture.post("/queues/act-more/jobs/\(later[0])/promote")
            #expect(try await queue.info(later[0])?.state == .waiting)
            _ = try await fixture.post("/queues/act-more/promote-delayed")
            #expect(try await queue.counts()[.delayed] == 0)
            _ = try await fixture.post("/queues/act-more/jobs/\(later[1])/cancel")
            let cancelled = try #require(try await queue.info(later[1]))
            #expect(cancelled.state == .failed && cancelled.error == JobQueue.cancelledMessage)
            _ = try await fixture.post("/queues/act-more/pause")
            #expect(try await queue.settings().isPaused)
            _ = try await fixture.post("/queues/act-more/resume")
            #expect(try await !queue.settings().isPaused)
            let cleaned = try await fixture.post("/queues/act-more/clean", [("state", "failed")])
            #expect(cleaned.status == .seeOther)
            #expect(try await queue.counts()[.failed] == 0)
            let refused = try await fixture.post("/queues/act-more/clean", [("state", "waiting")])
            #expect(refused.headers[.location]?.contains("notice=Only") == true)
            #expect(try await queue.counts()[.waiting] == 1)
        }
    }

    @Test(arguments: dashboardBackends)
    func cancelStopsARunningJob(_ backend: TestBackend) async throws {
        try await withDashboard(backend) { fixture in
            let queue = fixture.queue("act-cancel")
            let id = try await queue.enqueue(Mail(to: "slow"))
            let worker = quietWorker(queue)
            worker.register(Mail.self) { _, _ in
                try await Task.sleep(for: .seconds(3600)) // until cancelled
                return Empty()
            }
            try await whileRunning([worker]) {
                try await eventually("the job runs") { try await queue.info(id)?.state == .active }
                let page = try await fixture.post("/queues/act-cancel/jobs/\(id)/cancel")
                #expect(page.status == .seeOther)
                let job = try await queue.finished(id, timeout: .seconds(20))
                #expect(job.state == .failed && job.error == JobQueue.cancelledMessage)
            }
        }
    }

    @Test(arguments: dashboardBackends)
    func actionsWithoutTheCSRFTokenOrFromAnotherSiteAreRefused(_ backend: TestBackend) async throws {
        try await withDashboard(backend) { fixture in
            let queue = fixture.queue("act-csrf")
            try await queue.enqueue(Mail(to: "a"))
            let page = try await fixture.get("/queues/act-csrf")
            #expect(page.text.contains("name=\"_csrf\" value=\"\(fixture.dashboard.secrets.csrfToken)\""))
            let noToken = try await fixture.post("/queues/act-csrf/pause", csrf: false)
            #expect(noToken.status == .forbidden)
            let wrongToken = try await fixture.post("/queues/act-csrf/pause", [("_csrf", "0123")], csrf: false)
            #expect(wrongToken.status == .forbidden)
            let crossOrigin = try await fixture.post("/queues/act-csrf/pause", headers: [.origin: "http://evil.example"])
            #expect(crossOrigin.status == .forbidden)
            let crossSite = try await fixture.post("/queues/act-csrf/pause", headers: [DashboardFixture.secFetchSite: "cross-site"])
            #expect(crossSite.status == .forbidden)
            #expect(try await !queue.settings().isPaused)
            let sameSite = try await fixture.post("/queues/act-csrf/pause", headers: [DashboardFixture.secFetchSite: "same-origin"])
            #expect(sameSite.status == .seeOther)
            #expect(try await queue.settings().isPaused)
        }
    }

    @Test(arguments: dashboardBackends)
    func readOnlyModeHidesActionsAndRefusesThem(_ backend: TestBackend) async throws {
        try await withDashboard(backend, Dashboard.Configuration(readOnly: true)) { fixture in
            let queue = fixture.queue("act-readonly")
            let id = try await queue.enqueue(Mail(to: "a"), options: EnqueueOptions(delay: .seconds(3600)))
            for uri in ["/", "/queues/act-readonly?state=delayed", "/queues/act-readonly/jobs/\(id)"] {
                let page = try await fixture.get(uri)
                #expect(page.status == .ok)
                #expect(page.text.contains("data-testid=\"read-only\""))
                #expect(!page.text.contains("data-testid=\"action-"), "\(uri)")
                #expect(!page.text.contains("method=\"post\""), "\(uri)")
            }
            #expect(try await fixture.post("/queues/act-readonly/jobs/\(id)/promote").status == .forbidden)
            #expect(try await fixture.post("/queues/act-readonly/pause").status == .forbidden)
            #expect(try await queue.info(id)?.state == .delayed)
            #expect(try await !queue.settings().isPaused)
        }
    }
}

extension DashboardFixture {
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
}
