import Hummingbird
import RoostClient
@testable import RoostDashboard
import RoostJobs
import RoostTestSupport
import Testing

@Suite("RoostDashboard access with a token, and live counts over server-sent events")
struct DashboardAccessTests {
    @Test(arguments: dashboardBackends)
    func requestsWithoutTheTokenGet401(_ backend: TestBackend) async throws {
        try await withDashboard(backend, Dashboard.Configuration(token: "s3cret")) { fixture in
            let queue = fixture.queue("guarded")
            try await queue.enqueue(Mail(to: "a"))
            for uri in ["/", "/queues/guarded", "/events?limit=1"] {
                let page = try await fixture.get(uri)
                #expect(page.status == .unauthorized, "\(uri)")
                #expect(page.text.contains("data-testid=\"login-form\""), "\(uri)")
            }
            #expect(try await fixture.post("/queues/guarded/pause").status == .unauthorized)
            #expect(try await !queue.settings().isPaused)
            #expect(try await fixture.get("/", headers: [.authorization: "Bearer wrong"]).status == .unauthorized)
            #expect(try await fixture.get("/", headers: [.authorization: "Bearer s3cret"]).status == .ok)
            // Assets and the login form need no token.
            #expect(try await fixture.get("/assets/dashboard.css").status == .ok)
            #expect(try await fixture.get("/login").status == .ok)
        }
    }

    @Test(arguments: dashboardBackends)
    func theLoginFormSetsACookieThatLetsRequestsThrough(_ backend: TestBackend) async throws {
        try await withDashboard(backend, Dashboard.Configuration(token: "s3cret")) { fixture in
            let wrong = try await fixture.post("/login", [("token", "nope"), ("next", "/queues/x")], csrf: false)
            #expect(wrong.status == .unauthorized)
            #expect(wrong.text.contains("data-testid=\"login-failed\""))
            let right = try await fixture.post("/login", [("token", "s3cret"), ("next", "/queues/x")], csrf: false)
            #expect(right.status == .seeOther)
            #expect(right.headers[.location] == "/queues/x")
            let cookie = try #require(right.headers[.setCookie])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
            let pair = String(cookie.prefix { $0 != ";" })
            #expect(try await fixture.get("/", headers: [.cookie: pair]).status == .ok)
            #expect(try await fixture.get("/", headers: [.cookie: "\(Dashboard.sessionCookie)=forged"]).status == .unauthorized)
            // A login never sends a browser to another site.
            let away = try await fixture.post("/login", [("token", "s3cret"), ("next", "//evil.example/")], csrf: false)
            #expect(away.headers[.location] == "/")
        }
    }

    @Test(arguments: dashboardBackends)
    func liveEventsDeliverAChangedCount(_ backend: TestBackend) async throws {
        var configuration = Dashboard.Configuration()
        configuration.refreshInterval = .milliseconds(20)
        try await withDashboard(backend, configuration) { fixture in
            let queue = fixture.queue("live")
            try await queue.enqueue(Mail(to: "first"))
            let stream = try await withThrowingTaskGroup(of: String?.self) { group in
                group.addTask { try await fixture.get("/events?limit=2").text }
                group.addTask {
                    // Once the stream sent its first snapshot, change a count.
                    try await eventually("the first live snapshot") { fixture.dashboard.live.firstSent >= 1 }
                    try await queue.enqueue(Mail(to: "second"))
                    return nil
                }
                var text: String?
                for try await result in group { if let result { text = result } }
                return try #require(text)
            }
            let events = stream.components(separatedBy: "\n\n").filter { $0.hasPrefix("event: counts\ndata: ") }
            #expect(events.count == 2)
            #expect(events.first?.contains("\"waiting\":1") == true)
            #expect(events.last?.contains("\"waiting\":2") == true)
            #expect(events.first?.contains("\"name\":\"live\"") == true)
        }
    }

    @Test(arguments: dashboardBackends)
    func servesPagesActionsAndEventsOverARealSocket(_ backend: TestBackend) async throws {
        try await withDashboard(backend, setup: .live) { fixture in
            let queue = fixture.queue("socket")
            try await queue.enqueue(Mail(to: "a"))
            let page = try await fixture.get("/queues/socket")
            #expect(page.status == .ok)
            #expect(page.text.contains("data-testid=\"count-socket-waiting\">1</span>"))
            #expect(try await fixture.post("/queues/socket/pause").status == .seeOther)
            #expect(try await queue.settings().isPaused)
            let events = try await fixture.get("/events?limit=1")
            #expect(events.text.contains("\"paused\":true"))
        }
    }

    @Test(arguments: dashboardBackends)
    func theEventStreamHasTheEventStreamContentType(_ backend: TestBackend) async throws {
        try await withDashboard(backend) { fixture in
            let page = try await fixture.get("/events?limit=1")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/event-stream")
            #expect(page.text.hasPrefix("event: counts\ndata: {\"queues\":[]}"))
        }
    }
}
