import NIOCore

/// A set of hash slots, one bit per slot (2 KiB).
struct RedisHashSlotSet: Sendable, Hashable {
    private var words = [UInt64](repeating: 0, count: RedisHashSlot.count / 64)

    /// An empty set.
    init() {}

    /// Every slot.
    static var all: RedisHashSlotSet {
        var set = RedisHashSlotSet()
        set.words = [UInt64](repeating: .max, count: RedisHashSlot.count / 64)
        return set
    }

    var isEmpty: Bool { words.allSatisfy { $0 == 0 } }
    var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    func contains(_ slot: RedisHashSlot) -> Bool {
        let index = Int(slot.rawValue)
        return words[index >> 6] & (1 << UInt64(index & 63)) != 0
    }

    mutating func insert(_ slot: RedisHashSlot) {
        let index = Int(slot.rawValue)
        words[index >> 6] |= 1 << UInt64(index & 63)
    }

    mutating func formUnion(_ other: RedisHashSlotSet) {
        for index in words.indices { words[index] |= other.words[index] }
    }

    /// The slots in ascending order.
    var slots: [RedisHashSlot] {
        var result: [RedisHashSlot] = []
        for (wordIndex, word) in words.enumerated() where word != 0 {
            var rest = word
            while rest != 0 {
                let bit = rest.trailingZeroBitCount
                result.append(RedisHashSlot(rawValue: UInt16(wordIndex * 64 + bit)))
                rest &= rest - 1
            }
        }
        return result
    }
}

/// Where a cluster-wide `SCAN` stands (see `RedisClusterClient.scanPage(cursor:matching:count:type:)`):
/// the masters still to walk, each with the slots it is walked for, and the `SCAN` cursor on the
/// one being walked.
///
/// The walk is a plan over slots, so that each slot's keys are read from exactly one master:
/// - It starts with one walk per master, in the order of `RedisClusterTopology.masters`, each
///   for the slots that master serves. A walk returns only keys of its own slots, so keys a
///   node holds for a slot it is importing are not returned twice.
/// - Before a walk starts, its slots are regrouped by their current owners: slots that moved
///   before their walk began are walked on their new master.
/// - When a walk ends, the slots its master no longer serves (they moved while it was being
///   walked, and some keys may have gone with them) are walked again on their new owner.
/// - When a walk fails (its master died, a failover), it starts over on the slots' current
///   owners.
///
/// The value holds no connection: it can be kept between pages, copied and compared.
public struct RedisClusterScanCursor: Sendable, Hashable, CustomStringConvertible {
    /// One master to walk, for some slots.
    struct Walk: Sendable, Hashable {
        var node: RedisClusterNodeAddress
        var slots: RedisHashSlotSet
        /// The node's `SCAN` cursor; nil before the first page.
        var position: Int?
    }

    /// The walks still to do; the first is the one under way.
    private(set) var walks: [Walk] = []
    /// Whether the walks were planned from a topology yet.
    private(set) var isPlanned = false

    /// A scan that has not started: the first page plans it from the current topology.
    public static var start: RedisClusterScanCursor { RedisClusterScanCursor() }

    private init() {}

    /// Whether every walk is done.
    public var isFinished: Bool { isPlanned && walks.isEmpty }

    /// The master being walked (or to walk next), if any.
    public var node: RedisClusterNodeAddress? { walks.first?.node }

    /// `node:cursor (+N walks)`, for logs.
    public var description: String {
        guard let walk = walks.first else { return isPlanned ? "finished" : "start" }
        return "\(walk.node):\(walk.position.map(String.init) ?? "-") (+\(walks.count - 1) walks)"
    }

    /// The walk to do next against `topology`, planning the scan on first use and regrouping a
    /// walk that has not started by its slots' current owners. Nil when the scan is finished.
    mutating func prepare(for topology: RedisClusterTopology) -> Walk? {
        if !isPlanned {
            isPlanned = true
            // Slots no master serves hold no key anyone can read: they are left out.
            for walk in Self.group(.all, by: topology).owned { enqueue(walk, atFront: false) }
        }
        while let first = walks.first, first.position == nil {
            let (owned, unowned) = Self.group(first.slots, by: topology)
            if owned.count == 1, owned[0].node == first.node, unowned.isEmpty { break }
            walks.removeFirst()
            if !unowned.isEmpty { walks.insert(Walk(node: first.node, slots: unowned, position: nil), at: 0) }
            for walk in owned.reversed() { enqueue(walk, atFront: true) }
            if walks.first == first { break }
        }
        return walks.first
    }

    /// Takes one page of the walk under way: remembers the node's next cursor and returns the
    /// keys of the walk's slots. Call `finishWalk` when `next` is 0.
    mutating func advance(to next: Int, keys: [ByteBuffer]) -> [ByteBuffer] {
        guard !walks.isEmpty else { return [] }
        walks[0].position = next
        let slots = walks[0].slots
        return keys.filter { slots.contains(RedisHashSlot(key: $0.readableBytesView)) }
    }

    /// Ends the walk under way. `view` is the cluster as its master sees it now: slots of the
    /// walk that another master serves in it moved during the walk and are walked again there.
    mutating func finishWalk(seenBy view: RedisClusterTopology) {
        guard !walks.isEmpty else { return }
        let walk = walks.removeFirst()
        var moved = RedisHashSlotSet()
        for slot in walk.slots.slots {
            if let owner = view.master(for: slot), owner != walk.node { moved.insert(slot) }
        }
        guard !moved.isEmpty else { return }
        for next in Self.group(moved, by: view).owned { enqueue(next, atFront: false) }
    }

    /// Starts the walk under way over on its slots' owners in `topology` (its master failed or
    /// stopped serving them); slots without an owner stay with the old master.
    mutating func restartWalk(with topology: RedisClusterTopology) {
        guard !walks.isEmpty else { return }
        var walk = walks.removeFirst()
        walk.position = nil
        walks.insert(walk, at: 0)
        _ = prepare(for: topology)
    }

    /// Adds `walk`, merged into a walk of the same master that has not started if there is one.
    private mutating func enqueue(_ walk: Walk, atFront: Bool) {
        if let index = walks.firstIndex(where: { $0.node == walk.node && $0.position == nil }) {
            walks[index].slots.formUnion(walk.slots)
        } else if atFront {
            walks.insert(walk, at: 0)
        } else {
            walks.append(walk)
        }
    }

    /// `slots` split by their master in `topology` (walks in the order of `masters`), and the
    /// slots no master serves.
    private static func group(_ slots: RedisHashSlotSet, by topology: RedisClusterTopology)
        -> (owned: [Walk], unowned: RedisHashSlotSet) {
        var byNode: [RedisClusterNodeAddress: RedisHashSlotSet] = [:]
        var unowned = RedisHashSlotSet()
        for slot in slots.slots {
            if let owner = topology.master(for: slot) {
                byNode[owner, default: RedisHashSlotSet()].insert(slot)
            } else {
                unowned.insert(slot)
            }
        }
        var order = topology.masters
        order += byNode.keys.filter { !order.contains($0) }.sorted()
        let owned = order.compactMap { node in byNode[node].map { Walk(node: node, slots: $0, position: nil) } }
        return (owned, unowned)
    }
}
