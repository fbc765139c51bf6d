import Logging
import MetricsTestKit
import RoostClient
import RoostTestSupport
import Testing

@Suite("RoostClient metrics")
struct RoostClientMetricsTests {
    @Test func commandsConnectionsAndFailuresAreCounted() async throws {
        let metrics = TestMetrics()
        let server = try await RoostTestServer.start()
        var logger = Logger(label: "roost.client.test")
        logger.logLevel = .critical
        let client = RedisClient(configuration: ClientTestServers.configuration(port: server.port), logger: logger,
                                 metricsFactory: metrics)
        try await client.set("s", "text")
        _ = try await client.get("s")
        await #expect(throws: RedisServerError.self) { try await client.incr("s") }
        await #expect(throws: RedisClientError.self) {
            try await client.execute(RedisCommand("PING"), timeout: .nanoseconds(1))
        }
        #expect(metrics.counterTotal(label: "roost_client_commands_total", dimensions: [("result", "success")]) >= 3)
        #expect(metrics.counterTotal(label: "roost_client_commands_total", dimensions: [("result", "server_error")]) == 1)
        #expect(metrics.counterTotal(label: "roost_client_commands_total", dimensions: [("result", "failure")]) == 1)
        #expect(try metrics.expectTimer("roost_client_command_duration").values.count >= 5)
        #expect(try metrics.expectGauge("roost_client_connections").lastValue == 1)
        await client.shutdown()
        try await server.stop()

        var unreachable = ClientTestServers.configuration(port: try FreePort.find())
        unreachable.reconnect = .init(initialDelay: .milliseconds(1), maximumDelay: .milliseconds(2), maximumAttempts: 3)
        let failing = RedisClient(configuration: unreachable, logger: logger, metricsFactory: metrics)
        await #expect(throws: RedisClientError.self) { try await failing.ping() }
        // Every one of the three attempts failed.
        #expect(metrics.counterTotal(label: "roost_client_connect_failures_total") == 3)
    }
}
