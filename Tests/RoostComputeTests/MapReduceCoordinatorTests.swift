import Foundation
import RoostCompute
import Testing

/// The coordinator's algorithm with no network: events in, directives out.
@Suite("MapReduce coordinator state machine")
struct MapReduceCoordinatorTests {
    typealias Instance = CoordinatorInstance
    typealias TaskID = CoordinatorInstance.TaskID
    typealias Attempt = CoordinatorInstance.Attempt

    static func map(_ index: Int) -> TaskID { TaskID(.map, index) }
    static func reduce(_ index: Int) -> TaskID { TaskID(.reduce, index) }
    static func scheduled(_ directives: [Instance.Directive]) -> [Attempt] {
        directives.compactMap { if case .schedule(let attempt) = $0 { attempt } else { nil } }
    }

    @Test func startSchedulesEveryMapTaskThenEveryReduceTaskThenFinishes() {
        var instance = Instance(maps: 3, partitions: 2)
        #expect(Self.scheduled(instance.start(now: 0)) == (0..<3).map { Attempt(task: Self.map($0), number: 1) })
        #expect(instance.start(now: 1).isEmpty)
        #expect(instance.attemptCommitted(Self.map(0), attempt: 1, now: 5).isEmpty)
        #expect(instance.attemptCommitted(Self.map(2), attempt: 1, now: 6).isEmpty)
        let reduce = instance.attemptCommitted(Self.map(1), attempt: 1, now: 7)
        #expect(reduce.first == .startReducePhase)
        #expect(Self.scheduled(reduce) == [Attempt(task: Self.reduce(0), number: 1), Attempt(task: Self.reduce(1), number: 1)])
        #expect(instance.phase == .reduce)
        #expect(instance.attemptCommitted(Self.reduce(1), attempt: 1, now: 8).isEmpty)
        #expect(instance.attemptCommitted(Self.reduce(0), attempt: 1, now: 9) == [.finish])
        #expect(instance.phase == .done)
        #expect(instance.counts(.map).committed == 3 && instance.counts(.reduce).committed == 2)
    }

    @Test func anInputWithoutSplitsGoesStraightToReduce() {
        var instance = Instance(maps: 0, partitions: 1)
        #expect(Self.scheduled(instance.start(now: 0)) == [Attempt(task: Self.reduce(0), number: 1)])
        #expect(instance.phase == .reduce)
    }

    @Test func aFailedAttemptIsRetriedWithTheNextNumberUntilMaxAttempts() {
        var instance = Instance(maps: 1, partitions: 1, settings: .init(maxAttempts: 3, backups: false))
        _ = instance.start(now: 0)
        #expect(Self.scheduled(instance.attemptFailed(Self.map(0), attempt: 1, message: "boom", now: 1))
                == [Attempt(task: Self.map(0), number: 2)])
        // A report about an attempt that is no longer live changes nothing.
        #expect(instance.attemptFailed(Self.map(0), attempt: 1, message: "again", now: 2).isEmpty)
        #expect(Self.scheduled(instance.attemptFailed(Self.map(0), attempt: 2, message: "stalled", now: 3))
                == [Attempt(task: Self.map(0), number: 3)])
        let last = instance.attemptFailed(Self.map(0), attempt: 3, message: "boom 3", now: 4)
        #expect(last.count == 1)
        guard case .fail(let message) = last.first else {
            Issue.record("expected fail, got \(last)")
            return
        }
        #expect(message.contains("m0") && message.contains("boom 3"))
        #expect(instance.phase == .failed)
        // Nothing happens after the end.
        #expect(instance.attemptCommitted(Self.map(0), attempt: 3, now: 5).isEmpty)
    }

    @Test func theFirstCommitWinsAndLaterReportsChangeNothing() {
        var instance = Instance(maps: 2, partitions: 1)
        _ = instance.start(now: 0)
        _ = instance.attemptCommitted(Self.map(0), attempt: 2, now: 1)
        #expect(instance.attemptCommitted(Self.map(0), attempt: 1, now: 2).isEmpty)
        #expect(instance.committedAttempt(of: Self.map(0)) == 2)
        // A failure of a task already committed is no failure.
        #expect(instance.attemptFailed(Self.map(0), attempt: 1, message: "late", now: 3).isEmpty)
        #expect(instance.counts(.map).failedAttempts == 0)
    }

    @Test func stragglersNearTheEndOfAPhaseGetOneBackupAndTheFirstToCommitWins() {
        let settings = Instance.Settings(maxAttempts: 4, backupFraction: 0.2, backupAfter: .milliseconds(100), backupFactor: 2)
        var instance = Instance(maps: 10, partitions: 1, settings: settings)
        _ = instance.start(now: 0)
        for index in 0..<7 { _ = instance.attemptCommitted(Self.map(index), attempt: 1, now: 40) }
        // Three of ten left: more than 20 %, no backups however long they run.
        #expect(instance.timePassed(now: 10_000).isEmpty)
        #expect(instance.nextBackupCheck(now: 10_000) == nil)
        _ = instance.attemptCommitted(Self.map(7), attempt: 1, now: 50)
        // Two left; the threshold is max(100 ms, 2 × the median commit time, 40 ms).
        #expect(instance.timePassed(now: 60).isEmpty)
        #expect(instance.nextBackupCheck(now: 60) == 100)
        let backups = Self.scheduled(instance.timePassed(now: 100))
        #expect(backups == [Attempt(task: Self.map(8), number: 2, isBackup: true), Attempt(task: Self.map(9), number: 2, isBackup: true)])
        // One backup per task.
        #expect(instance.timePassed(now: 20_000).isEmpty)
        #expect(instance.counts(.map).backups == 2)
        // The backup of m8 commits first; the original's later report changes nothing.
        #expect(instance.attemptCommitted(Self.map(8), attempt: 2, now: 20_001).isEmpty)
        #expect(instance.attemptCommitted(Self.map(8), attempt: 1, now: 20_002).isEmpty)
        #expect(instance.committedAttempt(of: Self.map(8)) == 2)
        // The original of m9 fails while its backup runs: no third attempt.
        #expect(instance.attemptFailed(Self.map(9), attempt: 1, message: "stalled", now: 20_003).isEmpty)
        let reduce = instance.attemptCommitted(Self.map(9), attempt: 2, now: 20_004)
        #expect(reduce.first == .startReducePhase)
    }

    @Test func backupsCanBeTurnedOff() {
        var instance = Instance(maps: 1, partitions: 1, settings: .init(backupAfter: .zero, backups: false))
        _ = instance.start(now: 0)
        #expect(instance.timePassed(now: 1_000_000).isEmpty)
        #expect(instance.nextBackupCheck(now: 0) == nil)
    }

    @Test func aNewCoordinatorTakesOverThePersistedStateAndReschedulesOnlyLiveAttempts() throws {
        var instance = Instance(maps: 3, partitions: 2, settings: .init(maxAttempts: 3))
        _ = instance.start(now: 0)
        _ = instance.attemptCommitted(Self.map(0), attempt: 1, now: 10)
        _ = instance.attemptFailed(Self.map(1), attempt: 1, message: "lost", now: 11)
        let saved = try JSONEncoder().encode(instance)
        var successor = try JSONDecoder().decode(Instance.self, from: saved)
        #expect(successor == instance)
        let again = Self.scheduled(successor.takeOver(now: 0))
        #expect(Set(again) == [Attempt(task: Self.map(1), number: 2), Attempt(task: Self.map(2), number: 1)])
        // The successor goes on from there: the failure count carried over.
        _ = successor.attemptFailed(Self.map(1), attempt: 2, message: "lost", now: 1)
        let final = successor.attemptFailed(Self.map(1), attempt: 3, message: "lost", now: 2)
        #expect(successor.phase == .failed && final.count == 1)
    }

    @Test func takingOverAJobThatNeverStartedStartsIt() {
        var instance = Instance(maps: 2, partitions: 1)
        #expect(Self.scheduled(instance.takeOver(now: 0)).count == 2)
        #expect(instance.isStarted)
    }

    @Test func takingOverAFinishedJobRepeatsItsEnd() {
        var instance = Instance(maps: 1, partitions: 1)
        _ = instance.start(now: 0)
        _ = instance.attemptCommitted(Self.map(0), attempt: 1, now: 1)
        _ = instance.attemptCommitted(Self.reduce(0), attempt: 1, now: 2)
        #expect(instance.takeOver(now: 3) == [.finish])
    }
}
