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
    private var parser: RESPRequestParser
    private var pending: ByteBuffer?
    private var arguments: [ByteBuffer] = []
    private var client: Client?
    private var closing = false
    /// Set while the client waits in a blocking command: input is buffered, not run, until the
    /// served (or timed-out) reply has been delivered and `resume` runs.
    private var paused = false
    /// The client whose command a busy script suspended; kept past a disconnect, because the
    /// script must still be driven to its end.
    private var suspendedClient: Client?
    private var handlerContext: ChannelHandlerContext?
    /// Read from other threads by `deliver` and `close`.
    private let channelBox = NIOLockedValueBox<Channel?>(nil)

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
        if paused {
            engine.withLock { engine.statistics.netInputBytes += Int64(newBytes) }
            keepPending(context: context, input)
            return
        }
        let (output, deliveries, blockedUntil, inScript): (ByteBuffer, [(Client, ByteBuffer)], Int64?, Bool) =
            engine.withLock {
            engine.statistics.netInputBytes += Int64(newBytes)
            // CONFIG SET proto-max-bulk-len applies to connections already open, as in Redis.
            parser.limits.maxBulkLength = engine.configuration.protoMaxBulkLength
            client.queryBufferLength = input.readableBytes
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
                }
            }
            client.queryBufferLength = input.readableBytes
            let out = client.reply.take()
            engine.statistics.netOutputBytes += Int64(out.readableBytes)
            return (out, engine.takeDeliveries(), client.blocked?.deadline, client.inSuspendedScript)
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
        if input.readableBytes > 0 && !client.closeAfterReply {
            keepPending(context: context, input)
            if closing { return }
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
            let deliveries = engine.withLock {
                engine.expireBlockedClients(now: Engine.clock())
                return engine.takeDeliveries()
            }
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
        let (finished, output, deliveries): (Bool, ByteBuffer, [(Client, ByteBuffer)]) = engine.withLock {
            let finished = engine.continueScript(for: client)
            let out = finished ? client.reply.take() : ByteBuffer()
            engine.statistics.netOutputBytes += Int64(out.readableBytes)
            return (finished, out, engine.takeDeliveries())
        }
        Self.send(deliveries)
        guard finished else {
            scheduleScriptTurn(on: eventLoop)
            return
        }
        suspendedClient = nil
        guard let context = handlerContext, !closing, self.client === client else { return }
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
    private func flushAndClose(_ context: ChannelHandlerContext) {
        closing = true
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

    /// Hands other clients the output that this connection's commands produced for them.
    static func send(_ deliveries: [(Client, ByteBuffer)]) {
        for (target, bytes) in deliveries {
            guard let connection = target.connection else { continue }
            if target.closeAfterReply {
                connection.deliver(bytes)
                connection.close()
            } else {
                connection.deliver(bytes)
            }
        }
    }

    // MARK: ClientConnection

    func deliver(_ bytes: ByteBuffer) {
        guard let channel = channelBox.withLockedValue({ $0 }), bytes.readableBytes > 0 else { return }
        channel.writeAndFlush(bytes, promise: nil)
        // A blocked client's wait may have ended with this reply: run what it sent meanwhile.
        channel.eventLoop.execute { self.resume() }
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
