@testable import RoostCoordination
import Testing

@Suite("WakeSignal, the waiters' wake-up")
struct WakeSignalTests {
    @Test func aNotificationBeforeTheWaitIsKept() async {
        let signal = WakeSignal()
        signal.notify()
        signal.notify()
        #expect(await signal.wait(until: ContinuousClock.now + .seconds(3600)))
    }

    @Test func waitingEndsAtTheDeadlineWithoutANotification() async {
        let signal = WakeSignal()
        let deadline = ContinuousClock.now + .milliseconds(50)
        #expect(await signal.wait(until: deadline) == false)
        #expect(ContinuousClock.now >= deadline)
    }

    @Test func aNotificationWakesARunningWait() async {
        let signal = WakeSignal()
        let notified = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await signal.wait(until: ContinuousClock.now + .seconds(3600)) }
            group.addTask { signal.notify(); return true }
            return await group.reduce(true) { $0 && $1 }
        }
        #expect(notified)
    }

    @Test func cancellationEndsTheWait() async {
        let signal = WakeSignal()
        let start = ContinuousClock.now
        let task = Task { _ = await signal.wait(until: start + .seconds(3600)) }
        task.cancel()
        await task.value
        // Cancellation, not the hour-long deadline, ended it (however loaded the machine).
        #expect(ContinuousClock.now - start < .seconds(1800))
    }

    @Test func aDeadlineWakeLeavesNoStaleNotification() async {
        let signal = WakeSignal()
        #expect(await signal.wait(until: ContinuousClock.now + .milliseconds(10)) == false)
        let deadline = ContinuousClock.now + .milliseconds(50)
        #expect(await signal.wait(until: deadline) == false, "the first wait's own wake-up must not end the second early")
        #expect(ContinuousClock.now >= deadline)
    }
}
