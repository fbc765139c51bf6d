import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RoostClient
import RoostRESP
import Testing

/// A fake server that answers each request with the reply `script` gives for its command name
/// and records what it received: for handshakes no real server here can produce (no `HELLO`).
private final class ScriptedServerHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let script: @Sendable ([String]) -> String
    let received: NIOLockedValueBox<[[String]]>
    private let parser = NIOLockedValueBox(RESPRequestParser())
    private let pending = NIOLockedValueBox(ByteBuffer())

    init(script: @escaping @Sendable ([String]) -> String, received: NIOLockedValueBox<[[String]]>) {
        self.script = script
        self.received = received
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        var out = context.channel.allocator.buffer(capacity: 64)
        pending.withLockedValue { buffer in
            buffer.writeBuffer(&incoming)
            while true {
                var arguments: [ByteBuffer] = []
                let complete = (try? parser.withLockedValue { try $0.parse(&buffer, into: &arguments) }) ?? false
                guard complete else { break }
                let words = arguments.map { String(buffer: $0) }
                received.withLockedValue { $0.append(words) }
                out.writeString(script(words))
            }
        }
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
    }
}

private func withScriptedServer(_ script: @escaping @Sendable ([String]) -> String,
                                _ body: (Int, NIOLockedValueBox<[[String]]>) async throws -> Void) async throws {
    let received = NIOLockedValueBox<[[String]]>([])
    let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ScriptedServerHandler(script: script, received: received))
            }
        }
        .bind(host: "127.0.0.1", port: 0).get()
    do {
        try await body(server.localAddress?.port ?? 0, received)
        try await server.close()
    } catch {
        try? await server.close()
        throw error
    }
}

@Suite("RoostClient handshake")
struct RoostClientHandshakeTests {
    @Test(arguments: ["-ERR unknown command 'HELLO', with args beginning with: '3' \r\n", "-NOPROTO unsupported protocol version\r\n"])
    func fallsBackToRESP2WhenHelloIsRefused(_ helloReply: String) async throws {
        try await withScriptedServer({ words in
            switch words.first?.uppercased() {
            case "HELLO": return helloReply
            case "GET": return "$6\r\nresp-2\r\n"
            default: return "+OK\r\n"
            }
        }) { port, received in
            var configuration = try RedisClientConfiguration(url: "redis://bob:secret@127.0.0.1:\(port)/4")
            configuration.clientName = "app"
            let connection = try await RedisConnection.connect(configuration: configuration)
            #expect(connection.protocolVersion == 2)
            #expect(try await connection.get("k", as: String.self) == "resp-2")
            await connection.close()
            #expect(received.withLockedValue { $0 } == [
                ["HELLO", "3", "AUTH", "bob", "secret", "SETNAME", "app"],
                ["AUTH", "bob", "secret"],
                ["CLIENT", "SETNAME", "app"],
                ["SELECT", "4"],
                ["GET", "k"],
            ])
        }
    }

    @Test func aRefusedPasswordIsNotRetriedAsRESP2() async throws {
        try await withScriptedServer({ words in
            words.first?.uppercased() == "HELLO"
                ? "-WRONGPASS invalid username-password pair or user is disabled.\r\n" : "+OK\r\n"
        }) { port, received in
            let configuration = try RedisClientConfiguration(url: "redis://:bad@127.0.0.1:\(port)")
            await #expect {
                try await RedisConnection.connect(configuration: configuration)
            } throws: { error in
                (error as? RedisServerError)?.prefix == "WRONGPASS"
            }
            #expect(received.withLockedValue { $0 }.count == 1)
        }
    }

    @Test func resp2PreferenceSkipsHello() async throws {
        try await withScriptedServer({ _ in "+OK\r\n" }) { port, received in
            var configuration = try RedisClientConfiguration(url: "redis://:pw@127.0.0.1:\(port)")
            configuration.protocolPreference = .resp2
            let connection = try await RedisConnection.connect(configuration: configuration)
            await connection.close()
            #expect(received.withLockedValue { $0 } == [["AUTH", "pw"]])
        }
    }
}
