import RoostClient
import RoostCompute
import RoostCoordination
import RoostTestSupport
import Testing

private struct Broken: Error, CustomStringConvertible {
    var description: String
}

@Suite("Tasks and futures on Roost, redis-server and Redis Cluster")
struct ComputeTaskTests {
    @Test(arguments: TestBackend.available)
    func aSubmittedTaskRunsOnAWorkerAndItsHandleGivesTheValue(_ backend: TestBackend) async throws {
        try await withComputeBackend(backend) { server in
            let compute = Compute("futures", on: server.client)
            let registry = TaskRegistry()
            let square = registry.register("square") { (x: Int) async throws -> Int in x * x }
            try await whileRunning([.make(compute, registry), .make(compute, registry)]) {
                let handle = try await compute.submit(square, 7)
                #expect(try await handle.value(timeout: .seconds(60)) == 49)
                let handles = try await compute.submit(square, each: Array(1...40))
                #expect(Set(handles.map(\.id)).count == 40)
                #expect(try await compute.gather(handles, timeout: .seconds(60)) == (1...40).map { $0 * $0 })
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func aTaskWhoseArgumentsAreOtherTasksOutputsRunsWhenTheyAreDone(_ backend: TestBackend) async throws {
        try await withComputeBackend(backend) { server in
            let compute = Compute("dependencies", on: server.client)
            let registry = TaskRegistry()
            let square = registry.register("square") { (x: Int) async throws -> Int in x * x }
            let sum = registry.register("sum") { (xs: [Int]) async throws -> Int in xs.reduce(0, +) }
            let double = registry.register("double") { (x: Int) async throws -> Int in 2 * x }
            let worker = ComputeWorker.make(compute, registry)
            // Submitted before any worker runs: the dependents wait for their inputs.
            let squares = try await compute.submit(square, each: [1, 2, 3, 4])
            let total = try await compute.submit(sum, afterAll: squares)
            let doubled = try await compute.submit(double, after: total)
            #expect(try await compute.queue.counts()[.waiting] == 4)
            try await whileRunning([worker]) {
                #expect(try await doubled.value(timeout: .seconds(60)) == 60)
                #expect(try await total.value == 30)
                // Inputs that are already done: the dependent is enqueued at once.
                let again = try await compute.submit(sum, afterAll: [squares[3], squares[0]])
                #expect(try await again.value(timeout: .seconds(60)) == 17)
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func aFailingTaskIsRetriedThenItsErrorComesBackTyped(_ backend: TestBackend) async throws {
        try await withComputeBackend(backend) { server in
            let compute = Compute("failures", on: server.client)
            let registry = TaskRegistry()
            let attempts = Counter()
            let flaky = registry.register("flaky", options: TaskOptions(maxAttempts: 3, backoff: .fixed(.milliseconds(10)))) {
                (x: Int) async throws -> Int in
                throw Broken(description: "broken \(attempts.increment())")
            }
            let double = registry.register("double") { (x: Int) async throws -> Int in 2 * x }
            try await whileRunning([.make(compute, registry)]) {
                let handle = try await compute.submit(flaky, 1)
                let dependent = try await compute.submit(double, after: handle)
                await #expect(throws: ComputeError.taskFailed(name: "flaky", message: "broken 3", attempts: 3)) {
                    try await handle.value(timeout: .seconds(60))
                }
                #expect(attempts.count == 3)
                await #expect(throws: ComputeError.dependencyFailed(name: "double", dependency: handle.id, message: "broken 3")) {
                    try await dependent.value(timeout: .seconds(60))
                }
                let unknown = ComputeTask("nowhere", options: TaskOptions(maxAttempts: 1), arguments: Int.self, output: Int.self)
                let error = await #expect(throws: ComputeError.self) { try await compute.submit(unknown, 1).value(timeout: .seconds(60)) }
                #expect(error?.message?.contains("no function registered for task nowhere") == true)
            }
        }
    }

    @Test(arguments: TestBackend.available)
    func aDeterministicTaskSubmittedTwiceIsComputedOnce(_ backend: TestBackend) async throws {
        try await withComputeBackend(backend) { server in
            let compute = Compute("dedup", on: server.client)
            let registry = TaskRegistry()
            let runs = RedisKey("dedup-test:runs")
            let client = server.client
            let cube = registry.register("cube", deterministic: true) { (x: Int) async throws -> Int in
                _ = try await client.incr(runs)
                return x * x * x
            }
            // Both submissions are made before a worker runs, then once more after the result.
            let first = try await compute.submit(cube, 3)
            let second = try await compute.submit(cube, 3)
            #expect(first.id == second.id)
            try await whileRunning([.make(compute, registry), .make(compute, registry)]) {
                #expect(try await compute.gather([first, second], timeout: .seconds(60)) == [27, 27])
                let third = try await compute.submit(cube, 3)
                #expect(try await third.value(timeout: .seconds(60)) == 27)
                #expect(try await client.get(runs, as: Int.self) == 1)
                #expect(try await compute.submit(cube, 4).value(timeout: .seconds(60)) == 64)
                #expect(try await client.get(runs, as: Int.self) == 2)
            }
        }
    }
}
