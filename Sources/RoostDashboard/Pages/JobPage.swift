import RoostJobs

extension Dashboard {
    /// `/queues/<name>/jobs/<id>`: everything the queue holds of one job, and its actions.
    func jobPage(_ queue: JobQueue, id: String, back: String, notice: String?) async throws -> HTML? {
        guard let job = try await queue.info(id) else { return nil }
        let logs = try await queue.logs(of: id)
        let attempts = try await queue.attempts(of: id)
        func json(_ bytes: [UInt8]?, _ testID: String) -> HTML {
            guard let bytes, !bytes.isEmpty else { return "–" }
            return "<pre class=\"json\" data-testid=\"\(testID)\">\(String(decoding: bytes, as: UTF8.self))</pre>"
        }
        var timings: [HTML] = []
        if let started = job.startedAt { timings.append("waited \(Self.duration(max(started - job.enqueuedAt, 0)))") }
        if let started = job.startedAt, let finished = job.finishedAt {
            timings.append("ran \(Self.duration(max(finished - started, 0)))")
        }
        let rows: [(String, HTML)] = [
            ("id", "<code data-testid=\"job-id\">\(job.id)</code>"), ("queue", "<a href=\"\(link(queuePath(queue.name)))\">\(queue.name)</a>"),
            ("name", "\(job.name)"), ("state", "<span data-testid=\"job-state\">\(job.state.rawValue)</span>"),
            ("attempt", "<span data-testid=\"job-attempt\">\(job.attempt) of \(job.maxAttempts)</span>"),
            ("priority", "\(job.priority)"), ("enqueued", "\(Self.instant(job.enqueuedAt))"),
            ("started", "\(Self.instant(job.startedAt))"), ("finished", "\(Self.instant(job.finishedAt))"),
            ("timings", timings.isEmpty ? "–" : HTML(joining: timings.map { "<span class=\"timing\">\($0)</span> " })),
            ("payload", json(job.payload, "job-payload")), ("progress", json(job.progress, "job-progress")),
            ("result", json(job.result, "job-result")),
            ("last error", job.error.map { "<pre class=\"error\" data-testid=\"job-error\">\($0)</pre>" } ?? "–"),
        ] + flowRows(job.flow)
        let table = HTML(joining: rows.map { "<tr><th scope=\"row\">\($0.0)</th><td>\($0.1)</td></tr>" })
        let logList: HTML = logs.isEmpty ? "<p class=\"empty\">No log lines.</p>"
            : "<ol class=\"logs\" data-testid=\"job-logs\">\(logs.map { "<li><code>\($0)</code></li>" as HTML })</ol>"
        return page("Job \(job.id)", notice: notice, """
            <h1>Job <span data-testid="job-title">\(job.id)</span> in <a href="\(link(queuePath(queue.name)))">\(queue.name)</a></h1>
            <div class="actions" data-testid="job-actions">\(jobActions(queue.name, job, back: back))</div>
            <table class="fields" data-testid="job-fields">\(table)</table>
            <h2>Attempts</h2>
            \(attemptsTable(attempts))
            <h2>Logs</h2>
            \(logList)
            """)
    }

    /// The job's attempts, newest first: number, outcome, worker, start, duration, and the error
    /// with its detail folded under it.
    private func attemptsTable(_ attempts: [JobAttempt]) -> HTML {
        guard !attempts.isEmpty else { return "<p class=\"empty\" data-testid=\"no-attempts\">No attempts yet.</p>" }
        let rows = attempts.enumerated().reversed().map { index, attempt -> HTML in
            var took: HTML = "–"
            if let started = attempt.startedAt, let finished = attempt.finishedAt { took = "\(Self.duration(max(finished - started, 0)))" }
            var error: HTML = "–"
            if let message = attempt.error {
                error = "<span class=\"error\" data-testid=\"attempt-error\">\(message)</span>"
                if let detail = attempt.detail {
                    error = "\(error)<details data-testid=\"attempt-detail\"><summary>detail</summary><pre class=\"error\">\(detail)</pre></details>"
                }
            }
            return """
                <tr data-testid="attempt-\(index)"><td data-testid="attempt-number">\(attempt.number)</td>\
                <td data-testid="attempt-outcome">\(attempt.outcome.rawValue)</td><td><code>\(attempt.worker ?? "–")</code></td>\
                <td>\(Self.instant(attempt.startedAt))</td><td>\(took)</td><td>\(error)</td></tr>
                """
        }
        return """
            <table class="grid" data-testid="job-attempts"><thead><tr><th>attempt</th><th>outcome</th><th>worker</th>\
            <th>started</th><th>took</th><th>error</th></tr></thead><tbody>\(rows)</tbody></table>
            """
    }

    /// A flow's rows: the parent, and the children with their states, as links.
    private func flowRows(_ flow: JobFlow?) -> [(String, HTML)] {
        guard let flow else { return [] }
        var rows: [(String, HTML)] = []
        if let parent = flow.parent {
            rows.append(("parent", """
                <a href="\(link(jobPath(parent.queue, parent.id)))" data-testid="job-parent">\(parent.description)</a> \
                (on failure: \(flow.onFailure?.rawValue ?? "fail"))
                """))
        }
        if !flow.children.isEmpty {
            let items = flow.children.map { child -> HTML in
                let error: HTML = child.error.map { ": <span class=\"error\">\($0)</span>" } ?? ""
                return """
                    <li data-testid="job-child"><a href="\(link(jobPath(child.job.queue, child.job.id)))">\(child.job.description)</a> \
                    \(child.name), \(child.state.rawValue)\(error)</li>
                    """
            }
            rows.append(("children", "\(flow.children.count), \(flow.pendingChildren) pending<ul class=\"children\">\(items)</ul>"))
        }
        return rows
    }
}
