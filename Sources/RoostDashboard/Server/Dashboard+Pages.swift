import Foundation
import Hummingbird
import RoostJobs

extension Dashboard {
    /// The GET routes of the pages: overview, queue, job.
    func addPageRoutes<Context: RequestContext>(to routes: RouteCollection<Context>) {
        routes.get("/") { request, _ -> Response in
            html(try await overviewPage(notice: FormFields(request.uri.query ?? "")["notice"]))
        }
        routes.get("server") { request, _ -> Response in try await serverResponse(query: FormFields(request.uri.query ?? "")) }
        routes.get("queues/:queue") { request, context -> Response in
            let query = FormFields(request.uri.query ?? "")
            let queue = try await directory.queue(try Self.parameter("queue", context))
            return html(try await queuePage(queue, query: query, back: request.uri.string, notice: query["notice"]))
        }
        routes.get("queues/:queue/jobs/:id") { request, context -> Response in
            let queue = try await directory.queue(try Self.parameter("queue", context))
            let id = try Self.parameter("id", context)
            guard let page = try await jobPage(queue, id: id, back: request.uri.path, notice: FormFields(request.uri.query ?? "")["notice"])
            else { return refusal(.notFound, "Queue \(queue.name) has no job \(id).") }
            return html(page)
        }
    }

    /// The login form (shown with 401 to requests without the token).
    func loginPage(next: String, failed: Bool) -> HTML {
        let error: HTML = failed ? "<p class=\"error\" data-testid=\"login-failed\">That token is not right.</p>" : ""
        return page("Sign in", """
            <h1>Sign in</h1>
            \(error)
            <form method="post" action="\(link("/login"))" data-testid="login-form">
            <input type="hidden" name="next" value="\(next)">
            <label>Token <input type="password" name="token" autocomplete="current-password" data-testid="login-token"></label>
            <button type="submit" data-testid="login-submit">Sign in</button>
            </form>
            """)
    }

    /// Path parameter `name`, percent-escapes decoded.
    static func parameter<Context: RequestContext>(_ name: String, _ context: Context) throws -> String {
        let raw = try context.parameters.require(name)
        return raw.removingPercentEncoding ?? raw
    }
}
