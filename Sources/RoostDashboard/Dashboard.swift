import Hummingbird
import Logging
import NIOCore
import RoostCompute
import RoostCoordination
import RoostJobs
import ServiceLifecycle

/// A web dashboard for the RoostJobs queues on one Roost, Redis/Valkey or Redis Cluster server:
/// every queue with its counts, the workers with their heartbeats, each state's jobs, a job
/// inspector, and actions on jobs and queues, updated live through server-sent events (driven by
/// the queues' job events, one shared subscription per queue: see `LiveFeed`); the
/// server's figures (`INFO`, slow log) at `/server`, and all of them for Prometheus at `/metrics`.
///
/// Run it as a `Service` (it serves on `configuration.host`:`configuration.port`):
///
///     let dashboard = Dashboard(client: client, configuration: .init(port: 7300))
///     try await ServiceGroup(services: [dashboard], logger: logger).run()
///
/// or mount its routes in your own Hummingbird application:
///
///     let dashboard = Dashboard(client: client, configuration: .init(basePath: "/dashboard"))
///     router.addRoutes(dashboard.routes(), atPath: "/dashboard")
///
/// Pages are server-rendered HTML; the CSS and the small script that keeps counts live are
/// resources of this module, so nothing is downloaded at run time.
///
/// Access (see `Configuration`): actions are POSTs that carry a per-process CSRF token and are
/// refused when `Origin` or `Sec-Fetch-Site` says they come from another site; `readOnly`
/// hides every action and refuses them; with a `token`, every request needs it (the login
/// form's cookie, or `Authorization: Bearer <token>`) or gets 401.
public struct Dashboard: Service, Sendable {
    /// How the dashboard serves and whom it lets act.
    public struct Configuration: Sendable {
        /// The address to bind (`run()` only). The default serves this machine alone.
        public var host: String
        /// The port to listen on (`run()` only); 0 picks a free one.
        public var port: Int
        /// The path the routes are mounted at, "" for the root; links in pages start with it.
        public var basePath: String
        /// When set, every request must carry this token (after the login form, as a cookie;
        /// or as `Authorization: Bearer`), else it gets 401.
        public var token: String?
        /// Hides every action and refuses action requests (403).
        public var readOnly: Bool
        /// How often the live updates read every queue's counts again with no job event (a
        /// pause, a limit, workers coming and going and new queues publish none); job events
        /// make them read at once.
        public var refreshInterval: Duration
        /// The shortest time between two reads of the live counts: a burst of job events makes
        /// one read, and each live stream gets at most one snapshot per this interval.
        public var liveCoalescing: Duration
        /// How long what a `SCAN` of the keyspace found is reused: the queues, the coordination
        /// objects, the MapReduce jobs.
        public var scanLifetime: Duration
        /// How many jobs a page of a state's list shows.
        public var pageSize: Int

        public init(host: String = "127.0.0.1", port: Int = 7070, basePath: String = "", token: String? = nil,
                    readOnly: Bool = false, refreshInterval: Duration = .seconds(5), liveCoalescing: Duration = .milliseconds(200),
                    scanLifetime: Duration = .seconds(5), pageSize: Int = 50) {
            self.host = host
            self.port = port
            self.basePath = basePath.hasSuffix("/") ? String(basePath.dropLast()) : basePath
            self.token = token.flatMap { $0.isEmpty ? nil : $0 }
            self.readOnly = readOnly
            self.refreshInterval = refreshInterval
            self.liveCoalescing = liveCoalescing
            self.scanLifetime = scanLifetime
            self.pageSize = max(pageSize, 1)
        }
    }

    public let configuration: Configuration
    let client: any CoordinationClient
    let logger: Logger
    let directory: QueueDirectory
    /// The coordination objects' and the MapReduce jobs' names (each a `SCAN`).
    let coordinationNames: ScanCache<CoordinationNames>
    let mapReduceJobs: ScanCache<[MapReduceJobReference]>
    let secrets: DashboardSecrets
    let live: LiveCounts
    let feed: LiveFeed

    /// A dashboard of the queues on `client`'s server.
    public init(client: any CoordinationClient, configuration: Configuration = Configuration(),
                logger: Logger = Logger(label: "roost.dashboard")) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
        self.directory = QueueDirectory(client: client, lifetime: configuration.scanLifetime)
        coordinationNames = ScanCache(lifetime: configuration.scanLifetime) { try await CoordinationInspector(client: client).names() }
        mapReduceJobs = ScanCache(lifetime: configuration.scanLifetime) { try await MapReduce.jobs(on: client) }
        self.secrets = DashboardSecrets()
        self.live = LiveCounts()
        self.feed = LiveFeed(counts: live, safetyInterval: configuration.refreshInterval,
                             coalescing: configuration.liveCoalescing, logger: logger)
    }

    /// The dashboard's routes, to mount at `configuration.basePath` in a router whose context
    /// is `Context`.
    public func routes<Context: RequestContext>(context: Context.Type = BasicRequestContext.self) -> RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        addAssetRoutes(to: routes)
        addLoginRoutes(to: routes)
        routes.add(middleware: AccessMiddleware<Context>(dashboard: self))
        addPageRoutes(to: routes)
        addCoordinationRoutes(to: routes)
        addActionRoutes(to: routes)
        addLiveRoutes(to: routes)
        addMetricsRoutes(to: routes)
        addComputeRoutes(to: routes)
        return routes
    }

    /// An application serving the routes alone at `configuration.host`:`configuration.port`.
    /// `onServerRunning` gets the listening channel (its `localAddress` has the port).
    public func application(onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in })
        -> some ApplicationProtocol {
        let router = Router()
        router.addRoutes(routes(), atPath: RouterPath(configuration.basePath.isEmpty ? "/" : configuration.basePath))
        return Application(router: router, configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port), serverName: "roost-dashboard"),
                           onServerRunning: onServerRunning, logger: logger)
    }

    /// Serves until graceful shutdown or cancellation.
    public func run() async throws {
        try await application().run()
    }

    /// `path` under the base path: `/queues/q` → `/dashboard/queues/q`.
    func link(_ path: String) -> String { configuration.basePath + path }
}
