import Logging
import MetricsTestKit
import RoostClient
@testable import RoostJobs
import RoostTestSupport
import Testing

@Suite("Worker metrics")
struct WorkerMetricsTests {
    @Test func attemptsDurationsAndQueueDepthAreReported() async throws {
        try await withJobsBackend(.roost) { client in
            let metrics = TestMetrics()
            let queue = JobQueue("q-metrics", on: client)
            var logger = Logger(label: "roost.jobs.test")
            logger.logLevel = .critical
            let worker = Worker(queue: queue, configuration: .init(concurrency: 4), logger: logger, metricsFactory: metrics)
            worker.register(Count.self) { job, _ in
                if job.n == 0 { throw UnrecoverableJobError("zero") }
                return Empty()
            }
            _ = try await queue.enqueue((0..<5).map { Count(n: $0) })
            try await whileRunning([worker]) {
                try await eventually("every attempt recorded") {
                    metrics.counterTotal(label: "roost_jobs_attempts_total", dimensions: [("queue", "q-metrics"), ("outcome", "completed")]) == 4
                        && metrics.counterTotal(label: "roost_jobs_attempts_total", dimensions: [("queue", "q-metrics"), ("outcome", "failed")]) == 1
                }
            }
            #expect(try metrics.expectTimer("roost_jobs_attempt_duration", [("queue", "q-metrics")]).values.count == 5)
            #expect(try metrics.expectTimer("roost_jobs_wait_duration", [("queue", "q-metrics")]).values.count == 5)
            #expect(try metrics.expectGauge("roost_jobs_waiting", [("queue", "q-metrics")]).lastValue != nil)
        }
    }

    /// A partitioned queue's gauges add up its partitions: with 3 jobs in each of 3 partitions,
    /// one partition alone never has more than 3 waiting, so a larger figure is a sum.
    @Test func aPartitionedQueuesGaugesSumItsPartitions() async throws {
        try await withJobsBackend(.roost) { client in
            let metrics = TestMetrics()
            let queue = JobQueue("q-metrics-parts", on: client, partitions: 3)
            var logger = Logger(label: "roost.jobs.test")
            logger.logLevel = .critical
            let worker = Worker(queue: queue, configuration: .init(concurrency: 1), logger: logger, metricsFactory: metrics)
            worker.register(Count.self) { _, _ in Empty() }
            _ = try await queue.enqueue((1...9).map { Count(n: $0) })
            try await whileRunning([worker]) {
                try await eventually("every attempt recorded") {
                    metrics.counterTotal(label: "roost_jobs_attempts_total", dimensions: [("queue", "q-metrics-parts"), ("outcome", "completed")]) == 9
                }
            }
            let waiting = try metrics.expectGauge("roost_jobs_waiting", [("queue", "q-metrics-parts")]).values
            #expect((waiting.max() ?? 0) > 3, "waiting figures seen: \(waiting)")
        }
    }
}
