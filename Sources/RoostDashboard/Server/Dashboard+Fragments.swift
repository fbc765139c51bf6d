import Hummingbird
import ServiceLifecycle

/// Live fragments: the parts of the MapReduce job and coordination pages that change while one
/// looks at them. A fragment's route answers its HTML, or, asked for `text/event-stream` (as
/// the page's `EventSource` asks), a stream of `fragment` events: the HTML at once, then again
/// whenever it changed, read every `fragmentInterval`. The stream ends after a fragment marked
/// `data-live-final` (a finished job), after `?limit=N` events, or at graceful shutdown.
extension Dashboard {
    /// How often a streamed fragment is read again.
    static let fragmentInterval: Duration = .seconds(1)

    /// `render()`'s fragment for `request`, as HTML or as a stream (see above); `render`
    /// returns nil for something that is not there (404, `missing`).
    func fragment(_ request: Request, missing: @escaping @Sendable () -> Response,
                  _ render: @escaping @Sendable () async throws -> HTML?) async throws -> Response {
        guard request.headers[.accept]?.contains("text/event-stream") == true else {
            guard let html = try await render() else { return missing() }
            return self.html(html)
        }
        let limit = Int(FormFields(request.uri.query ?? "")["limit"] ?? "")
        let body = ResponseBody { writer in
            var last: String?
            var sent = 0
            var quietSince = ContinuousClock.now
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                guard let text = try await render()?.text else { break }
                if text != last {
                    // One `data:` line per line of HTML; the browser joins them with newlines.
                    let data = text.split(separator: "\n", omittingEmptySubsequences: false).map { "data: \($0)\n" }.joined()
                    try await writer.write(ByteBuffer(string: "event: fragment\n\(data)\n"))
                    last = text
                    sent += 1
                    quietSince = .now
                    if text.contains("data-live-final") { break }
                    if let limit, sent >= limit { break }
                } else if ContinuousClock.now - quietSince >= Self.keepAliveInterval {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    quietSince = .now
                }
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.fragmentInterval) }
                } catch {
                    break
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }
}
