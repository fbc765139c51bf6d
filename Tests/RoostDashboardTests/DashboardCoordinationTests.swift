import Hummingbird
import RoostClient
import RoostCoordination
@testable import RoostDashboard
import RoostTestSupport
import Testing

@Suite("RoostDashboard coordination page against Roost and redis-server")
struct DashboardCoordinationTests {
    @Test(arguments: dashboardBackends)
    func pageShowsLocksSemaphoresAndLeadersWithNamesEscaped(_ backend: TestBackend) async throws {
        try await withDashboard(backend) { fixture in
            let empty = try await fixture.get("/coordination")
            #expect(empty.status == .ok)
            #expect(empty.text.contains("No lock is held or waited for."))
            #expect(empty.text.contains("data-testid=\"nav-coordination\""))

            let lock = DistributedLock("<b>invoices", on: fixture.client, leaseTime: .seconds(60))
            let held = try #require(try await lock.tryAcquire())
            let uploads = DistributedSemaphore("uploads", permits: 3, on: fixture.client, leaseTime: .seconds(60))
            let permits = [try #require(try await uploads.tryAcquire()), try #require(try await uploads.tryAcquire())]
            let election = LeaderElection("scheduler", identity: "node-<1>", on: fixture.client, leaseTime: .seconds(60))
            let term = try #require(try await election.tryCampaign())

            // A fresh dashboard: the first one's list of names may be cached.
            let dashboard = Dashboard(client: fixture.client, configuration: fixture.dashboard.configuration)
            try await dashboard.application().test(.router) { http in
                let page = try await http.execute(uri: "/coordination", method: .get) { String(buffer: $0.body) }
                #expect(page.contains("data-name=\"&lt;b&gt;invoices\""))
                #expect(page.contains("<td>&lt;b&gt;invoices</td>"))
                #expect(!page.contains("<b>invoices"), "the lock's name is text, not markup")
                #expect(page.contains("<code>\(held.owner)</code>"))
                #expect(page.contains("data-testid=\"token\">\(held.token)</td>"))
                #expect(page.contains("data-testid=\"lease-left\" data-lease-left=\""))
                #expect(page.contains("data-testid=\"permits-used\">2</td>"))
                for permit in permits { #expect(page.contains("<code>\(permit.owner)</code> · token \(permit.token)")) }
                #expect(page.contains("data-testid=\"leader\">node-&lt;1&gt;</td>"))
                #expect(!page.contains("node-<1>"))
                #expect(page.contains("data-live-fragment=\"/coordination/live\""))

                let live = try await http.execute(uri: "/coordination/live", method: .get) { String(buffer: $0.body) }
                #expect(!live.contains("<!DOCTYPE html>"))
                #expect(live.contains("data-name=\"&lt;b&gt;invoices\""))

                // What the page's EventSource reads: the same sections as `fragment` events.
                let stream = try await http.execute(uri: "/coordination/live?limit=2", method: .get,
                                                    headers: [.accept: "text/event-stream"]) { response in
                    (response.headers[.contentType], String(buffer: response.body))
                }
                #expect(stream.0 == "text/event-stream")
                let events = stream.1.components(separatedBy: "\n\n").filter { $0.hasPrefix("event: fragment\n") }
                #expect(events.count == 2, "the lease left changes from one read to the next")
                #expect(events.allSatisfy { $0.contains("data-testid=\"lock-row\" data-name=\"&lt;b&gt;invoices\"") })

                let metrics = try await http.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
                #expect(metrics.contains("roost_lock_held{name=\"<b>invoices\"} 1"))
                #expect(metrics.contains("roost_lock_fencing_token{name=\"<b>invoices\"} \(held.token)"))
                #expect(metrics.contains("roost_semaphore_permits_used{name=\"uploads\"} 2"))
                #expect(metrics.contains("roost_leader_term{election=\"scheduler\"} \(term.token)"))

                try await lock.release(held)
                for permit in permits { try await uploads.release(permit) }
                try await election.resign(term)
                let after = try await http.execute(uri: "/coordination/live", method: .get) { String(buffer: $0.body) }
                #expect(after.contains("No lock is held or waited for."))
                #expect(after.contains("No semaphore permit is held or waited for."))
                #expect(after.contains("No election has a leader or a candidate."))
            }
        }
    }
}
