// memoized-function: an expensive function memoized on the server with `ResultCache`: of many
// concurrent callers one computes and the others wait for its value (single flight), later
// callers get the cached value until it expires or is invalidated.
//
//     memoized-function                            Roost's server in this process
//     memoized-function --url redis://host:port    a Roost, Redis or Valkey server
//
// The callers here are tasks of one process; callers in other processes on the same server
// share the computation and the value the same way.
import ExampleSupport
import Foundation
import RoostClient
import RoostCompute

/// What the expensive function returns: anything `Codable`.
struct Report: Codable, Sendable, Equatable {
    var quarter: String
    var revenue: Int
    /// Which caller computed it.
    var computedBy: Int
}

/// How many times the function ran.
actor Counter {
    private(set) var value = 0
    func increment() { value += 1 }
}

/// The expensive function: a third of a second of "work".
func buildReport(_ quarter: String, caller: Int, runs: Counter) async throws -> Report {
    await runs.increment()
    try await Task.sleep(for: .milliseconds(300))
    return Report(quarter: quarter, revenue: 1_234_567, computedBy: caller)
}

func demonstrate(on client: RedisClient) async throws {
    let cache = ResultCache("examples-\(UUID().uuidString.prefix(8))", on: client)
    let runs = Counter()
    func report(caller: Int) async throws -> Report {
        try await cache.memoize(key: "2026-q4", ttl: .seconds(60), staleFor: .seconds(600)) {
            try await buildReport("2026-q4", caller: caller, runs: runs)
        }
    }

    let callers = 8
    let started = ContinuousClock.now
    let reports = try await withThrowingTaskGroup(of: Report.self) { group in
        for caller in 1...callers { group.addTask { try await report(caller: caller) } }
        return try await group.reduce(into: []) { $0.append($1) }
    }
    print("\(callers) concurrent callers: the function ran \(await runs.value) time(s), in \(ContinuousClock.now - started);",
          "all got the report of caller \(reports[0].computedBy): \(Set(reports.map(\.computedBy)).count == 1)")

    let later = ContinuousClock.now
    let cached = try await report(caller: 99)
    print("a later caller got the cached report of caller \(cached.computedBy) in \(ContinuousClock.now - later);",
          "the function ran \(await runs.value) time(s)")

    try await cache.invalidate("2026-q4")
    let fresh = try await report(caller: 100)
    print("after invalidate: computed again by caller \(fresh.computedBy); the function ran \(await runs.value) time(s)")
}

var arguments = Array(CommandLine.arguments.dropFirst())
let url = ExampleServer.take("--url", from: &arguments)
if !arguments.isEmpty { ExampleServer.usage("memoized-function [--url redis://host:port]") }
await ExampleServer.main("memoized-function") {
    try await ExampleServer.with(url: url) { client, _ in try await demonstrate(on: client) }
}
