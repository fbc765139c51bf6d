import Logging
import NIOConcurrencyHelpers
import RoostJobs

/// What the live streams share: one subscription to each queue's job events
/// (`roost:jobs:{q}:events`, a shard channel, so it works on a Redis Cluster as well), and one
/// reader that turns those events into snapshots.
///
/// While at least one stream listens, a reader task loops: it reads every queue's summary,
/// publishes the snapshot (`published` moves on), and waits for a job event (a transition, a
/// subscription that came up, or a `.gap` after a dropped one), or `safetyInterval` for what
/// publishes no event (pause, resume, limits, workers coming and going, new queues); then it
/// waits out the rest of `coalescing` since the read started, so that a burst of events makes
/// one read, and at most one snapshot per `coalescing` reaches each stream. With no stream left
/// the reader and every subscription are cancelled; the next stream starts them again.
///
/// The reader and the subscriptions are tasks this type owns and cancels (the dashboard can be
/// mounted in an application that never calls its `run()`, so there is no service to host
/// them).
final class LiveFeed: Sendable {
    /// A snapshot the reader published, when its read started, and the version of `events`
    /// then (what it has seen).
    struct Published: Sendable {
        var snapshot: DashboardSnapshot
        var readStartedAt: ContinuousClock.Instant
        var eventsVersion: UInt64
    }

    private struct State {
        var listeners = 0
        /// Counts the reader's starts; a reader of an older epoch starts no subscription.
        var epoch = 0
        var reader: Task<Void, Never>?
        var subscriptions: [String: Task<Void, Never>] = [:]
        var latest: Published?
    }

    /// Moves on with every job event, gap and subscription start.
    let events = VersionSignal()
    /// Moves on with every snapshot the reader publishes.
    let published = VersionSignal()
    private let state = NIOLockedValueBox(State())
    private let counts: LiveCounts
    private let safetyInterval: Duration
    private let coalescing: Duration
    private let logger: Logger

    init(counts: LiveCounts, safetyInterval: Duration, coalescing: Duration, logger: Logger) {
        self.counts = counts
        self.safetyInterval = safetyInterval
        self.coalescing = coalescing
        self.logger = logger
    }

    /// The reader's newest snapshot.
    var latest: Published? { state.withLockedValue { $0.latest } }

    /// Whether the newest snapshot was read after every event so far (so that only a later
    /// event makes the reader read again before `safetyInterval`).
    var isCaughtUp: Bool { latest?.eventsVersion == events.version }

    /// A stream starts listening: the first one starts the reader for `dashboard`.
    func join(_ dashboard: Dashboard) {
        state.withLockedValue { state in
            state.listeners += 1
            guard state.reader == nil else { return }
            state.epoch += 1
            let epoch = state.epoch
            state.reader = Task { await self.read(dashboard, epoch: epoch) }
        }
    }

    /// A stream stopped listening: the last one stops the reader and every subscription.
    func leave() {
        let stopped = state.withLockedValue { state -> [Task<Void, Never>] in
            state.listeners -= 1
            guard state.listeners == 0 else { return [] }
            let tasks = Array(state.subscriptions.values) + [state.reader].compactMap { $0 }
            state.reader = nil
            state.subscriptions = [:]
            state.latest = nil
            return tasks
        }
        for task in stopped { task.cancel() }
    }

    /// The reader's loop (see the type's documentation).
    private func read(_ dashboard: Dashboard, epoch: Int) async {
        while !Task.isCancelled {
            let seen = events.version
            let started = ContinuousClock.now
            do {
                follow(try await dashboard.directory.queues(), epoch: epoch)
                let snapshot = try await dashboard.snapshot()
                state.withLockedValue { state in
                    guard state.epoch == epoch, state.reader != nil else { return }
                    state.latest = Published(snapshot: snapshot, readStartedAt: started, eventsVersion: seen)
                }
                published.bump()
            } catch {
                if Task.isCancelled { return }
                logger.warning("reading the live counts failed", metadata: ["error": "\(error)"])
            }
            _ = await events.wait(past: seen, timeout: safetyInterval)
            try? await Task.sleep(until: started + coalescing)
        }
    }

    /// Subscribes to the events of the queues in `queues` that have no subscription yet, and
    /// ends those of queues no longer there.
    private func follow(_ queues: [JobQueue], epoch: Int) {
        let stopped = state.withLockedValue { state -> [Task<Void, Never>] in
            guard state.epoch == epoch, state.reader != nil else { return [] }
            for queue in queues where state.subscriptions[queue.name] == nil {
                state.subscriptions[queue.name] = Task { await self.subscribe(queue) }
            }
            let names = Set(queues.map(\.name))
            let gone = state.subscriptions.keys.filter { !names.contains($0) }
            return gone.compactMap { state.subscriptions.removeValue(forKey: $0) }
        }
        for task in stopped { task.cancel() }
    }

    /// Holds `queue`'s event subscription until cancelled: every event moves `events` on, and
    /// so does the subscription coming up (what happened before it is read then). A
    /// subscription that fails or ends is opened again after a pause.
    private func subscribe(_ queue: JobQueue) async {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await queue.events { events in
                    self.events.bump()
                    counts.subscribed(true)
                    defer { counts.subscribed(false) }
                    failures = 0
                    for try await event in events {
                        switch event {
                        case .job: counts.received(gap: false)
                        case .gap: counts.received(gap: true)
                        }
                        self.events.bump()
                    }
                }
            } catch {
                if Task.isCancelled { return }
                failures += 1
                logger.warning("the live subscription to a queue's events failed",
                               metadata: ["queue": "\(queue.name)", "error": "\(error)"])
            }
            // What happened while the subscription was down is read again.
            self.events.bump()
            try? await Task.sleep(for: .milliseconds(min(100 << min(failures, 6), 5000)))
        }
    }
}
