import Hummingbird
import RoostCoordination
import RoostJobs

/// The actions: POSTs from the pages' forms, each checked (`checkedForm`) and answered with a
/// redirect back to the page it came from, carrying a notice of what happened.
extension Dashboard {
    /// How long cancelling a running job waits for its worker to stop it.
    static let cancelWait: Duration = .seconds(5)

    func addActionRoutes<Context: RequestContext>(to routes: RouteCollection<Context>) {
        queueAction(routes, "pause") { queue, _ in
            try await queue.pause()
            return "Queue \(queue.name) paused."
        }
        queueAction(routes, "resume") { queue, _ in
            try await queue.resume()
            return "Queue \(queue.name) resumed."
        }
        queueAction(routes, "retry-failed") { queue, _ in
            let retried = try await queue.retryFailed()
            return "\(Self.jobs(retried)) sent back to waiting."
        }
        queueAction(routes, "promote-delayed") { queue, _ in
            let promoted = try await queue.promote()
            return "\(Self.jobs(promoted)) promoted to waiting."
        }
        queueAction(routes, "clean") { queue, form in
            guard let state = form["state"].flatMap(JobState.init(rawValue:)), state == .completed || state == .failed else {
                throw ActionRefused("Only completed or failed jobs can be cleaned.")
            }
            let olderThan = Int(form["olderThanSeconds"] ?? "").map { Duration.seconds($0) }
            let keep = Int(form["keep"] ?? "") ?? 0
            let removed = try await queue.clean(state, olderThan: olderThan, keep: keep)
            return "\(Self.jobs(removed)) \(state.rawValue) removed."
        }
        jobAction(routes, "retry") { queue, id in
            try await queue.retryFailed([id]) == 1 ? "Job \(id) sent back to waiting." : "Job \(id) is not failed."
        }
        jobAction(routes, "delete") { queue, id in
            guard let info = try await queue.info(id) else { return "Job \(id) is gone already." }
            return try await queue.remove([id], in: info.state) == 1 ? "Job \(id) deleted." : "Job \(id) is running: cancel it first."
        }
        jobAction(routes, "promote") { queue, id in
            try await queue.promote([id]) == 1 ? "Job \(id) promoted to waiting." : "Job \(id) is not delayed."
        }
        jobAction(routes, "cancel") { queue, id in
            do {
                let ended = try await queue.cancel(id, timeout: Self.cancelWait)
                return ended.error == JobQueue.cancelledMessage ? "Job \(id) cancelled." : "Job \(id) had finished already."
            } catch let error as CoordinationError where error == .timedOut {
                return "Job \(id): cancel sent; its worker stops it at its next heartbeat."
            } catch JobsError.notFound {
                return "Job \(id) is gone already."
            }
        }
    }

    /// `POST queues/<queue>/<name>`.
    private func queueAction<Context: RequestContext>(_ routes: RouteCollection<Context>, _ name: String,
                                                      _ body: @escaping @Sendable (JobQueue, FormFields) async throws -> String) {
        routes.post("queues/:queue/\(name)") { request, context -> Response in
            try await act(request) { form in
                let queue = try await directory.queue(try Self.parameter("queue", context))
                return try await body(queue, form)
            }
        }
    }

    /// `POST queues/<queue>/jobs/<id>/<name>`.
    private func jobAction<Context: RequestContext>(_ routes: RouteCollection<Context>, _ name: String,
                                                    _ body: @escaping @Sendable (JobQueue, String) async throws -> String) {
        routes.post("queues/:queue/jobs/:id/\(name)") { request, context -> Response in
            try await act(request) { _ in
                let queue = try await directory.queue(try Self.parameter("queue", context))
                return try await body(queue, try Self.parameter("id", context))
            }
        }
    }

    /// Checks the request (read-only mode, cross-site signs, the CSRF token), runs `body` with
    /// its form, and redirects back with `body`'s notice (or the error's).
    private func act(_ request: Request, _ body: (FormFields) async throws -> String) async throws -> Response {
        if configuration.readOnly { return refusal(.forbidden, "This dashboard is read-only.") }
        if let reason = crossSiteReason(request) { return refusal(.forbidden, "Refused a cross-site request: \(reason).") }
        let form = FormFields(String(buffer: try await request.body.collect(upTo: 64 * 1024)))
        guard DashboardSecrets.same(form["_csrf"] ?? "", secrets.csrfToken) else {
            return refusal(.forbidden, "The form's CSRF token is missing or stale: reload the page and try again.")
        }
        let notice: String
        do {
            notice = try await body(form)
        } catch let error as ActionRefused {
            notice = error.message
        } catch let error as JobsError {
            notice = error.description
        }
        directory.invalidate()
        // Live pages read again now: pausing, resuming and cleaning publish no job event.
        feed.events.bump()
        return Response.redirect(to: Self.adding(notice: notice, to: safeLocalPath(form["_back"])), type: .normal)
    }

    /// `path` with its `notice` parameter replaced by `notice`.
    static func adding(notice: String, to path: String) -> String {
        let parts = path.split(separator: "?", maxSplits: 1)
        let kept = parts.count > 1 ? parts[1].split(separator: "&").filter { !$0.hasPrefix("notice=") } : []
        return String(parts.first ?? "") + "?" + (kept.map(String.init) + ["notice=" + FormFields.escape(notice)]).joined(separator: "&")
    }

    /// `1 job` or `n jobs`.
    static func jobs(_ count: Int) -> String { count == 1 ? "1 job" : "\(count) jobs" }
}

/// An action that cannot be done as asked; its message becomes the notice.
struct ActionRefused: Error {
    var message: String

    init(_ message: String) { self.message = message }
}
