import Logging
import NIOConcurrencyHelpers
import NIOCore
import RoostRESP

/// A time when a subscription may have missed messages: its connection dropped, and was reopened
/// and every subscription restored. Pub/sub does not store messages, so whatever was published
/// between `disconnectedAt` and `restoredAt` is lost.
public struct RedisSubscriptionGap: Sendable, Hashable {
    /// When the client noticed the connection had closed.
    public var disconnectedAt: ContinuousClock.Instant
    /// When the subscriptions were confirmed on the new connection; every message published
    /// after this reaches the subscription.
    public var restoredAt: ContinuousClock.Instant
    /// Connection attempts it took.
    public var attempts: Int
}

/// What a subscription yields: a message, or a gap after which the subscriber should re-check
/// whatever state it was waiting to hear about.
public enum RedisSubscriptionEvent: Sendable, Hashable {
    /// A published message.
    case message(RedisPubSubMessage)
    /// The connection dropped and the subscriptions were restored: messages may have been missed
    /// in between. It comes after the new connection's subscriptions are in place and before any
    /// message that connection receives, so a state re-checked on a gap misses nothing.
    case gap(RedisSubscriptionGap)

    /// The message, or nil for a gap.
    public var message: RedisPubSubMessage? {
        if case .message(let message) = self { return message }
        return nil
    }
}

/// The events of one `subscribe` call, as an `AsyncSequence`: messages from its channels,
/// patterns and shard channels, and a `.gap` each time the connection was restored. It ends when
/// the `subscribe` body returns. Iterate it once.
public struct RedisSubscription: AsyncSequence, Sendable {
    /// Messages and gaps.
    public typealias Element = RedisSubscriptionEvent
    let stream: AsyncThrowingStream<RedisSubscriptionEvent, any Error>

    /// The iterator.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<RedisSubscriptionEvent, any Error>.AsyncIterator

        /// The next event, or nil once the subscription ended.
        public mutating func next() async throws -> RedisSubscriptionEvent? {
            try await base.next()
        }
    }

    /// Iterates messages and gaps.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator())
    }

    /// The messages alone, gaps skipped: for subscribers that can afford to miss messages
    /// silently. Iterate either this or the subscription itself, not both.
    public var messages: Messages { Messages(events: self) }

    /// The messages of a subscription, gaps skipped.
    public struct Messages: AsyncSequence, Sendable {
        /// Published messages.
        public typealias Element = RedisPubSubMessage
        let events: RedisSubscription

        /// The iterator.
        public struct AsyncIterator: AsyncIteratorProtocol {
            var base: RedisSubscription.AsyncIterator

            /// The next message, or nil once the subscription ended.
            public mutating func next() async throws -> RedisPubSubMessage? {
                while let event = try await base.next() {
                    if case .message(let message) = event { return message }
                }
                return nil
            }
        }

        /// Iterates the messages.
        public func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(base: events.makeAsyncIterator())
        }
    }
}

extension RedisClient {
    /// Subscribes to `channels` (`SUBSCRIBE`), `patterns` (`PSUBSCRIBE`) and `shardChannels`
    /// (`SSUBSCRIBE`) on a dedicated connection and runs `body` with the events. Names are bytes:
    /// pass `String`s, `[UInt8]`s, `ByteBuffer`s or `RedisArgument`s.
    ///
    /// The subscription is in place when `body` starts. If the connection drops, it is reopened
    /// with the configured backoff (for as long as `body` runs) and every subscription restored;
    /// messages published while it was down are lost, as pub/sub does not store them, and the
    /// sequence yields `.gap` once the subscriptions are back, before any later message. When
    /// `body` returns or throws, the connection is closed and the sequence ends.
    /// - Throws: what `body` throws, or the first connection's connect or subscribe error.
    public func subscribe<Result: Sendable>(
        channels: [any RedisArgumentConvertible] = [], patterns: [any RedisArgumentConvertible] = [],
        shardChannels: [any RedisArgumentConvertible] = [],
        _ body: (RedisSubscription) async throws -> Result
    ) async throws -> Result {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: RedisSubscriptionEvent.self)
        let topics = SubscriptionTopics(channels: channels.map(\.redisArgument), patterns: patterns.map(\.redisArgument),
                                        shardChannels: shardChannels.map(\.redisArgument))
        let first = try await openSubscribedConnection(topics, gate: SubscriptionGate(continuation))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await self.keepSubscribed(first, topics, continuation: continuation)
            }
            defer { continuation.finish() }
            do {
                let result = try await body(RedisSubscription(stream: stream))
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    /// Connects, routes the connection's messages through `gate`, and subscribes.
    private func openSubscribedConnection(_ topics: SubscriptionTopics, gate: SubscriptionGate) async throws -> RedisConnection {
        let connection = try await RedisConnection.connect(configuration: configuration, eventLoopGroup: eventLoopGroup,
                                                           logger: logger, metrics: metrics)
        do {
            try await connection.setMessageReceiver { gate.deliver($0) }
            for result in try await connection.pipeline(topics.commands, timeout: nil) {
                _ = try result.get()
            }
            return connection
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Watches the subscribed connection; when it drops, reopens it with backoff, subscribes
    /// again and reports the gap, until cancelled (which closes it).
    private func keepSubscribed(
        _ first: RedisConnection, _ topics: SubscriptionTopics,
        continuation: AsyncThrowingStream<RedisSubscriptionEvent, any Error>.Continuation
    ) async {
        var connection = first
        while !Task.isCancelled {
            await connection.waitUntilClosed()
            if Task.isCancelled { break }
            let disconnectedAt = ContinuousClock.now
            logger.warning("subscription connection lost, reconnecting")
            var attempt = 0
            while !Task.isCancelled {
                attempt += 1
                // Messages of the new connection wait behind the gate until the gap is out.
                let gate = SubscriptionGate(continuation, held: true)
                do {
                    connection = try await openSubscribedConnection(topics, gate: gate)
                    gate.open(after: .gap(RedisSubscriptionGap(disconnectedAt: disconnectedAt, restoredAt: .now,
                                                               attempts: attempt)))
                    logger.info("subscriptions restored", metadata: ["attempts": "\(attempt)"])
                    break
                } catch {
                    logger.debug("resubscribe failed", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
                    try? await Task.sleep(for: configuration.reconnect.delay(afterAttempt: attempt))
                }
            }
        }
        await connection.close()
    }
}

/// Passes one connection's messages to the subscription's stream. A gate made `held` keeps them
/// until `open(after:)` has yielded the gap, so that a restored connection's first messages
/// never overtake the gap that announces it. Lock-protected: messages arrive on the event loop,
/// the gap from the task that resubscribed.
final class SubscriptionGate: Sendable {
    private struct State {
        var held: [RedisPubSubMessage]?
    }

    private let continuation: AsyncThrowingStream<RedisSubscriptionEvent, any Error>.Continuation
    private let state: NIOLockedValueBox<State>

    init(_ continuation: AsyncThrowingStream<RedisSubscriptionEvent, any Error>.Continuation, held: Bool = false) {
        self.continuation = continuation
        self.state = NIOLockedValueBox(State(held: held ? [] : nil))
    }

    /// Yields `message`, or keeps it while the gate is held.
    func deliver(_ message: RedisPubSubMessage) {
        state.withLockedValue { state in
            if state.held != nil {
                state.held?.append(message)
            } else {
                continuation.yield(.message(message))
            }
        }
    }

    /// Yields `first`, then the messages kept, and lets later ones through.
    func open(after first: RedisSubscriptionEvent) {
        state.withLockedValue { state in
            continuation.yield(first)
            for message in state.held ?? [] { continuation.yield(.message(message)) }
            state.held = nil
        }
    }
}

/// What one `subscribe` call listens to.
struct SubscriptionTopics: Sendable {
    var channels: [RedisArgument]
    var patterns: [RedisArgument]
    var shardChannels: [RedisArgument]

    var commands: [RedisCommand] {
        var commands: [RedisCommand] = []
        if !channels.isEmpty { commands.append(RedisCommand("SUBSCRIBE", channels)) }
        if !patterns.isEmpty { commands.append(RedisCommand("PSUBSCRIBE", patterns)) }
        if !shardChannels.isEmpty { commands.append(RedisCommand("SSUBSCRIBE", shardChannels)) }
        return commands
    }
}
