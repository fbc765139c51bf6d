import Foundation
import Logging
import RoostClient
import RoostEngine
import RoostServer

/// The server an example runs on: the one at `--url`, or Roost's own, started in the example's
/// process on a free loopback port.
public enum ExampleServer {
    /// A logger that drops everything: the examples print only their results.
    public static let quiet = Logger(label: "roost.examples") { _ in SwiftLogNoOpLogHandler() }

    /// Runs `body` with a running client of the server at `url` and that URL; without `url`, of
    /// Roost's server started here first and stopped afterwards.
    /// - Throws: what `body` throws, a bad URL, the embedded server's start errors.
    public static func with(url: String?, isolation: isolated (any Actor)? = #isolation,
                            _ body: (_ client: RedisClient, _ url: String) async throws -> Void) async throws {
        guard let url else {
            var configuration = EngineConfiguration()
            configuration.port = 0
            configuration.bind = ["127.0.0.1"]
            let server = RoostServer(configuration: configuration, logger: quiet)
            try await server.start()
            do {
                try await with(url: "redis://127.0.0.1:\(server.port)", body)
            } catch {
                try? await server.stop()
                throw error
            }
            try await server.stop()
            return
        }
        let client = RedisClient(configuration: try RedisClientConfiguration(url: url), logger: quiet)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            try await body(client, url)
        }
    }

    /// Removes `flag` and the value after it from `arguments`; the value, or nil without the flag.
    public static func take(_ flag: String, from arguments: inout [String]) -> String? {
        guard let index = arguments.firstIndex(of: flag), index + 1 < arguments.count else { return nil }
        defer { arguments.removeSubrange(index...(index + 1)) }
        return arguments[index + 1]
    }

    /// Runs `body`; on an error, writes `name: error` to standard error and exits with status 1.
    public static func main(_ name: String, isolation: isolated (any Actor)? = #isolation,
                            _ body: () async throws -> Void) async {
        do {
            try await body()
        } catch {
            FileHandle.standardError.write(Data("\(name): \(error)\n".utf8))
            exit(1)
        }
    }

    /// Writes `usage` to standard error and exits with status 64.
    public static func usage(_ usage: String) -> Never {
        FileHandle.standardError.write(Data("usage: \(usage)\n".utf8))
        exit(64)
    }
}
