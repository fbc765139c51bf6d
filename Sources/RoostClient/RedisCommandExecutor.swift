import NIOCore
import RoostRESP

/// Anything that can run commands: a `RedisConnection`, or a `RedisClient` (which leases a
/// pooled connection per command). The typed command methods are written once against this.
public protocol RedisCommandExecutor: Sendable {
    /// Sends `command` and returns its reply; error replies throw `RedisServerError`.
    func execute(_ command: RedisCommand, timeout: Duration?) async throws -> RESPValue
}

extension RedisConnection: RedisCommandExecutor {}

extension RedisCommandExecutor {
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
