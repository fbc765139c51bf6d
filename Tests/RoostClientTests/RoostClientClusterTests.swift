import Foundation
import Logging
import NIOCore
import RoostClient
import RoostRESP
import RoostTestSupport
import Testing

/// Starting a real six-node cluster and a cluster client for it.
enum ClusterTestSupport {
    static let available = RedisClusterProcess.isAvailable

    /// Runs `body` with a fresh three-master, three-replica cluster and a client whose `run()`
    /// goes alongside; stops both afterwards.
    static func withCluster(configure: (inout RedisClusterConfiguration) -> Void = { _ in },
                            _ body: (RedisClusterProcess, RedisClusterClient) async throws -> Void) async throws {
        try await withRedisCluster { cluster in
            try await withClient(cluster, configure: configure, body)
        }
    }

    private static func withClient(_ cluster: RedisClusterProcess,
                                   configure: (inout RedisClusterConfiguration) -> Void,
                                   _ body: (RedisClusterProcess, RedisClusterClient) async throws -> Void) async throws {
        var node = RedisClientConfiguration(endpoint: .tcp(host: "127.0.0.1", port: cluster.ports[0]))
        node.commandTimeout = .seconds(20)
        node.reconnect.maximumAttempts = 2
        var configuration = RedisClusterConfiguration(
            seeds: cluster.ports.prefix(2).map { RedisClusterNodeAddress(host: "127.0.0.1", port: $0) }, node: node)
        configure(&configuration)
        var logger = Logger(label: "roost.client.cluster.test")
        logger.logLevel = .warning
        try await RedisClusterClient(configuration: configuration, logger: logger).runningAlongside { client in
            try await body(cluster, client)
        }
    }

    /// One key per master: `prefix0`, `prefix1`… tried until each master has one. Keyed by the
    /// master's port.
    static func keysOnEachMaster(_ cluster: RedisClusterProcess, prefix: String = "key") throws -> [Int: String] {
        let masters = try cluster.nodes().filter(\.isHealthyMaster)
        var found: [Int: String] = [:]
        var index = 0
        while found.count < masters.count {
            let key = "\(prefix)\(index)"
            let slot = Int(RedisHashSlot(key: key).rawValue)
            if let master = masters.first(where: { $0.slots.contains { $0.contains(slot) } }), found[master.port] == nil {
                found[master.port] = key
            }
            index += 1
        }
        return found
    }

    static func string(_ buffer: ByteBuffer?) -> String? { buffer.map { String(buffer: $0) } }

    /// A counter from a node's `INFO commandstats` (`calls` of `command`).
    static func calls(_ cluster: RedisClusterProcess, port: Int, command: String) throws -> Int {
        let info = try cluster.command(port: port, ["INFO", "commandstats"])
        guard let line = info.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("cmdstat_\(command):") }),
              let range = line.range(of: "calls=") else { return 0 }
        return Int(line[range.upperBound...].prefix { $0.isNumber }) ?? 0
    }

    /// Moves `slot` from one master to another the way `redis-cli --cluster reshard` does:
    /// IMPORTING on the target, MIGRATING on the source, MIGRATE of every key, then the new
    /// owner announced to every master.
    static func migrate(slot: Int, from source: Int, to target: Int, in cluster: RedisClusterProcess) throws {
        let sourceID = try cluster.nodeID(port: source)
        let targetID = try cluster.nodeID(port: target)
        #expect(try cluster.command(port: target, ["CLUSTER", "SETSLOT", "\(slot)", "IMPORTING", sourceID]) == "OK")
        #expect(try cluster.command(port: source, ["CLUSTER", "SETSLOT", "\(slot)", "MIGRATING", targetID]) == "OK")
        try migrateKeys(slot: slot, from: source, to: target, in: cluster)
        for port in try [target, source] + cluster.nodes().filter(\.isHealthyMaster).map(\.port) {
            _ = try cluster.command(port: port, ["CLUSTER", "SETSLOT", "\(slot)", "NODE", targetID])
        }
    }

    /// MIGRATEs the keys of `slot` still on `source` to `target`.
    static func migrateKeys(slot: Int, from source: Int, to target: Int, in cluster: RedisClusterProcess,
                            only keys: [String]? = nil) throws {
        let connection = try RawConnection(port: source)
        let names: [String]
        if let keys {
            names = keys
        } else {
            try connection.send(command: ["CLUSTER", "GETKEYSINSLOT", "\(slot)", "1000"].map { Array($0.utf8) })
            let reply = String(decoding: try connection.readReply(), as: UTF8.self)
            // *N\r\n$len\r\nkey\r\n…: every other line after the header is a key.
            let lines = reply.components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }
            names = stride(from: 1, to: lines.count, by: 2).map { lines[$0] }
        }
        guard !names.isEmpty else { return }
        let reply = try cluster.command(port: source, ["MIGRATE", "127.0.0.1", "\(target)", "", "0", "5000", "KEYS"] + names)
        #expect(reply == "OK")
    }
}

@Suite("RoostClient Cluster against a real 6-node redis cluster", .serialized,
       .enabled(if: ClusterTestSupport.available))
struct RoostClientClusterTests {
    @Test func topologyHasThreeMastersWithReplicas() async throws {
        try await ClusterTestSupport.withCluster { cluster, client in
            let topology = try await client.topology
            #expect(topology.coversAllSlots)
            #expect(Set(topology.masters.map(\.port)) == Set(try cluster.nodes().filter(\.isHealthyMaster).map(\.port)))
            #expect(topology.shards.count == 3)
            for shard in topology.shards {
                #expect(shard.replicas.count == 1)
                #expect(try cluster.replicaPorts(ofMasterPort: shard.master.port) == shard.replicas.map(\.port))
            }
        }
    }

    @Test func routesKeysToEachOfTheThreeMasters() async throws {
        try await ClusterTestSupport.withCluster { cluster, client in
            let keys = try ClusterTestSupport.keysOnEachMaster(cluster)
            #expect(keys.count == 3)
            for (port, key) in keys {
                #expect(try await client.set(RedisKey(key), "value-of-\(key)"))
                // The key landed on the master owning its slot, not elsewhere.
                #expect(try cluster.command(port: port, ["GET", key]) == "value-of-\(key)")
                #expect(ClusterTestSupport.string(try await client.get(RedisKey(key))) == "value-of-\(key)")
                #expect(try await client.incr(RedisKey(key + ":n"), by: 5) == 5)
            }
            for (port, _) in keys {
                #expect(try cluster.command(port: port, ["DBSIZE"]) != "0")
            }
            // Movable keys (EVAL) and subcommands route by the key table, locally.
            for (port, key) in keys {
                let script = "return redis.call('SET', KEYS[1], ARGV[1])"
                _ = try await client.send("EVAL", script, 1, "{\(key)}:eval", "e")
                #expect(try cluster.command(port: port, ["GET", "{\(key)}:eval"]) == "e")
                #expect(try await client.send("OBJECT", "ENCODING", key, as: String.self) == "embstr")
            }
            // A keyless command goes to some master.
            #expect(try await client.send("PING", as: String.self) == "PONG")
            // Typed commands of other families route too.
            _ = try await client.send("HSET", "h{x}", "f", "v")
            #expect(try await client.send("HGET", "h{x}", "f", as: String.self) == "v")
        }
    }

    @Test func hashTagsKeepKeysTogether() async throws {
        try await ClusterTestSupport.withCluster { cluster, client in
            #expect(RedisHashSlot(key: "{user1}:a") == RedisHashSlot(key: "{user1}:b"))
            try await client.mset([(RedisKey("{user1}:a"), "1"), (RedisKey("{user1}:b"), "2")])
            let values = try await client.mget([RedisKey("{user1}:a"), RedisKey("{user1}:b"), RedisKey("{user1}:c")])
            #expect(values.map(ClusterTestSupport.string) == ["1", "2", nil])
            let port = try cluster.masterPort(forSlot: Int(RedisHashSlot(key: "user1").rawValue))
            #expect(try cluster.command(port: port, ["GET", "{user1}:b"]) == "2")
            // A transaction on the slot's master.
            let exec = try await client.withConnection(forKey: "{user1}") { connection in
                _ = try await connection.send("MULTI")
                _ = try await connection.send("INCR", "{user1}:a")
                _ = try await connection.send("APPEND", "{user1}:b", "x")
                return try await connection.send("EXEC", as: [Int].self)
            }
            #expect(exec == [2, 2])
            #expect(try await client.del([RedisKey("{user1}:a"), RedisKey("{user1}:b")]) == 2)
        }
    }

    @Test func crossSlotCommandsFailBeforeSending() async throws {
        try await ClusterTestSupport.withCluster { cluster, client in
            #expect(RedisHashSlot(key: "a") != RedisHashSlot(key: "b"))
            let before = try cluster.livePorts.map { try ClusterTestSupport.calls(cluster, port: $0, command: "mget") }
            await #expect {
                _ = try await client.mget([RedisKey("a"), RedisKey("b")])
            } throws: { error in
                (error as? RedisClientError)?.code == .crossSlot
            }
            // Any command with several keys is checked too.
            await #expect {
                _ = try await client.send("SINTERSTORE", "dst", "a", "b")
            } throws: { error in
                (error as? RedisClientError)?.code == .crossSlot
            }
            let after = try cluster.livePorts.map { try ClusterTestSupport.calls(cluster, port: $0, command: "mget") }
            #expect(before == after)
            // In a pipeline only the cross-slot entry fails.
            let results = try await client.pipeline([RedisCommand("SET", "a", "1"), RedisCommand("MGET", "a", "b"),
                                                     RedisCommand("GET", "a")])
            #expect(try results[0].get() == .simpleString(Array("OK".utf8)))
            #expect(throws: RedisClientError.self) { try results[1].get() }
            #expect(try results[2].get() == .bulkString(Array("1".utf8)))
        }
    }

    @Test func followsMovedAfterASlotMigration() async throws {
        try await ClusterTestSupport.withCluster { cluster, client in
            let key = "moving-key"
            let slot = Int(RedisHashSlot(key: key).rawValue)
            #expect(try await client.set(RedisKey(key), "before"))
            let source = try cluster.masterPort(forSlot: slot)
            let target = try cluster.nodes().filter(\.isHealthyMaster).map(\.port).first { $0 != source } ?? source
            #expect(try await client.topology.master(for: RedisHashSlot(key: key))?.port == source)

            try ClusterTestSupport.migrate(slot: slot, from: source, to: target, in: cluster)
            #expect(try cluster.masterPort(forSlot: slot, askingPort: target) == target)

            // The client's map is stale: the source answers MOVED, and the client follows.
            #expect(ClusterTestSupport.string(try await client.get(RedisKey(key))) == "before")
            #expect(try await client.topology.master(for: RedisHashSlot(key: key))?.port == target)
            // MOVED also scheduled a full refresh (done by run()): the target's shard lists the slot.
            let refreshDeadline = ContinuousClock.now + .seconds(5)
            var refreshed = false
            while !refreshed, ContinuousClock.now < refreshDeadline {
                let shards = try await client.topology.shards
                refreshed = shards.first { $0.master.port == target }?.slots.contains { $0.contains(slot) } == true
                    && shards.first { $0.master.port == source }?.slots.contains { $0.contains(slot) } == false
                if !refreshed { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(refreshed)
            #expect(try await client.set(RedisKey(key), "after"))
            #expect(try cluster.command(port: target, ["GET", key]) == "after")

            // Again, inside a pipeline mixing the moved slot with the other masters' keys.
            let others = try ClusterTestSupport.keysOnEachMaster(cluster, prefix: "o")
            for (_, other) in others { #expect(try await client.set(RedisKey(other), "o")) }
            let second = try cluster.nodes().filter(\.isHealthyMaster).map(\.port).first { $0 != source && $0 != target } ?? source
            try ClusterTestSupport.migrate(slot: slot, from: target, to: second, in: cluster)
            let commands = [RedisCommand("GET", key)] + others.values.sorted().map { RedisCommand("GET", $0) }
                + [RedisCommand("APPEND", key, "!")]
            let results = try await client.pipeline(commands)
            #expect(try results.map { try $0.get() } == [.bulkString(Array("after".utf8))]
                + others.map { _ in RESPValue.bulkString(Array("o".utf8)) } + [.integer(6)])
            #expect(try cluster.command(port: second, ["GET", key]) == "after!")
            #expect(try await client.topology.master(for: RedisHashSlot(key: key))?.port == second)
        }
    }

    @Test func followsAskDuringASlotMigration() async throws {
        try await ClusterTestSupport.withCluster { cluster, client in
            let moved = "{mig}:moved"
            let stays = "{mig}:stays"
            let slot = Int(RedisHashSlot(key: moved).rawValue)
            #expect(try await client.set(RedisKey(moved), "m"))
            #expect(try await client.set(RedisKey(stays), "s"))
            let source = try cluster.masterPort(forSlot: slot)
            let target = try cluster.nodes().filter(\.isHealthyMaster).map(\.port).first { $0 != source } ?? source
            let sourceID = try cluster.nodeID(port: source)
            let targetID = try cluster.nodeID(port: target)
            #expect(try cluster.command(port: target, ["CLUSTER", "SETSLOT", "\(slot)", "IMPORTING", sourceID]) == "OK")
            #expect(try cluster.command(port: source, ["CLUSTER", "SETSLOT", "\(slot)", "MIGRATING", targetID]) == "OK")
            try ClusterTestSupport.migrateKeys(slot: slot, from: source, to: target, in: cluster, only: [moved])
            #expect(try cluster.command(port: source, ["GET", moved]).hasPrefix("ASK \(slot) "))

            let askingBefore = try ClusterTestSupport.calls(cluster, port: target, command: "asking")
            #expect(ClusterTestSupport.string(try await client.get(RedisKey(moved))) == "m")
            #expect(ClusterTestSupport.string(try await client.get(RedisKey(stays))) == "s")
            #expect(try ClusterTestSupport.calls(cluster, port: target, command: "asking") == askingBefore + 1)
            // ASK does not change the map: the slot still belongs to the source.
            #expect(try await client.topology.master(for: RedisHashSlot(rawValue: UInt16(slot)))?.port == source)
            // A new key of the migrating slot goes to the target via ASK too.
            #expect(try await client.set(RedisKey("{mig}:new"), "n"))
            #expect(try cluster.command(port: target, ["GET", "{mig}:new"]).hasPrefix("MOVED \(slot) "))
            #expect(try cluster.commands(port: target, [["ASKING"], ["GET", "{mig}:new"]]) == ["OK", "n"])
            // Not on the source: it answers ASK for a key it does not hold.
            #expect(try cluster.command(port: source, ["EXISTS", "{mig}:new"]).hasPrefix("ASK \(slot) "))
            // Both keys in one pipeline, each answered where it lives.
            let results = try await client.pipeline([RedisCommand("GET", moved), RedisCommand("GET", stays)])
            #expect(try results.map { try $0.get() } == [.bulkString(Array("m".utf8)), .bulkString(Array("s".utf8))])
        }
    }

    @Test func tooManyRedirectionsFailClearly() async throws {
        try await ClusterTestSupport.withCluster(configure: { $0.maximumRedirections = 0 }) { cluster, client in
            let key = "redirected"
            let slot = Int(RedisHashSlot(key: key).rawValue)
            _ = try await client.topology
            let source = try cluster.masterPort(forSlot: slot)
            let target = try cluster.nodes().filter(\.isHealthyMaster).map(\.port).first { $0 != source } ?? source
            try ClusterTestSupport.migrate(slot: slot, from: source, to: target, in: cluster)
            await #expect {
                _ = try await client.get(RedisKey(key))
            } throws: { error in
                (error as? RedisClusterError)?.code == .tooManyRedirections
            }
        }
    }

    @Test func pipelineAcrossAllMastersKeepsOrder() async throws {
        try await ClusterTestSupport.withCluster { cluster, client in
            let keys = (0..<30).map { "p\($0)" }
            #expect(Set(keys.map { key in
                (try? cluster.masterPort(forSlot: Int(RedisHashSlot(key: key).rawValue))) ?? 0
            }).count == 3)
            var commands = keys.enumerated().map { RedisCommand("SET", $1, "v\($0)") }
            commands += keys.reversed().map { RedisCommand("GET", $0) }
            commands += keys.map { RedisCommand("INCR", $0 + ":c") }
            let results = try await client.pipeline(commands)
            #expect(results.count == commands.count)
            for index in 0..<30 {
                #expect(try results[index].get() == .simpleString(Array("OK".utf8)))
                #expect(try results[30 + index].get() == .bulkString(Array("v\(29 - index)".utf8)))
                #expect(try results[60 + index].get() == .integer(1))
            }
            // Many concurrent callers share the node pools.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<100 {
                    group.addTask { () async throws -> Void in
                        let key = RedisKey("c\(index)")
                        #expect(try await client.incr(key, by: index) == index)
                        #expect(ClusterTestSupport.string(try await client.get(key)) == "\(index)")
                    }
                }
                try await group.waitForAll()
            }
            // Error replies stay with their command.
            let mixed = try await client.pipeline([RedisCommand("INCR", "p0"), RedisCommand("GET", "p1"),
                                                   RedisCommand("LPUSH", "p2", "x")])
            #expect(throws: RedisServerError.self) { try mixed[0].get() }
            #expect(try mixed[1].get() == .bulkString(Array("v1".utf8)))
            #expect(throws: RedisServerError.self) { try mixed[2].get() }
        }
    }

    @Test func readsFromReplicasWhenAsked() async throws {
        try await ClusterTestSupport.withCluster(configure: { $0.readFromReplicas = true }) { cluster, client in
            let keys = try ClusterTestSupport.keysOnEachMaster(cluster, prefix: "r")
            for (_, key) in keys { #expect(try await client.set(RedisKey(key), "v-\(key)")) }
            for (master, key) in keys {
                let replica = try #require(try cluster.replicaPorts(ofMasterPort: master).first)
                // The write reached the replica.
                let synced = try await client.withConnection(forKey: RedisKey(key)) {
                    try await $0.send("WAIT", 1, 5000, as: Int.self)
                }
                #expect(synced == 1)
                let masterGets = try ClusterTestSupport.calls(cluster, port: master, command: "get")
                let replicaGets = try ClusterTestSupport.calls(cluster, port: replica, command: "get")
                #expect(ClusterTestSupport.string(try await client.get(RedisKey(key))) == "v-\(key)")
                #expect(try ClusterTestSupport.calls(cluster, port: replica, command: "get") == replicaGets + 1)
                #expect(try ClusterTestSupport.calls(cluster, port: master, command: "get") == masterGets)
                // Writes still go to the master.
                #expect(try await client.incr(RedisKey(key + "{\(key)}"), by: 2) == 2)
            }
            // A replica dies: its reads go to the master.
            let (master, key) = try #require(keys.min { $0.key < $1.key })
            let replica = try #require(try cluster.replicaPorts(ofMasterPort: master).first)
            cluster.kill(port: replica)
            try await Task.sleep(for: .milliseconds(300))
            let masterGets = try ClusterTestSupport.calls(cluster, port: master, command: "get")
            #expect(ClusterTestSupport.string(try await client.get(RedisKey(key))) == "v-\(key)")
            #expect(try ClusterTestSupport.calls(cluster, port: master, command: "get") == masterGets + 1)
        }
    }

    @Test func survivesAMasterFailover() async throws {
        try await ClusterTestSupport.withCluster(configure: { $0.retryTimeout = .seconds(30) }) { cluster, client in
            let keys = try ClusterTestSupport.keysOnEachMaster(cluster, prefix: "f")
            for (_, key) in keys { #expect(try await client.set(RedisKey(key), "before")) }
            let (victim, key) = try #require(keys.min { $0.key < $1.key })
            let replica = try #require(try cluster.replicaPorts(ofMasterPort: victim).first)
            // Let the replica catch up before the master dies.
            let synced = try await client.withConnection(forKey: RedisKey(key)) { try await $0.send("WAIT", 1, 5000, as: Int.self) }
            #expect(synced == 1)
            cluster.kill(port: victim)
            // Let the client's pooled connections to the victim notice the close: a request in
            // flight on a dropping connection fails (it is never run twice), but a new one waits.
            try await Task.sleep(for: .milliseconds(300))

            // One call, no polling by the test: the client retries with backoff, refreshing the
            // topology, through CLUSTERDOWN until the replica is promoted.
            let shardsCalls = { try cluster.livePorts.reduce(0) { try $0 + ClusterTestSupport.calls(cluster, port: $1, command: "cluster|shards") } }
            let shardsBefore = try shardsCalls()
            let start = ContinuousClock.now
            var value: String?
            var lastError: (any Error)?
            // Meanwhile, concurrent writers to the same master's slots wait through it as well.
            let counter = RedisKey("{\(key)}:counter")
            let writes = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await client.incr(counter) }
                }
                do {
                    value = ClusterTestSupport.string(try await client.get(RedisKey(key)))
                } catch {
                    lastError = error
                }
                var replies: [Int] = []
                for try await reply in group { replies.append(reply) }
                return replies
            }
            #expect(writes.sorted() == Array(1...10))
            let waited = ContinuousClock.now - start
            #expect(waited > .milliseconds(500), "the failover cannot have been instant")
            #expect(value == "before", "last error: \(String(describing: lastError))")
            // Refreshes were rate-limited (one per 500 ms at most, plus the one run() may add).
            let refreshes = try shardsCalls() - shardsBefore
            let allowed = Int(waited / .milliseconds(500)) + 2
            #expect(refreshes >= 1 && refreshes <= allowed, "\(refreshes) refreshes in \(waited)")
            #expect(try await client.set(RedisKey(key), "after"))
            #expect(ClusterTestSupport.string(try await client.get(RedisKey(key))) == "after")
            let slot = Int(RedisHashSlot(key: key).rawValue)
            #expect(try cluster.masterPort(forSlot: slot) == replica)
            #expect(try await client.topology.master(for: RedisHashSlot(key: key))?.port == replica)
            // The other masters' keys were never affected.
            for (port, other) in keys where port != victim {
                #expect(ClusterTestSupport.string(try await client.get(RedisKey(other))) == "before")
            }
        }
    }

    @Test func subscriptionsFollowTheShardChannelsSlot() async throws {
        try await ClusterTestSupport.withCluster { cluster, client in
            let channels = ["{room}:1", "{room}:2"]
            let slot = RedisHashSlot(key: "room")
            let owner = try cluster.masterPort(forSlot: Int(slot.rawValue))
            let received = try await client.subscribe(channels: ["news"], shardChannels: channels) { subscription in
                // The subscription lives on the slot's master.
                #expect(try cluster.command(port: owner, ["PUBSUB", "SHARDCHANNELS"]).contains("{room}:1"))
                // SPUBLISH is routed by the channel's slot; PUBLISH goes to any master and the
                // cluster bus carries it to the subscriber's node.
                #expect(try await client.spublish("hello", to: "{room}:1") == 1)
                #expect(try await client.spublish("again", to: "{room}:2") == 1)
                _ = try await client.publish("everywhere", to: "news")
                var payloads: [String] = []
                for try await message in subscription.messages {
                    payloads.append(String(buffer: message.payload))
                    if payloads.count == 3 { break }
                }
                return payloads
            }
            #expect(received.sorted() == ["again", "everywhere", "hello"])
            await #expect(throws: RedisClientError.self) {
                try await client.subscribe(shardChannels: ["a", "b"]) { _ in }
            }
        }
    }
}
