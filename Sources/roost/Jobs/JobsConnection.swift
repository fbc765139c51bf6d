import ArgumentParser
import Logging
import RoostClient
import RoostCoordination
import RoostJobs

/// How `roost jobs` reaches the server: a `RedisClient`, or a `RedisClusterClient` seeded with
/// the URL. Both are tuned for a short-lived tool: one quick retry of a failed connect, and
/// failures that surface within seconds rather than after a long backoff.
enum JobsConnection {
    case single(RedisClientConfiguration)
    case cluster(RedisClusterConfiguration)

    /// The client's logs are not the tool's output: they go nowhere.
    static let logger = Logger(label: "roost.jobs.cli") { _ in SwiftLogNoOpLogHandler() }

    /// The connection `url` describes, to a cluster it seeds when `cluster` is set.
    /// - Throws: `ValidationError` quoting RoostClient's reason when the URL does not parse, or
    ///   does not suit a cluster (not TCP, or a database other than 0).
    init(url: String, cluster: Bool) throws {
        do {
            var node = try RedisClientConfiguration(url: url)
            node.connectTimeout = .seconds(5)
            node.reconnect = RedisClientConfiguration.Backoff(initialDelay: .milliseconds(50), maximumDelay: .milliseconds(50),
                                                              maximumAttempts: 2)
            node.pool.maximumConnections = 2
            guard cluster else {
                self = .single(node)
                return
            }
            var configuration = try RedisClusterConfiguration(urls: [url])
            configuration.node = node
            configuration.retryTimeout = .seconds(5)
            self = .cluster(configuration)
        } catch let error as RedisClientError {
            throw ValidationError(error.message)
        }
    }

    /// The address the connection goes to (without credentials, so errors can quote it).
    var endpoint: String {
        switch self {
        case .single(let configuration): "\(configuration.endpoint)"
        case .cluster(let configuration): configuration.seeds.map(\.description).joined(separator: ", ")
        }
    }

    /// Runs `body` with queue `name` on a new client, then shuts the client down. Errors of the
    /// client, the server and the queue come out as `JobsCommandError`s with a one-line message.
    func withQueue<Result: Sendable>(_ name: String, _ body: (JobQueue) async throws -> Result) async throws -> Result {
        // With the partition count the queue records, so that a partitioned queue shows whole.
        try await withClient { client in try await body(try await JobQueue.open(name, on: client)) }
    }

    /// Runs `body` with a new client, then shuts the client down; errors come out as in
    /// `withQueue`.
    func withClient<Result: Sendable>(_ body: (any CoordinationClient) async throws -> Result) async throws -> Result {
        let client: any CoordinationClient
        let shutdown: @Sendable () async -> Void
        switch self {
        case .single(let configuration):
            let single = RedisClient(configuration: configuration, logger: Self.logger)
            (client, shutdown) = (single, { await single.shutdown() })
        case .cluster(let configuration):
            let cluster = RedisClusterClient(configuration: configuration, logger: Self.logger)
            (client, shutdown) = (cluster, { await cluster.shutdown() })
        }
        do {
            let result = try await body(client)
            await shutdown()
            return result
        } catch {
            await shutdown()
            throw JobsCommandError(describe(error))
        }
    }

    /// One line saying what went wrong.
    func describe(_ error: any Error) -> String {
        let text: String
        switch error {
        case let error as JobsCommandError:
            text = error.message
        case let error as RedisClientError where error.code == .connectFailed:
            text = "cannot reach the server at \(endpoint): \(Self.reason(error.message))"
        case let error as RedisClientError where error.code == .timeout:
            text = "the server at \(endpoint) did not answer in time"
        case let error as RedisClientError:
            text = "\(endpoint): \(error.message)"
        case let error as RedisClusterError where error.code == .topologyUnavailable:
            text = "cannot reach the cluster at \(endpoint): \(Self.reason(error.message))"
        case let error as RedisClusterError:
            text = "the cluster at \(endpoint): \(error.message)"
        case let error as RedisServerError:
            text = "the server at \(endpoint) answered: \(error.message)"
        case let error as JobsError:
            text = error.description
        default:
            text = "\(error)"
        }
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// The operating system's reason in a connect failure's message ("connection refused"), or
    /// the message itself.
    static func reason(_ message: String) -> String {
        let reasons = [
            ("Connection refused", "connection refused"), ("Connection timed out", "connection timed out"),
            ("connectTimeout", "connection timed out"), ("No route to host", "no route to host"),
            ("Network is unreachable", "network is unreachable"), ("Name or service not known", "unknown host"),
            ("No such file or directory", "no such file or directory"), ("Permission denied", "permission denied"),
        ]
        return reasons.first { message.contains($0.0) }?.1 ?? message
    }
}

extension JobsOptions {
    /// Runs `body` with the queue `--queue` names on the server `--url` names (see
    /// `JobsConnection.withQueue`).
    func withQueue<Result: Sendable>(_ body: (JobQueue) async throws -> Result) async throws -> Result {
        try await JobsConnection(url: url, cluster: cluster).withQueue(queue, body)
    }
}
