import RoostJobs
import RoostTestSupport
import Testing

/// An error whose message and detail are markup, which the page must show as text.
private struct HostileError: Error, JobErrorDetail, CustomStringConvertible {
    var description: String { "<script>alert('message')</script>" }
    var detail: String { "<script>alert('detail')</script>\nat step 1" }
}

@Suite("The job inspector's attempts, on Roost and redis-server")
struct JobAttemptsPageTests {
    @Test(arguments: dashboardBackends)
    func jobPageListsAttemptsWithTheirErrorsEscaped(_ backend: TestBackend) async throws {
        try await withDashboard(backend) { fixture in
            let queue = fixture.queue("attempts")
            let worker = quietWorker(queue)
            worker.register(Mail.self) { _, context in
                if context.attempt == 1 { throw HostileError() }
                return Empty()
            }
            let id = try await queue.enqueue(Mail(to: "ada"), options: .init(backoff: .fixed(.zero)))
            try await whileRunning([worker]) { _ = try await queue.finished(id, timeout: .seconds(20)) }
            let page = try await fixture.get("/queues/attempts/jobs/\(id)")
            #expect(page.status == .ok)
            #expect(page.text.contains("data-testid=\"job-attempts\""))
            // Newest first: the completed attempt, then the failed one with its detail.
            let completed = try #require(page.text.range(of: "data-testid=\"attempt-outcome\">completed<"))
            let failed = try #require(page.text.range(of: "data-testid=\"attempt-outcome\">failed<"))
            #expect(completed.lowerBound < failed.lowerBound)
            #expect(page.text.contains("&lt;script&gt;alert(&#39;message&#39;)&lt;/script&gt;"))
            #expect(page.text.contains("data-testid=\"attempt-detail\""))
            #expect(page.text.contains("&lt;script&gt;alert(&#39;detail&#39;)&lt;/script&gt;\nat step 1"))
            #expect(!page.text.contains("<script>alert("))

            let waiting = try await queue.enqueue(Mail(to: "later"), options: .init(delay: .seconds(3600)))
            let fresh = try await fixture.get("/queues/attempts/jobs/\(waiting)")
            #expect(fresh.text.contains("data-testid=\"no-attempts\""))
        }
    }
}
