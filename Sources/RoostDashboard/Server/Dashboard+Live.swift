import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import ServiceLifecycle

/// How many live streams did what, for tests and `/metrics` later.
final class LiveCounts: Sendable {
    private let counters = NIOLockedValueBox((opened: 0, firstSent: 0, events: 0))

    /// Streams that sent their first snapshot.
    var firstSent: Int { counters.withLockedValue { $0.firstSent } }
    /// Snapshots sent over all streams.
    var events: Int { counters.withLockedValue { $0.events } }

    func sent(first: Bool) {
        counters.withLockedValue {
            $0.events += 1
            if first { $0.firstSent += 1 }
        }
    }
}

extension Dashboard {
    /// How often a stream with no change sends a comment, so that proxies keep it open.
    static let keepAliveInterval: Duration = .seconds(15)

    /// `GET events`: a `text/event-stream` of `counts` events, each a `DashboardSnapshot` as
    /// JSON: one at once, then one whenever a count, a pause or a worker count changed (read
    /// every `refreshInterval`). `?limit=N` ends the stream after N events. The stream ends
    /// at graceful shutdown.
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
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var last: DashboardSnapshot?
        var sent = 0
        var quietSince = ContinuousClock.now
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let snapshot = try await self.snapshot()
            if snapshot != last {
                let data = String(decoding: try encoder.encode(snapshot), as: UTF8.self)
                try await writer.write(ByteBuffer(string: "event: counts\ndata: \(data)\n\n"))
                live.sent(first: last == nil)
                last = snapshot
                sent += 1
                quietSince = .now
                if let limit, sent >= limit { return }
            } else if ContinuousClock.now - quietSince >= Self.keepAliveInterval {
                try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                quietSince = .now
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: configuration.refreshInterval) }
            } catch {
                return
            }
        }
    }
}
