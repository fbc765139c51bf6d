import Foundation
import Hummingbird
import RoostClient

extension Dashboard {
    /// `GET server`: the server page of a single server (`serverPage()`), or of a Redis Cluster
    /// (`clusterPage(node:)`, with `?node=host:port` choosing the node shown in full; 404 for a
    /// node the cluster does not have).
    func serverResponse(query: FormFields) async throws -> Response {
        guard let cluster = client as? RedisClusterClient else { return html(try await serverPage()) }
        let nodes = try await ClusterNodeFigures.read(from: cluster)
        let chosen = query["node"].flatMap { $0.isEmpty ? nil : $0 }
        let selected = if let chosen { nodes.first { $0.name == chosen } } else { nodes.first }
        guard let selected else { return refusal(.notFound, "The cluster has no node \(chosen ?? "").") }
        let figures = try await ServerFigures.read(from: cluster.node(selected.node.address))
        return html(clusterPage(nodes, selected: selected, figures: figures))
    }

    /// The server page of a single server: its memory, clients, throughput, persistence and
    /// keyspace from `INFO`, and its slow log.
    func serverPage() async throws -> HTML {
        page("Server", """
            <h1>Server</h1>
            \(figuresBody(try await ServerFigures.read(from: client)))
            """)
    }

    /// The server page of a cluster: every node in a table (address, role, slots, memory,
    /// clients, ops/s, keys) with a selector, then `selected`'s `figures` in full.
    func clusterPage(_ nodes: [ClusterNodeFigures], selected: ClusterNodeFigures, figures: ServerFigures) -> HTML {
        let rows = nodes.map { node -> HTML in
            let isSelected = node.name == selected.name
            let role = node.node.master.map { "replica of \($0)" } ?? "master"
            let cells: HTML
            switch node.figures {
            case .success(let figures):
                let info = figures.info
                cells = """
                    <td>\(info["used_memory_human"] ?? "–")</td><td>\(info["connected_clients"] ?? "–")</td>\
                    <td>\(info["instantaneous_ops_per_sec"] ?? "–")</td><td data-testid="node-keys-\(node.name)">\(figures.keyCount)</td>
                    """
            case .failure(let error):
                cells = "<td colspan=\"4\" class=\"error\" data-testid=\"node-error-\(node.name)\">did not answer: \(String(describing: error))</td>"
            }
            return """
                <tr data-testid="node-row-\(node.name)"\(isSelected ? " class=\"selected\" aria-current=\"true\"" : "" as HTML)>\
                <td><a href="\(link("/server"))?node=\(FormFields.escape(node.name))" data-testid="node-link-\(node.name)">\(node.name)</a></td>\
                <td data-testid="node-role-\(node.name)">\(role)</td><td>\(node.slotRanges) (\(node.node.slotCount))</td>\(cells)</tr>
                """
        }
        let options = nodes.map { node -> HTML in
            "<option value=\"\(node.name)\"\(node.name == selected.name ? " selected" : "" as HTML)>\(node.name) (\(node.node.role.rawValue))</option>"
        }
        return page("Server", """
            <h1>Cluster</h1>
            <table class="grid" data-testid="cluster-nodes"><thead><tr><th scope="col">node</th><th scope="col">role</th>\
            <th scope="col">slots</th><th scope="col">memory</th><th scope="col">clients</th><th scope="col">ops/s</th>\
            <th scope="col">keys</th></tr></thead><tbody>\(rows)</tbody></table>
            <form method="get" action="\(link("/server"))" data-testid="node-selector">\
            <label>Node <select name="node" data-testid="node-select">\(options)</select></label> \
            <button type="submit" data-testid="node-show">Show</button></form>
            <h1 data-testid="node-title">Node \(selected.name) (\(selected.node.role.rawValue))</h1>
            \(figuresBody(figures))
            """)
    }

    /// One server's (or node's) `INFO` sections, keyspace and slow log.
    func figuresBody(_ figures: ServerFigures) -> HTML {
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
        return """
            \(sections)
            <h2>Keyspace</h2>
            \(keyspace)
            <h2>Slow log</h2>
            \(slowLog)
            """
    }
}
