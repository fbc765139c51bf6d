import NIOConcurrencyHelpers
import RoostClient

/// Sends completions in batches: one script call carries every completion that arrived while
/// the previous call was on the wire. Under light load each completion goes alone, at once;
/// under heavy load a call carries many, and the server runs one script instead of many.
final class CompletionBatcher: Sendable {
    struct Item: Sendable {
        var id: String
        var token: Int64
        var result: [UInt8]
        var done: CheckedContinuation<Bool, any Error>
    }

    private struct State {
        var pending: [Item] = []
        var flushing = false
    }

    /// At most this many completions per call.
    static let maximumBatch = 256

    private let queue: JobQueue
    private let state = NIOLockedValueBox(State())

    init(queue: JobQueue) {
        self.queue = queue
    }

    /// Completes an attempt; returns false when the attempt was stale.
    func complete(id: String, token: Int64, result: [UInt8]) async throws -> Bool {
        try await withCheckedThrowingContinuation { continuation in
            let startFlushing = state.withLockedValue { s -> Bool in
                s.pending.append(Item(id: id, token: token, result: result, done: continuation))
                if s.flushing { return false }
                s.flushing = true
                return true
            }
            if startFlushing { Task { await self.flush() } }
        }
    }

    /// Sends batches until nothing is pending.
    private func flush() async {
        while true {
            let batch = state.withLockedValue { s -> [Item] in
                let batch = Array(s.pending.prefix(Self.maximumBatch))
                s.pending.removeFirst(batch.count)
                if batch.isEmpty { s.flushing = false }
                return batch
            }
            if batch.isEmpty { return }
            var arguments = [RedisArgument(queue.keys.jobPrefix), RedisArgument(queue.keys.events),
                             RedisArgument(queue.keepCompleted.count), RedisArgument(Int(queue.keepCompleted.age.milliseconds))]
            arguments.reserveCapacity(4 + batch.count * 3)
            for item in batch {
                arguments += [RedisArgument(item.id), RedisArgument(Int(item.token)), RedisArgument(bytes: item.result)]
            }
            do {
                let reply = try await queue.client.evaluate(JobScripts.complete, keys: queue.keys.all, arguments: arguments)
                guard let flags = reply.jobArray, flags.count == batch.count else {
                    throw JobsError.unexpectedReply("complete: \(reply)")
                }
                for (item, flag) in zip(batch, flags) { item.done.resume(returning: flag.jobInt == 1) }
            } catch {
                for item in batch { item.done.resume(throwing: error) }
            }
        }
    }
}
