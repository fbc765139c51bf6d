import RoostClient

/// One thing that happened to a job, or a gap in what the subscriber heard.
public enum JobEvent: Sendable, Hashable {
    /// What happened to the job.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Enqueued (or back after a delay, a stall, a hand-back, a manual retry): waiting.
        case waiting
        /// Enqueued with a delay.
        case delayed
        /// An attempt started.
        case active
        /// A handler reported progress.
        case progress
        /// Completed.
        case completed
        /// An attempt failed and the job will be tried again.
        case retrying
        /// An attempt's lease ran out (its worker died or stalled); the job waits again.
        case stalled
        /// Failed for good.
        case failed
        /// Removed from the queue.
        case removed
        /// A cancel was requested for the running job; its worker is stopping it.
        case cancelling
        /// A flow's parent was added and waits for its children.
        case waitingChildren = "waiting-children"
    }

    /// `kind` happened to the job with `id`.
    case job(Kind, id: String)
    /// The subscription reconnected: events in between were missed.
    case gap
}

/// A queue's events, as an `AsyncSequence`, for as long as `JobQueue.events`'s body runs.
public struct JobEvents: AsyncSequence, Sendable {
    public typealias Element = JobEvent
    /// One subscription (one queue, or one partition), or a partitioned queue's merged events.
    enum Source: Sendable {
        case subscription(RedisSubscription)
        case merged(AsyncThrowingStream<JobEvent, any Error>)
    }

    let source: Source

    init(subscription: RedisSubscription) {
        source = .subscription(subscription)
    }

    /// The events of several partitions, merged (`JobQueue+Partitions`).
    init(merged: AsyncThrowingStream<JobEvent, any Error>) {
        source = .merged(merged)
    }

    /// The iterator.
    public struct AsyncIterator: AsyncIteratorProtocol {
        enum Base {
            case subscription(RedisSubscription.AsyncIterator)
            case merged(AsyncThrowingStream<JobEvent, any Error>.AsyncIterator)
        }

        var base: Base

        /// The next event; nil once the subscription ended.
        public mutating func next() async throws -> JobEvent? {
            switch base {
            case .merged(var iterator):
                defer { base = .merged(iterator) }
                return try await iterator.next()
            case .subscription(var iterator):
                defer { base = .subscription(iterator) }
                while let event = try await iterator.next() {
                    guard let message = event.message else { return .gap }
                    let text = String(buffer: message.payload)
                    guard let space = text.firstIndex(of: " "), let kind = JobEvent.Kind(rawValue: String(text[..<space]))
                    else { continue }
                    return .job(kind, id: String(text[text.index(after: space)...]))
                }
                return nil
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        switch source {
        case .subscription(let subscription): AsyncIterator(base: .subscription(subscription.makeAsyncIterator()))
        case .merged(let stream): AsyncIterator(base: .merged(stream.makeAsyncIterator()))
        }
    }
}
