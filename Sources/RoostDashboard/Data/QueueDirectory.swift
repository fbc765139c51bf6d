import RoostCoordination
import RoostJobs

/// The queues on the server, found with `JobQueue.names(on:)` and kept for a while
/// (`ScanCache`), so that pages and live updates do not walk the keyspace on every request.
struct QueueDirectory: Sendable {
    private let client: any CoordinationClient
    private let cache: ScanCache<[JobQueue]>

    init(client: any CoordinationClient, lifetime: Duration) {
        self.client = client
        cache = ScanCache(lifetime: lifetime) {
            var queues: [JobQueue] = []
            for name in try await JobQueue.names(on: client) { queues.append(try await JobQueue.open(name, on: client)) }
            return queues
        }
    }

    /// Every queue, by name (opened with its partition count).
    func queues() async throws -> [JobQueue] { try await cache.value() }

    /// Queue `name` (known or not: a queue with no jobs yet has no keys to find).
    func queue(_ name: String) async throws -> JobQueue {
        if let known = try await queues().first(where: { $0.name == name }) { return known }
        return try await JobQueue.open(name, on: client)
    }

    /// Forgets the list, so that the next look finds queues created meanwhile.
    func invalidate() { cache.invalidate() }
}
