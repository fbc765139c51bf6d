import Foundation
import RoostClient
import RoostTesting
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The scoped helpers start a working server and leave nothing behind, through the public API.
@Suite struct RoostTestingTests {
    struct Planned: Error {}

    /// Whether the process `pid` is gone and reaped (a zombie still answers signal 0).
    static func isReaped(_ pid: pid_t) -> Bool {
        kill(pid, 0) == -1 && errno == ESRCH
    }

    /// Whether nothing accepts a client connection for `configuration` any more.
    static func isRefused(_ configuration: RedisClientConfiguration) async -> Bool {
        do {
            let connection = try await RedisConnection.connect(configuration: configuration)
            await connection.close()
            return false
        } catch {
            return true
        }
    }

    @Test(arguments: TestBackend.available)
    func backendAnswersPing(backend: TestBackend) async throws {
        let reply = try await withTestBackend(backend) { client in
            try await client.send("PING", as: String.self)
        }
        #expect(reply == "PONG")
    }

    @Test func roostServerTakesEngineConfigurationAndIsClosedAfterwards() async throws {
        let configuration = try await withRoostServer(configuration: { $0.requirePass = "s3cret"; $0.maxMemory = 1 << 24 }) { server in
            #expect(server.url == "redis://127.0.0.1:\(server.port)")
            try await server.withClient { client async throws in
                #expect(try await client.send("PING", as: String.self) == "PONG")
                #expect(try await client.send("CONFIG", "GET", "maxmemory", as: [String: String].self) == ["maxmemory": "16777216"])
            }
            return server.clientConfiguration
        }
        #expect(configuration.password == "s3cret")
        #expect(await Self.isRefused(configuration))
    }

    @Test(.enabled(if: RedisServerProcess.isAvailable))
    func redisServerAnswersAndIsReapedAfterwards() async throws {
        let (configuration, pid) = try await withRedisServer(arguments: ["--requirepass", "s3cret"]) { server in
            try await server.withClient { client async throws in
                #expect(try await client.send("PING", as: String.self) == "PONG")
            }
            #expect(server.log.contains("Ready to accept connections"))
            return (server.clientConfiguration, try #require(server.processID))
        }
        #expect(Self.isReaped(pid))
        #expect(await Self.isRefused(configuration))
    }

    @Test(.enabled(if: RedisClusterProcess.isAvailable))
    func clusterRoutesKeysToEveryMasterAndIsReapedAfterwards() async throws {
        let pids = try await withRedisCluster { cluster in
            try await cluster.withClient { client async throws in
                for index in 0..<100 { try await client.set(RedisKey("key\(index)"), "value\(index)") }
                for index in 0..<100 {
                    #expect(try await client.get(RedisKey("key\(index)"), as: String.self) == "value\(index)")
                }
            }
            let masters = try Set((0..<100).map {
                try cluster.masterPort(forSlot: Int(RedisHashSlot(key: Array("key\($0)".utf8)).rawValue))
            })
            #expect(masters.count == 3)
            return cluster.ports.compactMap { cluster.processID(port: $0) }
        }
        #expect(pids.count == 6)
        #expect(pids.allSatisfy(Self.isReaped))
    }

    @Test(.enabled(if: RedisClusterProcess.isAvailable))
    func killedMasterIsReplacedAndRejoinsAfterRestart() async throws {
        try await withRedisCluster { cluster in
            let master = try cluster.masterPort(forSlot: 0)
            let replica = try #require(try cluster.replicaPorts(ofMasterPort: master).first)
            cluster.kill(port: master)
            #expect(!cluster.livePorts.contains(master))
            try cluster.waitUntilHealthy(requireReplicas: false)
            #expect(try cluster.masterPort(forSlot: 0) == replica)
            try cluster.restart(port: master)
            try cluster.waitUntilHealthy()
            #expect(try cluster.replicaPorts(ofMasterPort: replica) == [master])
        }
    }

    @Test(.enabled(if: RedisServerProcess.isAvailable))
    func thrownErrorStillStopsEveryServer() async throws {
        var roost: RedisClientConfiguration?
        await #expect(throws: Planned.self) {
            try await withRoostServer { server in
                roost = server.clientConfiguration
                throw Planned()
            }
        }
        #expect(await Self.isRefused(try #require(roost)))

        var redis: (RedisClientConfiguration, pid_t)?
        await #expect(throws: Planned.self) {
            try await withRedisServer { server in
                redis = (server.clientConfiguration, try #require(server.processID))
                throw Planned()
            }
        }
        let (configuration, pid) = try #require(redis)
        #expect(Self.isReaped(pid))
        #expect(await Self.isRefused(configuration))
    }

    @Test(.enabled(if: RedisServerProcess.isAvailable))
    func cancellationStopsTheServer() async throws {
        let (started, continuation) = AsyncStream<pid_t>.makeStream()
        let task = Task {
            try await withRedisServer { server in
                continuation.yield(try #require(server.processID))
                try await Task.sleep(for: .seconds(600))
            }
        }
        var pids = started.makeAsyncIterator()
        let pid = try #require(await pids.next())
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(Self.isReaped(pid))
    }

    @Test func missingRedisServerIsAClearError() {
        // Only the error's shape: whether redis-server is installed decides which path runs.
        if !RedisServerProcess.isAvailable {
            #expect(throws: RoostTestingError.self) { try RedisServerProcess() }
        }
        #expect(RoostTestingError(.toolNotFound, "redis-server").description == "toolNotFound: redis-server")
    }
}
