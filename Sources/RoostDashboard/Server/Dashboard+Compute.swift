import Hummingbird
import RoostCompute

/// The MapReduce pages: the list of jobs (found by a `SCAN`, reused for `scanLifetime`), one job's phases,
/// attempts and workers, and that job's live figures as a fragment (`Dashboard+Fragments`), which
/// the page follows while the job runs.
extension Dashboard {
    func addComputeRoutes<Context: RequestContext>(to routes: RouteCollection<Context>) {
        routes.get("compute") { _, _ -> Response in html(try await computePage()) }
        routes.get("compute/:namespace/:job") { _, context -> Response in
            let reference = try Self.computeReference(context)
            guard let page = try await computeJobPage(reference) else { return computeNotFound(reference) }
            return html(page)
        }
        routes.get("compute/:namespace/:job/figures") { request, context -> Response in
            let reference = try Self.computeReference(context)
            return try await fragment(request, missing: { computeNotFound(reference) }) { try await computeFigures(reference) }
        }
    }

    private static func computeReference<Context: RequestContext>(_ context: Context) throws -> MapReduceJobReference {
        MapReduceJobReference(namespace: try parameter("namespace", context), job: try parameter("job", context))
    }

    private func computeNotFound(_ reference: MapReduceJobReference) -> Response {
        refusal(.notFound, "Namespace \(reference.namespace) has no MapReduce job \(reference.job).")
    }

    /// The summaries of the MapReduce jobs found (`SCAN`) at most `scanLifetime` ago.
    func mapReduceSummaries() async throws -> [MapReduceJobSummary] {
        try await MapReduce.summaries(of: try await mapReduceJobs.value(), on: client)
    }

    /// The MapReduce figures for `/metrics`:
    ///
    /// | metric | labels | what |
    /// |---|---|---|
    /// | `roost_mapreduce_tasks` | `namespace`, `job`, `phase`, `state` | tasks of the phase (`map`, `reduce`) in the state (`pending`, `running`, `done`, `failed`) |
    /// | `roost_mapreduce_running` | `namespace`, `job` | 1 while the job runs |
    /// | `roost_mapreduce_bytes_in`, `roost_mapreduce_bytes_out`, `roost_mapreduce_records` | `namespace`, `job` | sums over committed attempts |
    func computeMetrics(_ gauge: GaugeSetter) async throws {
        for job in try await mapReduceSummaries() {
            let labels = [("namespace", job.reference.namespace), ("job", job.reference.job)]
            for phase in [job.map, job.reduce] {
                let counts = [("pending", phase.pending), ("running", phase.running), ("done", phase.done), ("failed", phase.failed)]
                for (state, count) in counts {
                    gauge("roost_mapreduce_tasks", "MapReduce tasks of each phase in each state", Double(count),
                          labels + [("phase", phase.stage == .map ? "map" : "reduce"), ("state", state)])
                }
            }
            gauge("roost_mapreduce_running", "1 while the MapReduce job runs", job.status == .running ? 1 : 0, labels)
            gauge("roost_mapreduce_bytes_in", "Bytes committed MapReduce attempts read", Double(job.bytesIn), labels)
            gauge("roost_mapreduce_bytes_out", "Bytes committed MapReduce attempts wrote", Double(job.bytesOut), labels)
            gauge("roost_mapreduce_records", "Pairs committed map attempts emitted", Double(job.records), labels)
        }
    }
}
