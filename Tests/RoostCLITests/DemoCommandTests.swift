import Testing

/// `roost demo`, as the README's first command runs it (smaller): every step runs and checks
/// itself — the distributed word count equals the single-process count although a worker was
/// killed with SIGKILL mid-job, the lock's holders get increasing fencing tokens, and every
/// job of the queue completes with its result.
@Suite struct DemoCommandTests {
    @Test func demoRunsEveryStepAndChecksIt() async throws {
        let result = try await RoostCLI.run(["demo", "--megabytes", "2", "--workers", "2", "--jobs", "200"], timeout: 240)
        #expect(result.status == 0, "\(result.text)\n\(String(decoding: result.errorOutput, as: UTF8.self))")
        #expect(result.text.contains("kill -9 worker"))
        #expect(result.text.contains("result identical to the single-process count"))
        #expect(result.text.contains("fencing token 1") && result.text.contains("fencing token 2"))
        #expect(result.text.contains("200 jobs enqueued"))
        #expect(result.text.contains("Every step checked out."))
    }

    @Test func refusesBadOptions() async throws {
        let result = try await RoostCLI.run(["demo", "--workers", "1"])
        #expect(result.status == 64)
        #expect(String(decoding: result.errorOutput, as: UTF8.self).contains("--workers must be at least 2"))
    }
}
