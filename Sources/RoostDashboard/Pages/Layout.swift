import Foundation
import Hummingbird
import RoostJobs

/// The frame every page shares, and the small pieces pages are made of.
extension Dashboard {
    /// A whole page: head, navigation, the notice a redirect carried, `body`, the script.
    func page(_ title: String, notice: String? = nil, _ body: HTML) -> HTML {
        let noticeHTML: HTML = notice.map { "<p class=\"notice\" role=\"status\" data-testid=\"notice\">\($0)</p>" } ?? ""
        let mode: HTML = configuration.readOnly ? "<span class=\"badge\" data-testid=\"read-only\">read-only</span>" : ""
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · Roost dashboard</title>
            <link rel="icon" href="data:,">
            <link rel="stylesheet" href="\(link("/assets/dashboard.css"))">
            </head>
            <body data-base="\(configuration.basePath)">
            <header class="top">
            <a class="brand" href="\(link("/"))" data-testid="nav-overview">Roost</a>
            <nav><a href="\(link("/"))">Overview</a> <a href="\(link("/compute"))" data-testid="nav-compute">Compute</a> <a href="\(link("/coordination"))" data-testid="nav-coordination">Coordination</a> <a href="\(link("/server"))" data-testid="nav-server">Server</a></nav>
            \(mode)
            <span id="live-status" class="live" data-testid="live-status">static</span>
            </header>
            <main id="main">
            \(noticeHTML)
            \(body)
            </main>
            <script src="\(link("/assets/dashboard.js"))" defer></script>
            </body>
            </html>

            """
    }

    /// A 200 (or `status`) response with `page` as HTML.
    func html(_ page: HTML, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: page.text)))
    }

    /// A short HTML page saying why a request was refused.
    func refusal(_ status: HTTPResponse.Status, _ message: String) -> Response {
        html(page(status.reasonPhrase, "<h1>\(status.reasonPhrase)</h1><p data-testid=\"refusal\">\(message)</p>"), status: status)
    }

    /// A form that POSTs action `path` with the CSRF token, as one button; nothing in
    /// read-only mode. `back` is where to return; `confirm` asks before sending.
    func actionButton(_ label: String, path: String, back: String, testID: String, confirm: String? = nil,
                      fields: [(String, String)] = []) -> HTML {
        guard !configuration.readOnly else { return "" }
        let confirmAttribute: HTML = confirm.map { " data-confirm=\"\($0)\"" } ?? ""
        let extra = HTML(joining: fields.map { "<input type=\"hidden\" name=\"\($0.0)\" value=\"\($0.1)\">" })
        return """
            <form class="action" method="post" action="\(link(path))"\(confirmAttribute)>\
            <input type="hidden" name="_csrf" value="\(secrets.csrfToken)">\
            <input type="hidden" name="_back" value="\(back)">\(extra)\
            <button type="submit" data-testid="\(testID)">\(label)</button></form>
            """
    }

    /// A server time in milliseconds since 1970 as `2026-12-06T23:16:12Z`, with how long ago.
    static func instant(_ milliseconds: Int64?) -> String {
        guard let milliseconds, milliseconds > 0 else { return "–" }
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        return "\(date.formatted(Date.ISO8601FormatStyle())) (\(age(milliseconds)) ago)"
    }

    /// How long ago `milliseconds` was, as `3s`, `5m 2s`, `2h 10m`, `4d 1h`.
    static func age(_ milliseconds: Int64) -> String {
        duration(max(Int64(Date().timeIntervalSince1970 * 1000) - milliseconds, 0))
    }

    /// `milliseconds` as `850ms`, `3s`, `5m 2s`, `2h 10m`, `4d 1h`.
    static func duration(_ milliseconds: Int64) -> String {
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        let seconds = milliseconds / 1000
        switch seconds {
        case ..<60: return "\(seconds)s"
        case ..<3600: return "\(seconds / 60)m \(seconds % 60)s"
        case ..<86400: return "\(seconds / 3600)h \(seconds % 3600 / 60)m"
        default: return "\(seconds / 86400)d \(seconds % 86400 / 3600)h"
        }
    }

    /// The path of queue `name`'s page.
    func queuePath(_ name: String) -> String { "/queues/" + FormFields.escape(name) }

    /// The path of job `id`'s page in queue `queue`.
    func jobPath(_ queue: String, _ id: String) -> String { queuePath(queue) + "/jobs/" + FormFields.escape(id) }
}
