import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Counters INFO reports.
public struct EngineStatistics: Sendable {
    public var commandsProcessed: Int64 = 0
    public var connectionsReceived: Int64 = 0
    public var rejectedConnections: Int64 = 0
    public var expiredKeys: Int64 = 0
    public var keyspaceHits: Int64 = 0
    public var keyspaceMisses: Int64 = 0
    public var pubsubChannelsDelivered: Int64 = 0
    public var netInputBytes: Int64 = 0
    public var netOutputBytes: Int64 = 0
    public var errorReplies: Int64 = 0
    /// Keys deleted to get under `maxmemory`.
    public var evictedKeys: Int64 = 0
    /// Milliseconds used memory spent over `maxmemory`, for periods that have ended.
    public var totalEvictionExceededTime: Int64 = 0
    /// Clients dropped past `client-query-buffer-limit` (Redis 7.4's INFO name).
    public var clientQueryBufferLimitDisconnections: Int64 = 0
    /// Clients dropped past `client-output-buffer-limit` (Redis 7.4's INFO name).
    public var clientOutputBufferLimitDisconnections: Int64 = 0
    /// RDB files written (SAVE, DEBUG RELOAD, SHUTDOWN SAVE).
    public var rdbSaves: Int64 = 0
    /// Keys the last RDB load stored, and those it dropped as already expired.
    public var rdbLastLoadKeysLoaded: Int64 = 0
    public var rdbLastLoadKeysExpired: Int64 = 0
    /// Per-command figures (INFO commandstats), by command spec.
    public var commands: [ObjectIdentifier: CommandCounters] = [:]
    /// Error replies by kind (INFO errorstats): `ERR`, `WRONGTYPE`…, as the raw bytes of the
    /// error's first word.
    public var errorsByKind: [[UInt8]: Int64] = [:]
    /// Reads from client sockets and replies written to them (INFO's `total_reads_processed`,
    /// `total_writes_processed`).
    public var readsProcessed: Int64 = 0
    public var writesProcessed: Int64 = 0
    /// The active expiry cycle's figures: the running share of expired keys among those sampled
    /// (0…1), the cycles cut short by their time budget, and their total duration.
    public var expiredStaleShare: Double = 0
    public var expiredTimeCapReached: Int64 = 0
    public var expireCycleMicroseconds: Int64 = 0
    /// Error replies to commands replayed from the append-only file.
    public var unexpectedErrorReplies: Int64 = 0
    /// INFO's `instantaneous_*` samples (Engine+InfoSampling.swift).
    public var instantaneous = InstantaneousMetrics()
}

/// The Redis-compatible engine: databases, clients and command execution. It opens no sockets.
///
/// Commands run one at a time, as in Redis. Callers take `lock` once per batch of commands (see
/// `withLock`) and run every command of the batch inside it; that serial execution is what makes
/// MULTI/EXEC, scripts and blocking hand-offs atomic.
// @unchecked: every mutable property is only touched while `lock` is held.
// `@exclusivity(unchecked)` on the stored properties of the engine's hot classes (Engine,
// Database, Client, ReplyWriter, the value classes, the server's ConnectionHandler): they are
// used by one thread at a time, and the runtime's dynamic exclusivity checks cost about 20% of
// pipelined SET throughput (BENCHMARKS.md, "Exclusivity checks").
public final class Engine: @unchecked Sendable {
    private let lock = NIOLock()
    /// The parameters in force.
    @exclusivity(unchecked) public var configuration: EngineConfiguration
    /// The numbered databases.
    @exclusivity(unchecked) public private(set) var databases: [Database]
    /// The command table.
    public let commandTable: CommandTable
    /// Statistics for INFO.
    @exclusivity(unchecked) public var statistics = EngineStatistics()
    /// SLOWLOG's entries.
    @exclusivity(unchecked) var slowLog = SlowLog()
    /// LATENCY's events (Engine+Latency.swift).
    @exclusivity(unchecked) var latencyMonitor = LatencyMonitor()
    /// The error count when the last command finished (Redis's `prev_err_count`).
    @exclusivity(unchecked) var errorsBeforeLastCall: Int64 = 0
    /// Connected clients by id.
    @exclusivity(unchecked) public private(set) var clients: [Int64: Client] = [:]
    /// Start time, Unix milliseconds.
    public let startTime: Int64
    /// The replication ID INFO reports: 40 random hex digits, new at every start (and at DEBUG
    /// CHANGE-REPL-ID), as Redis's.
    @exclusivity(unchecked) public internal(set) var replicationID: String
    /// The time of the command being run, Unix milliseconds. Fixed for the length of a command
    /// (EXEC included), as Redis fixes it.
    @exclusivity(unchecked) public internal(set) var now: Int64
    /// Unix time of the last successful save (LASTSAVE).
    @exclusivity(unchecked) public var lastSave: Int64
    /// Running point-in-time snapshots (BGSAVE, AOF rewrites), told of every change before it
    /// happens (Engine+Snapshots.swift).
    @exclusivity(unchecked) var snapshots: [RDBSnapshot] = []
    /// Changes since the last save, the running BGSAVE and its last outcome.
    @exclusivity(unchecked) var saveState = RDBSaveState()
    /// Clients that received output from another client's command, to flush after the batch.
    @exclusivity(unchecked) var clientsWithDeliveries: [Client] = []
    /// Called when SHUTDOWN is accepted; the server stops its listeners.
    @exclusivity(unchecked) public var shutdownHandler: (@Sendable () -> Void)?
    /// This build's version, reported as `roost_version` in INFO.
    public static let version = "0.1.0"
    /// The Redis version Roost claims compatibility with, reported as `redis_version`.
    public static let redisVersion = "7.0.15"

    /// Clients watching each key, for WATCH.
    @exclusivity(unchecked) var watchers: [WatchedKey: [Client]] = [:]

    // MARK: Pub/sub state (owned by Commands/PubSub.swift)
    /// Subscribers of each channel, in subscription order.
    @exclusivity(unchecked) var channelSubscribers: [ByteString: [Client]] = [:]
    /// Subscribers of each pattern, in subscription order.
    @exclusivity(unchecked) var patternSubscribers: [ByteString: [Client]] = [:]
    /// Subscribers of each shard channel (SSUBSCRIBE), in subscription order.
    @exclusivity(unchecked) var shardChannelSubscribers: [ByteString: [Client]] = [:]
    // MARK: End of pub/sub state

    /// Wait queues of blocked clients and keys made ready (owned by Engine+Blocking.swift).
    @exclusivity(unchecked) var blocking = BlockingRegistry()

    /// The Lua interpreter and script cache (owned by Scripting/), created by the first EVAL or
    /// SCRIPT LOAD and dropped by SCRIPT FLUSH.
    @exclusivity(unchecked) var scripting: LuaScripting?
    /// The function libraries' Lua state (FUNCTION LOAD, FCALL), kept apart from EVAL's.
    @exclusivity(unchecked) var functionScripting: LuaScripting?
    /// The stack scripts run on; created with the first script.
    @exclusivity(unchecked) var scriptFiber: ScriptFiber?
    /// The script past busy-reply-threshold, while other clients get BUSY.
    @exclusivity(unchecked) var busyScript: ScriptRun?
    /// Whether the background cycle expires keys (DEBUG SET-ACTIVE-EXPIRE).
    @exclusivity(unchecked) var activeExpireEnabled = true
    /// Where the engine's log lines go (DEBUG LOG, DEBUG CHANGE-REPL-ID, Lua's `redis.log`): the
    /// server's log. Nil drops them.
    @exclusivity(unchecked) public var log: (@Sendable (LogLevel, String) -> Void)?
    /// The state of scripts' `math.random`, which like Redis's survives SCRIPT FLUSH.
    @exclusivity(unchecked) var scriptRandomState = LuaRandom.initialState

    // MARK: Memory accounting and eviction (owned by Engine+Memory.swift, Engine+Eviction.swift)
    /// Keys looked up for writing (or stored as collections) by the running command, with the
    /// bytes charged for them: they are re-charged once the command ends.
    @exclusivity(unchecked) var pendingCharges: [PendingCharge] = []
    /// The key tables' and the keys' bytes in every database, as of the last write: reading
    /// `used_memory` before a read-only command costs no pass over the databases.
    @exclusivity(unchecked) var keyspaceMemory = 0
    /// Set by every change to the keyspace (stores, deletions, write commands such as FLUSHDB).
    @exclusivity(unchecked) var keyspaceMemoryStale = true
    /// The highest `used_memory` seen.
    @exclusivity(unchecked) var peakMemory = 0
    /// Eviction candidates kept across evictions, as Redis's `EvictionPoolLRU`.
    @exclusivity(unchecked) var evictionPool = EvictionPool()
    /// Since when used memory has been over `maxmemory` (`Engine.clock()`), or nil.
    @exclusivity(unchecked) var evictionExceededSince: Int64?
    /// Redis's `pre_command_oom_state`: whether the running EXEC or script started out of memory.
    @exclusivity(unchecked) var commandStartedOutOfMemory = false
    /// Whether the running script has called a write command (Redis's `SCRIPT_WRITE_DIRTY`).
    @exclusivity(unchecked) var scriptHasWritten = false
    /// Whether the command being called is flagged `write`: its collection reads are charged
    /// again when it ends.
    @exclusivity(unchecked) var runningWriteCommand = false
    /// The generator behind LFU increments and eviction sampling.
    @exclusivity(unchecked) var lfuRandom = SplitMix64(seed: UInt64.random(in: .min ... .max))
    // MARK: End of memory state

    /// CLIENT PAUSE in force, if any, and the clients it holds back (Engine+ClientPause.swift).
    @exclusivity(unchecked) var clientPause: ClientPause?
    @exclusivity(unchecked) var postponedClients: [Client] = []
    /// Clients that sent MONITOR (Engine+Monitor.swift).
    @exclusivity(unchecked) var monitors: [Client] = []
    /// Client-side caching's key table and BCAST prefixes (Engine+Tracking.swift).
    @exclusivity(unchecked) var tracking = TrackingState()
    /// Users and the ACL LOG (owned by ACL/).
    @exclusivity(unchecked) var acl: AccessControl
    /// MIGRATE's connections to its targets (owned by Commands/Migrate.swift).
    @exclusivity(unchecked) var migrationConnections = MigrationConnectionCache()
    /// INFO's `run_id`: 40 random hex digits, new at every start.
    public let runID = Engine.newRunID()
    /// The clients' largest recent buffers (Engine+InfoSampling.swift).
    @exclusivity(unchecked) var recentClientBuffers = RecentClientBuffers()

    /// The append-only file's state (owned by Engine+AppendOnly.swift).
    @exclusivity(unchecked) var aof = AppendOnlyState()

    @exclusivity(unchecked) private var nextClientID: Int64 = 1
    @exclusivity(unchecked) var random = SystemRandomNumberGenerator()

    public init(configuration: EngineConfiguration = EngineConfiguration(), commandTable: CommandTable = .standard) {
        self.configuration = configuration
        self.commandTable = commandTable
        self.databases = (0..<configuration.databases).map { Database(index: $0) }
        let t = Engine.clock()
        self.startTime = t
        var random = SystemRandomNumberGenerator()
        self.replicationID = Engine.randomReplicationID(using: &random)
        self.now = t
        self.lastSave = t / 1000
        self.acl = AccessControl(requirePass: configuration.requirePass, table: commandTable)
        if !configuration.aclFile.isEmpty { _ = try? loadACLFile() } else { applyUserDirectives() }
    }

    /// Runs `body` with exclusive access to the engine. Take it once per batch of commands.
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        try lock.withLock(body)
    }

    /// Wall-clock Unix time in milliseconds.
    public static func clock() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// Wall-clock Unix time in microseconds.
    public static func clockMicroseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }

    /// The LRU clock Redis keeps per object: seconds, 24 bits wide.
    var accessClock: UInt32 { UInt32(truncatingIfNeeded: (now / 1000) & 0xFF_FFFF) }

    // MARK: Clients

    /// Registers a new client. Call with the lock held.
    public func makeClient(address: String = "", localAddress: String = "", fileDescriptor: Int = -1) -> Client {
        let id = nextClientID
        nextClientID += 1
        now = Engine.clock()
        let client = Client(
            id: id, database: databases[0], authenticated: defaultUserOpen, now: now,
            address: address, localAddress: localAddress, fileDescriptor: fileDescriptor)
        client.user = acl.defaultUser
        clients[id] = client
        statistics.connectionsReceived += 1
        return client
    }

    /// Forgets a client whose connection closed: its subscriptions, watches and any wait.
    /// Call with the lock held.
    public func removeClient(_ client: Client) {
        guard clients.removeValue(forKey: client.id) != nil else { return }
        clientRemovalHooks(client)
    }

    /// Family-specific cleanup when a client goes away.
    func clientRemovalHooks(_ client: Client) {
        PubSubCommands.unsubscribeAll(engine: self, client: client)
        TransactionCommands.unwatchAll(engine: self, client: client)
        removeMonitor(client)
        removeBlockedClient(client)
        if client.tracking != nil { disableTracking(client) }
    }

    /// Output written to other clients during the last batch; the caller sends each buffer on its
    /// client's connection. Call with the lock held.
    public func takeDeliveries() -> [(Client, ByteBuffer)] {
        if tracking.broadcastPending { broadcastInvalidations() }
        if clientsWithDeliveries.isEmpty { return [] }
        let out = clientsWithDeliveries.map { ($0, $0.reply.take()) }
        clientsWithDeliveries.removeAll(keepingCapacity: true)
        return out
    }

    /// Marks `client` as having output to deliver outside its own batch.
    func scheduleDelivery(to client: Client) {
        if !clientsWithDeliveries.contains(where: { $0 === client }) { clientsWithDeliveries.append(client) }
    }

    // MARK: Databases

    /// Swaps the contents of two databases (SWAPDB). Clients keep their selected index and see
    /// the other database's keys, as in Redis.
    func swapDatabases(_ a: Int, _ b: Int) {
        let x = databases[a], y = databases[b]
        for snapshot in snapshots { snapshot.databasesSwapped(x, y) }
        swap(&x.keys, &y.keys)
        swap(&x.expires, &y.expires)
        swap(&x.expiryCursor, &y.expiryCursor)
        swap(&x.chargedBytes, &y.chargedBytes)
    }
}

extension Engine {
    /// The levels of Redis's log, as `redis.log` numbers them (LOG_DEBUG … LOG_WARNING).
    public enum LogLevel: Int, Sendable {
        case debug, verbose, notice, warning
    }
}
