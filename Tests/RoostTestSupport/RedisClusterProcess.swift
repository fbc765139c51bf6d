import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A real six-node Redis Cluster (three masters, one replica each) on free loopback ports, for
/// the length of a test. Nodes run with `--cluster-node-timeout 2000`, so a replica is promoted a
/// few seconds after its master dies.
// @unchecked: `pids` is guarded by `lock`; the rest is immutable.
public final class RedisClusterProcess: @unchecked Sendable {
    /// The client ports of the six nodes, in start order.
    public let ports: [Int]
    private var pids: [Int: pid_t]
    private let directory: String
    private let lock = NSLock()

    /// Whether `redis-server` and `redis-cli` are installed.
    public static var isAvailable: Bool {
        RedisServerProcess.isAvailable && FileManager.default.isExecutableFile(atPath: redisCLI)
    }

    static let redisCLI = "/usr/bin/redis-cli"

    /// Starts six cluster-enabled nodes, joins them with `redis-cli --cluster create … --cluster-replicas 1`
    /// and waits until every node reports `cluster_state:ok` with all 16384 slots assigned.
    /// - Throws: when a tool is missing, a node does not start, or the cluster does not form in 60 s.
    public init() throws {
        guard let executable = RedisServerProcess.executable, Self.isAvailable else {
            throw RawConnection.Error(description: "redis-server or redis-cli is not installed")
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-cluster-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var started: [Int: pid_t] = [:]
        var order: [Int] = []
        do {
            while order.count < 6 {
                let (port, pid) = try Self.startNode(executable: executable, directory: directory, taken: Set(order))
                started[port] = pid
                order.append(port)
            }
        } catch {
            for pid in started.values { ChildProcess.kill(pid, signal: SIGKILL) }
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        ports = order
        pids = started
        do {
            try createCluster()
        } catch {
            stop()
            throw error
        }
    }

    /// Starts one node on a free port (another free port for its cluster bus), retrying when
    /// the probed port was taken before the node bound it.
    private static func startNode(executable: String, directory: String, taken: Set<Int>) throws -> (Int, pid_t) {
        var attempt = 0
        while true {
            attempt += 1
            let port = try FreePort.find()
            let busPort = try FreePort.find()
            if taken.contains(port) || taken.contains(busPort) || port == busPort { continue }
            let pid = try ChildProcess.spawn(executable, [
                "--port", "\(port)", "--cluster-port", "\(busPort)", "--bind", "127.0.0.1",
                "--cluster-enabled", "yes", "--cluster-config-file", "\(directory)/nodes-\(port).conf",
                "--cluster-node-timeout", "2000", "--save", "", "--appendonly", "no",
                "--dir", directory, "--dbfilename", "dump-\(port).rdb", "--daemonize", "no",
                "--logfile", "\(directory)/node-\(port).log", "--loglevel", "notice",
            ])
            let deadline = Date().addingTimeInterval(30)
            var exited = false
            while Date() < deadline && !PortProbe.isAccepting(port: port) {
                if ChildProcess.exitStatus(pid) != nil { exited = true; break }
                usleep(10_000)
            }
            if !exited, PortProbe.isAccepting(port: port), (try? Self.text(port: port, ["CONFIG", "GET", "dbfilename"]))?.contains("dump-\(port).rdb") == true {
                return (port, pid)
            }
            if !exited { ChildProcess.kill(pid, signal: SIGKILL) }
            if attempt >= 3 {
                throw RawConnection.Error(description: "cluster node did not start on port \(port) (attempt \(attempt))")
            }
        }
    }

    private func createCluster() throws {
        let cli = try ChildProcess.spawn(Self.redisCLI, ["--cluster", "create"] + ports.map { "127.0.0.1:\($0)" }
            + ["--cluster-replicas", "1", "--cluster-yes"])
        guard let status = ChildProcess.wait(cli, timeout: 60) else {
            ChildProcess.kill(cli, signal: SIGKILL)
            throw RawConnection.Error(description: "redis-cli --cluster create did not finish in 60 s")
        }
        guard status == 0 else {
            throw RawConnection.Error(description: "redis-cli --cluster create exited with \(status)")
        }
        try waitUntilHealthy(timeout: 60)
    }

    /// Waits until every live node reports `cluster_state:ok`, all slots assigned and ok, and
    /// knows all six nodes; and every master serving slots has a replica whose link is up.
    public func waitUntilHealthy(timeout: Double = 60) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            var healthy = true
            for port in livePorts {
                guard let info = try? Self.text(port: port, ["CLUSTER", "INFO"]) else { healthy = false; break }
                last = "\(port): \(info)"
                if !(info.contains("cluster_state:ok") && info.contains("cluster_slots_assigned:16384")
                    && info.contains("cluster_slots_ok:16384") && info.contains("cluster_known_nodes:6")) {
                    healthy = false
                    break
                }
            }
            if healthy, let nodes = try? nodes() {
                // Every master has its replica attached and synchronised.
                let replicas = nodes.filter { $0.flags.contains("slave") && !$0.flags.contains("fail") }
                let masters = nodes.filter { $0.isHealthyMaster && !$0.slots.isEmpty }
                let linked = replicas.allSatisfy {
                    (try? Self.text(port: $0.port, ["INFO", "replication"]))?.contains("master_link_status:up") == true
                }
                if linked && Set(replicas.compactMap(\.masterID)) == Set(masters.map(\.id)) { return }
                last = "replicas not attached yet: \(replicas.count) replicas of \(masters.count) masters"
            }
            usleep(100_000)
        }
        throw RawConnection.Error(description: "the cluster did not become healthy: \(last)")
    }

    /// Ports of the nodes not killed.
    public var livePorts: [Int] {
        lock.lock()
        defer { lock.unlock() }
        return ports.filter { pids[$0] != nil }
    }

    /// Kills the node on `port` with SIGKILL.
    public func kill(port: Int) {
        lock.lock()
        let pid = pids.removeValue(forKey: port)
        lock.unlock()
        if let pid { ChildProcess.kill(pid, signal: SIGKILL) }
    }

    /// One node's view of the cluster: the parsed lines of `CLUSTER NODES`.
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
    public func nodes(askingPort port: Int? = nil) throws -> [Node] {
        guard let port = port ?? livePorts.first else { throw RawConnection.Error(description: "no live node") }
        let text = try Self.text(port: port, ["CLUSTER", "NODES"])
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
    public func masterPort(forSlot slot: Int, askingPort: Int? = nil) throws -> Int {
        let nodes = try nodes(askingPort: askingPort)
        guard let node = nodes.first(where: { $0.flags.contains("master") && $0.slots.contains { $0.contains(slot) } }) else {
            throw RawConnection.Error(description: "no master serves slot \(slot)")
        }
        return node.port
    }

    /// The ports of the replicas of the master on `masterPort`.
    public func replicaPorts(ofMasterPort masterPort: Int) throws -> [Int] {
        let nodes = try nodes()
        guard let master = nodes.first(where: { $0.port == masterPort }) else { return [] }
        return nodes.filter { $0.masterID == master.id }.map(\.port)
    }

    /// The node ID of the node on `port`.
    public func nodeID(port: Int) throws -> String {
        try Self.text(port: port, ["CLUSTER", "MYID"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Sends a command to the node on `port` and returns its reply as text (the RESP2 framing
    /// stripped for simple strings, errors, integers and bulk strings).
    public func command(port: Int, _ arguments: [String]) throws -> String {
        try Self.text(port: port, arguments)
    }

    /// Sends `commands` in turn on one connection to the node on `port` (e.g. `ASKING` then a
    /// command) and returns their replies as text.
    public func commands(port: Int, _ commands: [[String]]) throws -> [String] {
        let connection = try RawConnection(port: port, timeout: 5)
        return try commands.map { try Self.text(connection, $0) }
    }

    static func text(port: Int, _ arguments: [String]) throws -> String {
        try text(try RawConnection(port: port, timeout: 5), arguments)
    }

    static func text(_ connection: RawConnection, _ arguments: [String]) throws -> String {
        try connection.send(command: arguments.map { Array($0.utf8) })
        // Bytes, not Characters: "\r\n" is one Character in a Swift String.
        let reply = try connection.readReply()
        guard let first = reply.first, reply.count >= 3, reply.suffix(2) == [13, 10] else {
            return String(decoding: reply, as: UTF8.self)
        }
        switch first {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"):
            return String(decoding: reply.dropFirst().dropLast(2), as: UTF8.self)
        case UInt8(ascii: "$"):
            guard let cr = reply.firstIndex(of: 13), cr + 2 <= reply.count - 2 else { return String(decoding: reply, as: UTF8.self) }
            return String(decoding: reply[(cr + 2)..<(reply.count - 2)], as: UTF8.self)
        default:
            return String(decoding: reply, as: UTF8.self)
        }
    }

    /// Kills every node and removes the data directory.
    public func stop() {
        lock.lock()
        let all = Array(pids.values)
        pids = [:]
        lock.unlock()
        for pid in all { ChildProcess.kill(pid, signal: SIGKILL) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }
}
