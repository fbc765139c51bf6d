import Hummingbird
import RoostClient
@testable import RoostDashboard
import RoostJobs
import RoostTestSupport
import Testing

@Suite("RoostDashboard's server page and metrics: every node of a 6-node Redis Cluster, one server unchanged")
struct DashboardClusterTests {
    @Test(.enabled(if: TestBackend.redisCluster.isAvailable))
    func serverPageListsEveryClusterNodeAndShowsTheChosenOne() async throws {
        try await withDashboard(.redisCluster) { fixture in
            let cluster = try #require(fixture.client as? RedisClusterClient)
            let nodes = try await cluster.nodes()
            #expect(nodes.count == 6)
            try await fixture.queue("cluster-page").enqueue(Mail(to: "a"))
            let page = try await fixture.get("/server")
            #expect(page.status == .ok)
            #expect(page.text.contains("data-testid=\"cluster-nodes\""))
            for node in nodes {
                #expect(page.text.contains("data-testid=\"node-row-\(node.address)\""))
                #expect(page.text.contains("<option value=\"\(node.address)\""))
            }
            #expect(page.text.components(separatedBy: "\">master</td>").count - 1 == 3)
            #expect(page.text.components(separatedBy: "\">replica of 127.0.0.1:").count - 1 == 3)
            // The queue's keys live on one master, which the table counts.
            let owner = try #require(try await cluster.topology.master(for: RedisHashSlot(key: "roost:jobs:{cluster-page}:meta")))
            #expect(!page.text.contains("data-testid=\"node-keys-\(owner)\">0</td>"))
            // With no choice, the first master is shown in full.
            #expect(page.text.contains("data-testid=\"node-title\">Node \(nodes[0].address) (master)</h1>"))
            #expect(page.text.contains("data-testid=\"info-tcp_port\">\(nodes[0].address.port)</td>"))

            // Choosing a node shows its figures and its own slow log.
            let replica = try #require(nodes.last)
            _ = try await cluster.node(replica.address).send("CONFIG", "SET", "slowlog-log-slower-than", "0")
            _ = try await cluster.node(replica.address).send("ECHO", "seen-on-the-replica")
            let chosen = try await fixture.get("/server?node=\(replica.address)")
            #expect(chosen.status == .ok)
            #expect(chosen.text.contains("data-testid=\"node-title\">Node \(replica.address) (replica)</h1>"))
            #expect(chosen.text.contains("data-testid=\"info-tcp_port\">\(replica.address.port)</td>"))
            #expect(chosen.text.contains("data-testid=\"slowlog-row\""))
            #expect(chosen.text.contains("ECHO seen-on-the-replica"))
            #expect(chosen.text.contains("<option value=\"\(replica.address)\" selected>"))
            #expect(chosen.text.contains("data-testid=\"node-row-\(replica.address)\" class=\"selected\""))
            let other = try await fixture.get("/server?node=\(nodes[0].address)")
            #expect(!other.text.contains("seen-on-the-replica"))

            let unknown = try await fixture.get("/server?node=127.0.0.1:1")
            #expect(unknown.status == .notFound)
        }
    }

    @Test(.enabled(if: TestBackend.redisCluster.isAvailable))
    func metricsOnAClusterCarryOneNodeLabelPerNode() async throws {
        try await withDashboard(.redisCluster) { fixture in
            let cluster = try #require(fixture.client as? RedisClusterClient)
            try await fixture.queue("cluster-metrics").enqueue(Mail(to: "a"))
            let metrics = try await fixture.get("/metrics")
            #expect(metrics.status == .ok)
            #expect(metrics.text.contains("roost_jobs{queue=\"cluster-metrics\",state=\"waiting\"} 1"))
            let nodes = try await cluster.nodes().map(\.address.description)
            for name in ["roost_server_connected_clients", "roost_server_used_memory_bytes", "roost_server_ops_per_second",
                         "roost_server_commands_processed"] {
                #expect(metrics.text.components(separatedBy: "\n# TYPE \(name) gauge").count == 2)
                let labels = Set(metrics.text.split(separator: "\n").filter { $0.hasPrefix(name + "{node=\"") }.map {
                    String($0.dropFirst(name.count + 7).prefix { $0 != "\"" })
                })
                #expect(labels == Set(nodes), "\(name)")
            }
            // The queue's keys on their master (and its replica, once copied) under `db0`.
            let owner = try #require(try await cluster.topology.master(for: RedisHashSlot(key: "roost:jobs:{cluster-metrics}:meta")))
            #expect(metrics.text.contains("roost_server_keys{db=\"db0\",node=\"\(owner)\"}"))
        }
    }

    @Test(arguments: dashboardBackends)
    func aSingleServerShowsNoNodesAndItsMetricsNoNodeLabel(_ backend: TestBackend) async throws {
        try await withDashboard(backend) { fixture in
            try await fixture.queue("single").enqueue(Mail(to: "a"))
            for uri in ["/server", "/server?node=127.0.0.1:1"] {
                let page = try await fixture.get(uri)
                #expect(page.status == .ok)
                #expect(!page.text.contains("data-testid=\"cluster-nodes\""))
                #expect(page.text.contains("<h1>Server</h1>"))
                #expect(page.text.contains("data-testid=\"info-connected_clients\""))
            }
            let metrics = try await fixture.get("/metrics")
            #expect(metrics.text.contains("roost_server_keys{db=\"db0\"}"))
            #expect(!metrics.text.contains("node=\""))
            #expect(metrics.text.contains("roost_dashboard_live_job_events 0"))
        }
    }
}
