import RoostCompute
import RoostJobs

extension Dashboard {
    /// `/compute`: every MapReduce job with its status, phase, progress, bytes and rate, then
    /// links to the queues that compute tasks and MapReduce attempts run on.
    func computePage() async throws -> HTML {
        let jobs = try await mapReduceSummaries()
        let rows = jobs.map { job -> HTML in
            let path = computeJobPath(job.reference)
            let testID = "\(job.reference.namespace)-\(job.reference.job)"
            return """
                <tr data-testid="mr-row-\(testID)"><td>\(job.reference.namespace)</td>\
                <th scope="row"><a href="\(link(path))" data-testid="mr-link-\(testID)">\(job.reference.job)</a></th>\
                <td>\(job.name) v\(job.version)</td><td data-testid="mr-status-\(testID)">\(job.status.rawValue)</td>\
                <td data-testid="mr-phase-\(testID)">\(job.phase.rawValue)</td><td>\(Self.progressBar(job))</td>\
                <td data-testid="mr-bytes-\(testID)">\(Self.bytes(job.bytesIn)) / \(Self.bytes(job.bytesOut))</td>\
                <td>\(Self.rate(job.bytesPerSecond))</td><td>\(Self.duration(job.elapsedMilliseconds))</td></tr>
                """
        }
        let jobTable: HTML = jobs.isEmpty
            ? "<p class=\"empty\" data-testid=\"no-mapreduce\">No MapReduce jobs on this server.</p>"
            : """
                <table class="grid" data-testid="mapreduce-jobs"><thead><tr><th>namespace</th><th>job</th><th>function</th>\
                <th>status</th><th>phase</th><th>tasks done</th><th>bytes in / out</th><th>rate</th><th>elapsed</th></tr>\
                </thead><tbody>\(rows)</tbody></table>
                """
        let queues = try await directory.queues().map(\.name).filter { $0.hasPrefix("compute:") || $0.hasPrefix("mapreduce:") }
        let queueLinks: HTML = queues.isEmpty
            ? "<p class=\"empty\" data-testid=\"no-compute-queues\">No compute or MapReduce queues yet.</p>"
            : "<ul data-testid=\"compute-queues\">\(queues.map { "<li><a href=\"\(link(queuePath($0)))\">\($0)</a></li>" as HTML })</ul>"
        return page("Compute", """
            <h1>MapReduce jobs</h1>
            \(jobTable)
            <h2>Task queues</h2>
            <p>Compute tasks run as jobs of the queues <code>compute:&lt;namespace&gt;</code>, MapReduce attempts and \
            coordinators of <code>mapreduce:&lt;namespace&gt;</code>.</p>
            \(queueLinks)
            """)
    }

    /// `/compute/<namespace>/<job>`: the job's figures (`computeFigures`), which the live script
    /// reads again every second while the job runs; nil for a job that does not exist.
    func computeJobPage(_ reference: MapReduceJobReference) async throws -> HTML? {
        guard let figures = try await computeFigures(reference) else { return nil }
        return page("MapReduce \(reference.namespace)/\(reference.job)", """
            <h1>MapReduce job <code>\(reference.job)</code> in <code>\(reference.namespace)</code></h1>
            <p><a href="\(link("/compute"))">All MapReduce jobs</a></p>
            <div id="compute-live" data-live-fragment="\(link(computeJobPath(reference) + "/figures"))" data-testid="compute-live">
            \(figures)
            </div>
            """)
    }

    /// The live part of a job's page: summary, phases, running attempts and workers; once the
    /// job no longer runs, with the `data-live-final` mark that ends the page's refreshes.
    func computeFigures(_ reference: MapReduceJobReference) async throws -> HTML? {
        guard let inspection = try await MapReduce(reference.namespace, on: client).inspect(reference.job) else { return nil }
        let job = inspection.summary
        let error: HTML = job.error.map { "<tr><th>error</th><td class=\"error\" data-testid=\"mr-error\">\($0)</td></tr>" } ?? ""
        let final: HTML = job.status == .running ? "" : "<span hidden data-live-final></span>"
        let phases = [job.map, job.reduce].map { phase -> HTML in
            let stage = phase.stage == .map ? "map" : "reduce"
            return """
                <tr data-testid="phase-\(stage)"><th scope="row">\(stage)</th>\
                <td data-testid="phase-\(stage)-pending">\(phase.pending)</td><td data-testid="phase-\(stage)-running">\(phase.running)</td>\
                <td data-testid="phase-\(stage)-done">\(phase.done)</td><td data-testid="phase-\(stage)-failed">\(phase.failed)</td>\
                <td>\(phase.total)</td><td>\(phase.failedAttempts)</td><td>\(phase.backups)</td>\
                <td>\(phase.medianMilliseconds.map(Self.duration) ?? "–")</td><td>\(Self.duration(phase.stragglerAfterMilliseconds))</td></tr>
                """
        }
        return """
            \(final)
            <table class="fields"><tbody>
            <tr><th>function</th><td>\(job.name) v\(job.version)</td></tr>
            <tr><th>status</th><td data-testid="mr-status">\(job.status.rawValue)</td></tr>
            <tr><th>phase</th><td data-testid="mr-phase">\(job.phase.rawValue)</td></tr>
            <tr><th>tasks done</th><td>\(Self.progressBar(job))</td></tr>
            <tr><th>submitted</th><td>\(Self.instant(job.submittedAt))</td></tr>
            <tr><th>finished</th><td>\(Self.instant(job.finishedAt))</td></tr>
            <tr><th>elapsed</th><td>\(Self.duration(job.elapsedMilliseconds))</td></tr>
            <tr><th>bytes in</th><td data-testid="mr-bytes-in">\(Self.bytes(job.bytesIn))</td></tr>
            <tr><th>bytes out</th><td data-testid="mr-bytes-out">\(Self.bytes(job.bytesOut))</td></tr>
            <tr><th>records</th><td data-testid="mr-records">\(String(job.records))</td></tr>
            <tr><th>rate</th><td data-testid="mr-rate">\(Self.rate(job.bytesPerSecond))</td></tr>
            <tr><th>attempts queue</th><td><a href="\(link(queuePath(job.tasksQueue)))">\(job.tasksQueue)</a></td></tr>
            \(error)
            </tbody></table>
            <h2>Phases</h2>
            <table class="grid" data-testid="phases"><thead><tr><th>phase</th><th>pending</th><th>running</th><th>done</th>\
            <th>failed</th><th>total</th><th>failed attempts</th><th>backups</th><th>median time</th><th>straggler after</th></tr>\
            </thead><tbody>\(phases)</tbody></table>
            <h2>Running attempts</h2>
            \(attemptTable(inspection.attempts, queue: job.tasksQueue))
            <h2>Workers</h2>
            \(computeWorkerTable(inspection.workers, now: job.serverTime))
            """
    }

    private func attemptTable(_ attempts: [MapReduceAttemptSummary], queue: String) -> HTML {
        guard !attempts.isEmpty else { return "<p class=\"empty\" data-testid=\"no-attempts\">No attempt is running.</p>" }
        let rows = attempts.map { attempt -> HTML in
            var badges: [HTML] = []
            if attempt.isStraggler { badges.append("<span class=\"badge\" data-testid=\"straggler\">straggler</span>") }
            if attempt.isBackup { badges.append("<span class=\"badge\" data-testid=\"backup\">backup</span>") }
            let name = attempt.task.description + "." + String(attempt.number)
            return """
                <tr data-testid="attempt-\(name)"><th scope="row">\(attempt.task.description)</th><td>\(attempt.number)</td>\
                <td><a href="\(link(jobPath(queue, attempt.queueJobID)))">\(attempt.state?.rawValue ?? "scheduled")</a></td>\
                <td data-testid="attempt-worker"><code>\(attempt.worker ?? "–")</code></td><td>\(Self.instant(attempt.startedAt))</td>\
                <td>\(attempt.elapsedMilliseconds.map(Self.duration) ?? "–")</td><td>\(badges)</td></tr>
                """
        }
        return """
            <table class="grid" data-testid="attempts"><thead><tr><th>task</th><th>attempt</th><th>state</th><th>worker</th>\
            <th>started</th><th>elapsed</th><th></th></tr></thead><tbody>\(rows)</tbody></table>
            """
    }

    private func computeWorkerTable(_ workers: [MapReduceWorkerSummary], now: Int64) -> HTML {
        guard !workers.isEmpty else { return "<p class=\"empty\" data-testid=\"no-mr-workers\">No worker of this namespace beats.</p>" }
        let rows = workers.map { worker -> HTML in
            """
            <tr data-testid="mr-worker"><td><code>\(worker.identity)</code></td>\
            <td>\(Self.duration(max(now - worker.heartbeatAt, 0))) ago</td><td>\(worker.isLive ? "live" : "silent")</td>\
            <td>\(worker.runningAttempts)</td></tr>
            """
        }
        return """
            <table class="grid" data-testid="mr-workers"><thead><tr><th>worker</th><th>heartbeat</th><th>status</th>\
            <th>attempts of this job</th></tr></thead><tbody>\(rows)</tbody></table>
            """
    }

    /// The path of a MapReduce job's page.
    func computeJobPath(_ reference: MapReduceJobReference) -> String {
        "/compute/" + FormFields.escape(reference.namespace) + "/" + FormFields.escape(reference.job)
    }

    /// Done tasks out of all, as a bar and as figures.
    static func progressBar(_ job: MapReduceJobSummary) -> HTML {
        """
        <progress value="\(job.tasksDone)" max="\(max(job.tasksTotal, 1))"></progress> \
        <span data-testid="mr-tasks-done">\(job.tasksDone)/\(job.tasksTotal)</span>
        """
    }

    /// `n` bytes as `512 B`, `3.4 KB`, `1.2 MB`, `5.0 GB`.
    static func bytes(_ n: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(n), unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(n) B" : "\((value * 10).rounded() / 10) \(units[unit])"
    }

    /// Bytes per second as `3.4 KB/s`.
    static func rate(_ bytesPerSecond: Double) -> String { bytes(Int64(bytesPerSecond.rounded())) + "/s" }
}
