import Logging
import NIOCore
import NIOEmbedded
@testable import RoostClient
import RoostRESP
import Testing

/// The reply-matching state machine, driven through an `EmbeddedChannel` with no network.
@Suite("RoostClient channel handler")
struct RoostClientChannelHandlerTests {
    final class Fixture {
        let channel = EmbeddedChannel()
        let handler = RedisChannelHandler(logger: Logger(label: "test"))

        init() throws {
            try channel.pipeline.syncOperations.addHandler(handler)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        }

        func send(_ commands: [RedisCommand], timeout: Duration? = nil) -> [EventLoopPromise<RESPValue>] {
            let promises = commands.map { _ in channel.eventLoop.makePromise(of: RESPValue.self) }
            handler.submit(commands, promises: promises, timeout: timeout)
            return promises
        }

        func written() throws -> String {
            var out = ""
            while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
                out += buffer.readString(length: buffer.readableBytes) ?? ""
            }
            return out
        }

        /// Feeds `text` one byte at a time.
        func reply(_ text: String) throws {
            for byte in text.utf8 {
                try channel.writeInbound(ByteBuffer(bytes: [byte]))
            }
        }
    }

    static func result(_ promise: EventLoopPromise<RESPValue>) -> Result<RESPValue, any Error>? {
        var result: Result<RESPValue, any Error>?
        promise.futureResult.assumeIsolated().whenComplete { result = $0 }
        return result
    }

    @Test func pipelinedRepliesArriveByteByByteAndMatchInOrder() throws {
        let f = try Fixture()
        let promises = f.send([.get("a"), RedisCommand("PING"), .incr("n")])
        #expect(try f.written() == "*2\r\n$3\r\nGET\r\n$1\r\na\r\n*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n")
        try f.reply("$2\r\nv\n\r\n+PONG\r")
        #expect(try Self.result(promises[0])?.get() == .bulkString(Array("v\n".utf8)))
        #expect(Self.result(promises[1]) == nil)
        try f.reply("\n:7\r\n")
        #expect(try Self.result(promises[1])?.get() == .simpleString(Array("PONG".utf8)))
        #expect(try Self.result(promises[2])?.get() == .integer(7))
        #expect(f.handler.outstandingCount == 0)
    }

    @Test func anAbandonedRequestFailsAloneAndItsReplyIsDiscarded() throws {
        let f = try Fixture()
        let promises = f.send([.get("a"), .get("b"), .get("c")])
        f.handler.abandon(ObjectIdentifier(promises[1].futureResult), with: RedisClientError(.cancelled, "test"))
        #expect(throws: RedisClientError.self) { try Self.result(promises[1])?.get() }
        try f.reply("$1\r\nA\r\n$1\r\nB\r\n$1\r\nC\r\n")
        #expect(try Self.result(promises[0])?.get() == .bulkString(Array("A".utf8)))
        #expect(try Self.result(promises[2])?.get() == .bulkString(Array("C".utf8)))
        #expect(f.handler.outstandingCount == 0)
    }

    @Test func aTimeoutFailsOnlyItsRequest() throws {
        let f = try Fixture()
        let slow = f.send([RedisCommand("BLPOP", "q", 0)], timeout: .milliseconds(100))[0]
        let next = f.send([RedisCommand("PING")])[0]
        f.channel.embeddedEventLoop.advanceTime(by: .milliseconds(150))
        #expect {
            try Self.result(slow)?.get()
        } throws: { error in
            (error as? RedisClientError)?.code == .timeout
        }
        #expect(f.handler.hasAbandonedBlockingRequest)
        try f.reply("*-1\r\n+PONG\r\n")
        #expect(try Self.result(next)?.get() == .simpleString(Array("PONG".utf8)))
        #expect(!f.handler.hasAbandonedBlockingRequest)
    }

    @Test func closingFailsEveryPendingRequestAndLaterOnes() throws {
        let f = try Fixture()
        let promises = f.send([.get("a"), .get("b")])
        try f.reply("$5\r\nhal")
        f.channel.pipeline.fireChannelInactive()
        for promise in promises {
            #expect {
                try Self.result(promise)?.get()
            } throws: { error in
                (error as? RedisClientError)?.code == .connectionClosed
            }
        }
        let late = f.send([RedisCommand("PING")])[0]
        #expect(throws: RedisClientError.self) { try Self.result(late)?.get() }
    }

    @Test func resp2SubscriptionsCountConfirmationsAndDeliverMessages() throws {
        let f = try Fixture()
        var messages: [RedisPubSubMessage] = []
        f.handler.onMessage = { messages.append($0) }
        let subscribe = f.send([RedisCommand("SUBSCRIBE", "a", "b")])[0]
        try f.reply("*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n")
        #expect(Self.result(subscribe) == nil)
        try f.reply("*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n")
        #expect(Self.result(subscribe) != nil)
        try f.reply("*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n*4\r\n$8\r\npmessage\r\n$2\r\nb*\r\n$2\r\nbc\r\n$1\r\nx\r\n")
        // An argument-less UNSUBSCRIBE counts as one reply; the second confirmation is not
        // taken for the PING's reply.
        let unsubscribe = f.send([RedisCommand("UNSUBSCRIBE")])[0]
        let ping = f.send([RedisCommand("PING")])[0]
        try f.reply("*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n")
        #expect(Self.result(unsubscribe) != nil)
        #expect(Self.result(ping) == nil)
        try f.reply("+PONG\r\n")
        #expect(try Self.result(ping)?.get() == .simpleString(Array("PONG".utf8)))
        #expect(messages.map(\.channel) == ["a", "bc"])
        #expect(messages.map(\.text) == ["hi", "x"])
        #expect(messages[1].pattern == "b*")
    }

    @Test func resp3PushesAreNotReplies() throws {
        let f = try Fixture()
        f.handler.isRESP3 = true
        var messages: [RedisPubSubMessage] = []
        f.handler.onMessage = { messages.append($0) }
        let get = f.send([.get("k")])[0]
        // An invalidation push arrives before the GET's reply; it must not be taken for it.
        try f.reply(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n")
        #expect(Self.result(get) == nil)
        try f.reply(">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n$1\r\nv\r\n")
        #expect(try Self.result(get)?.get() == .bulkString(Array("v".utf8)))
        #expect(messages.map(\.text) == ["m"])
    }

    @Test func garbageFailsEverythingAndCloses() throws {
        let f = try Fixture()
        let promise = f.send([RedisCommand("PING")])[0]
        try f.reply("@oops\r\n")
        #expect {
            try Self.result(promise)?.get()
        } throws: { error in
            (error as? RedisClientError)?.code == .protocolError
        }
        #expect(!f.channel.isActive)
    }
}
