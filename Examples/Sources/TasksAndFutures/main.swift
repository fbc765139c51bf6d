// tasks-and-futures: Swift functions registered by name, submitted as distributed tasks, and
// their handles awaited like futures: one at a time, gathered, or as the input of another task.
//
//     tasks-and-futures                            Roost's server in this process
//     tasks-and-futures --url redis://host:port    a Roost, Redis or Valkey server
//
// The worker runs in this process to keep the example in one file; any number of processes
// that register the same functions and run a `ComputeWorker` on the same server share the work.
import ExampleSupport
import Foundation
import RoostClient
import RoostCompute
import RoostJobs

/// The error the `price` task throws: the worker records its description as the task's
/// failure, and the caller gets a `ComputeError` carrying it.
struct PriceNotFound: Error, CustomStringConvertible {
    let symbol: String
    var description: String { "no price for \(symbol)" }
}

/// How many times a function ran (tasks run on the worker's threads).
actor Counter {
    private(set) var value = 0
    func increment() { value += 1 }
}

func demonstrate(on client: RedisClient) async throws {
    let registry = TaskRegistry()
    let squareRuns = Counter()
    // Deterministic: its id is a hash of name, version and arguments, so it runs once per argument.
    let square = registry.register("square", deterministic: true) { (x: Int) async throws -> Int in
        await squareRuns.increment()
        return x * x
    }
    let sum = registry.register("sum") { (xs: [Int]) async throws -> Int in xs.reduce(0, +) }
    let price = registry.register("price", options: TaskOptions(maxAttempts: 2, backoff: .exponential(base: .milliseconds(20)))) {
        (symbol: String) async throws -> Double in
        guard let price = ["ACME": 12.5, "INITECH": 7.25][symbol] else { throw PriceNotFound(symbol: symbol) }
        return price
    }
    let withTax = registry.register("with-tax") { (price: Double) async throws -> Double in price * 1.2 }

    let compute = Compute("examples-\(UUID().uuidString.prefix(8))", on: client)
    let worker = ComputeWorker(compute: compute, registry: registry)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await worker.run() }
        defer { group.cancelAll() }

        // Submit returns at once with a handle; gather awaits many handles with one subscription.
        let squares = try await compute.submit(square, each: Array(1...5))
        print("squares of 1...5:", try await compute.gather(squares))

        // A task whose argument is the array of other tasks' outputs: it is queued when the
        // last of them is done, by the worker that finished it.
        let total = try await compute.submit(sum, afterAll: squares)
        print("sum of the squares, run after all five:", try await total.value)

        // Submitting a deterministic task again finds the first result instead of running it.
        let again = try await compute.submit(square, 3)
        print("square(3) again: the same task: \(again == squares[2]), value \(try await again.value),",
              "the function ran \(await squareRuns.value) times in all")

        let acme = try await compute.submit(price, "ACME")
        let acmeWithTax = try await compute.submit(withTax, after: acme)
        print("price(ACME) with tax:", try await acmeWithTax.value)

        // A function that throws: retried under its TaskOptions, then the handle throws a
        // ComputeError with the attempts and the function's error message.
        let missing = try await compute.submit(price, "NOPE")
        let missingWithTax = try await compute.submit(withTax, after: missing)
        do {
            _ = try await missing.value
        } catch let error as ComputeError {
            print("price(NOPE) failed after \(error.attempts ?? 0) attempts: \(error.message ?? "")")
        }
        // Its dependent never runs; awaiting it says which input failed.
        do {
            _ = try await missingWithTax.value(timeout: .seconds(30))
        } catch let error as ComputeError {
            print("with-tax after price(NOPE) did not run: \(error.message ?? "")")
        }
    }
}

var arguments = Array(CommandLine.arguments.dropFirst())
let url = ExampleServer.take("--url", from: &arguments)
if !arguments.isEmpty { ExampleServer.usage("tasks-and-futures [--url redis://host:port]") }
await ExampleServer.main("tasks-and-futures") {
    try await ExampleServer.with(url: url) { client, _ in try await demonstrate(on: client) }
}
