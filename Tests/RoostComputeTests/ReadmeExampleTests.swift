import RoostClient
import RoostCompute
import RoostCoordination
import RoostTestSupport
import Testing

/// The README's RoostCompute example, compiled and run as it is printed there.
@Suite("The README's RoostCompute example")
struct ReadmeExampleTests {
    @Test func theExampleRuns() async throws {
        try await withComputeBackend(.roost) { server in
            let printed = try await readmeExample(client: server.client)
            #expect(printed == [14, 14])
        }
    }
}

/// The example, between the markers as the README shows it; returns what it prints.
private func readmeExample(client: some CoordinationClient) async throws -> [Int] {
    var printed: [Int] = []
    func print(_ value: Int) { printed.append(value) }
    // README begin
    let registry = TaskRegistry()
    let square = registry.register("square", deterministic: true) { (x: Int) async throws -> Int in x * x }
    let sum = registry.register("sum") { (xs: [Int]) async throws -> Int in xs.reduce(0, +) }
    let compute = Compute("demo", on: client)
    let worker = ComputeWorker(compute: compute, registry: registry)  // a Service; any process can run one

    let cache = ResultCache("reports", on: client)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await worker.run() }
        let squares = try await compute.submit(square, each: [1, 2, 3])
        let total = try await compute.submit(sum, afterAll: squares)  // runs once all three are done
        print(try await total.value)                                   // 14
        let report = try await cache.memoize(key: "q4", ttl: .seconds(60), staleFor: .seconds(600)) {
            try await total.value                                      // one computation across processes
        }
        print(report)                                                  // 14
        group.cancelAll()
    }
    // README end
    return printed
}
