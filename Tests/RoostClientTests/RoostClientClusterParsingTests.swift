@testable import RoostClient
import RoostRESP
import Testing

/// The cluster client's parsing: topology replies, redirections, configuration, COMMAND INFO.
@Suite("RoostClient Cluster parsing")
struct RoostClientClusterParsingTests {
    private static func bulk(_ text: String) -> RESPValue { .bulkString(Array(text.utf8)) }

    private static func node(_ port: Int, role: String, health: String, ip: String = "127.0.0.1",
                             map: Bool) -> RESPValue {
        let fields: [(String, RESPValue)] = [
            ("id", bulk("id\(port)")), ("port", .integer(Int64(port))), ("ip", bulk(ip)), ("endpoint", bulk(ip)),
            ("role", bulk(role)), ("replication-offset", .integer(10)), ("health", bulk(health)),
        ]
        return map ? .map(fields.map { (bulk($0.0), $0.1) }) : .array(fields.flatMap { [bulk($0.0), $0.1] })
    }

    private static func shard(_ slots: [Int], _ nodes: [RESPValue], map: Bool) -> RESPValue {
        let fields: [(String, RESPValue)] = [("slots", .array(slots.map { .integer(Int64($0)) })), ("nodes", .array(nodes))]
        return map ? .map(fields.map { (bulk($0.0), $0.1) }) : .array(fields.flatMap { [bulk($0.0), $0.1] })
    }

    @Test(arguments: [true, false]) func parsesClusterShards(resp3: Bool) throws {
        let reply = RESPValue.array([
            Self.shard([0, 5460], [Self.node(7000, role: "master", health: "online", map: resp3),
                                   Self.node(7003, role: "replica", health: "online", map: resp3)], map: resp3),
            // A failed-over shard: the dead master first, the promoted replica after it.
            Self.shard([5461, 10922, 16000, 16000], [Self.node(7001, role: "master", health: "fail", map: resp3),
                                                     Self.node(7004, role: "master", health: "online", map: resp3),
                                                     Self.node(7007, role: "replica", health: "fail", map: resp3)], map: resp3),
            Self.shard([10923, 15999, 16001, 16383], [Self.node(7002, role: "master", health: "online", ip: "?", map: resp3),
                                                      Self.node(7005, role: "replica", health: "loading", map: resp3)], map: resp3),
            // A master without slots serves nothing.
            Self.shard([], [Self.node(7009, role: "master", health: "online", map: resp3)], map: resp3),
        ])
        let topology = try RedisClusterTopology.parse(shards: reply, fallbackHost: "10.0.0.9")
        #expect(topology.coversAllSlots)
        #expect(topology.shards.count == 3)
        #expect(topology.master(for: RedisHashSlot(rawValue: 0))?.port == 7000)
        #expect(topology.master(for: RedisHashSlot(rawValue: 5460))?.port == 7000)
        #expect(topology.master(for: RedisHashSlot(rawValue: 5461))?.port == 7004)
        #expect(topology.master(for: RedisHashSlot(rawValue: 16000))?.port == 7004)
        #expect(topology.master(for: RedisHashSlot(rawValue: 16001)) == RedisClusterNodeAddress(host: "10.0.0.9", port: 7002))
        #expect(topology.replicas(for: RedisHashSlot(rawValue: 1)).map(\.port) == [7003])
        #expect(topology.replicas(for: RedisHashSlot(rawValue: 6000)).isEmpty)
        #expect(topology.replicas(for: RedisHashSlot(rawValue: 12000)).map(\.port) == [7005])
        #expect(Set(topology.nodes.map(\.port)) == [7000, 7003, 7004, 7002, 7005])
        #expect(throws: RESPDecodingError.self) {
            try RedisClusterTopology.parse(shards: .integer(1), fallbackHost: "h")
        }
    }

    @Test func parsesClusterSlots() throws {
        func node(_ host: String, _ port: Int) -> RESPValue { .array([Self.bulk(host), .integer(Int64(port)), Self.bulk("id")]) }
        let reply = RESPValue.array([
            .array([.integer(0), .integer(8000), node("127.0.0.1", 7000), node("127.0.0.1", 7003)]),
            .array([.integer(8001), .integer(16383), node("", 7001)]),
        ])
        let topology = try RedisClusterTopology.parse(slots: reply, fallbackHost: "seed")
        #expect(topology.coversAllSlots)
        #expect(topology.master(for: RedisHashSlot(rawValue: 8000))?.port == 7000)
        #expect(topology.master(for: RedisHashSlot(rawValue: 8001)) == RedisClusterNodeAddress(host: "seed", port: 7001))
        #expect(topology.replicas(for: RedisHashSlot(rawValue: 3)).map(\.port) == [7003])
        var partial = try RedisClusterTopology.parse(slots: .array([.array([.integer(0), .integer(10), node("a", 1)])]),
                                                     fallbackHost: "seed")
        #expect(!partial.coversAllSlots)
        #expect(partial.master(for: RedisHashSlot(rawValue: 11)) == nil)
        partial.assign(RedisHashSlot(rawValue: 11), to: RedisClusterNodeAddress(host: "b", port: 2))
        #expect(partial.master(for: RedisHashSlot(rawValue: 11)) == RedisClusterNodeAddress(host: "b", port: 2))
        #expect(partial.masters.count == 2)
    }

    @Test func parsesRedirections() {
        let moved = RedisClusterRedirection(RedisServerError(message: "MOVED 3999 127.0.0.1:6381"), fallbackHost: "x")
        #expect(moved == .moved(RedisHashSlot(rawValue: 3999), RedisClusterNodeAddress(host: "127.0.0.1", port: 6381)))
        let ask = RedisClusterRedirection(RedisServerError(message: "ASK 1 :7000"), fallbackHost: "10.1.1.1")
        #expect(ask == .ask(RedisHashSlot(rawValue: 1), RedisClusterNodeAddress(host: "10.1.1.1", port: 7000)))
        let ipv6 = RedisClusterRedirection(RedisServerError(message: "MOVED 2 ::1:7001"), fallbackHost: "x")
        #expect(ipv6 == .moved(RedisHashSlot(rawValue: 2), RedisClusterNodeAddress(host: "::1", port: 7001)))
        #expect(RedisClusterRedirection(RedisServerError(message: "MOVED 16384 h:1"), fallbackHost: "x") == nil)
        #expect(RedisClusterRedirection(RedisServerError(message: "ERR MOVED 1 h:1"), fallbackHost: "x") == nil)
        #expect(RedisClusterRedirection(RedisServerError(message: "MOVED 1 h"), fallbackHost: "x") == nil)
        #expect(RedisClusterRedirection(RedisServerError(message: "CROSSSLOT Keys in request don't hash to the same slot"),
                                        fallbackHost: "x") == nil)
        let crossSlot = RedisClusterClient.crossSlotError(RedisServerError(message: "CROSSSLOT Keys in request don't hash to the same slot"))
        #expect(crossSlot?.code == .crossSlot)
        #expect(crossSlot?.message == "CROSSSLOT Keys in request don't hash to the same slot")
        #expect(RedisClusterClient.crossSlotError(RedisServerError(message: "ERR CROSSSLOT")) == nil)
        #expect(RedisClusterNodeAddress("[::1]:7000")?.host == "::1")
        #expect(RedisClusterNodeAddress(host: "::1", port: 7000).description == "[::1]:7000")
        #expect(RedisClusterNodeAddress("host:0") == nil)
    }

    @Test func configurationFromURLs() throws {
        let configuration = try RedisClusterConfiguration(urls: ["redis://u:p@10.0.0.1:7000", "redis://10.0.0.2:7001"])
        #expect(configuration.seeds == [RedisClusterNodeAddress(host: "10.0.0.1", port: 7000),
                                        RedisClusterNodeAddress(host: "10.0.0.2", port: 7001)])
        #expect(configuration.node.password == "p")
        #expect(configuration.node.username == "u")
        let perNode = configuration.configuration(for: RedisClusterNodeAddress(host: "10.0.0.3", port: 7002))
        #expect(perNode.endpoint == .tcp(host: "10.0.0.3", port: 7002))
        #expect(perNode.password == "p")
        #expect(throws: RedisClientError.self) { try RedisClusterConfiguration(urls: ["redis://h:1/2"]) }
        #expect(throws: RedisClientError.self) { try RedisClusterConfiguration(urls: ["unix:///tmp/s"]) }
        #expect(throws: RedisClientError.self) { try RedisClusterConfiguration(urls: []) }
    }

    @Test func routerReadsCommandInfo() throws {
        func entry(_ name: String, flags: [String], _ first: Int, _ last: Int, _ step: Int,
                   subcommands: [RESPValue] = []) -> RESPValue {
            .array([Self.bulk(name), .integer(-2), .set(flags.map { .simpleString(Array($0.utf8)) }),
                    .integer(Int64(first)), .integer(Int64(last)), .integer(Int64(step)), .array([]), .array([]),
                    .array([]), .array(subcommands)])
        }
        let sinterstore = try RedisClusterRouter.parse(entry("sinterstore", flags: ["write", "denyoom"], 1, -1, 1))
        #expect(!sinterstore.readOnly)
        let keys = RedisClusterRouter.keys(of: RedisCommand("SINTERSTORE", "d", "a", "b"), at: sinterstore.positions)
        #expect(keys == ["d", "a", "b"])
        let object = try RedisClusterRouter.parse(entry("object", flags: [], 0, 0, 0, subcommands: [
            entry("object|encoding", flags: ["readonly"], 2, 2, 1),
        ]))
        #expect(object.positions == nil)
        let encoding = try #require(object.subcommands["object|encoding"])
        #expect(encoding.readOnly)
        #expect(RedisClusterRouter.keys(of: RedisCommand("OBJECT", "ENCODING", "k"), at: encoding.positions) == ["k"])
        let eval = try RedisClusterRouter.parse(entry("eval", flags: ["noscript", "movablekeys"], 0, 0, 0))
        #expect(eval.movableKeys)
        #expect(throws: RedisClientError.self) { try RedisClusterRouter.slot(of: ["a", "b"], name: "MGET") }
        #expect(try RedisClusterRouter.slot(of: ["{t}a", "{t}b"], name: "MGET") == RedisHashSlot(key: "t"))
        #expect(try RedisClusterRouter.slot(of: [], name: "PING") == nil)
    }
}
