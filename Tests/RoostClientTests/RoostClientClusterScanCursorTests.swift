import NIOCore
@testable import RoostClient
import Testing

/// The cluster-wide scan's plan (`RedisClusterScanCursor`), driven without a network: a model
/// cluster whose nodes hold keys, and slots that move between pages.
@Suite("RoostClient cluster scan cursor")
struct RoostClientClusterScanCursorTests {
    static let a = RedisClusterNodeAddress(host: "10.0.0.1", port: 7000)
    static let b = RedisClusterNodeAddress(host: "10.0.0.2", port: 7000)
    static let c = RedisClusterNodeAddress(host: "10.0.0.3", port: 7000)

    /// A model cluster: who serves which slot, and the keys each node holds.
    struct Model {
        var owners: [RedisClusterNodeAddress: [ClosedRange<Int>]]
        var order: [RedisClusterNodeAddress]
        var keys: [RedisClusterNodeAddress: [String]] = [:]

        /// Three masters with a third of the slots each, and `count` keys placed on their owners.
        static func threeMasters(keys count: Int) -> Model {
            var model = Model(owners: [a: [0...5460], b: [5461...10922], c: [10923...16383]], order: [a, b, c])
            let topology = model.topology
            for index in 0..<count {
                let key = "key:\(index)"
                if let owner = topology.master(for: RedisHashSlot(key: key)) { model.keys[owner, default: []].append(key) }
            }
            return model
        }

        var topology: RedisClusterTopology {
            RedisClusterTopology(shards: order.compactMap { node in
                owners[node].map { RedisClusterTopology.Shard(master: node, replicas: [], slots: $0) }
            })
        }

        func owner(of key: String) -> RedisClusterNodeAddress? { topology.master(for: RedisHashSlot(key: key)) }

        /// Moves `slot` and its keys from its owner to `target`.
        mutating func move(slot: Int, to target: RedisClusterNodeAddress) {
            guard let source = topology.master(for: RedisHashSlot(rawValue: UInt16(slot))) else { return }
            owners[source] = owners[source]!.flatMap { range -> [ClosedRange<Int>] in
                guard range.contains(slot) else { return [range] }
                var parts: [ClosedRange<Int>] = []
                if slot > range.lowerBound { parts.append(range.lowerBound...(slot - 1)) }
                if slot < range.upperBound { parts.append((slot + 1)...range.upperBound) }
                return parts
            }
            owners[target, default: []].append(slot...slot)
            let moving = keys[source, default: []].filter { Int(RedisHashSlot(key: $0).rawValue) == slot }
            keys[source]?.removeAll { Int(RedisHashSlot(key: $0).rawValue) == slot }
            keys[target, default: []] += moving
        }

        /// A node's SCAN: its keys in pages of `pageSize`, the cursor being the offset.
        func scan(_ node: RedisClusterNodeAddress, cursor: Int, pageSize: Int) -> (Int, [ByteBuffer]) {
            let all = keys[node, default: []]
            let end = min(cursor + pageSize, all.count)
            let page = cursor < end ? all[cursor..<end].map { ByteBuffer(string: $0) } : []
            return (end >= all.count ? 0 : end, page)
        }
    }

    /// Runs a whole scan over `model`, calling `event` before each page with the page number.
    static func scanAll(_ model: inout Model, pageSize: Int = 50,
                        event: (Int, inout Model) -> Void = { _, _ in }) -> [String] {
        var cursor = RedisClusterScanCursor.start
        var returned: [String] = []
        var page = 0
        while let walk = cursor.prepare(for: model.topology) {
            event(page, &model)
            page += 1
            let (next, keys) = model.scan(walk.node, cursor: walk.position ?? 0, pageSize: pageSize)
            returned += cursor.advance(to: next, keys: keys).map { String(buffer: $0) }
            if next == 0 { cursor.finishWalk(seenBy: model.topology) }
            #expect(page < 10_000, "the scan does not end")
            if page >= 10_000 { break }
        }
        #expect(cursor.isFinished)
        return returned
    }

    @Test func walksEveryMasterInTopologyOrderAndReturnsEachKeyOnce() {
        var model = Model.threeMasters(keys: 3000)
        var cursor = RedisClusterScanCursor.start
        #expect(cursor.prepare(for: model.topology)?.node == Self.a)
        #expect(cursor.walks.map(\.node) == [Self.a, Self.b, Self.c])
        #expect(cursor.walks.map(\.slots.count) == [5461, 5462, 5461])
        let returned = Self.scanAll(&model)
        #expect(returned.count == 3000)
        #expect(Set(returned) == Set((0..<3000).map { "key:\($0)" }))
    }

    @Test func keysANodeHoldsForASlotItDoesNotServeAreLeftToTheOwner() {
        var model = Model.threeMasters(keys: 300)
        // An importing node (or a stale copy) holds keys of a slot another master serves.
        let stray = (0..<300).map { "key:\($0)" }.first { model.owner(of: $0) == Self.b }!
        model.keys[Self.a, default: []].append(stray)
        let returned = Self.scanAll(&model)
        #expect(returned.count == 300)
        #expect(returned.filter { $0 == stray }.count == 1)
    }

    @Test func aSlotMovedToAWalkedMasterBeforeItsWalkIsWalkedThere() {
        var model = Model.threeMasters(keys: 3000)
        let key = model.keys[Self.c]![0]
        let slot = Int(RedisHashSlot(key: key).rawValue)
        var moved = false
        let returned = Self.scanAll(&model) { page, model in
            // While the second master is walked, a slot of the third moves to the first.
            if page == 25, !moved {
                #expect(model.owner(of: key) == Self.c)
                model.move(slot: slot, to: Self.a)
                moved = true
            }
        }
        #expect(moved)
        #expect(returned.count == 3000)
        #expect(Set(returned).count == 3000)
    }

    @Test func aSlotMovedWhileItsMasterIsWalkedIsWalkedAgainOnTheNewOwner() {
        var model = Model.threeMasters(keys: 3000)
        let firstKeys = model.keys[Self.a]!
        // A slot of the first master, whose keys are spread through its walk.
        let slot = Int(RedisHashSlot(key: firstKeys[firstKeys.count / 2]).rawValue)
        let inSlot = Set(firstKeys.filter { Int(RedisHashSlot(key: $0).rawValue) == slot })
        let returned = Self.scanAll(&model, pageSize: 10) { page, model in
            if page == 5 { model.move(slot: slot, to: Self.c) }
        }
        // Nothing is lost; only keys of the moved slot may come twice.
        #expect(Set(returned) == Set((0..<3000).map { "key:\($0)" }))
        var counts: [String: Int] = [:]
        for key in returned { counts[key, default: 0] += 1 }
        #expect(counts.filter { $0.value > 1 }.keys.allSatisfy { inSlot.contains($0) })
    }

    @Test func aFailedWalkStartsOverOnThePromotedReplica() {
        var model = Model.threeMasters(keys: 600)
        var cursor = RedisClusterScanCursor.start
        _ = cursor.prepare(for: model.topology)
        // A page of the first master, then it dies and its replica takes over.
        let (next, keys) = model.scan(Self.a, cursor: 0, pageSize: 10)
        var returned = cursor.advance(to: next, keys: keys).map { String(buffer: $0) }
        let replica = RedisClusterNodeAddress(host: "10.0.0.4", port: 7000)
        model.owners[replica] = model.owners.removeValue(forKey: Self.a)
        model.keys[replica] = model.keys.removeValue(forKey: Self.a)
        model.order = [replica, Self.b, Self.c]
        cursor.restartWalk(with: model.topology)
        #expect(cursor.node == replica)
        #expect(cursor.walks.first?.position == nil)
        while let walk = cursor.prepare(for: model.topology) {
            let (next, keys) = model.scan(walk.node, cursor: walk.position ?? 0, pageSize: 50)
            returned += cursor.advance(to: next, keys: keys).map { String(buffer: $0) }
            if next == 0 { cursor.finishWalk(seenBy: model.topology) }
        }
        #expect(Set(returned) == Set((0..<600).map { "key:\($0)" }))
        #expect(returned.count == 600 + 10)
    }

    @Test func slotSetCountsAndListsItsSlots() {
        var set = RedisHashSlotSet()
        #expect(set.isEmpty)
        for raw in [0, 63, 64, 16383] { set.insert(RedisHashSlot(rawValue: UInt16(raw))) }
        #expect(set.count == 4)
        #expect(set.slots.map(\.rawValue) == [0, 63, 64, 16383])
        #expect(set.contains(RedisHashSlot(rawValue: 64)))
        #expect(!set.contains(RedisHashSlot(rawValue: 65)))
        #expect(RedisHashSlotSet.all.count == RedisHashSlot.count)
    }
}
