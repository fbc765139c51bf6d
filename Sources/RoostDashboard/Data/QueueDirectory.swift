import NIOConcurrencyHelpers
import RoostCoordination
import RoostJobs

/// The queues on the server, found with `JobQueue.names(on:)` and kept for `lifetime`, so that
/// pages and live updates do not walk the keyspace on every request.
final class QueueDirectory: Sendable {
    private struct Cache {
        var queues: [JobQueue] = []
        var readAt: ContinuousClock.Instant?
    }

    private let client: any CoordinationClient
    private let lifetime: Duration
    private let cache = NIOLockedValueBox(Cache())

    init(client: any CoordinationClient, lifetime: Duration) {
        self.client = client
        self.lifetime = lifetime
    }

    /// Every queue, by name (opened with its partition count).
    func queues() async throws -> [JobQueue] {
        let now = ContinuousClock.now
        if let cached = cache.withLockedValue({ $0.readAt.map { now - $0 < lifetime } == true ? $0.queues : nil }) {
            return cached
        }
        var queues: [JobQueue] = []
        for name in try await JobQueue.names(on: client) { queues.append(try await JobQueue.open(name, on: client)) }
        cache.withLockedValue { $0 = Cache(queues: queues, readAt: now) }
        return queues
    }

    /// Queue `name` (known or not: a queue with no jobs yet has no keys to find).
    func queue(_ name: String) async throws -> JobQueue {
        if let known = try await queues().first(where: { $0.name == name }) { return known }
        return try await JobQueue.open(name, on: client)
    }

    /// Forgets the list, so that the next look finds queues created meanwhile.
    func invalidate() { cache.withLockedValue { $0.readAt = nil } }
}
