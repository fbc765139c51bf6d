import RoostEngine
import Testing

/// The limit rules of `client-output-buffer-limit`, without a network.
@Suite struct ClientOutputBufferLimitsTests {
    typealias Limit = ClientOutputBufferLimits.Limit
    let fixed = ClientOutputBufferLimits.fixedBufferBytes

    @Test func defaultsAreRedis() {
        #expect(ClientOutputBufferLimits().description
            == "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60")
    }

    @Test func outputWithinTheFixedBufferIsNeverChecked() {
        var since: Int64 = 7
        let limit = Limit(hard: 1, soft: 1, softSeconds: 0)
        #expect(!limit.isReached(pending: fixed, unauthenticated: true, now: 100, softLimitSince: &since))
        #expect(since == 7, "the soft-limit clock is left as it is")
    }

    @Test func hardLimitCountsBytesPastTheFixedBuffer() {
        var since: Int64 = 0
        let limit = Limit(hard: 1000, soft: 0, softSeconds: 0)
        #expect(!limit.isReached(pending: fixed + 999, unauthenticated: false, now: 1, softLimitSince: &since))
        #expect(limit.isReached(pending: fixed + 1000, unauthenticated: false, now: 1, softLimitSince: &since))
        #expect(limit.droppingPoint(unauthenticated: false) == fixed + 1000)
        #expect(Limit(hard: 0, soft: 5, softSeconds: 1).droppingPoint(unauthenticated: false) == .max)
        #expect(Limit(hard: .max, soft: 0, softSeconds: 0).droppingPoint(unauthenticated: false) == .max)
    }

    @Test func unauthenticatedClientsGoAtTheFirstBytePastTheFixedBuffer() {
        var since: Int64 = 0
        let off = Limit(hard: 0, soft: 0, softSeconds: 0)
        #expect(off.droppingPoint(unauthenticated: true) == fixed + 1)
        #expect(off.isReached(pending: fixed + 1, unauthenticated: true, now: 1, softLimitSince: &since))
    }

    /// Redis's rule: reached once more than `softSeconds` whole seconds have passed since the
    /// output was first seen at or past the soft limit; below it, the clock resets.
    @Test func softLimitMustHoldForMoreThanItsSeconds() {
        var since: Int64 = 0
        let limit = Limit(hard: 0, soft: 100, softSeconds: 2)
        #expect(!limit.isReached(pending: fixed + 100, unauthenticated: false, now: 10, softLimitSince: &since))
        #expect(since == 10)
        #expect(!limit.isReached(pending: fixed + 500, unauthenticated: false, now: 12, softLimitSince: &since))
        #expect(limit.isReached(pending: fixed + 500, unauthenticated: false, now: 13, softLimitSince: &since))
        #expect(!limit.isReached(pending: fixed + 99, unauthenticated: false, now: 14, softLimitSince: &since))
        #expect(since == 0)
    }

    @Test func configSetValuesAreTakenWholeOrNotAtAll() {
        var limits = ClientOutputBufferLimits()
        #expect(limits.apply(configSetValue: "normal 1 2 3 pubsub x 1 1")
            == "Error in hard, soft or soft_seconds setting in buffer limit configuration.")
        #expect(limits == ClientOutputBufferLimits())
        #expect(limits.apply(configSetValue: "normal 1k 2KB 3 replica 1 2 3") == nil)
        #expect(limits.normal == Limit(hard: 1000, soft: 2048, softSeconds: 3))
        #expect(limits.replica == Limit(hard: 1, soft: 2, softSeconds: 3))
    }
}
