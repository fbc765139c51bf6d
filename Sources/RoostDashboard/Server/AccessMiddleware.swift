import HTTPTypes
import Hummingbird

/// Lets a request through when the dashboard has no token, or when the request carries it: as
/// the login cookie or as `Authorization: Bearer <token>`. Others get 401 (with the login form
/// for a browser's page request).
struct AccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let dashboard: Dashboard

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = dashboard.configuration.token else { return try await next(request, context) }
        if let cookie = request.cookies[Dashboard.sessionCookie], DashboardSecrets.same(cookie.value, dashboard.secrets.session) {
            return try await next(request, context)
        }
        if let authorization = request.headers[.authorization], authorization.hasPrefix("Bearer "),
           DashboardSecrets.same(String(authorization.dropFirst("Bearer ".count)), token) {
            return try await next(request, context)
        }
        let page = request.method == .get ? request.uri.string : dashboard.link("/")
        return dashboard.html(dashboard.loginPage(next: page, failed: false), status: .unauthorized)
    }
}

extension Dashboard {
    /// The login cookie's name.
    static let sessionCookie = "roost_dashboard_session"

    /// Why `request` looks cross-site (its `Sec-Fetch-Site`, or an `Origin` other than the host
    /// it was sent to), or nil when it does not.
    func crossSiteReason(_ request: Request) -> String? {
        if let site = request.headers[Self.secFetchSite], site != "same-origin", site != "none" {
            return "Sec-Fetch-Site is \(site)"
        }
        if let origin = request.headers[.origin] {
            let host = origin.hasPrefix("https://") ? origin.dropFirst(8) : origin.hasPrefix("http://") ? origin.dropFirst(7) : nil
            guard let host, let authority = request.head.authority, host == authority else {
                return "Origin \(origin) is not this dashboard"
            }
        }
        return nil
    }

    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!

    func addLoginRoutes<Context: RequestContext>(to routes: RouteCollection<Context>) {
        routes.get("login") { request, _ -> Response in
            let next = FormFields(request.uri.query ?? "")["next"]
            return html(loginPage(next: safeLocalPath(next), failed: false))
        }
        routes.post("login") { request, _ -> Response in
            let form = FormFields(String(buffer: try await request.body.collect(upTo: 64 * 1024)))
            let next = safeLocalPath(form["next"])
            if let reason = crossSiteReason(request) { return refusal(.forbidden, "Refused a cross-site request: \(reason).") }
            guard let token = configuration.token, DashboardSecrets.same(form["token"] ?? "", token) else {
                return html(loginPage(next: next, failed: true), status: .unauthorized)
            }
            var response = Response.redirect(to: next, type: .normal)
            response.setCookie(Cookie(name: Self.sessionCookie, value: secrets.session,
                                      path: configuration.basePath.isEmpty ? "/" : configuration.basePath,
                                      httpOnly: true, sameSite: .strict))
            return response
        }
    }

    /// `path` when it is a path of this dashboard (never another site), else the overview.
    func safeLocalPath(_ path: String?) -> String {
        guard let path, path.hasPrefix(link("/")), !path.hasPrefix("//"), !path.contains("\\") else { return link("/") }
        return path
    }
}
