import Logging
import NIOConcurrencyHelpers
import NIOCore
import RoostEngine
import RoostRESP

/// The per-connection handler: parses requests straight out of the inbound buffer, runs every
/// complete command of a read under one engine lock, and writes all their replies with one
/// flush.
final class ConnectionHandler: ChannelInboundHandler, ClientConnection {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let engine: Engine
    private let server: ServerState
    @exclusivity(unchecked) private var parser: RESPRequestParser
    @exclusivity(unchecked) private var pending: ByteBuffer?
    @exclusivity(unchecked) private var arguments: [ByteBuffer] = []
    @exclusivity(unchecked) private var client: Client?
    @exclusivity(unchecked) private var closing = false
    /// Set while the client waits in a blocking command: input is buffered, not run, until the
    /// served (or timed-out) reply has been delivered and `resume` runs.
    @exclusivity(unchecked) private var paused = false
    /// Set while this connection's replies wait for the append-only file's fsync at the end of
    /// the event-loop turn: input is buffered meanwhile.
    @exclusivity(unchecked) private var awaitingFsync = false
    /// The client whose command a busy script suspended; kept past a disconnect, because the
    /// script must still be driven to its end.
    @exclusivity(unchecked) private var suspendedClient: Client?
    @exclusivity(unchecked) private var handlerContext: ChannelHandlerContext?
    /// Read from other threads by `deliver` and `close`.
    private let channelBox = NIOLockedValueBox<Channel?>(nil)
    /// The peer's address, for the log.
    @exclusivity(unchecked) private var peer = ""
    /// Unix seconds since which the client's unsent output has stood at or past its class's soft
    /// limit, 0 while below (Redis's `obuf_soft_limit_reached_time`).
    @exclusivity(unchecked) private var softLimitSince: Int64 = 0
    /// The re-check that drops the client if its output is still past the soft limit then.
    @exclusivity(unchecked) private var softLimitCheck: Scheduled<Void>?
    /// The channel's backlog when last measured, for CLIENT LIST from another event loop.
    private let measuredBacklog = NIOLockedValueBox(0)

    init(engine: Engine, server: ServerState, limits: RESPRequestParser.Limits) {
        self.engine = engine
        self.server = server
        self.parser = RESPRequestParser(limits: limits)
        arguments.reserveCapacity(8)
    }

    func channelActive(context: ChannelHandlerContext) {
        handlerContext = context
        channelBox.withLockedValue { $0 = context.channel }
        let remote = context.channel.remoteAddress
        let local = context.channel.localAddress
        // A unix-socket peer is unnamed; Redis shows the socket's own path for both ends.
        let remoteText = Self.describe(remote.flatMap { if case .unixDomainSocket = $0 { return local } else { return $0 } })
        peer = remoteText
        let admission: RedisError? = engine.withLock {
            let configuration = engine.configuration
            if engine.clients.count >= configuration.maxClients {
                engine.statistics.rejectedConnections += 1
                return RedisError("ERR max number of clients reached")
            }
            if configuration.protectedMode && configuration.requirePass.isEmpty && !Self.isLocal(remote) {
                engine.statistics.rejectedConnections += 1
                return RedisError(ServerState.protectedModeMessage)
            }
            let client = engine.makeClient(
                address: remoteText, localAddress: Self.describe(local),
                fileDescriptor: -1)
            client.connection = self
            self.client = client
            return nil
        }
        if let admission {
            var out = context.channel.allocator.buffer(capacity: 128)
            out.writeRESPError(bytes: admission.bytes)
            context.write(wrapOutboundOut(out), promise: nil)
            flushAndClose(context)
            return
        }
        server.register(self)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let client {
            engine.withLock { engine.removeClient(client) }
            self.client = nil
        }
        server.unregister(self)
        softLimitCheck?.cancel()
        softLimitCheck = nil
        handlerContext = nil
        channelBox.withLockedValue { $0 = nil }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing, client != nil else { return }
        var input = unwrapInboundIn(data)
        if var cumulation = pending {
            pending = nil
            cumulation.writeBuffer(&input)
            input = cumulation
        }
        process(context: context, input: input, newBytes: input.readableBytes)
    }

    /// Runs the complete commands in `input` (stopping early when the client blocks) and keeps
    /// the rest for later.
    private func process(context: ChannelHandlerContext, input inputBuffer: ByteBuffer, newBytes: Int) {
        guard let client else { return }
        var input = inputBuffer
        if paused || awaitingFsync {
            engine.withLock { engine.countRead(bytes: newBytes) }
            keepPending(context: context, input)
            return
        }
        var barrier: AppendOnlyBarrier?
        let (output, deliveries, blockedUntil, inScript, overLimit): (ByteBuffer, [Delivery], Int64?, Bool, Bool) =
            engine.withLock {
            engine.countRead(bytes: newBytes)
            // CONFIG SET proto-max-bulk-len applies to connections already open, as in Redis.
            parser.limits.maxBulkLength = engine.configuration.protoMaxBulkLength
            client.queryBufferLength = input.readableBytes
            // client-output-buffer-limit: the output at which a command drops the client at once.
            // Off (Int.max) for normal clients by default, so a GET/SET batch only compares.
            var droppingPoint = dropPoint(client)
            let backlog = droppingPoint == .max ? 0 : self.backlog(context.channel)
            var overLimit = false
            while input.readableBytes > 0 && !client.closeAfterReply && client.blocked == nil
                && !client.inSuspendedScript {
                parser.unauthenticated = !client.isAuthenticated
                do throws(RESPRequestParser.ProtocolError) {
                    guard try parser.parse(&input, into: &arguments) else { break }
                } catch {
                    var line = ByteBuffer()
                    line.writeRESPError(bytes: error.bytes)
                    client.reply.raw(line)
                    client.closeAfterReply = true
                    break
                }
                if !arguments.isEmpty {
                    engine.execute(arguments, for: client)
                    arguments.removeAll(keepingCapacity: true)
                    if client.reply.bufferedBytes + backlog >= droppingPoint {
                        // The command may have authenticated the client or changed its class.
                        droppingPoint = dropPoint(client)
                        if client.reply.bufferedBytes + backlog >= droppingPoint {
                            engine.statistics.clientOutputBufferLimitDisconnections += 1
                            overLimit = true
                            break
                        }
                    }
                }
            }
            client.queryBufferLength = input.readableBytes
            if !overLimit { overLimit = mustDrop(client, context: context) }
            let out = client.reply.take()
            if !overLimit { engine.countWrite(bytes: out.readableBytes) }
            barrier = engine.appendOnlyBarrier()
            return (out, Self.takeDeliveries(from: engine), client.blocked?.deadline, client.inSuspendedScript, overLimit)
        }
        if let blockedUntil {
            paused = true
            if blockedUntil > 0 { scheduleBlockingTimeout(context: context, deadline: blockedUntil) }
        }
        if inScript {
            paused = true
            suspendedClient = client
            scheduleScriptTurn(on: context.eventLoop)
        }
        if overLimit {
            // As in Redis: no reply, and what was produced but not written is dropped.
            drop(context)
            Self.send(deliveries)
            return
        }
        if input.readableBytes > 0 && !client.closeAfterReply {
            keepPending(context: context, input)
            if closing { return }
        }
        // No reply leaves before the writes it acknowledges are in the append-only file (and on
        // disk under appendfsync always). The write and fsync wait for the end of this
        // event-loop turn, so that one of each covers the batches of every connection read in
        // the turn (group commit), as Redis writes in `beforeSleep`; until then this
        // connection's further input waits, like a blocked client's.
        if let barrier, !barrier.isReached {
            awaitingFsync = true
            let replies = NIOLoopBound((output, deliveries, client), eventLoop: context.eventLoop)
            context.eventLoop.execute {
                let durable = barrier.reach()
                self.awaitingFsync = false
                let (output, deliveries, client) = replies.value
                guard let context = self.handlerContext else {
                    Self.send(deliveries)
                    return
                }
                if !durable && barrier.sync && barrier.carriesWrites {
                    self.refuseUndurableReplies(context, deliveries)
                    return
                }
                self.sendReplies(context: context, output, deliveries, client)
                if !self.paused && !self.closing, let input = self.pending {
                    self.pending = nil
                    self.process(context: context, input: input, newBytes: 0)
                }
            }
            return
        }
        if let barrier, !barrier.reach() && barrier.sync && barrier.carriesWrites {
            refuseUndurableReplies(context, deliveries)
            return
        }
        sendReplies(context: context, output, deliveries, client)
    }

    /// The append-only file could not be written or fsynced under `appendfsync always` (or
    /// WAITAOF): the batch's replies would acknowledge writes that are not on disk, so the
    /// connection closes without them. Redis exits the whole process there; Roost, which may
    /// be embedded, keeps serving, and refuses writes with MISCONF until a write succeeds.
    private func refuseUndurableReplies(_ context: ChannelHandlerContext, _ deliveries: [Delivery]) {
        closing = true
        server.logger.warning("Can't persist AOF for an fsync or write error when the AOF fsync policy is 'always'; closing the client without its replies")
        Self.send(deliveries)
        context.close(promise: nil)
    }

    /// Writes a batch's replies and hands other clients theirs.
    private func sendReplies(context: ChannelHandlerContext, _ output: ByteBuffer, _ deliveries: [Delivery], _ client: Client) {
        if closing {
            Self.send(deliveries)
            return
        }
        if output.readableBytes > 0 {
            context.write(wrapOutboundOut(output), promise: nil)
        }
        if client.closeAfterReply {
            flushAndClose(context)
        } else if output.readableBytes > 0 {
            context.flush()
        }
        Self.send(deliveries)
    }

    /// Keeps unprocessed input for the next read, closing the connection past the query buffer
    /// limit.
    private func keepPending(context: ChannelHandlerContext, _ buffer: ByteBuffer) {
        var input = buffer
        if input.readableBytes > server.queryBufferLimit {
            closing = true
            engine.withLock { engine.statistics.clientQueryBufferLimitDisconnections += 1 }
            server.logger.warning("Closing client that reached max query buffer length: id=\(client?.id ?? 0) addr=\(peer)")
            context.close(promise: nil)
            return
        }
        if input.readerIndex > 4096 { input.discardReadBytes() }
        pending = input
    }

    /// Times out blocked clients when this client's wait ends, so a timeout fires on time rather
    /// than at the next background cycle.
    private func scheduleBlockingTimeout(context: ChannelHandlerContext, deadline: Int64) {
        let engine = self.engine
        let delay = max(0, deadline - Engine.clock()) + 1
        context.eventLoop.scheduleTask(in: .milliseconds(delay)) {
            let (deliveries, barrier) = engine.withLock {
                engine.expireBlockedClients(now: Engine.clock())
                return (ConnectionHandler.takeDeliveries(from: engine), engine.appendOnlyBarrier())
            }
            if let barrier { engine.reachAppendOnlyBarrier(barrier) }
            ConnectionHandler.send(deliveries)
        }
    }

    /// Gives this client's busy script its next slice, one millisecond from now: the event loop
    /// first serves the other clients (their BUSY replies, SCRIPT KILL). The turns go on after a
    /// disconnect, since the script must still finish.
    private func scheduleScriptTurn(on eventLoop: any EventLoop) {
        eventLoop.scheduleTask(in: .milliseconds(1)) { self.continueScript(on: eventLoop) }
    }

    private func continueScript(on eventLoop: any EventLoop) {
        guard let client = suspendedClient else { return }
        let context = handlerContext
        var barrier: AppendOnlyBarrier?
        let (finished, output, deliveries, overLimit): (Bool, ByteBuffer, [Delivery], Bool) = engine.withLock {
            let finished = engine.continueScript(for: client)
            barrier = engine.appendOnlyBarrier()
            var overLimit = false
            if finished, let context, !closing, self.client === client { overLimit = mustDrop(client, context: context) }
            let out = finished ? client.reply.take() : ByteBuffer()
            if !overLimit { engine.countWrite(bytes: out.readableBytes) }
            return (finished, out, Self.takeDeliveries(from: engine), overLimit)
        }
        if let barrier { engine.reachAppendOnlyBarrier(barrier) }
        Self.send(deliveries)
        guard finished else {
            scheduleScriptTurn(on: eventLoop)
            return
        }
        suspendedClient = nil
        guard let context, !closing, self.client === client else { return }
        if overLimit {
            drop(context)
            return
        }
        if output.readableBytes > 0 { context.write(wrapOutboundOut(output), promise: nil) }
        if client.closeAfterReply {
            flushAndClose(context)
            return
        }
        if output.readableBytes > 0 { context.flush() }
        resume()
    }

    /// Flushes what was written and closes the connection once it is out (QUIT, SHUTDOWN, a
    /// protocol error, a refused connection).
    /// The client leaves the engine before the socket closes, as Redis frees a client before
    /// closing its connection: a peer that sees the close finds its subscriptions gone.
    private func flushAndClose(_ context: ChannelHandlerContext) {
        closing = true
        if let client { engine.withLock { engine.removeClient(client) } }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(capacity: 0)))
            .whenComplete { _ in channel.close(promise: nil) }
    }

    /// Runs buffered input once the client is no longer blocked. Runs on the event loop after the
    /// served reply was written.
    private func resume() {
        guard paused, !closing, let context = handlerContext, let client else { return }
        let stillBlocked = engine.withLock { client.blocked != nil || client.inSuspendedScript }
        if stillBlocked { return }
        paused = false
        guard let input = pending else { return }
        pending = nil
        process(context: context, input: input, newBytes: 0)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    /// Output a command produced for another client, with the limit that client's class is
    /// held to and whether it closes after this output.
    struct Delivery {
        let client: Client
        let bytes: ByteBuffer
        let limit: ClientOutputBufferLimits.Limit
        let thenClose: Bool
    }

    /// The engine's pending deliveries. Call with the engine lock held.
    static func takeDeliveries(from engine: Engine) -> [Delivery] {
        let taken = engine.takeDeliveries()
        if taken.isEmpty { return [] }
        let limits = engine.configuration.clientOutputBufferLimits
        return taken.map { client, bytes in
            Delivery(client: client, bytes: bytes, limit: limits[client.outputBufferClass], thenClose: client.closeAfterReply)
        }
    }

    /// Hands other clients the output that this connection's commands produced for them.
    static func send(_ deliveries: [Delivery]) {
        for delivery in deliveries {
            guard let connection = delivery.client.connection else { continue }
            connection.deliver(delivery.bytes, within: delivery.limit)
            if delivery.thenClose { connection.close() }
        }
    }

    // MARK: Output limits

    /// The output at which `client` is dropped whatever the time (`Int.max`: never). Call with
    /// the engine lock held.
    private func dropPoint(_ client: Client) -> Int {
        let limit = engine.configuration.clientOutputBufferLimits[client.outputBufferClass]
        return limit.droppingPoint(unauthenticated: isUnauthenticated(client))
    }

    /// Whether Redis's cap for clients that have yet to authenticate applies. Call with the engine
    /// lock held.
    private func isUnauthenticated(_ client: Client) -> Bool {
        !client.isAuthenticated && !engine.configuration.requirePass.isEmpty
    }

    /// Whether `client` must be dropped for its reply buffer and channel backlog, counting the
    /// drop in INFO. Call on the event loop with the engine lock held.
    private func mustDrop(_ client: Client, context: ChannelHandlerContext) -> Bool {
        let limit = engine.configuration.clientOutputBufferLimits[client.outputBufferClass]
        let unauthenticated = isUnauthenticated(client)
        guard limit.isActive || unauthenticated else { return false }
        let pending = client.reply.bufferedBytes + backlog(context.channel)
        guard outputLimitReached(pending: pending, limit: limit, unauthenticated: unauthenticated) else { return false }
        engine.statistics.clientOutputBufferLimitDisconnections += 1
        return true
    }

    /// Applies `limit` to `pending` unsent bytes, running the soft-limit clock. Call on the event
    /// loop.
    private func outputLimitReached(pending: Int, limit: ClientOutputBufferLimits.Limit, unauthenticated: Bool) -> Bool {
        guard pending > ClientOutputBufferLimits.fixedBufferBytes else { return false }
        var since = softLimitSince
        let reached = limit.isReached(pending: pending, unauthenticated: unauthenticated, now: Engine.clock() / 1000,
                                      softLimitSince: &since)
        softLimitSince = since
        if !reached && since != 0 { scheduleSoftLimitCheck(since: since, seconds: limit.softSeconds) }
        return reached
    }

    /// Looks again once the soft limit would have been exceeded for longer than `seconds`, so a
    /// client that receives nothing more is still dropped (Redis's clientsCron does this).
    private func scheduleSoftLimitCheck(since: Int64, seconds: Int) {
        guard softLimitCheck == nil, let context = handlerContext else { return }
        let due = (since + Int64(seconds) + 1) * 1000
        let delay = max(0, due - Engine.clock()) + 10
        softLimitCheck = context.eventLoop.scheduleTask(in: .milliseconds(delay)) { self.checkSoftLimit() }
    }

    private func checkSoftLimit() {
        softLimitCheck = nil
        guard !closing, let context = handlerContext, let client else { return }
        let overLimit = engine.withLock {
            // Below the soft limit now: the clock stops (Redis resets it only when it looks).
            mustDrop(client, context: context)
        }
        if overLimit { drop(context) }
    }

    /// Drops the client as Redis does past its output limit: no reply, the unsent output is
    /// discarded, and the server logs it.
    private func drop(_ context: ChannelHandlerContext) {
        closing = true
        softLimitCheck?.cancel()
        softLimitCheck = nil
        server.logger.warning(
            "Client id=\(client?.id ?? 0) addr=\(peer) scheduled to be closed ASAP for overcoming of output buffer limits.")
        context.close(promise: nil)
    }

    /// Bytes written to the channel and not yet to its socket. Call on the channel's event loop.
    private func backlog(_ channel: Channel) -> Int {
        let bytes = (try? channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
        measuredBacklog.withLockedValue { $0 = bytes }
        return bytes
    }

    // MARK: ClientConnection

    func deliver(_ bytes: ByteBuffer) {
        deliver(bytes, within: ClientOutputBufferLimits.Limit(hard: 0, soft: 0, softSeconds: 0))
    }

    /// Empty output still wakes a waiting client (a postponed command run under CLIENT REPLY OFF).
    func deliver(_ bytes: ByteBuffer, within limit: ClientOutputBufferLimits.Limit) {
        guard let channel = channelBox.withLockedValue({ $0 }) else { return }
        if channel.eventLoop.inEventLoop {
            deliverOnLoop(bytes, within: limit)
        } else {
            channel.eventLoop.execute { self.deliverOnLoop(bytes, within: limit) }
        }
    }

    private func deliverOnLoop(_ bytes: ByteBuffer, within limit: ClientOutputBufferLimits.Limit) {
        guard !closing, let context = handlerContext else { return }
        // Behind replies that wait for the append-only file's fsync, which are sent first.
        if awaitingFsync {
            context.eventLoop.execute { self.deliverOnLoop(bytes, within: limit) }
            return
        }
        if limit.isActive
            && outputLimitReached(pending: backlog(context.channel) + bytes.readableBytes, limit: limit, unauthenticated: false) {
            engine.withLock { engine.statistics.clientOutputBufferLimitDisconnections += 1 }
            drop(context)
            return
        }
        if bytes.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(bytes), promise: nil) }
        // A blocked client's wait may have ended with this reply: run what it sent meanwhile.
        if paused { context.eventLoop.execute { self.resume() } }
    }

    var outputBacklog: Int {
        guard let channel = channelBox.withLockedValue({ $0 }) else { return 0 }
        if channel.eventLoop.inEventLoop { return backlog(channel) }
        return measuredBacklog.withLockedValue { $0 }
    }

    func close() {
        guard let channel = channelBox.withLockedValue({ $0 }) else { return }
        channel.eventLoop.execute {
            channel.flush()
            channel.close(promise: nil)
        }
    }

    // MARK: Addresses

    static func describe(_ address: SocketAddress?) -> String {
        guard let address else { return "" }
        switch address {
        case .v4, .v6:
            let ip = address.ipAddress ?? "?"
            return "\(ip):\(address.port ?? 0)"
        case .unixDomainSocket:
            return "\(address.pathname ?? ""):0"
        }
    }

    static func isLocal(_ address: SocketAddress?) -> Bool {
        guard let address else { return true }
        switch address {
        case .unixDomainSocket: return true
        // Redis compares the peer's text form with exactly these two; 127.0.0.2 is not local.
        case .v4: return address.ipAddress == "127.0.0.1"
        case .v6: return address.ipAddress == "::1"
        }
    }
}

// @unchecked: the handler's state is confined to its channel's event loop; the ClientConnection
// methods, the only ones called from elsewhere, touch nothing but the locked channel box.
extension ConnectionHandler: @unchecked Sendable {}
