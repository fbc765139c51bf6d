import Logging
import NIOConcurrencyHelpers
import NIOCore
import RoostRESP

/// A message published to a channel the connection subscribed to. Channel names, patterns and
/// payloads are bytes, exactly as published; `channel`, `pattern` and `text` read them as UTF-8.
public struct RedisPubSubMessage: Sendable, Hashable {
    /// How the message reached the subscriber.
    public enum Kind: Sendable, Hashable {
        /// Through `SUBSCRIBE`.
        case message
        /// Through `PSUBSCRIBE`; `pattern` is set.
        case patternMessage
        /// Through `SSUBSCRIBE`.
        case shardMessage
    }

    /// How the message reached the subscriber.
    public var kind: Kind
    /// The bytes of the pattern that matched, for pattern subscriptions.
    public var patternBytes: ByteBuffer?
    /// The bytes of the channel it was published to.
    public var channelBytes: ByteBuffer
    /// The message's bytes.
    public var payload: ByteBuffer

    /// The channel's name as UTF-8 text (invalid bytes replaced).
    public var channel: String { String(buffer: channelBytes) }
    /// The pattern as UTF-8 text (invalid bytes replaced), for pattern subscriptions.
    public var pattern: String? { patternBytes.map { String(buffer: $0) } }
    /// The payload as UTF-8 text.
    public var text: String { String(buffer: payload) }
}

/// The NIO half of a connection: writes requests and matches replies to them in order.
///
/// Every request leaves one entry per expected reply in a FIFO queue. A reply completes the entry
/// at the head of the queue. Cancelling or timing out a request only detaches its promise: the
/// entry stays, so its reply is still read and discarded and every later reply still reaches its
/// own request. Closing or a protocol error fails every entry still waiting.
///
/// All state is touched only on the channel's event loop.
final class RedisChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private struct Pending {
        /// `nil` once the caller gave up (cancel, timeout): the reply is discarded.
        var promise: EventLoopPromise<RESPValue>?
        var timeout: Scheduled<Void>?
        /// For `SUBSCRIBE`-family commands: confirmations still expected.
        var confirmationsLeft: Int
        let isSubscriptionChange: Bool
        let isBlocking: Bool
    }

    private var queue = CircularBuffer<Pending>(initialCapacity: 16)
    private var buffer: ByteBuffer?
    private let parser = RESPValueParser()
    private var scanner = RESPFrameScanner()
    private var context: ChannelHandlerContext?
    private var closedError: RedisClientError?
    private let logger: Logger

    /// Receives published messages.
    var onMessage: ((RedisPubSubMessage) -> Void)?
    /// Set once any `SUBSCRIBE`-family command was sent: RESP2 replies may then be messages.
    private(set) var inPubSubMode = false {
        didSet { shared.update { $0.inPubSubMode = inPubSubMode } }
    }
    /// Abandoned blocking commands whose replies are still due.
    private var abandonedBlockingCount = 0 {
        didSet { shared.update { $0.abandonedBlockingCount = abandonedBlockingCount } }
    }
    /// What the pool reads without hopping onto the event loop.
    let shared = RedisConnectionSharedState()
    /// Set after `HELLO 3`: messages then come only as push frames, never as arrays.
    var isRESP3 = false
    /// Number of requests written whose replies have not all arrived.
    var outstandingCount: Int { queue.count }
    /// Whether an abandoned blocking command is still waiting for its reply.
    var hasAbandonedBlockingRequest: Bool { abandonedBlockingCount > 0 }

    init(logger: Logger) {
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failAll(RedisClientError(.connectionClosed, "the connection's handler was removed"))
        self.context = nil
    }

    /// Writes `commands` and queues their promises. `promises[i]` receives command i's reply.
    func submit(_ commands: [RedisCommand], promises: [EventLoopPromise<RESPValue>], timeout: Duration?) {
        guard let context, closedError == nil else {
            let error = closedError ?? RedisClientError(.connectionClosed, "the connection is closed")
            for promise in promises { promise.fail(error) }
            return
        }
        var out = context.channel.allocator.buffer(capacity: 64 * commands.count)
        for (command, promise) in zip(commands, promises) {
            command.encode(into: &out)
            let traits = command.replyTraits
            let entry = Pending(promise: promise, timeout: nil, confirmationsLeft: traits.replyCount,
                                isSubscriptionChange: traits.isSubscriptionChange, isBlocking: traits.isBlocking)
            if entry.isSubscriptionChange { inPubSubMode = true }
            queue.append(entry)
        }
        // One timer for the whole batch: its commands share a deadline, and replies arrive in
        // order, so the timer lives on the batch's last entry and is cancelled with it. When it
        // fires, every request of the batch still waiting fails with `.timeout`.
        if let timeout, let last = commands.last {
            let futureIDs = promises.map { ObjectIdentifier($0.futureResult) }
            let nanos = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
            let name = commands.count == 1 ? last.name : "a pipeline of \(commands.count) commands"
            queue[queue.index(before: queue.endIndex)].timeout = context.eventLoop.assumeIsolated().scheduleTask(
                in: .nanoseconds(nanos)
            ) { [weak self] in
                for futureID in futureIDs {
                    self?.abandon(futureID, with: RedisClientError(.timeout, "no reply to \(name) within \(timeout)"))
                }
            }
        }
        context.writeAndFlush(NIOAny(out), promise: nil)
    }

    /// Detaches the promise whose future is `futureID` and fails it with `error`; its reply will be
    /// discarded on arrival. Does nothing if the reply already arrived.
    func abandon(_ futureID: ObjectIdentifier, with error: Error) {
        guard let index = queue.firstIndex(where: { $0.promise.map { ObjectIdentifier($0.futureResult) } == futureID }) else {
            return
        }
        let promise = queue[index].promise
        queue[index].promise = nil
        if queue[index].isBlocking { abandonedBlockingCount += 1 }
        queue[index].timeout?.cancel()
        queue[index].timeout = nil
        promise?.fail(error)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if buffer == nil || buffer?.readableBytes == 0 {
            buffer = incoming
        } else {
            buffer?.writeBuffer(&incoming)
        }
        guard var pending = buffer else { return }
        buffer = nil
        do {
            while let length = try scanner.scan(pending) {
                guard var frame = pending.readSlice(length: length), let value = try parser.parse(&frame),
                      frame.readableBytes == 0 else {
                    throw RESPFrameScanner.Error(description: "a reply's frame did not parse as one value")
                }
                received(value)
            }
        } catch {
            let failure = RedisClientError(.protocolError, "invalid reply from the server: \(error)")
            logger.error("closing connection", metadata: ["error": "\(failure)"])
            failAll(failure)
            context.close(promise: nil)
            return
        }
        if pending.readableBytes > 0 {
            if pending.readerIndex > 1 << 16 { pending.discardReadBytes() }
            buffer = pending
        }
    }

    private func received(_ value: RESPValue) {
        if let message = Self.pubSubMessage(value, resp2: inPubSubMode && !isRESP3) {
            onMessage?(message)
            return
        }
        if case .push(let elements) = value {
            // Subscription confirmations answer the SUBSCRIBE-family command at the head of the
            // queue; other pushes (client tracking…) are not requests' replies.
            if Self.isConfirmation(elements), queue.first?.isSubscriptionChange == true {
                confirm(value)
            }
            return
        }
        if inPubSubMode, !isRESP3, case .array(.some(let elements)) = value, Self.isConfirmation(elements) {
            // RESP2 confirmations are arrays. Extra ones (an argument-less UNSUBSCRIBE answers
            // once per channel) belong to no request and are dropped.
            if queue.first?.isSubscriptionChange == true { confirm(value) }
            return
        }
        guard !queue.isEmpty else {
            logger.warning("reply with no request waiting for it", metadata: ["reply": "\(value.typeDescription)"])
            return
        }
        let entry = queue.removeFirst()
        complete(entry, with: value)
    }

    private func confirm(_ value: RESPValue) {
        queue[queue.startIndex].confirmationsLeft -= 1
        if queue[queue.startIndex].confirmationsLeft <= 0 {
            complete(queue.removeFirst(), with: value)
        }
    }

    private func complete(_ entry: Pending, with value: RESPValue) {
        if entry.promise == nil, entry.isBlocking { abandonedBlockingCount -= 1 }
        entry.timeout?.cancel()
        entry.promise?.succeed(value)
    }

    private static func isConfirmation(_ elements: [RESPValue]) -> Bool {
        guard let kind = elements.first?.stringBytes else { return false }
        switch String(decoding: kind, as: UTF8.self).lowercased() {
        case "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe": return true
        default: return false
        }
    }

    static func pubSubMessage(_ value: RESPValue, resp2: Bool) -> RedisPubSubMessage? {
        let elements: [RESPValue]
        switch value {
        case .push(let e): elements = e
        case .array(.some(let e)) where resp2: elements = e
        default: return nil
        }
        guard let kind = elements.first?.stringBytes.map({ String(decoding: $0, as: UTF8.self).lowercased() }) else {
            return nil
        }
        func bytes(_ i: Int) -> ByteBuffer? { elements[i].stringBytes.map { ByteBuffer(bytes: $0) } }
        switch kind {
        case "message" where elements.count == 3, "smessage" where elements.count == 3:
            guard let channel = bytes(1), let payload = bytes(2) else { return nil }
            return RedisPubSubMessage(kind: kind == "message" ? .message : .shardMessage, patternBytes: nil,
                                      channelBytes: channel, payload: payload)
        case "pmessage" where elements.count == 4:
            guard let pattern = bytes(1), let channel = bytes(2), let payload = bytes(3) else { return nil }
            return RedisPubSubMessage(kind: .patternMessage, patternBytes: pattern, channelBytes: channel,
                                      payload: payload)
        default:
            return nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisClientError(.connectionClosed, "the server closed the connection"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        failAll(RedisClientError(.connectionClosed, "connection error: \(error)"))
        context.close(promise: nil)
    }

    private func failAll(_ error: RedisClientError) {
        if closedError == nil { closedError = error }
        let entries = queue
        queue.removeAll()
        for entry in entries {
            entry.timeout?.cancel()
            entry.promise?.fail(error)
        }
    }
}

/// Connection state the pool reads from any thread when a lease ends; the handler writes it on the
/// event loop whenever it changes.
final class RedisConnectionSharedState: Sendable {
    struct State {
        var inPubSubMode = false
        var abandonedBlockingCount = 0
    }

    private let box = NIOLockedValueBox(State())

    func update(_ change: (inout State) -> Void) {
        box.withLockedValue { change(&$0) }
    }

    /// A snapshot.
    var state: State { box.withLockedValue { $0 } }
}
