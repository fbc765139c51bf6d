import RoostCoordination
@testable import RoostDashboard
import RoostJobs
import RoostTestSupport
import Testing

@Suite("What the dashboard reads through RoostJobs: queue names, pages, promotion; and its form and HTML escaping")
struct QueueInspectionTests {
    @Test(arguments: TestBackend.available)
    func namesFindEveryQueueAndAPartitionedQueueOnce(_ backend: TestBackend) async throws {
        try await withTestBackend(backend) { executor in
            let client = try #require(executor as? any CoordinationClient)
            #expect(try await JobQueue.names(on: client).isEmpty)
            try await JobQueue("alpha", on: client).enqueue(Mail(to: "a"))
            try await JobQueue("beta", on: client).enqueue(Mail(to: "b"))
            let split = JobQueue("split", on: client, partitions: 3)
            _ = try await split.enqueue((0..<6).map { Mail(to: "\($0)") })
            #expect(try await JobQueue.names(on: client) == ["alpha", "beta", "split"])
            let opened = try await JobQueue.open("split", on: client)
            #expect(try await opened.counts()[.waiting] == 6)
            // Pages cut from the partitions' merged order cover every job once.
            var seen: [String] = []
            for page in 0..<3 { seen += try await opened.ids(in: .waiting, offset: page * 2, limit: 2) }
            #expect(Set(seen).count == 6)
            #expect(try await opened.infos(seen).count == 6)
        }
    }

    @Test(arguments: TestBackend.available)
    func promoteMovesDelayedJobsToWaiting(_ backend: TestBackend) async throws {
        try await withTestBackend(backend) { executor in
            let client = try #require(executor as? any CoordinationClient)
            let queue = JobQueue("later", on: client)
            let ids = try await queue.enqueue((0..<3).map { Mail(to: "\($0)") }, options: EnqueueOptions(delay: .seconds(3600)))
            let now = try await queue.enqueue(Mail(to: "now"))
            #expect(try await queue.promote([ids[1], now]) == 1)
            #expect(try await queue.info(ids[1])?.state == .waiting)
            #expect(try await queue.promote() == 2)
            #expect(try await queue.counts()[.delayed] == 0)
            #expect(try await queue.counts()[.waiting] == 4)
        }
    }

    @Test(arguments: TestBackend.available)
    func searchMatchesIdNameAndPayloadText(_ backend: TestBackend) async throws {
        try await withTestBackend(backend) { executor in
            let client = try #require(executor as? any CoordinationClient)
            let queue = JobQueue("search", on: client)
            let ids = try await queue.enqueue([Mail(to: "ann@example.com"), Mail(to: "bob@example.com"), Mail(to: "Ann.Other")])
            let named = try await queue.enqueue(Report(day: 3))
            #expect(Set(try await queue.search("ANN", in: .waiting).map(\.id)) == [ids[0], ids[2]])
            #expect(try await queue.search("example.com", in: .waiting, limit: 1).map(\.id) == [ids[0]])
            #expect(try await queue.search("REPORT", in: .waiting).map(\.id) == [named])
            #expect(try await queue.search(ids[1], in: .waiting).map(\.id) == [ids[1]])
            #expect(try await queue.search("nobody", in: .waiting).isEmpty)
            #expect(try await queue.search("ann", in: .failed).isEmpty)
        }
    }

    @Test func formFieldsDecodePlusAndPercentEscapes() {
        let form = FormFields("a=1&b=two+words&c=%2Fx%3Fy&a=again&flag")
        #expect(form["a"] == "1")
        #expect(form["b"] == "two words")
        #expect(form["c"] == "/x?y")
        #expect(form["flag"] == "")
        #expect(form["none"] == nil)
        #expect(FormFields.escape("a b/c?&") == "a%20b%2Fc%3F%26")
    }

    @Test func htmlEscapesInterpolatedText() {
        let name = "<b class=\"x\">Tom & 'Jerry'</b>"
        let html: HTML = "<td>\(name)</td>\(HTML(raw: "<br>"))"
        #expect(html.description == "<td>&lt;b class=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/b&gt;</td><br>")
    }

    @Test func redirectsCarryOneNotice() {
        #expect(Dashboard.adding(notice: "done", to: "/queues/q?state=failed&notice=old") == "/queues/q?state=failed&notice=done")
        #expect(Dashboard.adding(notice: "a b", to: "/") == "/?notice=a%20b")
    }
}
