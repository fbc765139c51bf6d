import Logging
import NIOCore
import RoostRESP

/// Messages from the channels, patterns and shard channels of one `subscribe` call, as an
/// `AsyncSequence`. It ends when the `subscribe` body returns.
public struct RedisSubscription: AsyncSequence, Sendable {
    /// Published messages.
    public typealias Element = RedisPubSubMessage
    let stream: AsyncThrowingStream<RedisPubSubMessage, any Error>

    /// The iterator.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<RedisPubSubMessage, any Error>.AsyncIterator

        /// The next message, or nil once the subscription ended.
        public mutating func next() async throws -> RedisPubSubMessage? {
            try await base.next()
        }
    }

    /// Iterates the messages.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator())
    }
}

extension RedisClient {
    /// Subscribes to `channels` (`SUBSCRIBE`), `patterns` (`PSUBSCRIBE`) and `shardChannels`
    /// (`SSUBSCRIBE`) on a dedicated connection and runs `body` with the messages.
    ///
    /// The subscription is in place when `body` starts. If the connection drops, it is reopened
    /// with the configured backoff (for as long as `body` runs) and every subscription restored;
    /// messages published while it was down are lost, as pub/sub does not store them. When
    /// `body` returns or throws, the connection is closed and the sequence ends.
    /// - Throws: what `body` throws, or the first connection's connect or subscribe error.
    public func subscribe<Result: Sendable>(
        channels: [String] = [], patterns: [String] = [], shardChannels: [String] = [],
        _ body: (RedisSubscription) async throws -> Result
    ) async throws -> Result {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: RedisPubSubMessage.self)
        let topics = SubscriptionTopics(channels: channels, patterns: patterns, shardChannels: shardChannels)
        let first = try await openSubscribedConnection(topics, continuation: continuation)
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

    private func openSubscribedConnection(
        _ topics: SubscriptionTopics, continuation: AsyncThrowingStream<RedisPubSubMessage, any Error>.Continuation
    ) async throws -> RedisConnection {
        let connection = try await RedisConnection.connect(configuration: configuration, eventLoopGroup: eventLoopGroup,
                                                           logger: logger, metrics: metrics)
        do {
            try await connection.setMessageReceiver { continuation.yield($0) }
            for result in try await connection.pipeline(topics.commands, timeout: nil) {
                _ = try result.get()
            }
            return connection
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Watches the subscribed connection; when it drops, reopens it with backoff and subscribes
    /// again, until cancelled (which closes it).
    private func keepSubscribed(
        _ first: RedisConnection, _ topics: SubscriptionTopics,
        continuation: AsyncThrowingStream<RedisPubSubMessage, any Error>.Continuation
    ) async {
        var connection = first
        while !Task.isCancelled {
            await connection.waitUntilClosed()
            if Task.isCancelled { break }
            logger.warning("subscription connection lost, reconnecting")
            var attempt = 0
            while !Task.isCancelled {
                attempt += 1
                do {
                    connection = try await openSubscribedConnection(topics, continuation: continuation)
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

/// What one `subscribe` call listens to.
struct SubscriptionTopics: Sendable {
    var channels: [String]
    var patterns: [String]
    var shardChannels: [String]

    var commands: [RedisCommand] {
        var commands: [RedisCommand] = []
        if !channels.isEmpty { commands.append(RedisCommand("SUBSCRIBE", channels.map(\.redisArgument))) }
        if !patterns.isEmpty { commands.append(RedisCommand("PSUBSCRIBE", patterns.map(\.redisArgument))) }
        if !shardChannels.isEmpty { commands.append(RedisCommand("SSUBSCRIBE", shardChannels.map(\.redisArgument))) }
        return commands
    }
}
