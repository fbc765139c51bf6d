import CoreMetrics

/// A worker's metrics, through swift-metrics (to `MetricsSystem`'s factory unless the worker is
/// given another), each with the dimension `queue`:
///
/// - `roost_jobs_attempts_total` (counter), dimension `outcome`: `completed`, `retrying`
///   (failed, tried again later), `failed` (failed for good), `timed_out` (then retried or
///   failed), `cancelled`, `lease_lost`, `handed_back`;
/// - `roost_jobs_attempt_duration` (timer): handler start to outcome;
/// - `roost_jobs_wait_duration` (timer): enqueue to start of the attempt, on the server's clock;
/// - `roost_jobs_waiting`, `roost_jobs_active` (gauges): the queue's waiting jobs and running
///   attempts (all workers), as of this worker's latest take.
struct WorkerMetrics: Sendable {
    let completed, retrying, failed, timedOut, cancelled, leaseLost, handedBack: Counter
    let attemptDuration: Timer
    let waitDuration: Timer
    let waiting: Gauge
    let active: Gauge

    init(queue: String, factory: any MetricsFactory) {
        func attempts(_ outcome: String) -> Counter {
            Counter(label: "roost_jobs_attempts_total", dimensions: [("queue", queue), ("outcome", outcome)], factory: factory)
        }
        completed = attempts("completed")
        retrying = attempts("retrying")
        failed = attempts("failed")
        timedOut = attempts("timed_out")
        cancelled = attempts("cancelled")
        leaseLost = attempts("lease_lost")
        handedBack = attempts("handed_back")
        attemptDuration = Timer(label: "roost_jobs_attempt_duration", dimensions: [("queue", queue)], factory: factory)
        waitDuration = Timer(label: "roost_jobs_wait_duration", dimensions: [("queue", queue)], factory: factory)
        waiting = Gauge(label: "roost_jobs_waiting", dimensions: [("queue", queue)], factory: factory)
        active = Gauge(label: "roost_jobs_active", dimensions: [("queue", queue)], factory: factory)
    }
}

extension Duration {
    /// Whole nanoseconds, for timers.
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}
