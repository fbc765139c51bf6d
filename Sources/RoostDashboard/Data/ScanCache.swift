import NIOConcurrencyHelpers

/// A value found by walking the keyspace (`SCAN`): the queues, the coordination objects' names,
/// the MapReduce jobs. Kept for `lifetime`, so that pages, live refreshes and scrapes do not walk
/// the keyspace on every request; concurrent readers of an expired value may each read it once.
final class ScanCache<Value: Sendable>: Sendable {
    private struct Entry {
        var value: Value
        var readAt: ContinuousClock.Instant
    }

    private let lifetime: Duration
    private let read: @Sendable () async throws -> Value
    private let entry = NIOLockedValueBox<Entry?>(nil)

    init(lifetime: Duration, read: @escaping @Sendable () async throws -> Value) {
        self.lifetime = lifetime
        self.read = read
    }

    /// The value read at most `lifetime` ago, else read now.
    func value() async throws -> Value {
        let now = ContinuousClock.now
        if let cached = entry.withLockedValue({ $0.flatMap { now - $0.readAt < lifetime ? $0.value : nil } }) {
            return cached
        }
        let value = try await read()
        entry.withLockedValue { $0 = Entry(value: value, readAt: now) }
        return value
    }

    /// Forgets the value, so that the next look finds what was created meanwhile.
    func invalidate() { entry.withLockedValue { $0 = nil } }
}
