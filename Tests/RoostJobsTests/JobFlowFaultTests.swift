import Foundation
import RoostClient
import RoostCoordination
@testable import RoostJobs
import RoostTestSupport
import Testing

/// Flows with real worker processes under faults: `roost-jobs-probe` workers on a parents'
/// queue and two children's queues (other cluster slots) are kill -9ed and replaced at random
/// while flows run. A probe killed between a child's completion and its parent's step leaves
/// the notice to another probe's relay once its claim (the probe's lease) runs out.
@Suite("Flows under faults with real worker processes", .serialized)
struct JobFlowFaultTests {
    @Test("Flows survive workers kill -9ed at random: every parent runs once all its children completed, each counted once",
          arguments: FaultServer.available)
    func killedWorkersLoseNoChildAndCountNoneTwice(_ server: FaultServer) async throws {
        try #require(JobsProbeFleet.executable != nil, JobsFaultTests.probeMissing)
        let count = server == .cluster ? 30 : 60
        try await server.with { running in
            let names = ["fault-flow-parents", "fault-flow-left", "fault-flow-right"]
            let queues = names.map { JobQueue($0, on: running.client) }
            let options = EnqueueOptions(maxAttempts: 10_000, backoff: .fixed(.zero))
            let producer = FlowProducer(on: running.client)
            var flows: [AddedFlow] = []
            for n in 0..<count {
                // Children hold 100 ms in their first attempt, so that kills land mid-flow.
                let child = { (queue: String, k: Int) in
                    FlowJob(FaultJob(n: n * 10 + k, holdMilliseconds: 100), in: queue, options: options)
                }
                flows.append(try await producer.add(FlowJob(FaultJob(n: n * 10, holdMilliseconds: 0), in: names[0], options: options,
                                                            children: [child(names[1], 1), child(names[2], 2), child(names[2], 3)])))
            }
            let fleets = try names.map { name in
                try JobsProbeFleet(count: 2, arguments: running.probeArguments + [
                    "--queue", name, "--concurrency", "4", "--lease-ms", "3000", "--keep-completed", "\(count * 4)",
                ])
            }
            defer { for fleet in fleets { fleet.stop() } }
            let deadline = ContinuousClock.now + .seconds(120)
            var random = SplitMix64(seed: 0x0f10_3a11)
            var kills = 0
            while try await queues[0].counts()[.completed] ?? 0 < count {
                guard ContinuousClock.now < deadline else {
                    let counts = try await queues[0].counts()
                    let transcripts = fleets.map(\.transcript).joined(separator: "\n")
                    Issue.record("not every parent completed in time: \(counts)\n\(transcripts)")
                    return
                }
                try await Task.sleep(for: .milliseconds(200 + random.below(600)))
                let fleet = fleets[random.below(fleets.count)]
                _ = try fleet.killAndReplace(random.below(fleet.probes.count))
                kills += 1
            }
            // A relay killed between a parent's step and clearing its notice leaves the notice
            // to another relay once its claim ran out: the parent's step then changes nothing.
            for queue in queues {
                try await eventually(timeout: .seconds(30), "\(queue.name)'s flow work to be done") {
                    try await running.client.execute(RedisCommand("HLEN", [RedisKey(queue.keys.base + "flow:work")]),
                                                     timeout: nil).jobInt == 0
                }
            }
            for fleet in fleets { fleet.stop() }
            for flow in flows {
                let parentQueue = JobQueue(flow.job.queue, on: running.client)
                let parent = try #require(try await parentQueue.info(flow.job.id))
                let links = try #require(try await parentQueue.flow(of: flow.job.id))
                // Counted once each: a double count would leave the counter below zero.
                #expect(parent.state == .completed && links.pendingChildren == 0, "\(flow.job): \(parent.state), \(links)")
                #expect(links.children.count == 3 && links.children.allSatisfy { $0.state == .completed })
                let started = try #require(parent.startedAt)
                for child in flow.children {
                    let info = try #require(try await JobQueue(child.job.queue, on: running.client).info(child.job.id))
                    #expect(info.state == .completed && (info.finishedAt ?? .max) <= started, "\(child.job)")
                }
            }
            print("flows fault test on \(server.rawValue): \(count) flows of 3 children through \(kills) kills")
        }
    }
}
