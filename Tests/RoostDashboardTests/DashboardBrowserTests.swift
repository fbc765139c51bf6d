import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import RoostClient
import RoostCompute
import RoostCoordination
@testable import RoostDashboard
import RoostJobs
import RoostTestSupport
import Testing

/// The dashboard in a real headless Chromium, driven by Selenium (`Tests/Browser/dashboard_browser.py`,
/// run with the tests' venv python): a real Roost server holding real queues, the dashboard
/// serving HTTP on a free port. With `ROOST_WRITE_SCREENSHOTS=1`, the script saves the main
/// pages as PNGs in `docs/screenshots/`.
@Suite("RoostDashboard in headless Chromium: overview, job, retry, live counts, no console error")
struct DashboardBrowserTests {
    /// The script, from the package root.
    static let script = PackagePaths.root + "/Tests/Browser/dashboard_browser.py"

    @Test func retryInTheBrowserChangesTheOverviewsCountsLive() async throws {
        let missing = ["chromium", "chromedriver"].filter { ChildProcess.executable(named: $0) == nil }
        guard missing.isEmpty else {
            Issue.record("\(missing.joined(separator: " and ")) not installed: run scripts/install-deps.sh --browser (apt-get install chromium chromium-driver)")
            return
        }
        let python = try PythonPackages.python(importing: "selenium", package: "selenium")
        try await withTestBackend(.roost) { executor in
            let client = try #require(executor as? any CoordinationClient)
            let mail = JobQueue("mail", on: client)
            let failed = try await mail.enqueue([Mail(to: "ada@example.com"), Mail(to: "grace@example.com"), Mail(to: "alan@example.com")])
            try await failJobs(mail, failed, message: "SMTP server refused the connection")
            _ = try await mail.enqueue([Mail(to: "edsger@example.com"), Mail(to: "barbara@example.com")])
            try await mail.enqueue(Mail(to: "donald@example.com"), options: EnqueueOptions(delay: .seconds(3600)))
            let reports = JobQueue("reports", on: client)
            try await Self.complete(reports, days: 1...4)
            try await Self.finishWordCount(on: client)
            let lock = DistributedLock("nightly-report", on: client, leaseTime: .seconds(120))
            let held = try #require(try await lock.tryAcquire())

            var logger = Logger(label: "roost.dashboard.browser")
            logger.logLevel = .critical
            let configuration = Dashboard.Configuration(refreshInterval: .milliseconds(200), pageSize: 10)
            let dashboard = Dashboard(client: client, configuration: configuration, logger: logger)
            try await dashboard.application().test(.live) { http in
                let port = try #require(http.port)
                var arguments = [Self.script, "--url", "http://localhost:\(port)", "--queue", "mail", "--job", failed[0],
                                 "--failed", "3", "--waiting", "2", "--mapreduce", "demo/words", "--lock", "nightly-report"]
                if ProcessInfo.processInfo.environment["ROOST_WRITE_SCREENSHOTS"] == "1" {
                    arguments += ["--screenshots", PackagePaths.root + "/docs/screenshots"]
                }
                let result = try await Self.run(python, arguments, timeout: 240)
                let transcript = result.text + result.errorText
                #expect(result.status == 0, "\(transcript.suffix(4000))")
                #expect(result.text.hasSuffix("PASS\n"), "\(transcript.suffix(4000))")
                #expect(result.text.contains("ok: overview counts changed live"), "\(transcript.suffix(4000))")
            }
            _ = try await lock.release(held)
            #expect(try await mail.info(failed[0])?.state == .waiting)
            #expect(try await mail.counts()[.failed] == 2)
        }
    }

    /// Runs `days` report jobs of `queue` to completion.
    static func complete(_ queue: JobQueue, days: ClosedRange<Int>) async throws {
        let ids = try await queue.enqueue(days.map { Report(day: $0) })
        let worker = quietWorker(queue)
        worker.register(Report.self) { report, context in
            try await context.log("day \(report.day) summed")
            return Empty()
        }
        try await whileRunning([worker]) {
            for id in ids { _ = try await queue.finished(id, timeout: .seconds(20)) }
        }
    }

    /// Runs MapReduce job `words` of namespace `demo` (a word count of a few lines) to the end.
    static func finishWordCount(on client: any CoordinationClient) async throws {
        let lines = ["the quick brown fox", "jumps over the lazy dog", "the end"].map { RedisArgument($0) as any RedisArgumentConvertible }
        _ = try await client.rpush(RedisKey("demo:lines"), lines)
        let job = wordCount("demo.words")
        let registry = MapReduceRegistry()
        registry.register(job)
        let mapReduce = MapReduce("demo", on: client)
        let run = try await mapReduce.submit(job, input: RedisListInput(key: "demo:lines", elementsPerSplit: 2), partitions: 2, id: "words")
        try await withMapReduceWorkers(mapReduce, registry) { _ in try await run.wait(timeout: .seconds(120)) }
    }

    /// Runs `path` on a thread of its own (it waits for the process, which takes seconds, and
    /// must not hold a thread of the concurrency pool the dashboard serves on).
    static func run(_ path: String, _ arguments: [String], timeout: Double) async throws -> ProcessResult {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try ChildProcess.run(path, arguments, timeout: timeout) }) }.start()
        }
    }
}
