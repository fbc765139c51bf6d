import NIOConcurrencyHelpers
import RoostClient
import RoostCoordination
import Testing

@Suite("LeaderElection on Roost, redis-server and Redis Cluster")
struct LeaderElectionTests {
    @Test(arguments: Backend.available)
    func oneLeaderAtATimeWithIncreasingEpochs(_ backend: Backend) async throws {
        try await backend.with(clients: 3) { clients in
            let leading = NIOLockedValueBox(0)
            let overlaps = NIOLockedValueBox(0)
            let epochs = NIOLockedValueBox<[Int64]>([])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for candidate in 0..<3 {
                    let election = LeaderElection("e-one", identity: "node\(candidate)", on: clients[candidate], leaseTime: .seconds(5))
                    group.addTask {
                        for _ in 0..<3 {
                            try await election.lead(timeout: .seconds(60)) { term in
                                if leading.withLockedValue({ $0 += 1; return $0 }) > 1 { overlaps.withLockedValue { $0 += 1 } }
                                epochs.withLockedValue { $0.append(term.token) }
                                let leader = try await election.leader()
                                #expect(leader?.identity == "node\(candidate)")
                                #expect(leader?.epoch == term.token)
                                leading.withLockedValue { $0 -= 1 }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(overlaps.withLockedValue { $0 } == 0)
            let terms = epochs.withLockedValue { $0 }
            #expect(terms == terms.sorted() && Set(terms).count == 9, "each term's epoch exceeds the one before")
        }
    }

    @Test(arguments: Backend.available)
    func followersSeeEachChangeOfLeadership(_ backend: Backend) async throws {
        try await backend.with(clients: 2) { clients in
            let follower = LeaderElection("e-watch", identity: "follower", on: clients[0])
            let candidate = LeaderElection("e-watch", identity: "alpha", on: clients[1], leaseTime: .milliseconds(400))
            try await follower.observe { changes in
                var iterator = changes.makeAsyncIterator()
                #expect(try await iterator.next() == .some(nil), "no leader at first")
                // A leader that resigns: elected, then gone.
                let term = try #require(try await candidate.tryCampaign())
                let elected = try #require(try await iterator.next() ?? nil)
                #expect(elected.identity == "alpha" && elected.epoch == term.token)
                try await candidate.resign(term)
                #expect(try await iterator.next() == .some(nil))
                // A leader that dies: its lease runs out without a notice.
                let dead = try #require(try await candidate.tryCampaign())
                let next = try await iterator.next()
                #expect(next??.epoch == dead.token)
                #expect(try await iterator.next() == .some(nil), "the follower notices the lease's end")
            }
        }
    }
}
