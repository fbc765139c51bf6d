import NIOCore
import RoostRESP

/// A Lua script that travels by its SHA-1: `evaluate` sends EVALSHA and, only when the server
/// answers NOSCRIPT (it has not seen the script, or flushed its cache), sends the body with EVAL,
/// which also caches it there. Multi-key steps of Roost's toolkit are scripts like this, so that
/// they run atomically on Roost, Redis and Redis Cluster alike.
public struct RedisScript: Sendable, Hashable {
    /// The Lua source.
    public let source: String
    /// The SHA-1 of the source as 40 lowercase hex digits, as SCRIPT LOAD returns it.
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        self.sha1 = SHA1.hex(Array(source.utf8))
    }
}

extension RedisCommand {
    /// `EVALSHA sha numkeys key… arg…` (or `EVALSHA_RO`).
    public static func evalsha(_ sha1: String, keys: [RedisKey], arguments: [RedisArgument], readOnly: Bool = false) -> RedisCommand {
        RedisCommand(readOnly ? "EVALSHA_RO" : "EVALSHA", [RedisArgument(sha1), RedisArgument(keys.count)] + keys + arguments)
    }

    /// `EVAL script numkeys key… arg…` (or `EVAL_RO`).
    public static func eval(_ source: String, keys: [RedisKey], arguments: [RedisArgument], readOnly: Bool = false) -> RedisCommand {
        RedisCommand(readOnly ? "EVAL_RO" : "EVAL", [RedisArgument(source), RedisArgument(keys.count)] + keys + arguments)
    }

    /// `FCALL function numkeys key… arg…` (or `FCALL_RO`).
    public static func fcall(_ function: String, keys: [RedisKey], arguments: [RedisArgument], readOnly: Bool = false) -> RedisCommand {
        RedisCommand(readOnly ? "FCALL_RO" : "FCALL", [RedisArgument(function), RedisArgument(keys.count)] + keys + arguments)
    }
}

extension RedisCommandExecutor {
    /// Runs `script` by SHA-1, sending its body once if the server does not know it.
    /// - Parameter readOnly: uses EVALSHA_RO / EVAL_RO, which the server refuses to let write.
    /// - Throws: `RedisServerError` for the script's own errors (the NOSCRIPT fallback is not
    ///   an error), `RedisClientError` for connection failures.
    public func evaluate(_ script: RedisScript, keys: [RedisKey] = [], arguments: [RedisArgument] = [],
                         readOnly: Bool = false) async throws -> RESPValue {
        do {
            return try await execute(.evalsha(script.sha1, keys: keys, arguments: arguments, readOnly: readOnly))
        } catch let error as RedisServerError where error.prefix == "NOSCRIPT" {
            return try await execute(.eval(script.source, keys: keys, arguments: arguments, readOnly: readOnly))
        }
    }

    /// `evaluate`, with the reply decoded as `T`.
    public func evaluate<T: RESPDecodable>(_ script: RedisScript, keys: [RedisKey] = [], arguments: [RedisArgument] = [],
                                           readOnly: Bool = false, as type: T.Type) async throws -> T {
        try T(fromRESP: try await evaluate(script, keys: keys, arguments: arguments, readOnly: readOnly))
    }

    /// `SCRIPT LOAD`: caches the script on the server and returns its SHA-1.
    @discardableResult
    public func load(_ script: RedisScript) async throws -> String {
        try await execute(RedisCommand("SCRIPT", ["LOAD", RedisArgument(script.source)]), as: String.self)
    }

    /// `FCALL` (or `FCALL_RO`) of a function from a library loaded with `functionLoad`.
    public func fcall(_ function: String, keys: [RedisKey] = [], arguments: [RedisArgument] = [],
                      readOnly: Bool = false) async throws -> RESPValue {
        try await execute(.fcall(function, keys: keys, arguments: arguments, readOnly: readOnly))
    }

    /// `FUNCTION LOAD [REPLACE]`: loads a `#!lua name=…` library; returns the library's name.
    @discardableResult
    public func functionLoad(_ code: String, replace: Bool = false) async throws -> String {
        var arguments: [RedisArgument] = ["LOAD"]
        if replace { arguments.append("REPLACE") }
        arguments.append(RedisArgument(code))
        return try await execute(RedisCommand("FUNCTION", arguments), as: String.self)
    }
}
