@testable import RoostCoordination
import Testing

@Suite("WakeSignal, the waiters' wake-up")
struct WakeSignalTests {
    @Test func aNotificationBeforeTheWaitIsKept() async {
        let signal = WakeSignal()
        signal.notify()
        signal.notify()
        let start = ContinuousClock.now
        await signal.wait(until: start + .seconds(60))
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    @Test func waitingEndsAtTheDeadlineWithoutANotification() async {
        let signal = WakeSignal()
        let deadline = ContinuousClock.now + .milliseconds(50)
        await signal.wait(until: deadline)
        #expect(ContinuousClock.now >= deadline)
    }

    @Test func aNotificationWakesARunningWait() async {
        let signal = WakeSignal()
        let start = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await signal.wait(until: start + .seconds(60)) }
            group.addTask { signal.notify() }
            await group.waitForAll()
        }
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    @Test func cancellationEndsTheWait() async {
        let signal = WakeSignal()
        let start = ContinuousClock.now
        let task = Task { await signal.wait(until: start + .seconds(60)) }
        task.cancel()
        await task.value
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    @Test func aDeadlineWakeLeavesNoStaleNotification() async {
        let signal = WakeSignal()
        await signal.wait(until: ContinuousClock.now + .milliseconds(10))
        let deadline = ContinuousClock.now + .milliseconds(50)
        await signal.wait(until: deadline)
        #expect(ContinuousClock.now >= deadline, "the first wait's own wake-up must not end the second early")
    }
}
