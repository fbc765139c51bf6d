import Logging
import NIOCore
import RoostClient
import RoostTestSupport
import ServiceLifecycle
import Testing

@Suite("RoostClient lifecycle and pool", .enabled(if: ClientTestServers.redisAvailable))
struct RoostClientLifecycleTests {
    @Test func runsInAServiceGroupAndShutsDownGracefully() async throws {
        let server = try await ClientTestServers.startRedis()
        defer { server.stop() }
        var configuration = ClientTestServers.configuration(port: server.port)
        configuration.pool.minimumConnections = 2
        var logger = Logger(label: "roost.client.test")
        logger.logLevel = .warning
        let client = RedisClient(configuration: configuration, logger: logger)
        let group = ServiceGroup(services: [client], gracefulShutdownSignals: [], cancellationSignals: [], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // run() opens the minimum connections in the background.
            var open = 0
            for _ in 0..<100 where open < 2 {
                open = await client.openConnectionCount
                if open < 2 { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(open == 2)
            #expect(try await client.ping() == "PONG")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(await client.openConnectionCount == 0)
        await #expect {
            try await client.ping()
        } throws: { error in
            (error as? RedisClientError)?.code == .poolClosed
        }
    }

    @Test func aConnectionLeftSubscribedIsNotReturnedToThePool() async throws {
        try await ClientTestServers.withRedis { _, client async throws in
            try await client.withConnection { connection in
                _ = try await connection.send("SUBSCRIBE", "x")
            }
            #expect(await client.openConnectionCount == 0)
            // The next lease gets a fresh connection that answers normally.
            #expect(try await client.ping() == "PONG")
            #expect(await client.openConnectionCount == 1)
        }
    }

    @Test func anAbandonedBlockingCommandClosesItsConnection() async throws {
        try await ClientTestServers.withRedis { _, client async throws in
            await #expect {
                try await client.withConnection { connection in
                    try await connection.execute(RedisCommand("BLPOP", "never", 0), timeout: .milliseconds(50))
                }
            } throws: { error in
                (error as? RedisClientError)?.code == .timeout
            }
            #expect(await client.openConnectionCount == 0)
            #expect(try await client.ping() == "PONG")
        }
    }

    @Test func aLeaseWaitingForAFullPoolCanBeCancelled() async throws {
        try await ClientTestServers.withRedis(configure: { $0.pool.maximumConnections = 1 }) { _, client async throws in
            try await client.withConnection { _ in
                let waiting = Task { try await client.ping() }
                try await Task.sleep(for: .milliseconds(100))
                waiting.cancel()
                await #expect(throws: CancellationError.self) { try await waiting.value }
            }
            #expect(try await client.ping() == "PONG")
        }
    }
}
