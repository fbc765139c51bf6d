import RoostJobs

extension Dashboard {
    /// `/queues/<name>?state=S&page=P&q=TEXT`: the queue's counts as tabs, its actions, and
    /// one page of the jobs in state S (or those whose id or name contains TEXT).
    func queuePage(_ queue: JobQueue, query: FormFields, back: String, notice: String?) async throws -> HTML {
        let state = query["state"].flatMap(JobState.init(rawValue:)) ?? .waiting
        let pageNumber = max(Int(query["page"] ?? "") ?? 1, 1)
        let search = (query["q"] ?? "").trimmingCharacters(in: .whitespaces)
        let summary = try await summary(of: queue)
        let jobs: [JobInfo]
        if search.isEmpty {
            let ids = try await queue.ids(in: state, offset: (pageNumber - 1) * configuration.pageSize, limit: configuration.pageSize)
            jobs = try await queue.infos(ids)
        } else {
            var found = try await queue.infos([search]).filter { $0.state == state } // an exact id first
            for job in try await queue.search(search, in: state, limit: configuration.pageSize) where job.id != search {
                found.append(job)
            }
            jobs = found
        }
        let tabs = HTML(joining: JobState.allCases.map { tab -> HTML in
            let current: HTML = tab == state ? " aria-current=\"page\"" : ""
            return """
                <a class="tab" href="\(link(queuePath(queue.name)))?state=\(tab.rawValue)"\(current) data-testid="tab-\(tab.rawValue)">\
                \(tab.rawValue) <span class="count" data-count-queue="\(queue.name)" data-count-state="\(tab.rawValue)" \
                data-testid="count-\(queue.name)-\(tab.rawValue)">\(summary.counts[tab.rawValue] ?? 0)</span></a>
                """
        })
        let total = summary.counts[state.rawValue] ?? 0
        return page(queue.name, notice: notice, """
            <h1>Queue <span data-testid="queue-name">\(queue.name)</span> \(pausedBadge(queue: queue.name, paused: summary.paused))</h1>
            <div class="actions" data-testid="queue-actions">\(queueActions(queue.name, state: state, paused: summary.paused, back: back))</div>
            <nav class="tabs">\(tabs)</nav>
            <form class="search" method="get" action="\(link(queuePath(queue.name)))" role="search">\
            <input type="hidden" name="state" value="\(state.rawValue)">\
            <input type="search" name="q" value="\(search)" placeholder="id, name or payload" data-testid="search-input">\
            <button type="submit" data-testid="search-submit">Search</button></form>
            \(jobTable(queue.name, state: state, jobs: jobs, back: back))
            \(search.isEmpty ? pager(queue.name, state: state, page: pageNumber, total: total) : "")
            """)
    }

    /// The queue-wide actions that suit the state shown.
    private func queueActions(_ name: String, state: JobState, paused: Bool, back: String) -> HTML {
        let path = queuePath(name)
        var buttons: [HTML] = [paused
            ? actionButton("Resume", path: path + "/resume", back: back, testID: "action-resume")
            : actionButton("Pause", path: path + "/pause", back: back, testID: "action-pause")]
        switch state {
        case .failed:
            buttons.append(actionButton("Retry all failed", path: path + "/retry-failed", back: back, testID: "action-retry-all",
                                        confirm: "Send every failed job back to waiting?"))
            buttons.append(actionButton("Clean failed", path: path + "/clean", back: back, testID: "action-clean",
                                        confirm: "Remove every failed job?", fields: [("state", "failed")]))
        case .completed:
            buttons.append(actionButton("Clean completed", path: path + "/clean", back: back, testID: "action-clean",
                                        confirm: "Remove every completed job?", fields: [("state", "completed")]))
        case .delayed:
            buttons.append(actionButton("Promote all delayed", path: path + "/promote-delayed", back: back,
                                        testID: "action-promote-all"))
        default:
            break
        }
        return HTML(joining: buttons)
    }

    /// One row per job, with the actions its state allows.
    private func jobTable(_ queue: String, state: JobState, jobs: [JobInfo], back: String) -> HTML {
        guard !jobs.isEmpty else { return "<p class=\"empty\" data-testid=\"no-jobs\">No \(state.rawValue) jobs.</p>" }
        let rows = jobs.map { job -> HTML in
            let error: HTML = job.error.map { "<span class=\"error\">\($0)</span>" } ?? ""
            return """
                <tr data-testid="job-row-\(job.id)"><td><a href="\(link(jobPath(queue, job.id)))" data-testid="job-link-\(job.id)">\
                \(job.id)</a></td><td>\(job.name)</td><td>\(job.attempt)/\(job.maxAttempts)</td>\
                <td>\(Self.instant(job.enqueuedAt))</td><td>\(error)</td><td>\(jobActions(queue, job, back: back))</td></tr>
                """
        }
        return """
            <table class="grid" data-testid="jobs"><thead><tr><th>id</th><th>name</th><th>attempt</th><th>enqueued</th>\
            <th>last error</th><th></th></tr></thead><tbody>\(rows)</tbody></table>
            """
    }

    /// The actions on one job that its state allows.
    func jobActions(_ queue: String, _ job: JobInfo, back: String) -> HTML {
        let path = jobPath(queue, job.id)
        var buttons: [HTML] = []
        if job.state == .failed { buttons.append(actionButton("Retry", path: path + "/retry", back: back, testID: "action-retry")) }
        if job.state == .delayed {
            buttons.append(actionButton("Promote", path: path + "/promote", back: back, testID: "action-promote"))
        }
        if [.waiting, .delayed, .active, .waitingChildren].contains(job.state) {
            buttons.append(actionButton("Cancel", path: path + "/cancel", back: back, testID: "action-cancel",
                                        confirm: "Cancel job \(job.id)?"))
        }
        if job.state != .active {
            buttons.append(actionButton("Delete", path: path + "/delete", back: back, testID: "action-delete",
                                        confirm: "Delete job \(job.id)?"))
        }
        return HTML(joining: buttons)
    }

    /// Previous and next links around "page P of N".
    private func pager(_ queue: String, state: JobState, page: Int, total: Int) -> HTML {
        let pages = max((total + configuration.pageSize - 1) / configuration.pageSize, 1)
        let base = link(queuePath(queue)) + "?state=" + state.rawValue + "&page="
        let previous: HTML = page > 1 ? "<a href=\"\(base + String(page - 1))\" rel=\"prev\" data-testid=\"page-prev\">← previous</a>" : ""
        let next: HTML = page < pages ? "<a href=\"\(base + String(page + 1))\" rel=\"next\" data-testid=\"page-next\">next →</a>" : ""
        return "<nav class=\"pager\">\(previous) <span data-testid=\"page-number\">page \(page) of \(pages)</span> \(next)</nav>"
    }
}
