import NIOCore
import RoostClient
import RoostRESP
import RoostTestSupport
import Testing

/// Cluster-wide `SCAN` (every master walked once) and scripts on a cluster (loaded on every
/// master, pipelined `EVALSHA` per node), against a real six-node cluster.
@Suite("RoostClient Cluster scan and scripts against a real 6-node redis cluster", .serialized,
       .enabled(if: ClusterTestSupport.available))
struct RoostClientClusterScanTests {
    /// Every key a scan sequence returns, in order (duplicates kept).
    static func collect<Executor: RedisCommandExecutor>(_ sequence: RedisScanSequence<Executor>) async throws -> [String] {
        var keys: [String] = []
        for try await key in sequence { keys.append(String(buffer: key)) }
        return keys
    }

    /// Scans through a generic executor, as the toolkit's code does.
    static func allKeys<Executor: RedisCommandExecutor>(of executor: Executor, matching pattern: String) async throws -> [String] {
        try await collect(executor.scan(matching: pattern, count: 200))
    }

    /// A hash tag whose slot the master at `port` serves.
    static func tag(servedBy port: Int, in topology: RedisClusterTopology, prefix: String) -> String {
        var index = 0
        while topology.master(for: RedisHashSlot(key: "{\(prefix)\(index)}"))?.port != port { index += 1 }
        return "\(prefix)\(index)"
    }

    static func setAll(_ client: RedisClusterClient, _ keys: [String]) async throws {
        let replies = try await client.pipeline(keys.map { RedisCommand("SET", $0, "v") })
        for reply in replies { _ = try reply.get() }
    }

    @Test func scanReturnsEveryKeyOfEveryMasterExactlyOnce() async throws {
        try await ClusterTestSupport.withCluster { _, client in
            let strings = (0..<3000).map { "scan:\($0)" }
            try await Self.setAll(client, strings)
            let hashes = (0..<60).map { "hash:\($0)" }
            for reply in try await client.pipeline(hashes.map { RedisCommand("HSET", $0, "f", "v") }) { _ = try reply.get() }
            let masters = try await client.topology.masters
            #expect(masters.count == 3)
            for master in masters {
                #expect(try await client.execute(RedisCommand("DBSIZE"), on: master).decode(as: Int.self) > 0)
            }

            let all = try await Self.collect(client.scan(count: 100))
            #expect(all.count == 3060)
            #expect(Set(all) == Set(strings + hashes))

            // MATCH, TYPE and both, each key once.
            let matched = try await Self.collect(client.scan(matching: "hash:*"))
            #expect(matched.sorted() == hashes.sorted())
            let typed = try await Self.collect(client.scan(count: 500, type: "hash"))
            #expect(typed.sorted() == hashes.sorted())
            let both = try await Self.collect(client.scan(matching: "scan:1*", count: 300, type: "string"))
            #expect(both.sorted() == strings.filter { $0.hasPrefix("scan:1") }.sorted())
            #expect(try await Self.collect(client.scan(matching: "hash:*", type: "string")).isEmpty)

            // HSCAN goes to the master of its key, like any single-key command.
            let fields = try await client.send("HSCAN", "hash:7", 0)
            #expect(try fields.decode(as: [RESPValue].self).count == 2)
            #expect(try [String](fromRESP: try fields.decode(as: [RESPValue].self)[1]) == ["f", "v"])

            // Through a generic executor too.
            let generic = try await Self.allKeys(of: client, matching: "scan:*")
            #expect(generic.count == 3000)
            #expect(Set(generic) == Set(strings))

            // Page by page: the cursor walks each master once (in the order of the topology the
            // scan started from; a refresh from another node may list them in another order).
            var cursor: RedisClusterScanCursor? = .start
            var walked: [RedisClusterNodeAddress] = []
            var paged: [String] = []
            while let current = cursor {
                let page = try await client.scanPage(cursor: current, count: 1000)
                if let node = current.node, walked.last != node { walked.append(node) }
                paged += page.keys.map { String(buffer: $0) }
                cursor = page.cursor
            }
            #expect(walked.count == 3)
            #expect(Set(walked) == Set(masters))
            #expect(paged.count == 3060)
            #expect(Set(paged) == Set(strings + hashes))
        }
    }

    @Test func scanFollowsSlotsThatMoveDuringTheScan() async throws {
        try await ClusterTestSupport.withCluster { cluster, client in
            let topology = try await client.topology
            let masters = topology.masters
            try await Self.setAll(client, (0..<600).map { "scan:\($0)" })
            // A slot of the third master, full of keys, moves to the first (already walked)
            // while the second is walked: its keys are found on the first, once.
            let late = Self.tag(servedBy: masters[2].port, in: topology, prefix: "late")
            let lateKeys = (0..<100).map { "{\(late)}:\($0)" }
            try await Self.setAll(client, lateKeys)
            var cursor: RedisClusterScanCursor? = .start
            var returned: [String] = []
            var moved = false
            while let current = cursor {
                if !moved, current.node == masters[1] {
                    try ClusterTestSupport.migrate(slot: Int(RedisHashSlot(key: "{\(late)}").rawValue),
                                                   from: masters[2].port, to: masters[0].port, in: cluster)
                    moved = true
                }
                let page = try await client.scanPage(cursor: current, count: 50)
                returned += page.keys.map { String(buffer: $0) }
                cursor = page.cursor
            }
            #expect(moved)
            #expect(returned.count == 700)
            #expect(Set((0..<600).map { "scan:\($0)" } + lateKeys).subtracting(returned).isEmpty)

            // A slot of the master being walked moves to one not walked yet: its keys are all
            // returned (those read before the move may come twice), and nothing else repeats.
            let topologyNow = try await client.topology
            let early = Self.tag(servedBy: masters[0].port, in: topologyNow, prefix: "early")
            let earlyKeys = (0..<100).map { "{\(early)}:\($0)" }
            try await Self.setAll(client, earlyKeys)
            cursor = .start
            returned = []
            moved = false
            var pagesOnSource = 0
            while let current = cursor {
                if current.node == masters[0] { pagesOnSource += 1 }
                if !moved, pagesOnSource == 3 {
                    try ClusterTestSupport.migrate(slot: Int(RedisHashSlot(key: "{\(early)}").rawValue),
                                                   from: masters[0].port, to: masters[2].port, in: cluster)
                    moved = true
                }
                let page = try await client.scanPage(cursor: current, count: 20)
                returned += page.keys.map { String(buffer: $0) }
                cursor = page.cursor
            }
            #expect(moved)
            let expected = Set((0..<600).map { "scan:\($0)" } + lateKeys + earlyKeys)
            #expect(expected.subtracting(returned).isEmpty)
            #expect(Set(returned).subtracting(expected).isEmpty)
            var counts: [String: Int] = [:]
            for key in returned { counts[key, default: 0] += 1 }
            #expect(counts.filter { $0.value > 1 }.keys.allSatisfy { earlyKeys.contains($0) })
        }
    }

    @Test func scanCarriesOnThroughAFailoverOfTheMasterBeingWalked() async throws {
        try await ClusterTestSupport.withCluster(configure: { $0.retryTimeout = .seconds(30) }) { cluster, client in
            let masters = try await client.topology.masters
            let keys = (0..<900).map { "scan:\($0)" }
            try await Self.setAll(client, keys)
            let victim = masters[1]
            let replica = try #require(try cluster.replicaPorts(ofMasterPort: victim.port).first)
            let probe = try #require(try ClusterTestSupport.keysOnEachMaster(cluster, prefix: "probe")[victim.port])
            // Let the replica catch up before the master dies.
            let synced = try await client.withConnection(forKey: RedisKey(probe)) { try await $0.send("WAIT", 1, 5000, as: Int.self) }
            #expect(synced == 1)
            #expect(try await client.load(Self.tally) == Self.tally.sha1)

            var cursor: RedisClusterScanCursor? = .start
            var returned: [String] = []
            var pagesOnVictim = 0
            var killed = false
            while let current = cursor {
                if current.node == victim { pagesOnVictim += 1 }
                if !killed, pagesOnVictim == 3 {
                    cluster.kill(port: victim.port)
                    killed = true
                }
                let page = try await client.scanPage(cursor: current, count: 20)
                returned += page.keys.map { String(buffer: $0) }
                cursor = page.cursor
            }
            #expect(killed)
            #expect(Set(keys).subtracting(returned).isEmpty)
            #expect(Set(returned).subtracting(keys).isEmpty)
            // Only the failed master's keys, read before it died, may come twice.
            let topology = try await client.topology
            #expect(topology.masters.contains { $0.port == replica })
            var counts: [String: Int] = [:]
            for key in returned { counts[key, default: 0] += 1 }
            #expect(counts.filter { $0.value > 1 }.keys.allSatisfy { topology.master(for: RedisHashSlot(key: $0))?.port == replica })

            // The promoted replica runs the script by SHA-1 (loading it there if it must).
            let key = try #require(keys.first { topology.master(for: RedisHashSlot(key: $0))?.port == replica })
            let reply = try await client.evaluate(Self.tally, keys: [RedisKey("{\(key)}:n")], arguments: [4])
            #expect(reply == Self.tallyReply("{\(key)}:n", 4, 4))
            #expect(try ClusterTestSupport.calls(cluster, port: replica, command: "eval") == 0)
        }
    }

    static let tally = RedisScript("return {KEYS[1], ARGV[1], redis.call('INCRBY', KEYS[1], ARGV[1])}")

    static func tallyReply(_ key: String, _ argument: Int, _ total: Int) -> RESPValue {
        .array([.bulkString(Array(key.utf8)), .bulkString(Array(String(argument).utf8)), .integer(Int64(total))])
    }

    /// Whether every master has `script` cached.
    static func cachedOnEveryMaster(_ client: RedisClusterClient, _ script: RedisScript) async throws -> [Bool] {
        var cached: [Bool] = []
        for master in try await client.topology.masters {
            let reply = try await client.execute(RedisCommand("SCRIPT", "EXISTS", script.sha1), on: master)
            cached.append(try [Int](fromRESP: reply) == [1])
        }
        return cached
    }

    @Test func scriptsAreLoadedOnEveryMasterAndBatchesArePipelinedPerNode() async throws {
        try await ClusterTestSupport.withCluster { cluster, client in
            let masters = try await client.topology.masters
            let script = Self.tally
            #expect(try await Self.cachedOnEveryMaster(client, script) == [false, false, false])
            // The first NOSCRIPT loads the script on every master, not only the one asked.
            let keys = try ClusterTestSupport.keysOnEachMaster(cluster, prefix: "tally")
            let first = keys[masters[1].port]!
            #expect(try await client.evaluate(script, keys: [RedisKey(first)], arguments: [2]) == Self.tallyReply(first, 2, 2))
            #expect(try await Self.cachedOnEveryMaster(client, script) == [true, true, true])
            #expect(try await client.load(script) == script.sha1)

            // One master forgets it: EVALSHA still works there, by loading it again.
            _ = try await client.execute(RedisCommand("SCRIPT", "FLUSH"), on: masters[0])
            let flushed = keys[masters[0].port]!
            #expect(try await client.evaluate(script, keys: [RedisKey(flushed)], arguments: [5]) == Self.tallyReply(flushed, 5, 5))
            #expect(try await Self.cachedOnEveryMaster(client, script) == [true, true, true])

            // A batch of 1000 calls over every master, results in input order.
            let batch = (0..<1000).map { RedisScriptCall(keys: [RedisKey("batch:\($0)")], arguments: [RedisArgument($0)]) }
            let results = try await client.evaluate(script, batch: batch)
            #expect(results.count == 1000)
            for (index, result) in results.enumerated() {
                #expect(try result.get() == Self.tallyReply("batch:\(index)", index, index))
            }
            // Every master flushes its cache between two batches: the batch loads it once and
            // retries what failed.
            for master in masters { _ = try await client.execute(RedisCommand("SCRIPT", "FLUSH"), on: master) }
            let again = try await client.evaluate(script, batch: batch, as: [RESPValue].self)
            for (index, result) in again.enumerated() {
                #expect(try result.get() == Self.tallyReply("batch:\(index)", index, 2 * index).decode(as: [RESPValue].self))
            }
            #expect(try await Self.cachedOnEveryMaster(client, script) == [true, true, true])
            // The body never travelled with EVAL: SCRIPT LOAD and EVALSHA did it all.
            for master in masters {
                #expect(try ClusterTestSupport.calls(cluster, port: master.port, command: "eval") == 0)
                #expect(try ClusterTestSupport.calls(cluster, port: master.port, command: "evalsha") > 300)
            }
            // A script error fails its own call only.
            _ = try await client.set("batch:7", "text")
            let mixed = try await client.evaluate(script, batch: Array(batch[5..<10]))
            #expect(mixed.count == 5)
            #expect(throws: RedisServerError.self) { try mixed[2].get() }
            #expect(try mixed[3].get() == Self.tallyReply("batch:8", 8, 24))
        }
    }
}
