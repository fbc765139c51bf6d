import RoostClient
import RoostRESP
import RoostTestSupport
import Testing

@Suite("RoostClient Cluster: every node of a real 6-node redis cluster, one command on each",
       .enabled(if: ClusterTestSupport.available))
struct RoostClientClusterNodesTests {
    @Test func nodesListsTheMastersWithTheirSlotsThenTheirReplicas() async throws {
        try await ClusterTestSupport.withCluster { cluster, client in
            let nodes = try await client.nodes()
            #expect(nodes.count == 6)
            #expect(Set(nodes.map(\.address.port)) == Set(cluster.ports))
            let masters = nodes.prefix(3)
            #expect(masters.allSatisfy { $0.role == .master && $0.master == nil })
            #expect(Set(masters.map(\.address.port)) == Set(try cluster.nodes().filter(\.isHealthyMaster).map(\.port)))
            #expect(masters.map(\.slotCount).reduce(0, +) == RedisHashSlot.count)
            for replica in nodes.dropFirst(3) {
                #expect(replica.role == .replica)
                let master = try #require(replica.master)
                #expect(try cluster.replicaPorts(ofMasterPort: master.port) == [replica.address.port])
                #expect(replica.slots == masters.first { $0.address == master }?.slots)
            }
        }
    }

    @Test func aNodesExecutorSendsToThatNodeOnly() async throws {
        try await ClusterTestSupport.withCluster { cluster, client in
            let keys = try ClusterTestSupport.keysOnEachMaster(cluster)
            for key in keys.values { #expect(try await client.set(RedisKey(key), "v")) }
            let replies = try await client.onEveryNode { node, executor in
                (port: try await executor.infoFields("server")["tcp_port"], keys: try await executor.dbsize(), role: node.role)
            }
            #expect(replies.count == 6)
            for (node, result) in replies {
                let reply = try result.get()
                #expect(reply.port == "\(node.address.port)")
                if node.role == .master { #expect(reply.keys == 1) }
            }
            // No redirection is followed: a key of another node's slot answers MOVED.
            let (port, key) = try #require(keys.first)
            let other = try #require(replies.first { $0.node.role == .master && $0.node.address.port != port }?.node.address)
            await #expect(throws: RedisServerError.self) { try await client.node(other).send("GET", key) }
            let owner = try #require(replies.first { $0.node.address.port == port }?.node.address)
            #expect(try await client.node(owner).send("GET", key, as: String.self) == "v")
        }
    }

    @Test func aNodeThatDoesNotAnswerFailsAloneInOnEveryNode() async throws {
        try await ClusterTestSupport.withCluster(configure: { $0.node.reconnect.maximumAttempts = 1 }) { cluster, client in
            let nodes = try await client.nodes()
            let replica = try #require(nodes.last)
            cluster.kill(port: replica.address.port)
            let replies = try await client.onEveryNode { _, executor in try await executor.send("PING", as: String.self) }
            // The killed node fails (while the slot map still lists it); the others answer.
            #expect(replies.filter { $0.node != replica }.count == 5)
            for (node, result) in replies {
                if node == replica {
                    #expect(throws: (any Error).self) { try result.get() }
                } else {
                    #expect(try result.get() == "PONG")
                }
            }
        }
    }
}
