import Foundation
import RoostTestSupport
import RoostTesting
import Testing

/// RQ (PyPI `rq`, which keeps job results in streams) end to end against redis-server and Roost:
/// jobs are enqueued, a burst worker runs them, one finishes, one fails and one fails after its
/// retries, and `rq info` reports them; both servers give the same account.
@Suite struct StreamRQRealClientTests {
    static let jobs = """
        def add(a, b):
            return a + b

        def fail():
            raise ValueError("boom")
        """

    /// Enqueues, works with `rq worker --burst`, and prints what each job became and `rq info`.
    static let driver = """
        import subprocess, sys, os
        from redis import Redis
        from rq import Queue, Retry
        from rq.job import Job
        import jobs
        port = int(sys.argv[1])
        r = Redis(port=port)
        q = Queue(connection=r)
        ids = [q.enqueue(jobs.add, 2, 3).id, q.enqueue(jobs.fail).id, q.enqueue(jobs.fail, retry=Retry(max=2)).id]
        rq = os.path.join(os.path.dirname(sys.executable), "rq")
        url = "redis://127.0.0.1:%d" % port
        work = subprocess.run([rq, "worker", "--burst", "--url", url], capture_output=True, text=True, timeout=120)
        print("worker exit", work.returncode)
        for i, jid in enumerate(ids):
            j = Job.fetch(jid, connection=r)
            result = j.latest_result()
            print("job", i, j.get_status(), j.return_value(), j.retries_left, result.type if result else None,
                  len(j.results()))
        info = subprocess.run([rq, "info", "--url", url], capture_output=True, text=True, timeout=60)
        print([line for line in info.stdout.splitlines() if "default" in line or "queues" in line])
        """

    static func run(python: String, port: Int, directory: String) throws -> String {
        let result = try ChildProcess.run(python, [directory + "/driver.py", String(port)],
                                          environment: ["PYTHONPATH": directory], timeout: 240)
        #expect(result.status == 0, "\(result.errorText.suffix(2000))")
        return result.text
    }

    @Test func jobsFinishFailAndRetry() async throws {
        let python = try PythonPackages.python(importing: "rq", package: "rq")
        let directory = NSTemporaryDirectory() + "roost-rq-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.jobs.write(toFile: directory + "/jobs.py", atomically: true, encoding: .utf8)
        try Self.driver.write(toFile: directory + "/driver.py", atomically: true, encoding: .utf8)
        let redis = try await RedisServerProcess.start()
        defer { redis.stop() }
        let roost = try await RoostTestServer.start()
        do {
            let onRedis = try Self.run(python: python, port: redis.port, directory: directory)
            let onRoost = try Self.run(python: python, port: roost.port, directory: directory)
            #expect(onRoost == onRedis)
            #expect(onRoost.contains("job 0 JobStatus.FINISHED 5"), "\(onRoost)")
            #expect(onRoost.contains("job 2 JobStatus.FAILED None 0 Type.FAILED"), "\(onRoost)")
            #expect(onRoost.contains("1 finished, 2 failed"), "\(onRoost)")
        } catch {
            try? await roost.stop()
            throw error
        }
        try await roost.stop()
    }
}
