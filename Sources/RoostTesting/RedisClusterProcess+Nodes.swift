import Foundation

extension RedisClusterProcess {
    /// One node's view of a cluster node: a parsed line of `CLUSTER NODES`.
    public struct Node: Sendable, Hashable {
        /// The node ID.
        public var id: String
        /// The client port.
        public var port: Int
        /// The flags (`myself`, `master`, `slave`, `fail`…).
        public var flags: Set<String>
        /// The master's ID for a replica.
        public var masterID: String?
        /// Slot ranges served (`start…end`), importing/migrating markers left out.
        public var slots: [ClosedRange<Int>]

        /// Whether the node is a master not flagged as failing.
        public var isHealthyMaster: Bool { flags.contains("master") && !flags.contains("fail") && !flags.contains("fail?") }
    }

    /// `CLUSTER NODES` as seen by the node on `port` (any live node when nil).
    /// - Throws: ``RoostTestingError/Code-swift.struct/commandFailed`` when no node answers.
    public func nodes(askingPort port: Int? = nil) throws -> [Node] {
        guard let port = port ?? livePorts.first else { throw RoostTestingError(.commandFailed, "no live node") }
        let text = try RawConnection.text(port: port, ["CLUSTER", "NODES"])
        return text.split(separator: "\n").compactMap { line -> Node? in
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count >= 8 else { return nil }
            let address = fields[1].split(separator: "@")[0]
            guard let colon = address.lastIndex(of: ":"), let nodePort = Int(address[address.index(after: colon)...]) else {
                return nil
            }
            var slots: [ClosedRange<Int>] = []
            for range in fields.dropFirst(8) where !range.hasPrefix("[") {
                let parts = range.split(separator: "-").compactMap { Int($0) }
                if parts.count == 2 { slots.append(parts[0]...parts[1]) } else if parts.count == 1 { slots.append(parts[0]...parts[0]) }
            }
            return Node(id: fields[0], port: nodePort, flags: Set(fields[2].split(separator: ",").map(String.init)),
                        masterID: fields[3] == "-" ? nil : fields[3], slots: slots)
        }
    }

    /// The port of the master serving `slot`, as the node on `askingPort` (any live node) sees it.
    /// - Throws: ``RoostTestingError/Code-swift.struct/commandFailed`` when no node answers or
    ///   no master serves the slot.
    public func masterPort(forSlot slot: Int, askingPort: Int? = nil) throws -> Int {
        let nodes = try nodes(askingPort: askingPort)
        guard let node = nodes.first(where: { $0.flags.contains("master") && $0.slots.contains { $0.contains(slot) } }) else {
            throw RoostTestingError(.commandFailed, "no master serves slot \(slot)")
        }
        return node.port
    }

    /// The ports of the replicas of the master on `masterPort`.
    /// - Throws: ``RoostTestingError/Code-swift.struct/commandFailed`` when no node answers.
    public func replicaPorts(ofMasterPort masterPort: Int) throws -> [Int] {
        let nodes = try nodes()
        guard let master = nodes.first(where: { $0.port == masterPort }) else { return [] }
        return nodes.filter { $0.masterID == master.id }.map(\.port)
    }

    /// The node ID of the node on `port`.
    /// - Throws: ``RoostTestingError/Code-swift.struct/commandFailed`` when it does not answer.
    public func nodeID(port: Int) throws -> String {
        try RawConnection.text(port: port, ["CLUSTER", "MYID"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Sends a command to the node on `port` over a new connection and returns its reply as
    /// text: the RESP framing stripped for simple strings, errors (`MOVED 42 …`), integers and
    /// bulk strings; other replies as raw RESP. Blocks its thread for the round trip.
    /// - Throws: ``RoostTestingError/Code-swift.struct/commandFailed`` when the node does not
    ///   answer within 5 s.
    public func command(port: Int, _ arguments: [String]) throws -> String {
        try RawConnection.text(port: port, arguments)
    }

    /// Sends `commands` in turn on one connection to the node on `port` (e.g. `ASKING` then a
    /// command) and returns their replies as text, as ``command(port:_:)`` does.
    /// - Throws: ``RoostTestingError/Code-swift.struct/commandFailed`` when the node does not
    ///   answer within 5 s.
    public func commands(port: Int, _ commands: [[String]]) throws -> [String] {
        do {
            let connection = try RawConnection(port: port, timeout: 5)
            return try commands.map { try connection.text($0) }
        } catch let error as RawConnection.Error {
            throw RoostTestingError(.commandFailed, "port \(port): \(error.description)")
        }
    }
}
