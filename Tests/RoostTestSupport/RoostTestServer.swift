import RoostEngine
import RoostServer

/// Starts Roost's server in-process on a free loopback port.
public enum RoostTestServer {
    /// A started server; call `stop()` when done.
    public static func start(_ configure: (inout EngineConfiguration) -> Void = { _ in }) async throws -> RoostServer {
        var configuration = EngineConfiguration()
        configuration.port = 0
        configuration.bind = ["127.0.0.1"]
        configure(&configuration)
        let server = RoostServer(configuration: configuration)
        try await server.start()
        return server
    }
}
