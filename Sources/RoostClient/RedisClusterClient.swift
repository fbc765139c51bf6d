import CoreMetrics
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RoostRESP
import ServiceLifecycle

/// A client for a Redis Cluster: routes each command to the node serving its keys' slot, over a
/// connection pool per node, and follows the cluster as it changes.
///
/// The slot map comes from `CLUSTER SHARDS` (or `CLUSTER SLOTS` on servers without it), asked of
/// any reachable node, first the seeds. Then:
/// - A command goes to the master of its keys' slot (hash tags `{…}` respected); a keyless
///   command goes to any master. Keys in different slots fail with `RedisClientError`
///   `.crossSlot` before anything is sent; the server's `CROSSSLOT` maps to the same error.
/// - `MOVED` updates that slot's owner, asks for a full refresh, and retries on the new node;
///   `ASK` sends `ASKING` and the command to the named node once, leaving the map alone. At
///   most `maximumRedirections` redirections are followed per command.
/// - When a node cannot be reached, or the cluster answers `CLUSTERDOWN`/`TRYAGAIN` (during a
///   failover), the command is retried with backoff, the topology refreshed between tries,
///   until `retryTimeout`. A connection that drops with the request in flight fails the
///   request (`.connectionClosed`) rather than running it twice.
/// - With `readFromReplicas`, read-only commands go to a replica of the slot's master, whose
///   connections get `READONLY`.
///
/// Every typed command of `RedisCommandExecutor` works. `scan()` walks every master in turn
/// (`scanPage(cursor:matching:count:type:)`); `load` caches a script on every master, and
/// `evaluate` loads it again there when a node answers NOSCRIPT; `evaluate(_:batch:)` sends a
/// batch of script calls as one pipeline per node. Run the client as a ServiceLifecycle
/// `Service` (or call `run()` in a task): it maintains the node pools and performs the
/// refreshes asked for after `MOVED`, plus one every `periodicRefreshInterval`.
public final class RedisClusterClient: Service, RedisCommandExecutor, Sendable {
    /// The configuration the client was created with.
    public let configuration: RedisClusterConfiguration
    private let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    private let metricsFactory: (any MetricsFactory)?
    private let router = RedisClusterRouter()
    private let state = NIOLockedValueBox(State())
    private let refresher = Refresher()

    private struct State {
        var topology: RedisClusterTopology?
        var nodes: [RedisClusterNodeAddress: RedisClient] = [:]
        var refreshRequested = false
        var isShutDown = false
    }

    /// A client for the cluster `configuration` points at. Nothing connects until the first
    /// command or `run()`.
    public init(configuration: RedisClusterConfiguration,
                eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "roost.client.cluster"),
                metricsFactory: (any MetricsFactory)? = nil) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.metricsFactory = metricsFactory
    }

    /// A client for the cluster reachable through the node `urls` (see
    /// `RedisClusterConfiguration.init(urls:)`).
    /// - Throws: `RedisClientError` `.invalidURL`.
    public convenience init(urls: [String],
                            eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                            logger: Logger = Logger(label: "roost.client.cluster")) throws {
        self.init(configuration: try RedisClusterConfiguration(urls: urls), eventLoopGroup: eventLoopGroup, logger: logger)
    }

    // MARK: Service

    /// Maintains the node pools and refreshes the topology when asked to (after `MOVED`) and
    /// periodically, until cancelled or a graceful shutdown; then closes every connection.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var lastMaintenance = ContinuousClock.now
            var lastPeriodicRefresh = ContinuousClock.now
            while !Task.isCancelled {
                let now = ContinuousClock.now
                if now - lastMaintenance >= .seconds(1) {
                    lastMaintenance = now
                    for client in self.state.withLockedValue({ Array($0.nodes.values) }) {
                        await client.maintain()
                    }
                }
                let requested = self.state.withLockedValue { $0.refreshRequested }
                if requested || now - lastPeriodicRefresh >= self.configuration.periodicRefreshInterval {
                    lastPeriodicRefresh = now
                    do {
                        try await self.refreshTopology(force: !requested)
                    } catch {
                        self.logger.warning("cluster topology refresh failed", metadata: ["error": "\(error)"])
                    }
                }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        await shutdown()
    }

    /// Closes every node's pool now (what `run()` does when it ends). Later commands fail with
    /// `RedisClientError` `.poolClosed`.
    public func shutdown() async {
        let clients = state.withLockedValue { state -> [RedisClient] in
            state.isShutDown = true
            return Array(state.nodes.values)
        }
        for client in clients { await client.shutdown() }
    }

    // MARK: Topology

    /// The current slot map, fetched first if there is none yet.
    /// - Throws: `RedisClusterError` `.topologyUnavailable` when no node answers.
    public var topology: RedisClusterTopology {
        get async throws { try await currentTopology() }
    }

    /// Fetches the slot map again now (at most one fetch runs at a time; callers arriving
    /// meanwhile share its result).
    /// - Throws: `RedisClusterError` `.topologyUnavailable` when no node answers.
    public func refreshTopology() async throws {
        try await refreshTopology(force: true)
    }

    func currentTopology() async throws -> RedisClusterTopology {
        if let topology = state.withLockedValue({ $0.topology }) { return topology }
        try await refreshTopology(force: true)
        guard let topology = state.withLockedValue({ $0.topology }) else {
            throw RedisClusterError(.topologyUnavailable, "no cluster node answered")
        }
        return topology
    }

    /// Refreshes unless one finished less than `minimumRefreshInterval` ago (when not forced).
    func refreshTopology(force: Bool) async throws {
        let topology = try await refresher.refresh(force: force, minimumInterval: configuration.minimumRefreshInterval) {
            try await self.fetchTopology()
        }
        guard let topology else { return }
        let retired = state.withLockedValue { state -> [RedisClient] in
            state.topology = topology
            state.refreshRequested = false
            let live = Set(topology.nodes)
            let gone = state.nodes.keys.filter { !live.contains($0) }
            return gone.compactMap { state.nodes.removeValue(forKey: $0) }
        }
        for client in retired { await client.shutdown() }
    }

    /// Asks the known nodes, then the seeds, for the slot map; the first answer wins.
    private func fetchTopology() async throws -> RedisClusterTopology {
        let known = state.withLockedValue { $0.topology?.nodes ?? [] }
        var seen = Set<RedisClusterNodeAddress>()
        let candidates = (known + configuration.seeds).filter { seen.insert($0).inserted }
        var lastError: (any Error)?
        for address in candidates {
            do {
                let connection = try await RedisConnection.connect(configuration: configuration.configuration(for: address),
                                                                   eventLoopGroup: eventLoopGroup, logger: logger)
                do {
                    let topology = try await Self.readTopology(from: connection, host: address.host)
                    await connection.close()
                    guard !topology.shards.isEmpty else {
                        lastError = RedisClusterError(.topologyUnavailable, "\(address) serves no slots yet")
                        continue
                    }
                    return topology
                } catch {
                    await connection.close()
                    throw error
                }
            } catch {
                logger.debug("cannot read the cluster topology", metadata: ["node": "\(address)", "error": "\(error)"])
                lastError = error
            }
        }
        throw RedisClusterError(.topologyUnavailable, "no cluster node answered CLUSTER SHARDS (last error: \(lastError.map { "\($0)" } ?? "no nodes known"))")
    }

    /// Asks the node behind `node` (whose host is `host`) for its view of the slot map:
    /// `CLUSTER SHARDS`, or `CLUSTER SLOTS` on servers without it.
    static func readTopology(from node: some RedisCommandExecutor, host: String) async throws -> RedisClusterTopology {
        do {
            let reply = try await node.execute(RedisCommand("CLUSTER", "SHARDS"), timeout: .seconds(5))
            return try RedisClusterTopology.parse(shards: reply, fallbackHost: host)
        } catch let error as RedisServerError where error.message.contains("nknown subcommand") {
            let reply = try await node.execute(RedisCommand("CLUSTER", "SLOTS"), timeout: .seconds(5))
            return try RedisClusterTopology.parse(slots: reply, fallbackHost: host)
        }
    }

    /// Asks for a refresh, done by `run()` once the rate limit allows.
    func requestRefresh() {
        state.withLockedValue { $0.refreshRequested = true }
    }

    private func assign(_ slot: RedisHashSlot, to address: RedisClusterNodeAddress) {
        state.withLockedValue { $0.topology?.assign(slot, to: address) }
    }

    /// The pool of the node at `address`, created on first use.
    func client(for address: RedisClusterNodeAddress) throws -> RedisClient {
        try state.withLockedValue { state in
            guard !state.isShutDown else { throw RedisClientError(.poolClosed, "the client has shut down") }
            if let client = state.nodes[address] { return client }
            var logger = self.logger
            logger[metadataKey: "redis.cluster.node"] = "\(address)"
            let client = RedisClient(configuration: configuration.configuration(for: address),
                                     eventLoopGroup: eventLoopGroup, logger: logger, metricsFactory: metricsFactory)
            state.nodes[address] = client
            return client
        }
    }

    // MARK: Commands

    /// Runs `body` with a connection of its own to the master serving `key`'s slot: for
    /// `MULTI`/`EXEC` and `WATCH`, whose keys must all live in that slot. Redirections are not
    /// followed inside the block.
    @discardableResult
    public func withConnection<Result: Sendable>(
        forKey key: RedisKey, _ body: (RedisConnection) async throws -> Result
    ) async throws -> Result {
        let slot = RedisHashSlot(key: key)
        guard let master = try await currentTopology().master(for: slot) else {
            throw RedisClusterError(.topologyUnavailable, "no node serves slot \(slot)")
        }
        return try await client(for: master).withConnection(body)
    }

    /// Sends `command` to one node as it is, without routing or redirections (`CLUSTER INFO`,
    /// `INFO`, `DBSIZE` of a node…).
    public func execute(_ command: RedisCommand, on node: RedisClusterNodeAddress, timeout: Duration? = nil) async throws -> RESPValue {
        try await client(for: node).execute(command, timeout: timeout)
    }

    /// Sends `command` to the node serving its keys and returns its reply, following
    /// redirections and retrying through failovers (see the type's documentation).
    /// - Throws: `RedisServerError`; `RedisClientError` (`.crossSlot`, `.connectionClosed`,
    ///   `.timeout`…); `RedisClusterError` (`.tooManyRedirections`, `.unavailable`,
    ///   `.topologyUnavailable`).
    public func execute(_ command: RedisCommand, timeout: Duration?) async throws -> RESPValue {
        try await pipeline([command], timeout: timeout)[0].get()
    }

    /// One command of a pipeline on its way.
    private struct Pending {
        var index: Int
        var command: RedisCommand
        var route: RedisClusterRouter.Route
        /// The node an `ASK` named, for the next try only.
        var ask: RedisClusterNodeAddress?
        /// The node a `MOVED` named.
        var moved: RedisClusterNodeAddress?
        var redirections = 0
        /// Set after a replica could not be reached: read from the master.
        var avoidReplicas = false
    }

    /// Sends `commands`, each to the node serving its keys: one pipelined batch per node, the
    /// batches concurrently. Redirections and retries are handled per command; the results come
    /// back in the order of `commands`, each its command's reply or error.
    /// - Throws: only `CancellationError`, or `RedisClusterError` `.topologyUnavailable` when
    ///   no node can be asked for the slot map.
    public func pipeline(_ commands: [RedisCommand], timeout: Duration? = nil) async throws -> [Result<RESPValue, any Error>] {
        try Task.checkCancellation()
        var results = [Result<RESPValue, any Error>?](repeating: nil, count: commands.count)
        _ = try await currentTopology()
        var pending: [Pending] = []
        for (index, command) in commands.enumerated() {
            do {
                let route = try await router.route(command, needReadOnlyFlag: configuration.readFromReplicas) {
                    try await self.executeOnAnyMaster($0)
                }
                pending.append(Pending(index: index, command: command, route: route))
            } catch {
                results[index] = .failure(error)
            }
        }
        let deadline = ContinuousClock.now + configuration.retryTimeout
        var attempt = 0
        while !pending.isEmpty {
            try Task.checkCancellation()
            var batches: [RedisClusterNodeAddress: [(Pending, [RedisCommand])]] = [:]
            let topology = try await currentTopology()
            var unrouted: [Pending] = []
            for item in pending {
                if let (node, wire) = plan(item, topology) {
                    batches[node, default: []].append((item, wire))
                } else {
                    unrouted.append(item)
                }
            }
            let outcomes = await withTaskGroup(of: (RedisClusterNodeAddress, Result<[Result<RESPValue, any Error>], any Error>).self) { group in
                for (node, items) in batches {
                    group.addTask {
                        do {
                            return (node, .success(try await self.client(for: node).pipeline(items.flatMap(\.1), timeout: timeout)))
                        } catch {
                            return (node, .failure(error))
                        }
                    }
                }
                var outcomes: [(RedisClusterNodeAddress, Result<[Result<RESPValue, any Error>], any Error>)] = []
                for await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            var retry: [Pending] = []
            var backOff = false
            let expired = ContinuousClock.now >= deadline
            // No node serves the slot in the current map (a partial view): wait for a refresh.
            for item in unrouted {
                if expired {
                    results[item.index] = .failure(RedisClusterError(.topologyUnavailable,
                                                                     "no node serves slot \(item.route.slot.map { "\($0)" } ?? "-")"))
                } else {
                    backOff = true
                    retry.append(item)
                }
            }
            for (node, outcome) in outcomes {
                let items = batches[node] ?? []
                switch outcome {
                case .failure(let error):
                    // Nothing was sent: the lease (the connect) failed.
                    if Self.isUnreachable(error), !expired {
                        backOff = true
                        retry += items.map { entry, _ in
                            var item = entry
                            item.ask = nil
                            item.moved = nil
                            if let slot = item.route.slot, topology.master(for: slot) != node { item.avoidReplicas = true }
                            return item
                        }
                    } else {
                        for (item, _) in items {
                            results[item.index] = .failure(Self.isUnreachable(error)
                                ? RedisClusterError(.unavailable, "\(node) stayed unreachable: \(error)") : error)
                        }
                    }
                case .success(let replies):
                    var offset = 0
                    for (item, wire) in items {
                        offset += wire.count
                        let reply = replies[offset - 1]
                        switch handle(reply, of: item, from: node, onReplica: wire.first?.name == "READONLY", expired: expired) {
                        case .done(let result): results[item.index] = result
                        case .retry(let next): retry.append(next)
                        case .retryLater(let next):
                            backOff = true
                            retry.append(next)
                        }
                    }
                }
            }
            pending = retry
            if backOff, !pending.isEmpty {
                attempt += 1
                try await Task.sleep(for: configuration.retryBackoff.delay(afterAttempt: attempt))
                try? await refreshTopology(force: false)
            }
        }
        return results.map { $0 ?? .failure(RedisClientError(.unexpectedReply, "no reply")) }
    }

    /// The node for `item` and the commands to send there: `ASKING` before a command sent on
    /// an `ASK`, `READONLY` before a read on a replica.
    private func plan(_ item: Pending, _ topology: RedisClusterTopology) -> (RedisClusterNodeAddress, [RedisCommand])? {
        if let ask = item.ask { return (ask, [RedisCommand("ASKING"), item.command]) }
        if let moved = item.moved { return (moved, [item.command]) }
        guard let slot = item.route.slot else {
            let masters = topology.masters
            guard let master = masters.randomElement() else { return nil }
            return (master, [item.command])
        }
        guard let master = topology.master(for: slot) else { return nil }
        if configuration.readFromReplicas, item.route.readOnly, !item.avoidReplicas,
           let replica = topology.replicas(for: slot).randomElement() {
            return (replica, [RedisCommand("READONLY"), item.command])
        }
        return (master, [item.command])
    }

    private enum Disposition {
        case done(Result<RESPValue, any Error>)
        case retry(Pending)
        case retryLater(Pending)
    }

    /// What to do with one reply: deliver it, follow a redirection, or retry after a backoff.
    private func handle(_ reply: Result<RESPValue, any Error>, of item: Pending, from node: RedisClusterNodeAddress,
                        onReplica: Bool, expired: Bool) -> Disposition {
        guard case .failure(let error) = reply else { return .done(reply) }
        if let serverError = error as? RedisServerError {
            if let redirection = RedisClusterRedirection(serverError, fallbackHost: node.host) {
                var next = item
                next.redirections += 1
                guard next.redirections <= configuration.maximumRedirections else {
                    return .done(.failure(RedisClusterError(.tooManyRedirections,
                        "\(item.command.name) was redirected more than \(configuration.maximumRedirections) times (last: \(serverError.message))")))
                }
                switch redirection {
                case .moved(let slot, let address):
                    assign(slot, to: address)
                    requestRefresh()
                    next.moved = address
                    next.ask = nil
                case .ask(_, let address):
                    next.ask = address
                    next.moved = nil
                }
                return .retry(next)
            }
            if let crossSlot = Self.crossSlotError(serverError) { return .done(.failure(crossSlot)) }
            switch serverError.prefix {
            case "LOADING" where onReplica:
                // A replica still loading its data: read from the master instead.
                var next = item
                next.avoidReplicas = true
                return .retry(next)
            case "CLUSTERDOWN", "TRYAGAIN", "MASTERDOWN", "LOADING":
                guard !expired else {
                    return .done(.failure(RedisClusterError(.unavailable, "the cluster kept answering: \(serverError.message)")))
                }
                var next = item
                next.ask = nil
                next.moved = nil
                return .retryLater(next)
            default:
                return .done(reply)
            }
        }
        if let clientError = error as? RedisClientError, clientError.code == .connectionClosed {
            requestRefresh()
        }
        return .done(reply)
    }

    /// The server's `CROSSSLOT` error as the client's typed `.crossSlot` error; nil for others.
    static func crossSlotError(_ error: RedisServerError) -> RedisClientError? {
        error.prefix == "CROSSSLOT" ? RedisClientError(.crossSlot, error.message) : nil
    }

    /// Whether `error` means the node could not be reached (so nothing was sent).
    static func isUnreachable(_ error: any Error) -> Bool {
        guard let error = error as? RedisClientError else { return false }
        return error.code == .connectFailed
    }

    /// Sends a keyless command to any master, retrying on another after a connect failure.
    private func executeOnAnyMaster(_ command: RedisCommand) async throws -> RESPValue {
        let masters = try await currentTopology().masters.shuffled()
        var lastError: (any Error)?
        for master in masters {
            do {
                return try await client(for: master).execute(command, timeout: nil)
            } catch let error where Self.isUnreachable(error) {
                lastError = error
            }
        }
        throw lastError ?? RedisClusterError(.topologyUnavailable, "no master known")
    }
}

/// Runs one topology fetch at a time and rate-limits them.
private actor Refresher {
    private var inFlight: Task<RedisClusterTopology, any Error>?
    private var lastFinished: ContinuousClock.Instant?

    /// The fetched topology, or nil when not forced and the last fetch finished less than
    /// `minimumInterval` ago. Callers arriving during a fetch share it.
    func refresh(force: Bool, minimumInterval: Duration,
                 fetch: @escaping @Sendable () async throws -> RedisClusterTopology) async throws -> RedisClusterTopology? {
        if let inFlight { return try await inFlight.value }
        if !force, let lastFinished, ContinuousClock.now - lastFinished < minimumInterval { return nil }
        let task = Task { try await fetch() }
        inFlight = task
        defer {
            inFlight = nil
            lastFinished = .now
        }
        return try await task.value
    }
}
