import NIOCore
@testable import RoostEngine
import Testing

/// The blocking infrastructure driven in-process, without a server: how a served reply reaches
/// the waiting client through `takeDeliveries`, and how timeouts and disconnects end a wait.
@Suite struct BlockingEngineTests {
    static func run(_ engine: Engine, _ client: Client, _ words: String...) -> String {
        let arguments = words.map { ByteBuffer(string: $0) }
        engine.execute(arguments, for: client)
        return String(buffer: client.reply.take())
    }

    static func deliveries(_ engine: Engine) -> [(Int64, String)] {
        engine.takeDeliveries().map { ($0.0.id, String(buffer: $0.1)) }
    }

    @Test func servedReplyIsDeliveredToTheWaiter() {
        let engine = Engine()
        engine.withLock {
            let waiter = engine.makeClient(), pusher = engine.makeClient()
            #expect(Self.run(engine, waiter, "BLPOP", "q", "0") == "")
            #expect(waiter.blocked != nil)
            #expect(engine.blockedClientCount == 1)
            #expect(Self.run(engine, pusher, "RPUSH", "q", "a", "b") == ":2\r\n")
            #expect(waiter.blocked == nil)
            let out = Self.deliveries(engine)
            #expect(out.count == 1)
            #expect(out.first?.0 == waiter.id)
            #expect(out.first?.1 == "*2\r\n$1\r\nq\r\n$1\r\na\r\n")
            #expect(Self.run(engine, pusher, "LRANGE", "q", "0", "-1") == "*1\r\n$1\r\nb\r\n")
        }
    }

    @Test func timeoutAndDisconnectEndTheWait() {
        let engine = Engine()
        engine.withLock {
            let a = engine.makeClient(), b = engine.makeClient(), pusher = engine.makeClient()
            _ = Self.run(engine, a, "BRPOP", "q", "0.5")
            _ = Self.run(engine, b, "BLPOP", "q", "0")
            let deadline = engine.earliestBlockingDeadline
            #expect(deadline != nil)
            engine.expireBlockedClients(now: (deadline ?? 0) - 1)
            #expect(a.blocked != nil)
            engine.expireBlockedClients(now: (deadline ?? 0) + 1)
            #expect(a.blocked == nil)
            #expect(Self.deliveries(engine).map(\.1) == ["*-1\r\n"])
            engine.removeClient(b)
            #expect(engine.blockedClientCount == 0)
            #expect(Self.run(engine, pusher, "RPUSH", "q", "x") == ":1\r\n")
            #expect(Self.deliveries(engine).isEmpty)
        }
    }
}
