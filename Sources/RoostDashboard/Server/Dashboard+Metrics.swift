import Hummingbird
import Prometheus
import RoostClient

/// `GET metrics`: the dashboard's figures in Prometheus' text format (swift-prometheus), read
/// afresh for each scrape. Behind the token like every page (Prometheus sends it as a bearer
/// token).
///
/// | metric | labels | what |
/// |---|---|---|
/// | `roost_jobs` | `queue`, `state` | jobs in the state |
/// | `roost_queue_paused` | `queue` | 1 when paused |
/// | `roost_queue_workers` | `queue` | workers announced |
/// | `roost_jobs_completed_last_hour`, `roost_jobs_failed_last_hour` | `queue` | from `JobQueue.stats` |
/// | `roost_server_connected_clients`, `roost_server_used_memory_bytes`, `roost_server_ops_per_second`, `roost_server_commands_processed` | `node` on a cluster | from `INFO` |
/// | `roost_server_keys` | `db` (and `node` on a cluster) | keys per database |
/// | `roost_dashboard_live_job_events` | | job events the shared live subscriptions received |
/// | `roost_dashboard_live_subscriptions` | | queue event subscriptions held open |
/// | `roost_dashboard_live_events` | | live snapshots sent since start |
///
/// The MapReduce and coordination gauges are listed in `Dashboard+Compute.swift` and
/// `Dashboard+Coordination.swift`.
extension Dashboard {
    func addMetricsRoutes<Context: RequestContext>(to routes: RouteCollection<Context>) {
        routes.get("metrics") { _, _ -> Response in
            let text = try await metricsText()
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
    }

    /// The figures as one Prometheus exposition.
    func metricsText() async throws -> String {
        let registry = PrometheusCollectorRegistry()
        func gauge(_ name: String, _ help: String, _ value: Double, _ labels: [(String, String)] = []) {
            registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels)
                .set(to: value)
        }
        for queue in try await snapshot().queues {
            for (state, count) in queue.counts.sorted(by: { $0.key < $1.key }) {
                gauge("roost_jobs", "Jobs in each state", Double(count), [("queue", queue.name), ("state", state)])
            }
            gauge("roost_queue_paused", "1 when the queue is paused", queue.paused ? 1 : 0, [("queue", queue.name)])
            gauge("roost_queue_workers", "Workers announced on the queue", Double(queue.workers), [("queue", queue.name)])
            Self.lastHourMetrics(of: queue, gauge)
        }
        try await serverMetrics(gauge)
        liveMetrics(gauge)
        try await computeMetrics(gauge)
        try await coordinationMetrics(gauge)
        gauge("roost_dashboard_live_events", "Live snapshots sent since the dashboard started", Double(live.events))
        return registry.emitToString()
    }

    /// Sets a gauge: name, help, value, labels.
    typealias GaugeSetter = (String, String, Double, [(String, String)]) -> Void

    /// The server's figures from `INFO`; on a cluster every node's, each with a `node` label
    /// (`host:port`).
    private func serverMetrics(_ gauge: GaugeSetter) async throws {
        if let cluster = client as? RedisClusterClient {
            for node in try await ClusterNodeFigures.read(from: cluster) {
                guard case .success(let figures) = node.figures else { continue }
                Self.serverMetrics(of: figures, labels: [("node", node.name)], gauge)
            }
        } else {
            Self.serverMetrics(of: try await ServerFigures.read(from: client, slowLogCount: 0), labels: [], gauge)
        }
    }

    /// One server's (or node's) gauges, each with `labels`.
    private static func serverMetrics(of figures: ServerFigures, labels: [(String, String)], _ gauge: GaugeSetter) {
        let fromInfo = [("roost_server_connected_clients", "connected_clients", "Connected clients"),
                        ("roost_server_used_memory_bytes", "used_memory", "Memory the server uses, bytes"),
                        ("roost_server_ops_per_second", "instantaneous_ops_per_sec", "Commands per second, recently"),
                        ("roost_server_commands_processed", "total_commands_processed", "Commands processed since start")]
        for (name, field, help) in fromInfo {
            if let value = figures.info[field].flatMap(Double.init) { gauge(name, help, value, labels) }
        }
        for (database, summary) in figures.keyspace {
            if let keys = ServerFigures.keys(in: summary) {
                gauge("roost_server_keys", "Keys per database", Double(keys), [("db", database)] + labels)
            }
        }
    }

    /// The shared live subscriptions' figures.
    private func liveMetrics(_ gauge: GaugeSetter) {
        gauge("roost_dashboard_live_job_events", "Job events the live subscriptions received since the dashboard started",
              Double(live.jobEvents), [])
        gauge("roost_dashboard_live_subscriptions", "Queue event subscriptions the live updates hold open",
              Double(live.subscriptions), [])
    }
}
