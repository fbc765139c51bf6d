@testable import RoostClient
import Testing

@Suite("ConsistentHashRing")
struct ConsistentHashRingTests {
    static let keys: [String] = (0..<100_000).map { "key:\($0)" }

    static func names(_ count: Int) -> [String] { (0..<count).map { "shard-\($0)" } }

    /// How many of `keys` each server of `ring` owns.
    static func loads(_ ring: ConsistentHashRing, _ keys: [String] = keys) -> [String: Int] {
        var loads: [String: Int] = [:]
        for server in ring.servers { loads[server] = 0 }
        for key in keys {
            if let server = ring.server(for: key) { loads[server, default: 0] += 1 }
        }
        return loads
    }

    static func maxOverMean(_ loads: [String: Int]) -> Double {
        let mean = Double(loads.values.reduce(0, +)) / Double(loads.count)
        return Double(loads.values.max() ?? 0) / mean
    }

    @Test func hashIsPinned() {
        // FNV-1a 64 then fmix64, computed independently (Python); the ring's placement must not
        // change between versions or platforms, or every deployment's keys would move.
        #expect(ConsistentHashRing.hash("".utf8) == 0xefd0_1f60_ba99_2926)
        #expect(ConsistentHashRing.hash("a".utf8) == 0x82a2_a958_a9be_ce5b)
        #expect(ConsistentHashRing.hash("shard-0-0".utf8) == 0x3a06_b4a0_45ba_ceb9)
        #expect(ConsistentHashRing.hash("user:1000".utf8) == 0x71fc_27d0_40be_722c)
    }

    @Test(arguments: [4, 10])
    func balanceWith160VirtualNodes(servers: Int) {
        let ring = ConsistentHashRing(servers: Self.names(servers))
        #expect(ring.virtualNodesPerServer == 160)
        let loads = Self.loads(ring)
        #expect(loads.count == servers)
        #expect(loads.values.reduce(0, +) == Self.keys.count)
        let ratio = Self.maxOverMean(loads)
        #expect(ratio <= 1.1, "max/mean load \(ratio): \(loads)")
    }

    @Test(arguments: [4, 10])
    func plainKetamaBalance(servers: Int) {
        // One probe is classic ketama, whose per-server share spreads by about 1/sqrt(160) ≈ 8%:
        // the bound is looser (3 standard deviations) but it still must hold.
        let ring = ConsistentHashRing(servers: Self.names(servers), probes: 1)
        let ratio = Self.maxOverMean(Self.loads(ring))
        #expect(ratio <= 1.25, "max/mean load \(ratio)")
        // And fewer virtual nodes balance worse: the points are what spread the load.
        let coarse = ConsistentHashRing(servers: Self.names(servers), virtualNodesPerServer: 2, probes: 1)
        #expect(Self.maxOverMean(Self.loads(coarse)) > ratio)
    }

    @Test func plainKetamaIsFirstPointClockwise() {
        // An independent brute-force ring: every point, and the smallest at or after the key's
        // hash (else the smallest of all).
        let names = Self.names(5)
        let ring = ConsistentHashRing(servers: names, virtualNodesPerServer: 20, probes: 1)
        var points: [(UInt64, String)] = []
        for name in names {
            for i in 0..<20 { points.append((ConsistentHashRing.hash("\(name)-\(i)".utf8), name)) }
        }
        for key in Self.keys.prefix(2000) {
            let hash = ConsistentHashRing.hash(key.utf8)
            let expected = points.filter { $0.0 >= hash }.min { $0.0 < $1.0 } ?? points.min { $0.0 < $1.0 }
            #expect(ring.server(for: key) == expected?.1, "key \(key)")
        }
    }

    @Test(arguments: [1, 5], [3, 4, 9])
    func addingAServerMovesAboutOneOverNPlusOneOnlyToIt(probes: Int, servers: Int) {
        let before = ConsistentHashRing(servers: Self.names(servers), probes: probes)
        var after = before
        after.add("shard-new")
        var moved = 0
        var movedElsewhere = 0
        for key in Self.keys {
            let old = before.server(for: key)
            let new = after.server(for: key)
            if old != new {
                moved += 1
                if new != "shard-new" { movedElsewhere += 1 }
            }
        }
        #expect(movedElsewhere == 0)
        let fraction = Double(moved) / Double(Self.keys.count)
        let expected = 1.0 / Double(servers + 1)
        #expect(abs(fraction - expected) <= 0.3 * expected, "moved \(fraction), expected about \(expected)")
    }

    @Test(arguments: [1, 5])
    func removingAServerMovesOnlyItsKeys(probes: Int) {
        let before = ConsistentHashRing(servers: Self.names(6), probes: probes)
        var after = before
        after.remove("shard-2")
        #expect(!after.contains("shard-2"))
        #expect(after.servers == ["shard-0", "shard-1", "shard-3", "shard-4", "shard-5"])
        var removedKeys = 0
        for key in Self.keys {
            let old = before.server(for: key)
            let new = after.server(for: key)
            if old == "shard-2" {
                removedKeys += 1
                #expect(new != nil && new != "shard-2")
            } else if old != new {
                Issue.record("\(key) moved from \(old ?? "-") to \(new ?? "-")")
                return
            }
        }
        #expect(removedKeys > 0)
        // Removing the server again, or one that never was there, changes nothing.
        var again = after
        again.remove("shard-2")
        again.remove("nope")
        #expect(again == after)
    }

    @Test func placementIgnoresInsertionOrder() {
        let forward = ConsistentHashRing(servers: Self.names(7))
        var backward = ConsistentHashRing()
        for name in Self.names(7).reversed() { backward.add(name) }
        backward.add("shard-3")  // a duplicate is ignored
        #expect(backward.servers.count == 7)
        for key in Self.keys.prefix(5000) {
            #expect(forward.server(for: key) == backward.server(for: key))
        }
    }

    @Test func hashTagsColocate() {
        let ring = ConsistentHashRing(servers: Self.names(10))
        var servers = Set<String>()
        for user in 0..<500 {
            let home = ring.server(for: "user:\(user)")
            servers.insert(home ?? "")
            for suffix in ["name", "mail", "followers", "x{y}"] {
                #expect(ring.server(for: "{user:\(user)}:\(suffix)") == home)
                #expect(ring.server(for: "prefix{user:\(user)}\(suffix)") == home)
            }
        }
        // The tagged keys still spread over every server.
        #expect(servers.count == 10)
        // Only the first {…} counts; an empty one means no tag.
        #expect(ConsistentHashRing.hashedPart(of: Array("a{b}{c}".utf8)) == Array("b".utf8)[...])
        #expect(ConsistentHashRing.hashedPart(of: Array("a{}{c}".utf8)) == Array("a{}{c}".utf8)[...])
        #expect(ConsistentHashRing.hashedPart(of: Array("{{bar}}".utf8)) == Array("{bar".utf8)[...])
        #expect(ConsistentHashRing.hashedPart(of: Array("a{b".utf8)) == Array("a{b".utf8)[...])
        #expect(ConsistentHashRing.keyHash(Array("x{tag}y".utf8)) == ConsistentHashRing.hash("tag".utf8))
    }

    @Test func emptyAndSingleServerRings() {
        var ring = ConsistentHashRing()
        #expect(ring.isEmpty)
        #expect(ring.server(for: "k") == nil)
        ring.add("only")
        #expect(Self.keys.prefix(1000).allSatisfy { ring.server(for: $0) == "only" })
        ring.remove("only")
        #expect(ring.server(for: "k") == nil)
        // Binary keys route like any other: by their bytes.
        let binary = ConsistentHashRing(servers: Self.names(3))
        #expect(binary.server(for: [0x00, 0xff, 0x0d, 0x0a]) == binary.server(for: RedisKey(bytes: [0x00, 0xff, 0x0d, 0x0a])))
        #expect(binary.server(for: "café") == binary.server(for: Array("café".utf8)))
    }
}
