import RoostJobs

extension Dashboard {
    /// `/`: every queue with its counts per state (live), the last hour's throughput and failure
    /// rate of all queues together (live), then every announced worker.
    func overviewPage(notice: String?) async throws -> HTML {
        let queues = try await directory.queues()
        var summaries: [QueueSummary] = []
        var workers: [(queue: String, worker: WorkerPresence)] = []
        for queue in queues {
            summaries.append(try await summary(of: queue))
            workers += try await queue.workers().map { (queue: queue.name, worker: $0) }
        }
        let states = JobState.allCases
        let header = HTML(joining: states.map { "<th scope=\"col\">\($0.rawValue)</th>" })
        let rows = summaries.map { summary -> HTML in
            let cells = HTML(joining: states.map { state in
                countLink(queue: summary.name, state: state, count: summary.counts[state.rawValue] ?? 0)
            })
            return """
                <tr data-testid="queue-row-\(summary.name)">\
                <th scope="row"><a href="\(link(queuePath(summary.name)))" data-testid="queue-link-\(summary.name)">\(summary.name)</a></th>\
                \(cells)<td>\(pausedBadge(queue: summary.name, paused: summary.paused))</td>\
                <td data-workers-queue="\(summary.name)">\(summary.workers)</td></tr>
                """
        }
        let queueTable: HTML = summaries.isEmpty
            ? "<p class=\"empty\" data-testid=\"no-queues\">No queues on this server yet.</p>"
            : """
                <table class="grid" data-testid="queues"><thead><tr><th scope="col">queue</th>\(header)\
                <th scope="col">status</th><th scope="col">workers</th></tr></thead><tbody>\(rows)</tbody></table>
                """
        let charts: HTML = summaries.isEmpty ? "" : """
            <h2>Last hour, all queues</h2>
            \(Charts.lastHour(QueueThroughput.sum(summaries.map(\.lastHour)), queue: nil))
            """
        return page("Overview", notice: notice, """
            <h1>Queues</h1>
            \(queueTable)
            \(charts)
            <h2>Workers</h2>
            \(workerTable(workers))
            """)
    }

    /// A count that links to the state's list and that the live script keeps current.
    func countLink(queue: String, state: JobState, count: Int) -> HTML {
        """
        <td><a class="count" href="\(link(queuePath(queue)))?state=\(state.rawValue)" data-count-queue="\(queue)" \
        data-count-state="\(state.rawValue)" data-testid="count-\(queue)-\(state.rawValue)">\(count)</a></td>
        """
    }

    /// Whether `queue` is paused, as a badge the live script keeps current.
    func pausedBadge(queue: String, paused: Bool) -> HTML {
        "<span class=\"paused\" data-paused-queue=\"\(queue)\" data-testid=\"paused-\(queue)\">\(paused ? "paused" : "running")</span>"
    }

    /// The announced workers with their heartbeats and running jobs.
    func workerTable(_ workers: [(queue: String, worker: WorkerPresence)]) -> HTML {
        guard !workers.isEmpty else { return "<p class=\"empty\" data-testid=\"no-workers\">No worker has announced itself.</p>" }
        let rows = workers.map { queue, worker -> HTML in
            let running = HTML(joining: worker.running.map { "<a href=\"\(link(jobPath(queue, $0)))\">\($0)</a> " })
            return """
                <tr data-testid="worker-row"><td><a href="\(link(queuePath(queue)))">\(queue)</a></td><td><code>\(worker.id)</code></td>\
                <td>\(worker.host)</td><td>\(worker.pid)</td><td>\(worker.running.count)/\(worker.concurrency)</td>\
                <td>\(running)</td><td data-testid="worker-heartbeat">\(Self.age(worker.heartbeatAt)) ago</td>\
                <td>\(Self.instant(worker.startedAt))</td><td>\(worker.version)</td></tr>
                """
        }
        return """
            <table class="grid" data-testid="workers"><thead><tr><th>queue</th><th>worker</th><th>host</th><th>pid</th>\
            <th>busy</th><th>running jobs</th><th>heartbeat</th><th>started</th><th>version</th></tr></thead>\
            <tbody>\(rows)</tbody></table>
            """
    }
}
