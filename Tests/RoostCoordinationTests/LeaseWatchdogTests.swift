@testable import RoostCoordination
import Testing

@Suite("Lease watchdog schedule")
struct LeaseWatchdogTests {
    let start = ContinuousClock.now
    let lease = Duration.seconds(3)

    @Test func firstRenewalComesAThirdIntoTheLease() {
        let watchdog = LeaseWatchdog(leaseTime: lease, grantedBy: start)
        #expect(watchdog.firstAction == .renew(at: start + .seconds(1)))
        #expect(watchdog.validUntil == start + lease - LeaseWatchdog.drift(for: lease))
        #expect(watchdog.isValid(at: start + .seconds(2)))
    }

    @Test func aRenewalMovesValidityFromWhenItWasSent() {
        var watchdog = LeaseWatchdog(leaseTime: lease, grantedBy: start)
        let sent = start + .seconds(1)
        #expect(watchdog.renewalSucceeded(sentAt: sent) == .renew(at: sent + .seconds(1)))
        #expect(watchdog.validUntil == sent + lease - LeaseWatchdog.drift(for: lease))
    }

    @Test func aRefusedRenewalLosesTheLeaseAtOnce() {
        var watchdog = LeaseWatchdog(leaseTime: lease, grantedBy: start)
        #expect(watchdog.renewalRefused() == .lost(.expired))
        #expect(!watchdog.isValid(at: start))
        // Nothing revives it.
        #expect(watchdog.renewalSucceeded(sentAt: start + .seconds(1)) == .lost(.expired))
    }

    @Test func failedRenewalsRetryUntilTheLeaseRunsOut() {
        var watchdog = LeaseWatchdog(leaseTime: lease, grantedBy: start, retryDelay: .milliseconds(500))
        var now = start + .seconds(1)
        var retries = 0
        while case .renew(let at) = watchdog.renewalFailed("connection reset", now: now) {
            #expect(at == now + .milliseconds(500))
            #expect(at < watchdog.validUntil)
            now = at
            retries += 1
        }
        #expect(retries == 3)
        #expect(watchdog.lossReason == .renewalFailed("connection reset"))
        #expect(!watchdog.isValid(at: now))
    }

    @Test func lossIsDeclaredBeforeTheServerCanExpireTheLease() {
        // The server starts its countdown after the request was sent; the holder counts from
        // the send, minus the drift allowance, so it always gives up first.
        let watchdog = LeaseWatchdog(leaseTime: .milliseconds(100), grantedBy: start)
        #expect(watchdog.validUntil < start + .milliseconds(100))
    }

    @Test func wholeMillisecondsRoundUp() {
        #expect(Duration.milliseconds(5).wholeMilliseconds == 5)
        #expect(Duration.microseconds(5001).wholeMilliseconds == 6)
        #expect(Duration.zero.wholeMilliseconds == 1)
        #expect(Duration.seconds(2).wholeMilliseconds == 2000)
    }
}
