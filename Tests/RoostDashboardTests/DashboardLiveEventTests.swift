import Hummingbird
import RoostClient
import RoostCoordination
@testable import RoostDashboard
import RoostJobs
import RoostRESP
import RoostTestSupport
import Testing

/// Roost, redis-server and the cluster: the live updates ride on shard channels, which the
/// cluster serves on the master of the queue's slot.
let liveEventBackends = [TestBackend.roost, .redis, .redisCluster].filter(\.isAvailable)

@Suite("RoostDashboard live updates driven by the queues' job events, one subscription per queue")
struct DashboardLiveEventTests {
    /// A safety re-read so rare that a test passing within its deadline was driven by events.
    static func eventDriven() -> Dashboard.Configuration {
        var configuration = Dashboard.Configuration()
        configuration.refreshInterval = .seconds(3600)
        return configuration
    }

    @Test(arguments: liveEventBackends)
    func aJobTransitionReachesAnOpenStreamLongBeforeTheSafetyReRead(_ backend: TestBackend) async throws {
        try await withDashboard(backend, Self.eventDriven()) { fixture in
            let queue = fixture.queue("evented")
            try await queue.enqueue(Mail(to: "first"))
            let streams = try await Self.streams(fixture, ready: { Self.isListening(fixture, streams: 1) }) {
                try await queue.enqueue(Mail(to: "second"))
            }
            let events = try #require(streams.first)
            #expect(events.count == 2)
            #expect(events.first?.contains("\"waiting\":1") == true)
            #expect(events.last?.contains("\"waiting\":2") == true)
            #expect(fixture.dashboard.live.jobEvents >= 1)
            let metrics = try await fixture.get("/metrics")
            #expect(metrics.text.contains("# TYPE roost_dashboard_live_job_events gauge"))
            #expect(!metrics.text.contains("roost_dashboard_live_job_events 0\n"))
        }
    }

    @Test(arguments: liveEventBackends)
    func manyStreamsShareOneSubscriptionPerQueue(_ backend: TestBackend) async throws {
        try await withDashboard(backend, Self.eventDriven()) { fixture in
            let queue = fixture.queue("shared")
            let channel = "roost:jobs:{shared}:events"
            try await queue.enqueue(Mail(to: "first"))
            let streams = try await Self.streams(fixture, count: 5, ready: {
                guard Self.isListening(fixture, streams: 5) else { return false }
                return try await Self.subscribers(of: channel, on: fixture.client) == 1
            }) {
                // Five open streams, one subscription on the server.
                #expect(try await Self.subscribers(of: channel, on: fixture.client) == 1)
                try await queue.enqueue(Mail(to: "second"))
            }
            #expect(streams.count == 5)
            for events in streams { #expect(events.last?.contains("\"waiting\":2") == true) }
            // The last stream gone, the subscription goes too.
            try await eventually("the subscription ended") {
                guard fixture.dashboard.live.subscriptions == 0 else { return false }
                return try await Self.subscribers(of: channel, on: fixture.client) == 0
            }
        }
    }

    @Test(arguments: liveEventBackends)
    func aDroppedSubscriptionIsReopenedAndTheCountsReadAgain(_ backend: TestBackend) async throws {
        try await withDashboard(backend, Self.eventDriven()) { fixture in
            let queue = fixture.queue("dropped")
            try await queue.enqueue(Mail(to: "first"))
            let streams = try await Self.streams(fixture, ready: { Self.isListening(fixture, streams: 1) }) {
                // A pause publishes no event: only the re-read after the gap can show it.
                try await queue.pause()
                try await Self.killSubscribers(on: fixture.client)
            }
            #expect(streams.first?.last?.contains("\"paused\":true") == true)
            #expect(fixture.dashboard.live.gaps >= 1)
        }
    }

    @Test(arguments: TestBackend.available)
    func thePauseButtonReachesAnOpenStreamThoughAPausePublishesNoEvent(_ backend: TestBackend) async throws {
        try await withDashboard(backend, Self.eventDriven()) { fixture in
            let queue = fixture.queue("paused-live")
            try await queue.enqueue(Mail(to: "first"))
            let streams = try await Self.streams(fixture, ready: { Self.isListening(fixture, streams: 1) }) {
                let reply = try await fixture.post("/queues/paused-live/pause", [("_back", "/")])
                #expect(reply.status == .seeOther)
            }
            #expect(streams.first?.last?.contains("\"paused\":true") == true)
        }
    }

    /// Whether `streams` streams sent their first snapshot, the queue's one subscription is up,
    /// and the feed has read every event so far: from then on only a new event (or a gap)
    /// makes it read again before the safety interval.
    static func isListening(_ fixture: DashboardFixture, streams: Int) -> Bool {
        fixture.dashboard.live.firstSent >= streams && fixture.dashboard.live.subscriptions == 1 && fixture.dashboard.feed.isCaughtUp
    }

    /// Opens `count` event streams of `limit` events each; once `ready` holds, runs `change`;
    /// returns each stream's `counts` events. Fails after `deadline`.
    static func streams(_ fixture: DashboardFixture, count: Int = 1, limit: Int = 2, deadline: Duration = .seconds(30),
                        ready: @escaping @Sendable () async throws -> Bool,
                        change: @escaping @Sendable () async throws -> Void) async throws -> [[String]] {
        try await withThrowingTaskGroup(of: [String]?.self) { group in
            for _ in 0..<count {
                group.addTask {
                    let text = try await fixture.get("/events?limit=\(limit)").text
                    return text.components(separatedBy: "\n\n").filter { $0.hasPrefix("event: counts\ndata: ") }
                }
            }
            group.addTask {
                try await eventually("the streams to be ready", ready)
                try await change()
                return nil
            }
            group.addTask {
                try await Task.sleep(for: deadline)
                Issue.record("the live streams did not end within \(deadline)")
                throw CancellationError()
            }
            var streams: [[String]] = []
            while streams.count < count, let result = try await group.next() {
                if let result { streams.append(result) }
            }
            group.cancelAll()
            return streams
        }
    }

    /// How many connections subscribe to shard channel `channel` (on a cluster, over every node).
    static func subscribers(of channel: String, on client: any CoordinationClient) async throws -> Int {
        @Sendable func count(_ node: some RedisCommandExecutor) async throws -> Int {
            let reply = try await node.send("PUBSUB", "SHARDNUMSUB", channel)
            switch reply {
            case .array(.some(let items)) where items.count == 2: return try Int(fromRESP: items[1])
            case .map(let pairs) where pairs.count == 1: return try Int(fromRESP: pairs[0].1)
            default: throw RESPDecodingError(expected: "channel and count", actual: "\(reply)")
            }
        }
        guard let cluster = client as? RedisClusterClient else { return try await count(client) }
        return try await cluster.onEveryNode { _, node in try await count(node) }.map { try $0.result.get() }.reduce(0, +)
    }

    /// Closes every subscribed connection (`CLIENT KILL TYPE pubsub`; on a cluster, on every node).
    static func killSubscribers(on client: any CoordinationClient) async throws {
        let kill = RedisCommand("CLIENT", ["KILL", "TYPE", "pubsub"])
        guard let cluster = client as? RedisClusterClient else { return _ = try await client.execute(kill, timeout: nil) }
        for reply in try await cluster.onEveryNode({ _, node in try await node.execute(kill, timeout: nil) }) {
            _ = try reply.result.get()
        }
    }
}
