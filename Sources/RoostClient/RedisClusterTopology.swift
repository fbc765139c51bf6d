import RoostRESP

/// Which node serves each of the 16384 slots, and the replicas of each master.
public struct RedisClusterTopology: Sendable, Hashable {
    /// One master and its replicas.
    public struct Shard: Sendable, Hashable {
        /// The node serving the shard's slots.
        public var master: RedisClusterNodeAddress
        /// Its replicas not known to have failed.
        public var replicas: [RedisClusterNodeAddress]
        /// The slot ranges it serves.
        public var slots: [ClosedRange<Int>]
    }

    /// The shards that serve slots.
    public private(set) var shards: [Shard]
    /// For each slot, the master serving it (nil when no node serves it).
    private var owners: [RedisClusterNodeAddress?]

    /// A topology from its shards.
    public init(shards: [Shard]) {
        self.shards = shards
        owners = Array(repeating: nil, count: RedisHashSlot.count)
        for shard in shards {
            for range in shard.slots {
                for slot in range where slot >= 0 && slot < RedisHashSlot.count { owners[slot] = shard.master }
            }
        }
    }

    /// The master serving `slot`.
    public func master(for slot: RedisHashSlot) -> RedisClusterNodeAddress? {
        owners[Int(slot.rawValue)]
    }

    /// The online replicas of the master serving `slot`.
    public func replicas(for slot: RedisHashSlot) -> [RedisClusterNodeAddress] {
        guard let master = master(for: slot) else { return [] }
        return shards.first { $0.master == master }?.replicas ?? []
    }

    /// Every master serving slots.
    public var masters: [RedisClusterNodeAddress] {
        var seen = Set<RedisClusterNodeAddress>()
        return shards.map(\.master).filter { seen.insert($0).inserted }
    }

    /// Every node: masters, then replicas.
    public var nodes: [RedisClusterNodeAddress] {
        var seen = Set<RedisClusterNodeAddress>()
        return (shards.map(\.master) + shards.flatMap(\.replicas)).filter { seen.insert($0).inserted }
    }

    /// Whether every slot has a master.
    public var coversAllSlots: Bool { !owners.contains(nil) }

    /// Records that `slot` moved to `address` (a `MOVED` redirection). The shard lists stay as
    /// they are until the next full refresh.
    mutating func assign(_ slot: RedisHashSlot, to address: RedisClusterNodeAddress) {
        owners[Int(slot.rawValue)] = address
        if !shards.contains(where: { $0.master == address }) {
            shards.append(Shard(master: address, replicas: [], slots: []))
        }
    }

    // MARK: Parsing

    /// Parses a `CLUSTER SHARDS` reply (RESP2 or RESP3). Nodes announced without an address
    /// (`?`, empty) get `fallbackHost`, the host of the node that answered. A shard's master is
    /// its online master, else any node with the master role; replicas count only when online.
    /// - Throws: `RESPDecodingError` when the reply does not have the documented shape.
    static func parse(shards reply: RESPValue, fallbackHost: String) throws -> RedisClusterTopology {
        guard let shardList = reply.elements else { throw reply.mismatch("CLUSTER SHARDS array") }
        var shards: [Shard] = []
        for shardValue in shardList {
            let shard = try fields(of: shardValue)
            guard let slotValues = shard["slots"]?.elements, let nodeValues = shard["nodes"]?.elements else {
                throw shardValue.mismatch("shard with slots and nodes")
            }
            let bounds = try slotValues.map { try Int(fromRESP: $0) }
            guard bounds.count % 2 == 0 else { throw shardValue.mismatch("slot ranges in pairs") }
            let ranges = stride(from: 0, to: bounds.count, by: 2).compactMap { index -> ClosedRange<Int>? in
                bounds[index] <= bounds[index + 1] ? bounds[index]...bounds[index + 1] : nil
            }
            var onlineMaster: RedisClusterNodeAddress?
            var anyMaster: RedisClusterNodeAddress?
            var replicas: [RedisClusterNodeAddress] = []
            for nodeValue in nodeValues {
                let node = try fields(of: nodeValue)
                guard let port = node["port"].flatMap({ try? Int(fromRESP: $0) }) ?? node["tls-port"].flatMap({ try? Int(fromRESP: $0) })
                else { continue }
                var host = node["ip"].flatMap { try? String(fromRESP: $0) } ?? ""
                if host.isEmpty || host == "?" { host = node["endpoint"].flatMap { try? String(fromRESP: $0) } ?? "" }
                if host.isEmpty || host == "?" { host = fallbackHost }
                let address = RedisClusterNodeAddress(host: host, port: port)
                let role = node["role"].flatMap { try? String(fromRESP: $0) } ?? ""
                let health = node["health"].flatMap { try? String(fromRESP: $0) } ?? "online"
                if role == "master" {
                    if health == "online" && onlineMaster == nil { onlineMaster = address }
                    if anyMaster == nil { anyMaster = address }
                } else if health == "online" || health == "loading" {
                    // Redis reports a replica "loading" while its replication offset is 0, which
                    // is also the case of a synchronised replica of a master never written to; a
                    // replica really loading answers -LOADING and the read goes to the master.
                    replicas.append(address)
                }
            }
            guard !ranges.isEmpty, let master = onlineMaster ?? anyMaster else { continue }
            shards.append(Shard(master: master, replicas: replicas, slots: ranges))
        }
        return RedisClusterTopology(shards: shards)
    }

    /// Parses a `CLUSTER SLOTS` reply: ranges with their master first, then replicas.
    /// - Throws: `RESPDecodingError` when the reply does not have the documented shape.
    static func parse(slots reply: RESPValue, fallbackHost: String) throws -> RedisClusterTopology {
        guard let ranges = reply.elements else { throw reply.mismatch("CLUSTER SLOTS array") }
        var byMaster: [RedisClusterNodeAddress: Shard] = [:]
        var order: [RedisClusterNodeAddress] = []
        for rangeValue in ranges {
            guard let parts = rangeValue.elements, parts.count >= 3 else { throw rangeValue.mismatch("slot range") }
            let start = try Int(fromRESP: parts[0])
            let end = try Int(fromRESP: parts[1])
            let nodes = try parts[2...].map { value -> RedisClusterNodeAddress in
                guard let node = value.elements, node.count >= 2 else { throw value.mismatch("node") }
                var host = try String(fromRESP: node[0])
                if host.isEmpty || host == "?" { host = fallbackHost }
                return RedisClusterNodeAddress(host: host, port: try Int(fromRESP: node[1]))
            }
            guard start <= end, let master = nodes.first else { continue }
            if byMaster[master] == nil {
                byMaster[master] = Shard(master: master, replicas: Array(nodes.dropFirst()), slots: [])
                order.append(master)
            }
            byMaster[master]?.slots.append(start...end)
        }
        return RedisClusterTopology(shards: order.compactMap { byMaster[$0] })
    }

    /// The fields of a RESP3 map or a RESP2 flat key/value array.
    private static func fields(of value: RESPValue) throws -> [String: RESPValue] {
        guard let flat = value.elements, flat.count % 2 == 0 else { throw value.mismatch("map") }
        var result: [String: RESPValue] = [:]
        for index in stride(from: 0, to: flat.count, by: 2) {
            result[try String(fromRESP: flat[index])] = flat[index + 1]
        }
        return result
    }
}

/// A cluster redirection carried by an error reply.
enum RedisClusterRedirection: Hashable, Sendable {
    /// `MOVED slot host:port`: the slot now lives on that node.
    case moved(RedisHashSlot, RedisClusterNodeAddress)
    /// `ASK slot host:port`: ask that node, once, after `ASKING`.
    case ask(RedisHashSlot, RedisClusterNodeAddress)

    /// The redirection in `error`, if it is one. An address without a host (`:7000`) gets
    /// `fallbackHost`.
    init?(_ error: RedisServerError, fallbackHost: String) {
        let parts = error.message.split(separator: " ")
        guard parts.count == 3, let slotNumber = UInt16(parts[1]), Int(slotNumber) < RedisHashSlot.count,
              var address = RedisClusterNodeAddress(parts[2]) else { return nil }
        if address.host.isEmpty { address.host = fallbackHost }
        let slot = RedisHashSlot(rawValue: slotNumber)
        switch parts[0] {
        case "MOVED": self = .moved(slot, address)
        case "ASK": self = .ask(slot, address)
        default: return nil
        }
    }
}
