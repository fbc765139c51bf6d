import NIOCore
import RoostRESP

/// Anything that can run commands: a `RedisConnection`, or a `RedisClient` (which leases a
/// pooled connection per command). The typed command methods are written once against this.
///
/// `pipeline` and `load` have default implementations; the clients replace them (one write per
/// connection or per node; a cluster loads scripts on every master), and the methods written
/// against this protocol (`evaluate(_:batch:)`…) use whichever the executor has.
public protocol RedisCommandExecutor: Sendable {
    /// Sends `command` and returns its reply; error replies throw `RedisServerError`.
    func execute(_ command: RedisCommand, timeout: Duration?) async throws -> RESPValue

    /// Sends `commands` and returns each one's reply or error, in order; an error reply fails
    /// only its own command. The default sends them one after another with `execute`.
    /// - Throws: only `CancellationError` (and what a cluster cannot route at all).
    func pipeline(_ commands: [RedisCommand], timeout: Duration?) async throws -> [Result<RESPValue, any Error>]

    /// Caches `script` wherever the executor's scripts run (`SCRIPT LOAD`) and returns its
    /// SHA-1. The default sends one `SCRIPT LOAD`; a cluster sends it to every master.
    /// - Throws: `RedisServerError` (the script does not compile), `RedisClientError`.
    @discardableResult
    func load(_ script: RedisScript) async throws -> String
}

extension RedisConnection: RedisCommandExecutor {}

extension RedisCommandExecutor {
    /// Sends `commands` one after another (the default for executors without a pipeline of
    /// their own).
    public func pipeline(_ commands: [RedisCommand], timeout: Duration?) async throws -> [Result<RESPValue, any Error>] {
        var results: [Result<RESPValue, any Error>] = []
        results.reserveCapacity(commands.count)
        for command in commands {
            try Task.checkCancellation()
            do {
                results.append(.success(try await execute(command, timeout: timeout)))
            } catch {
                results.append(.failure(error))
            }
        }
        return results
    }

    /// Sends `command` and returns its reply.
    public func execute(_ command: RedisCommand) async throws -> RESPValue {
        try await execute(command, timeout: nil)
    }

    /// Sends `command` and decodes its reply as `T`.
    /// - Throws: `RedisServerError`, `RedisClientError`, or `RESPDecodingError` on a shape mismatch.
    public func execute<T: RESPDecodable>(_ command: RedisCommand, as type: T.Type = T.self) async throws -> T {
        try T(fromRESP: try await execute(command, timeout: nil))
    }

    /// The escape hatch: sends any command by name with any arguments and returns the raw reply.
    ///
    ///     let reply = try await client.send("OBJECT", "ENCODING", "key")
    public func send(_ command: String, _ arguments: any RedisArgumentConvertible...) async throws -> RESPValue {
        try await execute(RedisCommand(command, arguments.map(\.redisArgument)), timeout: nil)
    }

    /// Sends any command and decodes the reply as `T`.
    public func send<T: RESPDecodable>(_ command: String, _ arguments: any RedisArgumentConvertible...,
                                       as type: T.Type) async throws -> T {
        try T(fromRESP: try await execute(RedisCommand(command, arguments.map(\.redisArgument)), timeout: nil))
    }
}
