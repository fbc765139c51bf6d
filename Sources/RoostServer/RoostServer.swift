import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RoostEngine
import RoostRESP
import ServiceLifecycle

/// State the listeners and connections share: the open connections, and the limits they read.
final class ServerState: Sendable {
    static let protectedModeMessage =
        "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."

    private let connections = NIOLockedValueBox<[ObjectIdentifier: ConnectionHandler]>([:])
    private let limit = NIOLockedValueBox(1024 * 1024 * 1024)
    /// Where connections report clients dropped for their buffers.
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    var queryBufferLimit: Int { limit.withLockedValue { $0 } }
    func setQueryBufferLimit(_ value: Int) { limit.withLockedValue { $0 = value } }

    func register(_ handler: ConnectionHandler) {
        connections.withLockedValue { $0[ObjectIdentifier(handler)] = handler }
    }

    func unregister(_ handler: ConnectionHandler) {
        _ = connections.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(handler)) }
    }

    func closeAll() {
        for handler in connections.withLockedValue({ Array($0.values) }) { handler.close() }
    }
}

/// Roost's Redis-compatible server: TCP and unix-socket listeners in front of an `Engine`.
///
/// Start one in-process with `start()` (port 0 picks a free port; read it from `port`), or run it
/// as a ServiceLifecycle `Service`. Commands from every connection run serially on the engine.
public final class RoostServer: Service, Sendable {
    /// The engine the server serves.
    public let engine: Engine
    private let group: MultiThreadedEventLoopGroup
    private let ownsGroup: Bool
    private let logger: Logger
    private let state: ServerState
    private let channels = NIOLockedValueBox<[Channel]>([])
    /// The next background cycle, and whether the server has stopped scheduling them.
    private let timer = NIOLockedValueBox<(next: Scheduled<Void>?, stopped: Bool)>((nil, false))
    private let stopped: EventLoopPromise<Void>
    private let boundPort = NIOLockedValueBox(0)
    private let stopping = NIOLockedValueBox(false)
    /// When the background cycle last started an `everysec` fsync, Unix milliseconds.
    private let lastFsync = NIOLockedValueBox<Int64>(0)

    /// Creates a server. It listens once `start()` or `run()` is called.
    /// - Parameters:
    ///   - configuration: engine and listener parameters (`port`, `bind`, `unixSocket`…).
    ///   - eventLoopThreads: I/O threads; 1 matches Redis's single-threaded model.
    public init(configuration: EngineConfiguration = EngineConfiguration(), eventLoopThreads: Int = 1,
                logger: Logger = Logger(label: "roost.server")) {
        self.engine = Engine(configuration: configuration)
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: eventLoopThreads)
        self.ownsGroup = true
        self.logger = logger
        self.state = ServerState(logger: logger)
        self.stopped = group.next().makePromise()
        state.setQueryBufferLimit(configuration.clientQueryBufferLimit)
        engine.log = { level, message in
            switch level {
            case .debug: logger.debug("\(message)")
            case .verbose: logger.info("\(message)")
            case .notice: logger.notice("\(message)")
            case .warning: logger.warning("\(message)")
            }
        }
    }

    /// The TCP port the server listens on (useful after binding port 0).
    public var port: Int { boundPort.withLockedValue { $0 } }

    /// Loads `dir/dbfilename` when it exists, then binds every configured listener. Returns
    /// once the server accepts connections.
    /// - Throws: when the RDB file cannot be read or is bad (`RDBFileError`, `RDBLoadError`),
    ///   when no TCP address could be bound, or the unix socket could not be.
    public func start() async throws {
        do {
            if engine.withLock({ engine.configuration.appendOnly }) {
                for line in try engine.openAppendOnlyFileAtStart() { logger.notice("\(line)") }
            } else if try engine.loadRDBFileIfPresent() {
                logger.info("DB loaded from disk", metadata: ["path": "\(engine.withLock { engine.rdbPath })"])
            }
        } catch {
            logger.error("Fatal error loading the DB, exiting", metadata: ["error": "\(error)"])
            // Nothing was bound: stopping only releases the event loops.
            try? await stop()
            throw error
        }
        let configuration = engine.withLock { engine.configuration }
        let limits = RESPRequestParser.Limits(maxBulkLength: configuration.protoMaxBulkLength)
        let sharedEngine = self.engine
        let state = self.state
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 511)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            // Reads of 16 KB first, as Redis reads: the output one read's commands produce is
            // what client-output-buffer-limit and the unauthenticated cap are checked against.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 16384, maximum: 65536))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ConnectionHandler(engine: sharedEngine, server: state, limits: limits))
                }
            }
        var bound: [Channel] = []
        var port = configuration.port
        for address in configuration.bind {
            let optional = address.hasPrefix("-")
            let host = optional ? String(address.dropFirst()) : address
            do {
                let channel = try await bootstrap.bind(host: host, port: port).get()
                if port == 0, let p = channel.localAddress?.port { port = p }
                bound.append(channel)
            } catch {
                if !optional {
                    for c in bound { try? await c.close() }
                    throw error
                }
                logger.debug("optional bind failed", metadata: ["address": "\(host)", "error": "\(error)"])
            }
        }
        if !configuration.unixSocket.isEmpty {
            let channel: Channel
            do {
                channel = try await bootstrap.bind(unixDomainSocketPath: configuration.unixSocket, cleanupExistingSocketFile: true).get()
            } catch {
                for c in bound { try? await c.close() }
                throw error
            }
            if configuration.unixSocketPermissions != 0 {
                _ = chmod(configuration.unixSocket, mode_t(configuration.unixSocketPermissions))
            }
            bound.append(channel)
        }
        if bound.isEmpty { throw RoostServerError.noListener }
        channels.withLockedValue { $0 = bound }
        boundPort.withLockedValue { $0 = port }
        engine.withLock { engine.configuration.port = port }
        engine.shutdownHandler = { [weak self] in
            guard let self else { return }
            self.group.next().execute { self.stopListening() }
        }
        scheduleBackgroundCycle(hz: configuration.hz)
        logger.info("Roost ready to accept connections", metadata: ["port": "\(port)"])
    }

    /// Waits until the server stops (SHUTDOWN, `stop()`, or graceful shutdown of the service group).
    public func run() async throws {
        if port == 0 && channels.withLockedValue({ $0.isEmpty }) { try await start() }
        let future = stopped.futureResult
        try await withGracefulShutdownHandler {
            try await future.get()
        } onGracefulShutdown: {
            // SIGTERM/SIGINT: save first when save points are set, as Redis does.
            do {
                if try self.engine.withLock({ try self.engine.saveBeforeShutdown() }) {
                    self.logger.info("DB saved on disk")
                }
            } catch {
                self.logger.error("Error trying to save the DB", metadata: ["error": "\(error)"])
            }
            self.stopListening()
        }
        try await shutdownGroup()
    }

    /// Stops listening, closes every connection and releases the event loops.
    public func stop() async throws {
        stopListening()
        try await stopped.futureResult.get()
        try await shutdownGroup()
    }

    private func shutdownGroup() async throws {
        if ownsGroup { try await group.shutdownGracefully() }
    }

    private func stopListening() {
        let first = stopping.withLockedValue { wasStopping in defer { wasStopping = true }; return !wasStopping }
        guard first else { return }
        timer.withLockedValue { $0.next?.cancel(); $0 = (nil, true) }
        // A busy script stops at its next turn, so its fiber is not left suspended.
        engine.withLock {
            engine.abortBusyScript()
            // As Redis at shutdown: a running rewrite is killed, the log as it is stays valid.
            engine.killAppendOnlyRewrite()
            engine.syncAppendOnlyFile()
        }
        let listeners = channels.withLockedValue { c in defer { c = [] }; return c }
        let closes = listeners.map { $0.close() }
        state.closeAll()
        let configuration = engine.withLock { engine.configuration }
        EventLoopFuture.andAllComplete(closes, on: group.next()).whenComplete { _ in
            if !configuration.unixSocket.isEmpty { _ = unlink(configuration.unixSocket) }
            self.stopped.succeed(())
        }
    }

    /// Runs the background cycle after one period at `hz` (clamped to 1…500 as Redis does), then
    /// again at whatever `hz` is then, so that CONFIG SET hz takes effect at the next cycle.
    private func scheduleBackgroundCycle(hz: Int) {
        let period = Int64(1000 / max(1, min(500, hz)))
        timer.withLockedValue { timer in
            guard !timer.stopped else { return }
            timer.next = group.next().scheduleTask(in: .milliseconds(period)) {
                let hz = self.backgroundCycle()
                self.scheduleBackgroundCycle(hz: hz)
            }
        }
    }

    /// Active expiry, save points and idle-client reaping, `hz` times a second. Returns the current `hz`.
    private func backgroundCycle() -> Int {
        let now = Engine.clock()
        let lastFsync = self.lastFsync.withLockedValue { $0 }
        let (deliveries, idle, hz, fsyncDue): ([ConnectionHandler.Delivery], [any ClientConnection], Int, AppendOnlyFile?) = engine.withLock {
            engine.activeExpireCycle()
            engine.persistenceCron()
            engine.closeIdleMigrationConnections()
            let fsyncDue = engine.appendOnlyCron(now: now, lastFsync: lastFsync)
            engine.expireBlockedClients(now: Engine.clock())
            engine.infoCron(hz: engine.configuration.hz)
            state.setQueryBufferLimit(engine.configuration.clientQueryBufferLimit)
            // `timeout`: close clients idle longer than that, but never subscribers (Redis spares
            // pub/sub clients, which legitimately wait for messages).
            var idle: [any ClientConnection] = []
            let timeout = Int64(engine.configuration.idleTimeout) * 1000
            if timeout > 0 {
                for client in engine.clients.values
                where !client.isSubscribed && client.blocked == nil && engine.now - client.lastInteraction > timeout {
                    if let connection = client.connection { idle.append(connection) }
                }
            }
            return (ConnectionHandler.takeDeliveries(from: engine), idle, engine.configuration.hz, fsyncDue)
        }
        if let fsyncDue {
            // appendfsync everysec: the fsync runs off the event loop, one at a time.
            self.lastFsync.withLockedValue { $0 = now }
            NIOThreadPool.singleton.submit { _ in fsyncDue.backgroundSync() }
        }
        ConnectionHandler.send(deliveries)
        for connection in idle { connection.close() }
        return hz
    }
}

/// Errors from starting the server.
public struct RoostServerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    static let noListener = RoostServerError(description: "no address could be bound")
}

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
