import Foundation
import RoostClient
import RoostCompute
import RoostCoordination
import RoostTestSupport
import Testing

/// Processes that die mid-computation: `roost-compute-probe` children, killed with kill -9.
@Suite("RoostCompute when a process is killed")
struct ComputeFaultTests {
    static let probeName = "roost-compute-probe"

    /// Starts the probe with `arguments`, its output in a fresh file.
    static func startProbe(_ server: ComputeBackend, _ arguments: [String]) throws -> ProbeProcess {
        let executable = try #require(ProbeProcess.executable(named: probeName), "\(probeName) is not built")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("\(probeName)-\(UUID().uuidString).log").path
        return try ProbeProcess(executable: executable, arguments: server.probeArguments + arguments, outputPath: output)
    }

    @Test(arguments: TestBackend.available)
    func aTaskWhoseWorkerProcessIsKilledRunsAgainOnAnotherWorker(_ backend: TestBackend) async throws {
        try await withComputeBackend(backend) { server in
            let client = server.client
            let compute = Compute("fault-worker", on: client)
            let probe = try Self.startProbe(server, ["--namespace", "fault-worker", "worker"])
            defer { probe.kill9() }
            let options = TaskOptions(maxAttempts: 3, backoff: .fixed(.milliseconds(10)))
            let declared = ComputeTask("hang-first", options: options, arguments: Int.self, output: Int.self)
            let handle = try await compute.submit(declared, 4)
            let starts = RedisKey("roost:probe:{compute:fault-worker}:starts")
            try await eventually(timeout: .seconds(60), "the probe's worker started the task") { try await client.get(starts, as: Int.self) == 1 }
            probe.kill9()
            let registry = TaskRegistry()
            registry.register("hang-first", options: options) { (x: Int) async throws -> Int in
                _ = try await client.incr(starts)
                return x * 10
            }
            try await whileRunning([.make(compute, registry)]) {
                let value = try await handle.value(timeout: .seconds(60))
                #expect(value == 40)
            }
            #expect(try await client.get(starts, as: Int.self) == 2)
        }
    }

    @Test(arguments: TestBackend.available)
    func aCacheCallerKilledMidComputationIsTakenOver(_ backend: TestBackend) async throws {
        try await withComputeBackend(backend) { server in
            let cache = ResultCache("fault-cache", on: server.client, leaseTime: .seconds(1))
            let probe = try Self.startProbe(server, ["--namespace", "fault-cache", "memoize", "k"])
            defer { probe.kill9() }
            try await eventually(timeout: .seconds(60), "the probe computing") { try await cache.isBeingComputed("k") }
            probe.kill9()
            let value = try await cache.memoize(key: "k", ttl: .seconds(60), timeout: .seconds(60)) { "taken over" }
            #expect(value == "taken over")
            #expect(try await cache.isBeingComputed("k") == false)
        }
    }
}
