import NIOCore
@testable import RoostClient
import Testing

/// The pure parts of blocking commands and subscriptions, with no server.
@Suite("RoostClient blocking timeouts and subscription gates")
struct RoostClientBlockingUnitTests {
    private static func argument(_ timeout: Duration?) -> String {
        String(buffer: RedisBlockingTimeout(timeout).argument.bytes)
    }

    @Test func timeoutsAreSentAsFractionalSecondsRoundedUpToTheMillisecond() {
        #expect(Self.argument(nil) == "0")
        #expect(Self.argument(.zero) == "0")
        #expect(Self.argument(.seconds(2)) == "2")
        #expect(Self.argument(.milliseconds(1500)) == "1.500")
        #expect(Self.argument(.milliseconds(250)) == "0.250")
        #expect(Self.argument(.milliseconds(7)) == "0.007")
        #expect(Self.argument(.microseconds(1)) == "0.001")
        #expect(Self.argument(.nanoseconds(1_000_000_001)) == "1.001")
        // A deadline already past waits as little as possible; 0 would wait for ever.
        #expect(Self.argument(.milliseconds(-5)) == "0.001")
        #expect(Self.argument(.seconds(Int64.max)) == "0")
    }

    @Test func theClientWaitsLongerThanTheServer() {
        #expect(RedisBlockingTimeout(.milliseconds(250)).requestTimeout == .milliseconds(250) + RedisBlockingTimeout.margin)
        #expect(RedisBlockingTimeout(nil).requestTimeout == RedisBlockingTimeout.forever)
    }

    @Test func onlyCommandsWaitingForOtherClientsUseADedicatedConnection() {
        #expect(RedisCommand("BLMOVE", "a", "b", "LEFT", "RIGHT", "0").waitsForOtherClients)
        #expect(RedisCommand("bzpopmin", "z", "0").waitsForOtherClients)
        #expect(RedisCommand("XREAD", "BLOCK", "0", "STREAMS", "s", "$").waitsForOtherClients)
        #expect(!RedisCommand("XREAD", "STREAMS", "s", "0").waitsForOtherClients)
        #expect(!RedisCommand("WAIT", "1", "0").waitsForOtherClients)
        #expect(!RedisCommand("LMOVE", "a", "b", "LEFT", "RIGHT").waitsForOtherClients)
        #expect(!RedisCommand("BITCOUNT", "k").waitsForOtherClients)
    }

    @Test func aHeldGateReleasesItsMessagesOnlyAfterTheGap() async throws {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: RedisSubscriptionEvent.self)
        let gate = SubscriptionGate(continuation, held: true)
        func message(_ text: String) -> RedisPubSubMessage {
            RedisPubSubMessage(kind: .message, patternBytes: nil, channelBytes: ByteBuffer(string: "c"),
                               payload: ByteBuffer(string: text))
        }
        gate.deliver(message("early"))
        let now = ContinuousClock.now
        let gap = RedisSubscriptionGap(disconnectedAt: now, restoredAt: now, attempts: 1)
        gate.open(after: .gap(gap))
        gate.deliver(message("late"))
        continuation.finish()
        var events: [RedisSubscriptionEvent] = []
        for try await event in stream { events.append(event) }
        #expect(events == [.gap(gap), .message(message("early")), .message(message("late"))])
    }
}
