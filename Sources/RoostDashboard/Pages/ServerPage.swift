import Foundation

extension Dashboard {
    /// `/server`: the server's memory, clients, throughput, persistence and keyspace from
    /// `INFO`, and its slow log.
    func serverPage() async throws -> HTML {
        let figures = try await ServerFigures.read(from: client)
        let sections = ServerFigures.sections.map { section -> HTML in
            let rows = section.fields.compactMap { field -> HTML? in
                guard let value = figures.info[field] else { return nil }
                return "<tr><th scope=\"row\">\(field)</th><td data-testid=\"info-\(field)\">\(value)</td></tr>"
            }
            guard !rows.isEmpty else { return "" }
            return "<section><h2>\(section.title)</h2><table class=\"fields\">\(rows)</table></section>"
        }
        let keyspace: HTML = figures.keyspace.isEmpty ? "<p class=\"empty\" data-testid=\"keyspace-empty\">No keys.</p>"
            : """
                <table class="grid" data-testid="keyspace"><thead><tr><th>database</th><th>keys, expiring, average TTL</th></tr>\
                </thead><tbody>\(figures.keyspace.map { "<tr><td>\($0.database)</td><td>\($0.summary)</td></tr>" as HTML })</tbody></table>
                """
        let slowRows = figures.slowLog.map { entry -> HTML in
            let when = Date(timeIntervalSince1970: Double(entry.time)).formatted(Date.ISO8601FormatStyle())
            return """
                <tr data-testid="slowlog-row"><td>\(Int(entry.id))</td><td>\(when)</td><td>\(Int(entry.microseconds)) µs</td>\
                <td><code>\(entry.arguments.joined(separator: " "))</code></td></tr>
                """
        }
        let slowLog: HTML = slowRows.isEmpty ? "<p class=\"empty\" data-testid=\"slowlog-empty\">The slow log is empty.</p>"
            : """
                <table class="grid" data-testid="slowlog"><thead><tr><th>id</th><th>when</th><th>took</th><th>command</th></tr>\
                </thead><tbody>\(slowRows)</tbody></table>
                """
        return page("Server", """
            <h1>Server</h1>
            \(sections)
            <h2>Keyspace</h2>
            \(keyspace)
            <h2>Slow log</h2>
            \(slowLog)
            """)
    }
}
