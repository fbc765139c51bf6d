import NIOConcurrencyHelpers
import RoostClient
@testable import RoostCoordination
import RoostTestSupport
import Testing

@Suite("Leadership changes as the tracker sees them")
struct LeadershipTrackerTests {
    static func leader(_ epoch: Int64, _ identity: String = "a", remaining: Duration = .seconds(5)) -> Leader {
        Leader(identity: identity, epoch: epoch, remainingLease: remaining)
    }

    /// Which of `states`, fed in order to one tracker, it reports as changes.
    static func changes(_ states: [Leader?]) -> [Bool] {
        var tracker = LeadershipTracker()
        return states.map { tracker.isChange($0) }
    }

    @Test func theFirstStateIsAlwaysReported() {
        #expect(Self.changes([nil]) == [true])
        #expect(Self.changes([Self.leader(1)]) == [true])
    }

    @Test func aRenewingLeaderIsNoChangeButANewEpochIs() {
        let states: [Leader?] = [
            Self.leader(1, remaining: .seconds(5)), Self.leader(1, remaining: .seconds(9)), Self.leader(2),
            Self.leader(3, "a"),  // the same identity re-elected is a new term
        ]
        #expect(Self.changes(states) == [true, false, true, true])
    }

    @Test func leadersComingAndGoingAreChangesOnce() {
        #expect(Self.changes([Self.leader(1), nil, nil, Self.leader(2)]) == [true, true, false, true])
    }

    @Test func anUnchangedStateIsReadAgainJustAfterTheLeaseEnds() {
        #expect(LeadershipTracker.recheck(after: Self.leader(1, remaining: .milliseconds(40))) == .milliseconds(41))
        #expect(LeadershipTracker.recheck(after: nil) == .seconds(86_400))
    }
}

@Suite("HandOffWaiter: one token, one woken waiter")
struct HandOffWaiterTests {
    static let list = RedisKey("roost:test:{handoff}:signal")

    @Test(arguments: Backend.available)
    func aWaiterBlocksUntilATokenThenChecksAgain(_ backend: Backend) async throws {
        try await backend.with { clients in
            let checks = NIOLockedValueBox(0)
            try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask {
                    try await HandOffWaiter.wait(on: clients[0], list: Self.list, timeout: .seconds(30), passOn: {}) {
                        let n = checks.withLockedValue { $0 += 1; return $0 }
                        return n == 1 ? .notYet(recheckAfter: nil) : .done(n)
                    }
                }
                try await eventually("the first check") { checks.withLockedValue { $0 } == 1 }
                _ = try await clients[0].send("RPUSH", Self.list, "token")
                #expect(try await group.next() == 2)
            }
            #expect(try await clients[0].send("LLEN", Self.list) == .integer(0))
        }
    }

    @Test(arguments: Backend.available)
    func aWaiterThatLeavesAfterTakingTheTokenPassesItOn(_ backend: Backend) async throws {
        struct Leaving: Error {}
        try await backend.with { clients in
            let checks = NIOLockedValueBox(0)
            let passedOn = NIOLockedValueBox(0)
            await #expect(throws: Leaving.self) {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        let _: Int = try await HandOffWaiter.wait(
                            on: clients[0], list: Self.list, timeout: .seconds(30),
                            passOn: { passedOn.withLockedValue { $0 += 1 } }
                        ) {
                            let n = checks.withLockedValue { $0 += 1; return $0 }
                            if n == 1 { return .notYet(recheckAfter: nil) }
                            throw Leaving()   // woken by the token, then gone before using it
                        }
                    }
                    try await eventually("the first check") { checks.withLockedValue { $0 } == 1 }
                    _ = try await clients[0].send("RPUSH", Self.list, "token")
                    try await group.next()
                }
            }
            #expect(passedOn.withLockedValue { $0 } == 1)
        }
    }

    @Test(arguments: Backend.available)
    func aWaiterThatTimesOutWithoutATokenPassesNothingOn(_ backend: Backend) async throws {
        try await backend.with { clients in
            let passedOn = NIOLockedValueBox(0)
            await #expect(throws: CoordinationError.timedOut) {
                let _: Int = try await HandOffWaiter.wait(
                    on: clients[0], list: Self.list, timeout: .milliseconds(100),
                    passOn: { passedOn.withLockedValue { $0 += 1 } }
                ) { .notYet(recheckAfter: nil) }
            }
            #expect(passedOn.withLockedValue { $0 } == 0)
        }
    }
}
