import Logging
import NIOCore
import NIOPosix
import NIOSSL
import RoostRESP

/// One connection to a server: many requests may be in flight at once (pipelining), and replies
/// are matched to requests in order.
///
/// A request that is cancelled or times out fails alone: its reply is read and discarded when it
/// arrives and the other requests complete normally. If the connection drops, every request
/// still waiting fails with `RedisClientError.connectionClosed`; nothing is retried silently.
public final class RedisConnection: Sendable {
    /// The underlying channel.
    let channel: any Channel
    private let handler: NIOLoopBound<RedisChannelHandler>
    private let shared: RedisConnectionSharedState
    let metrics: RedisClientMetrics?
    /// The RESP version agreed with the server (2 or 3).
    public let protocolVersion: Int
    /// The default per-request timeout.
    let commandTimeout: Duration?
    let logger: Logger

    private init(channel: any Channel, handler: NIOLoopBound<RedisChannelHandler>, shared: RedisConnectionSharedState,
                 protocolVersion: Int, commandTimeout: Duration?, logger: Logger, metrics: RedisClientMetrics?) {
        self.metrics = metrics
        self.channel = channel
        self.handler = handler
        self.shared = shared
        self.protocolVersion = protocolVersion
        self.commandTimeout = commandTimeout
        self.logger = logger
    }

    /// Whether the connection is still open.
    public var isActive: Bool { channel.isActive }

    /// Connects to `configuration.endpoint` once (no retries), then runs the handshake:
    /// `HELLO 3 [AUTH user pass] [SETNAME name]`, or when the server rejects `HELLO`, RESP2's
    /// `AUTH` and `CLIENT SETNAME`; then `SELECT` when a database other than 0 is configured.
    /// - Throws: `RedisClientError` (`.connectFailed`, `.unsupported`), or `RedisServerError` when
    ///   the server refuses the credentials or the database.
    public static func connect(configuration: RedisClientConfiguration,
                               eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                               logger: Logger = Logger(label: "roost.client")) async throws -> RedisConnection {
        try await connect(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger, metrics: nil)
    }

    static func connect(configuration: RedisClientConfiguration, eventLoopGroup: any EventLoopGroup,
                        logger: Logger, metrics: RedisClientMetrics?) async throws -> RedisConnection {
        var logger = logger
        logger[metadataKey: "redis.endpoint"] = "\(configuration.endpoint)"
        let sslContext: NIOSSLContext?
        if let tls = configuration.tls {
            var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
            if let roots = tls.trustRootsPath { tlsConfiguration.trustRoots = .file(roots) }
            if !tls.verifyCertificate { tlsConfiguration.certificateVerification = .none }
            sslContext = try NIOSSLContext(configuration: tlsConfiguration)
        } else {
            sslContext = nil
        }
        let serverHostname: String?
        switch configuration.endpoint {
        case .tcp(let host, _): serverHostname = configuration.tls?.serverHostname ?? host
        case .unix: serverHostname = configuration.tls?.serverHostname
        }
        // The handler is made on the loop the channel will use, so no pipeline lookup is needed
        // later (a lookup fails once a TLS handshake error has torn the pipeline down).
        let eventLoop = eventLoopGroup.next()
        let handlerLogger = logger
        let (handler, shared) = try await eventLoop.submit {
            let handler = RedisChannelHandler(logger: handlerLogger)
            return (NIOLoopBound(handler, eventLoop: eventLoop), handler.shared)
        }.get()
        let nanos = configuration.connectTimeout.components.seconds * 1_000_000_000
            + configuration.connectTimeout.components.attoseconds / 1_000_000_000
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(.nanoseconds(nanos))
            .channelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        // SNI takes a name, never an IP address.
                        let sni = serverHostname.flatMap { $0.first?.isNumber == true || $0.contains(":") ? nil : $0 }
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: sslContext, serverHostname: sni))
                    }
                    try channel.pipeline.syncOperations.addHandler(handler.value)
                }
            }
        let channel: any Channel
        do {
            switch configuration.endpoint {
            case let .tcp(host, port):
                channel = try await bootstrap.connect(host: host, port: port).get()
            case let .unix(path):
                channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
            }
        } catch {
            throw RedisClientError(.connectFailed, "cannot connect to \(configuration.endpoint): \(error)")
        }
        var connection = RedisConnection(channel: channel, handler: handler, shared: shared, protocolVersion: 2,
                                         commandTimeout: configuration.commandTimeout, logger: logger, metrics: metrics)
        do {
            let version = try await connection.handshake(configuration)
            if version == 3 {
                eventLoop.execute { handler.value.isRESP3 = true }
                connection = RedisConnection(channel: channel, handler: handler, shared: shared, protocolVersion: 3,
                                             commandTimeout: configuration.commandTimeout, logger: logger, metrics: metrics)
            }
            if configuration.database != 0 {
                _ = try await connection.execute(RedisCommand("SELECT", configuration.database))
            }
        } catch {
            try? await channel.close()
            throw error
        }
        logger.debug("connected", metadata: ["resp": "\(connection.protocolVersion)"])
        return connection
    }

    /// `connect`, retried after connect failures with `configuration.reconnect`'s backoff.
    /// - Throws: the last `.connectFailed` once the attempts ran out, any other connect error at
    ///   once; `CancellationError` when cancelled during a backoff.
    static func connectRetrying(configuration: RedisClientConfiguration, eventLoopGroup: any EventLoopGroup,
                                logger: Logger, metrics: RedisClientMetrics?) async throws -> RedisConnection {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await connect(configuration: configuration, eventLoopGroup: eventLoopGroup,
                                         logger: logger, metrics: metrics)
            } catch let error as RedisClientError where error.code == .connectFailed {
                metrics?.connectFailures.increment()
                guard attempt < max(configuration.reconnect.maximumAttempts, 1) else { throw error }
                let delay = configuration.reconnect.delay(afterAttempt: attempt)
                logger.debug("connect failed, retrying", metadata: ["attempt": "\(attempt)", "delay": "\(delay)"])
                try await Task.sleep(for: delay)
            }
        }
    }

    /// Returns the RESP version in use.
    private func handshake(_ configuration: RedisClientConfiguration) async throws -> Int {
        if configuration.protocolPreference == .resp3 {
            var hello: [any RedisArgumentConvertible] = [3]
            if let password = configuration.password {
                hello += ["AUTH", configuration.username ?? "default", password]
            }
            if let name = configuration.clientName { hello += ["SETNAME", name] }
            do {
                _ = try await execute(RedisCommand("HELLO", hello.map(\.redisArgument)))
                return 3
            } catch let error as RedisServerError
                        where error.prefix == "NOPROTO" || error.message.lowercased().contains("unknown command") {
                logger.debug("HELLO 3 refused, using RESP2", metadata: ["error": "\(error)"])
            }
        }
        if let password = configuration.password {
            if let username = configuration.username {
                _ = try await execute(RedisCommand("AUTH", username, password))
            } else {
                _ = try await execute(RedisCommand("AUTH", password))
            }
        }
        if let name = configuration.clientName {
            _ = try await execute(RedisCommand("CLIENT", "SETNAME", name))
        }
        return 2
    }

    /// Sends `command` and returns its reply.
    /// - Parameter timeout: overrides the configured per-request timeout; `nil` uses it.
    /// - Throws: `RedisServerError` for an error reply; `RedisClientError` with `.timeout`,
    ///   `.connectionClosed` or `.cancelled`; `CancellationError` if the task was already
    ///   cancelled (then nothing is sent).
    public func execute(_ command: RedisCommand, timeout: Duration? = nil) async throws -> RESPValue {
        try await pipeline([command], timeout: timeout)[0].get()
    }

    /// Sends all `commands` in one write and returns each one's reply or error, in order.
    /// Error replies are returned as `.failure(RedisServerError)`; they do not fail the others.
    /// - Throws: only `CancellationError` when the task was already cancelled (nothing is sent).
    public func pipeline(_ commands: [RedisCommand], timeout: Duration? = nil) async throws -> [Result<RESPValue, any Error>] {
        try Task.checkCancellation()
        guard !commands.isEmpty else { return [] }
        let eventLoop = channel.eventLoop
        let handler = self.handler
        let futures = submit(commands, timeout: timeout ?? commandTimeout)
        let abandon: @Sendable () -> Void = {
            eventLoop.execute {
                for future in futures {
                    handler.value.abandon(ObjectIdentifier(future),
                                          with: RedisClientError(.cancelled, "the request was cancelled"))
                }
            }
        }
        return await withTaskCancellationHandler {
            // A cancellation that raced with the submission above is applied after it.
            if Task.isCancelled { abandon() }
            return await results(of: futures)
        } onCancel: {
            abandon()
        }
    }

    /// Writes `commands` and returns the futures of their replies, in order, without tying them
    /// to the calling task: cancelling it abandons nothing. The caller awaits them with
    /// `results(of:)`.
    /// - Parameter timeout: when the replies are abandoned with `.timeout`; `nil`: never (not
    ///   the configured default).
    func submit(_ commands: [RedisCommand], timeout: Duration?) -> [EventLoopFuture<RESPValue>] {
        let eventLoop = channel.eventLoop
        let promises = commands.map { _ in eventLoop.makePromise(of: RESPValue.self) }
        let handler = self.handler
        eventLoop.execute {
            handler.value.submit(commands, promises: promises, timeout: timeout)
        }
        return promises.map(\.futureResult)
    }

    /// Waits for `futures` (from `submit`) and returns each reply, error replies as
    /// `.failure(RedisServerError)`, recording each in the metrics.
    func results(of futures: [EventLoopFuture<RESPValue>]) async -> [Result<RESPValue, any Error>] {
        let start = ContinuousClock.now
        // One wait for the whole batch: awaiting each reply's future in turn would hop from
        // the event loop to the task once per reply.
        let completed: [Result<RESPValue, any Error>]
        if futures.count == 1 {
            do { completed = [.success(try await futures[0].get())] } catch { completed = [.failure(error)] }
        } else {
            // whenAllComplete never fails; it collects each future's result.
            completed = (try? await EventLoopFuture.whenAllComplete(futures, on: channel.eventLoop).get()) ?? []
        }
        var results: [Result<RESPValue, any Error>] = []
        results.reserveCapacity(futures.count)
        for outcome in completed {
            let result: Result<RESPValue, any Error>
            switch outcome {
            case .success(.error(let bytes)), .success(.blobError(let bytes)):
                result = .failure(RedisServerError(message: String(decoding: bytes, as: UTF8.self)))
            case .success(let value):
                result = .success(value)
            case .failure(let error):
                result = .failure(error)
            }
            metrics?.record(result, since: start)
            results.append(result)
        }
        return results
    }

    /// Whether the connection can go back to a pool: open, never subscribed, and not owing the
    /// reply of an abandoned blocking command (which could hold it for ever).
    var isReusable: Bool {
        let state = shared.state
        return channel.isActive && !state.inPubSubMode && state.abandonedBlockingCount == 0
    }

    /// Delivers published messages to `receiver` (on the event loop).
    func setMessageReceiver(_ receiver: @escaping @Sendable (RedisPubSubMessage) -> Void) async throws {
        let handler = self.handler
        try await channel.eventLoop.submit { handler.value.onMessage = receiver }.get()
    }

    /// Waits until the connection closes; cancelling the wait closes it.
    func waitUntilClosed() async {
        let channel = self.channel
        await withTaskCancellationHandler {
            try? await channel.closeFuture.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }

    /// Closes the connection; waiting requests fail with `.connectionClosed`.
    public func close() async {
        try? await channel.close()
    }
}
