import NIOCore

/// A consistent-hash ring mapping keys to named servers, ketama style: a pure value, no I/O.
///
/// Each server owns `virtualNodesPerServer` points on a 64-bit ring (160 by default), point `i`
/// of server `name` sitting at the hash of the string `"<name>-<i>"`. A key belongs to the server
/// owning the first point clockwise from the key's hash (found by binary search).
///
/// **Hash.** 64-bit FNV-1a followed by MurmurHash3's `fmix64` finalizer. FNV-1a alone is fast
/// but mixes its last input bytes poorly, and the ring's point names (`"a-1"`, `"a-2"`…) and
/// typical keys (`"user:1"`, `"user:2"`…) differ only there; the finalizer makes every input bit
/// affect every output bit. It is implemented here, so the placement is the same on every
/// platform and version (Swift's `Hasher` is seeded per process and cannot be used).
///
/// **Probes.** With plain ketama (`probes: 1`) a server's share of the keys is the total length
/// of the arcs ending at its points, whose spread is about 1/√160 ≈ 8% of the mean: with 10
/// servers the fullest one typically holds 10–17% more keys than the average. By default a lookup
/// therefore probes the ring at `probes` (5) positions derived from the key's hash and keeps the
/// probe closest to the point following it (multi-probe consistent hashing, Appleton & O'Reilly,
/// 2015). That makes the choice of point nearly independent of arc lengths, and the fullest server
/// holds a few percent above the mean. It keeps the consistent-hashing properties: adding a
/// server only moves keys *to* it (a probe can only come closer to a point when points are
/// added, and then the point is a new one), removing a server only moves *its* keys elsewhere,
/// and about 1/(N+1) of the keys move when an (N+1)-th server joins.
///
/// **Hash tags.** As in Redis Cluster, when a key contains `{…}` with something between the first
/// `{` and the next `}`, only that part is hashed, so `{user:1}:name` and `{user:1}:mail` always
/// land on the same server.
///
/// The placement depends only on the server names, not on the order they were added in.
public struct ConsistentHashRing: Sendable, Hashable {
    /// Points per server unless given: libketama's and twemproxy's figure.
    public static let defaultVirtualNodesPerServer = 160
    /// Probes per lookup unless given.
    public static let defaultProbes = 5

    /// Points each server owns on the ring.
    public let virtualNodesPerServer: Int
    /// Ring positions probed per lookup (1: plain ketama).
    public let probes: Int
    /// The servers, in the order they were added.
    public private(set) var servers: [String]

    /// The points' positions, ascending.
    private var positions: [UInt64] = []
    /// The index in `servers` of each point's owner, parallel to `positions`.
    private var owners: [Int] = []

    /// A ring of `servers` (duplicates are ignored).
    /// - Parameters:
    ///   - virtualNodesPerServer: points per server, at least 1.
    ///   - probes: positions probed per lookup, at least 1; 1 is plain ketama.
    public init(servers: [String] = [], virtualNodesPerServer: Int = Self.defaultVirtualNodesPerServer,
                probes: Int = Self.defaultProbes) {
        self.virtualNodesPerServer = max(1, virtualNodesPerServer)
        self.probes = max(1, probes)
        self.servers = []
        for server in servers where !self.servers.contains(server) {
            self.servers.append(server)
        }
        rebuild()
    }

    /// Whether the ring has no server.
    public var isEmpty: Bool { servers.isEmpty }

    /// Whether `server` is on the ring.
    public func contains(_ server: String) -> Bool { servers.contains(server) }

    /// Adds `server`'s points; nothing happens when it is already there.
    /// Only keys that now belong to `server` change owner.
    public mutating func add(_ server: String) {
        guard !servers.contains(server) else { return }
        servers.append(server)
        rebuild()
    }

    /// Removes `server`'s points; nothing happens when it is not there.
    /// Only the keys `server` owned change owner.
    public mutating func remove(_ server: String) {
        guard let index = servers.firstIndex(of: server) else { return }
        servers.remove(at: index)
        rebuild()
    }

    /// The server owning `key`, or nil when the ring is empty.
    public func server(for key: some Collection<UInt8>) -> String? {
        guard let index = serverIndex(forKeyHash: Self.keyHash(key)) else { return nil }
        return servers[index]
    }

    /// The server owning `key`, or nil when the ring is empty.
    public func server(for key: RedisKey) -> String? {
        server(for: key.bytes.readableBytesView)
    }

    /// The server owning the UTF-8 key `key`, or nil when the ring is empty.
    public func server(for key: String) -> String? {
        server(for: key.utf8)
    }

    /// The hash a key is placed by: that of its hash tag when it has one, else of all its bytes.
    public static func keyHash(_ key: some Collection<UInt8>) -> UInt64 {
        let bytes = Array(key)
        return hash(hashedPart(of: bytes))
    }

    /// The part of `key` that is hashed: the bytes between the first `{` and the next `}` when
    /// there are some, else the whole key (Redis Cluster's hash-tag rule).
    public static func hashedPart(of key: [UInt8]) -> ArraySlice<UInt8> {
        if let open = key.firstIndex(of: UInt8(ascii: "{")),
           let close = key[(open + 1)...].firstIndex(of: UInt8(ascii: "}")), close > open + 1 {
            return key[(open + 1)..<close]
        }
        return key[...]
    }

    /// 64-bit FNV-1a of `bytes`, finished with MurmurHash3's `fmix64`.
    public static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01b3
        }
        return mix(value)
    }

    /// MurmurHash3's 64-bit finalizer: a bijection in which every input bit flips each output bit
    /// with probability close to one half.
    static func mix(_ input: UInt64) -> UInt64 {
        var value = input
        value ^= value >> 33
        value = value &* 0xff51_afd7_ed55_8ccd
        value ^= value >> 33
        value = value &* 0xc4ce_b9fe_1a85_ec53
        value ^= value >> 33
        return value
    }

    /// The index in `servers` of the owner of a key whose hash is `keyHash`.
    func serverIndex(forKeyHash keyHash: UInt64) -> Int? {
        guard !positions.isEmpty else { return nil }
        var bestPoint = 0
        var bestDistance = UInt64.max
        for probe in 0..<probes {
            let position = probe == 0 ? keyHash : Self.mix(keyHash &+ UInt64(probe) &* 0x9e37_79b9_7f4a_7c15)
            let point = successor(of: position)
            // Clockwise distance; the wrap past the top of the ring is the wrapping subtraction.
            let distance = positions[point] &- position
            if distance < bestDistance {
                bestDistance = distance
                bestPoint = point
            }
        }
        return owners[bestPoint]
    }

    /// The index of the first point at or after `position`, wrapping to the first point.
    private func successor(of position: UInt64) -> Int {
        var low = 0
        var high = positions.count
        while low < high {
            let middle = (low + high) / 2
            if positions[middle] < position { low = middle + 1 } else { high = middle }
        }
        return low == positions.count ? 0 : low
    }

    /// Recomputes the points from `servers`. Points at the same position (a 64-bit collision)
    /// are ordered by server name, so the ring never depends on the order servers were added in.
    private mutating func rebuild() {
        var points: [(position: UInt64, owner: Int)] = []
        points.reserveCapacity(servers.count * virtualNodesPerServer)
        for (index, server) in servers.enumerated() {
            for node in 0..<virtualNodesPerServer {
                points.append((Self.hash("\(server)-\(node)".utf8), index))
            }
        }
        let servers = self.servers
        points.sort { $0.position != $1.position ? $0.position < $1.position : servers[$0.owner] < servers[$1.owner] }
        positions = points.map(\.position)
        owners = points.map(\.owner)
    }
}
