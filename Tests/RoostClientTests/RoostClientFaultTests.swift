import Foundation
import NIOCore
import NIOPosix
import RoostClient
import RoostRESP
import RoostTestSupport
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A one-connection fake server that answers every request with `reply` and then closes, for
/// faults a real server cannot be made to produce (half a reply, then EOF).
private final class HalfReplyHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let reply: [UInt8]
    init(reply: [UInt8]) { self.reply = reply }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let out = context.channel.allocator.buffer(bytes: reply)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(out)).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}

private func startFakeServer(reply: [UInt8]) async throws -> any Channel {
    try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(HalfReplyHandler(reply: reply))
            }
        }
        .bind(host: "127.0.0.1", port: 0).get()
}

@Suite("RoostClient fault handling", .enabled(if: ClientTestServers.redisAvailable))
struct RoostClientFaultTests {
    @Test func cancellingOneRequestLeavesTheOthersAlone() async throws {
        try await ClientTestServers.withRedis { _, client in
            try await client.withConnection { connection in
                // BLPOP holds the connection for 1 s; the INCRs queue behind it on the server.
                let blocked = Task { try await connection.send("BLPOP", "empty-list", 1) }
                try await Task.sleep(for: .milliseconds(50))
                let incrs = (0..<5).map { _ in Task { try await connection.incr("counter") } }
                try await Task.sleep(for: .milliseconds(50))
                let cancelledAt = ContinuousClock.now
                blocked.cancel()
                await #expect {
                    try await blocked.value
                } throws: { error in
                    // `.cancelled` once sent; CancellationError if cancelled before it was sent.
                    (error as? RedisClientError)?.code == .cancelled || error is CancellationError
                }
                #expect(ContinuousClock.now - cancelledAt < .milliseconds(500))
                // The others get their own replies, not BLPOP's discarded null (which would not
                // decode as Int). The tasks may have been sent in any order.
                var values: [Int] = []
                for incr in incrs { values.append(try await incr.value) }
                #expect(values.sorted() == [1, 2, 3, 4, 5])
                // The connection still works afterwards.
                #expect(try await connection.ping() == "PONG")
                #expect(try await connection.echo("after") == ByteBuffer(string: "after"))
            }
        }
    }

    @Test func aTimedOutRequestDoesNotPoisonTheConnection() async throws {
        try await ClientTestServers.withRedis { _, client in
            try await client.withConnection { connection in
                await #expect {
                    try await connection.execute(RedisCommand("BLPOP", "nothing", 1), timeout: .milliseconds(100))
                } throws: { error in
                    (error as? RedisClientError)?.code == .timeout
                }
                // Its null reply arrives later and is discarded; this GET gets its own reply.
                try await connection.set("k", "v")
                #expect(try await connection.get("k", as: String.self) == "v")
            }
            #expect(try await client.ping() == "PONG")
        }
    }

    @Test func halfAReplyThenEOFFailsEveryRequestInFlight() async throws {
        let server = try await startFakeServer(reply: Array("$10\r\nhal".utf8))
        let port = try #require(server.localAddress?.port)
        var configuration = ClientTestServers.configuration(port: port)
        configuration.protocolPreference = .resp2
        configuration.reconnect.maximumAttempts = 1
        let connection = try await RedisConnection.connect(configuration: configuration)
        let replies = try await connection.pipeline([.get("a"), .get("b"), RedisCommand("PING")])
        #expect(replies.count == 3)
        for reply in replies {
            #expect {
                try reply.get()
            } throws: { error in
                (error as? RedisClientError)?.code == .connectionClosed
            }
        }
        #expect(!connection.isActive)
        await #expect {
            try await connection.ping()
        } throws: { error in
            (error as? RedisClientError)?.code == .connectionClosed
        }
        try await server.close()
    }

    @Test func aGarbageReplyIsAProtocolError() async throws {
        let server = try await startFakeServer(reply: Array("?what\r\n".utf8))
        let port = try #require(server.localAddress?.port)
        var configuration = ClientTestServers.configuration(port: port)
        configuration.protocolPreference = .resp2
        let connection = try await RedisConnection.connect(configuration: configuration)
        await #expect {
            try await connection.ping()
        } throws: { error in
            (error as? RedisClientError)?.code == .protocolError
        }
        try await server.close()
    }

    @Test func connectionRefusedIsAClearError() async throws {
        let port = try FreePort.find()
        var configuration = ClientTestServers.configuration(port: port)
        configuration.reconnect = .init(initialDelay: .milliseconds(10), maximumDelay: .milliseconds(20), maximumAttempts: 3)
        try await ClientTestServers.withClient(configuration) { client in
            await #expect {
                try await client.ping()
            } throws: { error in
                (error as? RedisClientError)?.code == .connectFailed && "\(error)".contains("127.0.0.1:\(port)")
            }
        }
    }

    @Test func serverRestartOnTheSamePort() async throws {
        let first = try await ClientTestServers.startRedis()
        let port = first.port
        let configuration = ClientTestServers.configuration(port: port)
        try await ClientTestServers.withClient(configuration) { client in
            try await client.set("k", "before")
            // A request in flight when the server dies fails with a clear error, not a retry.
            let inFlight = Task { try await client.send("BLPOP", "never", 0) }
            try await Self.waitUntilBlocked(client, count: 1)
            first.stop()
            await #expect {
                try await inFlight.value
            } throws: { error in
                (error as? RedisClientError)?.code == .connectionClosed
            }
            // Commands sent while the server is down wait for it through the connect backoff.
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-client-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let whileDown = Task { try await client.ping() }
            try await Task.sleep(for: .milliseconds(300))
            let pid = try ChildProcess.spawn("/usr/bin/redis-server", [
                "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", directory, "--daemonize", "no",
            ])
            defer { ChildProcess.kill(pid, signal: SIGKILL) }
            try PortProbe.waitUntilAccepting(port: port, timeout: 10)
            #expect(try await whileDown.value == "PONG")
            // The new server is empty: the client talks to it, not to a stale connection.
            #expect(try await client.get("k") == nil)
            try await client.set("k", "after")
            #expect(try await client.get("k", as: String.self) == "after")
        }
    }

    @Test func poolLeasesAreExclusiveAndBounded() async throws {
        try await ClientTestServers.withRedis(configure: { $0.pool.maximumConnections = 2 }) { _, client in
            // Two blocked leases fill the pool; a third caller waits for one to come back.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<2 {
                    group.addTask {
                        try await client.withConnection { connection in
                            _ = try await connection.send("BLPOP", "wake\(i)", 5)
                        }
                    }
                }
                var open = 0
                for _ in 0..<300 where open < 2 {
                    open = await client.openConnectionCount
                    if open < 2 { try await Task.sleep(for: .milliseconds(10)) }
                }
                #expect(open == 2)
                let waiting = Task { try await client.ping() }
                try await Task.sleep(for: .milliseconds(200))
                // Only a connection from outside the pool can wake the blocked ones.
                let configuration = ClientTestServers.configuration(port: client.configuration.endpoint.port)
                let outside = try await RedisConnection.connect(configuration: configuration)
                _ = try await outside.send("RPUSH", "wake0", "x")
                #expect(try await waiting.value == "PONG")
                _ = try await outside.send("RPUSH", "wake1", "x")
                await outside.close()
                try await group.waitForAll()
            }
            #expect(await client.openConnectionCount <= 2)
        }
    }

    @Test func idleConnectionsAboveTheMinimumAreClosed() async throws {
        try await ClientTestServers.withRedis(configure: {
            $0.pool.minimumConnections = 1
            $0.pool.idleTimeout = .milliseconds(300)
            $0.pool.healthCheckInterval = .milliseconds(200)
        }) { server, client in
            // Four leases blocked at once need four connections.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<4 {
                    group.addTask {
                        try await client.withConnection { _ = try await $0.send("BLPOP", "wake\(i)", 0) }
                    }
                }
                var open = 0
                for _ in 0..<300 where open < 4 {
                    open = await client.openConnectionCount
                    if open < 4 { try await Task.sleep(for: .milliseconds(10)) }
                }
                // Four leased, and perhaps one more that run() was opening for the minimum.
                #expect(open == 4 || open == 5)
                try await Task.sleep(for: .milliseconds(50))
                let outside = try await RedisConnection.connect(configuration: ClientTestServers.configuration(port: server.port))
                for i in 0..<4 { _ = try await outside.send("RPUSH", "wake\(i)", "x") }
                await outside.close()
                try await group.waitForAll()
            }
            // Idle ones above the minimum close after the idle timeout.
            var open = 4
            for _ in 0..<100 where open > 1 {
                try await Task.sleep(for: .milliseconds(50))
                open = await client.openConnectionCount
            }
            #expect(open == 1)
            #expect(try await client.ping() == "PONG")
        }
    }
}

extension RoostClientFaultTests {
    /// Waits until the server reports `count` blocked clients (asked over a connection of its own,
    /// as the pool may be full of blocked ones).
    static func waitUntilBlocked(_ client: RedisClient, count: Int) async throws {
        let connection = try await RedisConnection.connect(configuration: client.configuration)
        var blocked: String?
        for _ in 0..<500 where blocked != String(count) {
            blocked = try await connection.infoFields("clients")["blocked_clients"]
            if blocked != String(count) { try await Task.sleep(for: .milliseconds(10)) }
        }
        await connection.close()
        #expect(blocked == String(count), "blocked clients")
    }
}

extension RedisClientConfiguration.Endpoint {
    var port: Int {
        if case .tcp(_, let port) = self { return port }
        return 0
    }
}
