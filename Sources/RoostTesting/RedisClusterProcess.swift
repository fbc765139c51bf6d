import Foundation
import RoostClient

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real six-node Redis Cluster (three masters, one replica each) on free loopback ports, for
/// the length of a test.
///
/// Nodes run with `--cluster-node-timeout 2000`, so a replica is promoted a few seconds after
/// its master dies: ``kill(port:)`` a master, wait with
/// ``waitUntilHealthy(timeout:requireReplicas:)`` (`requireReplicas: false`) for the promotion,
/// and ``restart(port:)`` the old master, which rejoins as a replica.
///
/// ``stop()`` kills every node and reaps it, and so does `deinit`; nodes never stopped are
/// killed when the test process exits normally. Prefer ``withRedisCluster(isolation:_:)``, which
/// always stops them.
// @unchecked: `processes` is guarded by `lock`; every other stored property is immutable.
public final class RedisClusterProcess: @unchecked Sendable {
    /// The client ports of the six nodes, in start order.
    public let ports: [Int]
    private var processes: [Int: NodeProcess]
    private let executable: String
    private let directory: String
    private let lock = NSLock()

    /// One node's process: its pid while it runs, and what restarting it needs.
    private struct NodeProcess {
        var pid: pid_t?
        let index: Int
        let busPort: Int
    }

    /// Whether `redis-server` and `redis-cli` are installed (see
    /// ``RedisServerProcess/executablePath``).
    public static var isAvailable: Bool { RedisServerProcess.isAvailable && redisCLIPath != nil }

    /// The `redis-cli` that forms the cluster, found like ``RedisServerProcess/executablePath``.
    public static var redisCLIPath: String? { ChildProcess.executable(named: "redis-cli") }

    /// Starts six cluster-enabled nodes, joins them with
    /// `redis-cli --cluster create … --cluster-replicas 1`, and waits until every node reports
    /// `cluster_state:ok` with all 16384 slots served and every master has a synchronised
    /// replica. Blocks its thread meanwhile (several seconds).
    /// - Parameter startTimeout: seconds for each node to start, and for the cluster to form.
    /// - Throws: ``RoostTestingError`` ``RoostTestingError/Code-swift.struct/toolNotFound`` when a
    ///   tool is missing, ``RoostTestingError/Code-swift.struct/startFailed`` when a node does
    ///   not start or `redis-cli` fails, ``RoostTestingError/Code-swift.struct/clusterNotHealthy``
    ///   when the cluster does not form in time.
    public init(startTimeout: Double = 60) throws {
        guard let executable = RedisServerProcess.executablePath, let cli = Self.redisCLIPath else {
            throw RoostTestingError(.toolNotFound,
                                    "redis-server or redis-cli is not installed (apt-get install redis-server, brew install redis) nor on PATH")
        }
        self.executable = executable
        directory = try RedisServerProcess.makeTemporaryDirectory(prefix: "roost-cluster")
        var started: [Int: NodeProcess] = [:]
        var order: [Int] = []
        do {
            for index in 0..<6 {
                let (port, node) = try Self.startNode(index: index, executable: executable, directory: directory,
                                                      timeout: startTimeout)
                started[port] = node
                order.append(port)
            }
        } catch {
            for pid in started.values.compactMap(\.pid) { ChildProcess.kill(pid, signal: SIGKILL) }
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        ports = order
        processes = started
        do {
            let create = try ChildProcess.run(cli, ["--cluster", "create"] + ports.map { "127.0.0.1:\($0)" }
                + ["--cluster-replicas", "1", "--cluster-yes"], timeout: startTimeout)
            guard create.status == 0 else {
                throw RoostTestingError(.startFailed, "redis-cli --cluster create exited with \(create.status): "
                    + (create.text + create.errorText).split(separator: "\n").suffix(10).joined(separator: "\n"))
            }
            try waitUntilHealthy(timeout: startTimeout)
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    /// Starts node `index` on a free port (another free port for its cluster bus), or on
    /// `port`/`busPort` when restarting it.
    private static func startNode(index: Int, executable: String, directory: String, timeout: Double,
                                  port: Int? = nil, busPort: Int? = nil) throws -> (Int, NodeProcess) {
        var chosenBusPort = 0
        let logPath = "\(directory)/node-\(index).log"
        let (port, pid) = try RedisServerProcess.launch(executable: executable, logPath: logPath, timeout: timeout,
                                                        fixedPort: port) { port in
            chosenBusPort = try busPort ?? FreePort.find()
            while chosenBusPort == port { chosenBusPort = try FreePort.find() }
            return ["--cluster-enabled", "yes", "--cluster-port", "\(chosenBusPort)",
                    "--cluster-config-file", "\(directory)/nodes-\(index).conf", "--cluster-node-timeout", "2000",
                    "--save", "", "--appendonly", "no", "--dir", directory, "--dbfilename", "dump-\(index).rdb"]
                + RedisServerProcess.fixedArguments(port: port, logPath: logPath)
        }
        return (port, NodeProcess(pid: pid, index: index, busPort: chosenBusPort))
    }

    /// Waits until every live node reports `cluster_state:ok` with all 16384 slots assigned and
    /// ok, and knows all six nodes; with `requireReplicas`, also until every master serving
    /// slots has a replica whose link is up. After killing a master, wait with
    /// `requireReplicas: false` for its replica to take over.
    /// - Throws: ``RoostTestingError/Code-swift.struct/clusterNotHealthy`` after `timeout` seconds,
    ///   with the last thing that was not right.
    public func waitUntilHealthy(timeout: Double = 60, requireReplicas: Bool = true) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            var healthy = true
            let live = livePorts
            for port in live {
                guard let info = try? RawConnection.text(port: port, ["CLUSTER", "INFO"]) else { healthy = false; break }
                last = "\(port): \(info)"
                if !(info.contains("cluster_state:ok") && info.contains("cluster_slots_assigned:16384")
                    && info.contains("cluster_slots_ok:16384") && info.contains("cluster_known_nodes:6")) {
                    healthy = false
                    break
                }
                // A killed master still looks fine until the others notice: every slot must be
                // served by a running node in this node's view.
                guard let owners = try? nodes(askingPort: port).filter({ $0.flags.contains("master") && !$0.slots.isEmpty }) else {
                    healthy = false
                    break
                }
                if let dead = owners.first(where: { !live.contains($0.port) }) {
                    last = "\(port) still sees the killed node \(dead.port) serving slots"
                    healthy = false
                    break
                }
            }
            if healthy && !requireReplicas { return }
            if healthy, let nodes = try? nodes() {
                // Every master has its replica attached and synchronised.
                let replicas = nodes.filter { $0.flags.contains("slave") && !$0.flags.contains("fail") }
                let masters = nodes.filter { $0.isHealthyMaster && !$0.slots.isEmpty }
                let linked = replicas.allSatisfy {
                    (try? RawConnection.text(port: $0.port, ["INFO", "replication"]))?.contains("master_link_status:up") == true
                }
                if linked && Set(replicas.compactMap(\.masterID)) == Set(masters.map(\.id)) { return }
                last = "replicas not attached yet: \(replicas.count) replicas of \(masters.count) masters"
            }
            usleep(100_000)
        }
        throw RoostTestingError(.clusterNotHealthy, "the cluster did not become healthy in \(timeout) s: \(last)")
    }

    /// Ports of the nodes running (not killed).
    public var livePorts: [Int] {
        lock.lock()
        defer { lock.unlock() }
        return ports.filter { processes[$0]?.pid != nil }
    }

    /// The process ID of the node on `port`, or nil when it is not running.
    public func processID(port: Int) -> pid_t? {
        lock.lock()
        defer { lock.unlock() }
        return processes[port]?.pid
    }

    /// Kills the node on `port` with SIGKILL and reaps it. Its data is lost (no persistence);
    /// its cluster identity stays in its config file for ``restart(port:)``.
    public func kill(port: Int) {
        lock.lock()
        let pid = processes[port]?.pid
        processes[port]?.pid = nil
        lock.unlock()
        if let pid { ChildProcess.kill(pid, signal: SIGKILL) }
    }

    /// Sends `signal` to the node on `port` without waiting (`SIGSTOP` and `SIGCONT` pause and
    /// resume it). Does nothing when it is not running.
    public func signal(_ signal: Int32, port: Int) {
        if let pid = processID(port: port) { ChildProcess.signal(pid, signal) }
    }

    /// Starts the killed node on `port` again, on the same ports and with the same cluster
    /// identity, and waits until it answers `PING`. It then rejoins the cluster (as a replica
    /// when its replica took over); ``waitUntilHealthy(timeout:requireReplicas:)`` waits for that.
    /// Does nothing when the node is running.
    /// - Throws: ``RoostTestingError/Code-swift.struct/startFailed`` when it does not start (for
    ///   instance because another process took its port meanwhile).
    public func restart(port: Int, timeout: Double = 30) throws {
        lock.lock()
        let node = processes[port]
        lock.unlock()
        guard let node, node.pid == nil else { return }
        let (_, restarted) = try Self.startNode(index: node.index, executable: executable, directory: directory,
                                                timeout: timeout, port: port, busPort: node.busPort)
        lock.lock()
        processes[port] = restarted
        lock.unlock()
    }

    /// `redis://127.0.0.1:<port>` for every node, in start order.
    public var urls: [String] { ports.map { "redis://127.0.0.1:\($0)" } }

    /// A cluster client configuration seeded with every node.
    public var clientConfiguration: RedisClusterConfiguration {
        RedisClusterConfiguration(seeds: ports.map { RedisClusterNodeAddress(host: "127.0.0.1", port: $0) })
    }

    /// Runs `body` with a ``RoostClient/RedisClusterClient`` for this cluster whose `run()`
    /// goes alongside, and shuts the client down afterwards (also when `body` throws).
    /// - Parameter configure: adjusts ``clientConfiguration`` first.
    public func withClient<Result: Sendable>(
        configure: (inout RedisClusterConfiguration) -> Void = { _ in },
        isolation: isolated (any Actor)? = #isolation,
        _ body: (RedisClusterClient) async throws -> Result
    ) async throws -> Result {
        var configuration = clientConfiguration
        configure(&configuration)
        return try await RedisClusterClient(configuration: configuration, logger: .testing).runningAlongside(body)
    }

    /// Kills every node, reaps them and removes their folder. Calling it again does nothing.
    public func stop() {
        lock.lock()
        let all = processes.values.compactMap(\.pid)
        for port in processes.keys { processes[port]?.pid = nil }
        lock.unlock()
        for pid in all { ChildProcess.kill(pid, signal: SIGKILL) }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Runs `body` with a fresh six-node Redis Cluster on loopback (see ``RedisClusterProcess``),
/// and kills every node when `body` returns or throws, or the task is cancelled.
///
///     try await withRedisCluster { cluster in
///         try await cluster.withClient { client in
///             try await client.set("{user1}:name", "Ada")
///         }
///     }
///
/// - Throws: what ``RedisClusterProcess/init(startTimeout:)`` throws, or what `body` throws.
extension RedisClusterProcess {
    /// Forms a cluster as ``init(startTimeout:)`` does, but waits on a thread of its own, so an
    /// async caller never holds a cooperative-pool thread for the seconds that takes.
    public static func start(startTimeout: Double = 60) async throws -> RedisClusterProcess {
        try await StartThreads.run { try RedisClusterProcess(startTimeout: startTimeout) }
    }
}

public func withRedisCluster<Result>(
    isolation: isolated (any Actor)? = #isolation,
    _ body: (RedisClusterProcess) async throws -> Result
) async throws -> Result {
    // Forming the cluster blocks for seconds; it does so on a thread of its own.
    let cluster = try await RedisClusterProcess.start()
    defer { cluster.stop() }
    return try await body(cluster)
}
