import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import ServiceLifecycle

/// How many live streams did what and what the shared subscriptions heard, for tests and
/// `/metrics`.
final class LiveCounts: Sendable {
    private struct Counters {
        var firstSent = 0
        var events = 0
        var jobEvents = 0
        var gaps = 0
        var subscriptions = 0
    }

    private let counters = NIOLockedValueBox(Counters())

    /// Streams that sent their first snapshot.
    var firstSent: Int { counters.withLockedValue { $0.firstSent } }
    /// Snapshots sent over all streams.
    var events: Int { counters.withLockedValue { $0.events } }
    /// Job events the shared subscriptions received.
    var jobEvents: Int { counters.withLockedValue { $0.jobEvents } }
    /// Gaps the shared subscriptions reported (a dropped connection, reopened).
    var gaps: Int { counters.withLockedValue { $0.gaps } }
    /// Queue event subscriptions in place now.
    var subscriptions: Int { counters.withLockedValue { $0.subscriptions } }

    func sent(first: Bool) {
        counters.withLockedValue {
            $0.events += 1
            if first { $0.firstSent += 1 }
        }
    }

    /// A shared subscription received a job event, or a gap.
    func received(gap: Bool) {
        counters.withLockedValue {
            if gap { $0.gaps += 1 } else { $0.jobEvents += 1 }
        }
    }

    /// A shared subscription came up (`true`) or ended.
    func subscribed(_ up: Bool) {
        counters.withLockedValue { $0.subscriptions += up ? 1 : -1 }
    }
}

extension Dashboard {
    /// How often a stream with no change sends a comment, so that proxies keep it open.
    static let keepAliveInterval: Duration = .seconds(15)

    /// `GET events`: a `text/event-stream` of `counts` events, each a `DashboardSnapshot` as
    /// JSON: one at once, then one soon after a job event changed a count (at most one per
    /// `liveCoalescing`), and after a pause or a worker count changed (read every
    /// `refreshInterval`); see `LiveFeed`. However many streams are open, each queue has one
    /// subscription. `?limit=N` ends the stream after N events. The stream ends at graceful
    /// shutdown.
    func addLiveRoutes<Context: RequestContext>(to routes: RouteCollection<Context>) {
        routes.get("events") { request, _ -> Response in
            let limit = Int(FormFields(request.uri.query ?? "")["limit"] ?? "")
            let body = ResponseBody { writer in
                try await streamSnapshots(to: &writer, limit: limit)
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
        }
    }

    private func streamSnapshots(to writer: inout any ResponseBodyWriter, limit: Int?) async throws {
        feed.join(self)
        defer { feed.leave() }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        func event(_ snapshot: DashboardSnapshot) throws -> ByteBuffer {
            ByteBuffer(string: "event: counts\ndata: \(String(decoding: try encoder.encode(snapshot), as: UTF8.self))\n\n")
        }
        // What the feed read before this stream's own first read is older than that read.
        var seen = feed.published.version
        let started = ContinuousClock.now
        var last = try await self.snapshot()
        try await writer.write(try event(last))
        live.sent(first: true)
        var sent = 1
        var quietSince = ContinuousClock.now
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if let limit, sent >= limit { return }
            let version = seen
            let timeout = Self.keepAliveInterval - (ContinuousClock.now - quietSince)
            _ = await cancelWhenGracefulShutdown { await feed.published.wait(past: version, timeout: timeout) }
            seen = feed.published.version
            if let latest = feed.latest, latest.readStartedAt > started, latest.snapshot != last {
                last = latest.snapshot
                try await writer.write(try event(last))
                live.sent(first: false)
                sent += 1
                quietSince = .now
            } else if ContinuousClock.now - quietSince >= Self.keepAliveInterval {
                try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                quietSince = .now
            }
        }
    }
}
