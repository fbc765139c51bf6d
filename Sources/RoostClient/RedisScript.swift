import NIOCore
import RoostRESP

/// A Lua script that travels by its SHA-1: `evaluate` sends EVALSHA and, only when the server
/// answers NOSCRIPT (it has not seen the script, or flushed its cache), loads the script where
/// the executor's scripts run (`load`: one server, or every master of a cluster) and sends
/// EVALSHA again, falling back to EVAL with the body if the server still does not know it.
/// Multi-key steps of Roost's toolkit are scripts like this, so that they run atomically on
/// Roost, Redis and Redis Cluster alike.
public struct RedisScript: Sendable, Hashable {
    /// The Lua source.
    public let source: String
    /// The SHA-1 of the source as 40 lowercase hex digits, as SCRIPT LOAD returns it.
    public let sha1: String

    /// A script from its Lua source.
    public init(_ source: String) {
        self.source = source
        self.sha1 = SHA1.hex(Array(source.utf8))
    }
}

/// One run of a script in a batch (`evaluate(_:batch:)`): its keys and arguments.
public struct RedisScriptCall: Sendable, Hashable {
    /// The keys (`KEYS` in the script).
    public var keys: [RedisKey]
    /// The arguments (`ARGV` in the script).
    public var arguments: [RedisArgument]

    /// A call with `keys` and `arguments`.
    public init(keys: [RedisKey] = [], arguments: [RedisArgument] = []) {
        self.keys = keys
        self.arguments = arguments
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
    /// Runs `script` by SHA-1 (see `RedisScript` for what happens on NOSCRIPT).
    /// - Parameter readOnly: uses EVALSHA_RO / EVAL_RO, which the server refuses to let write.
    /// - Throws: `RedisServerError` for the script's own errors (the NOSCRIPT fallback is not
    ///   an error), `RedisClientError` for connection failures.
    public func evaluate(_ script: RedisScript, keys: [RedisKey] = [], arguments: [RedisArgument] = [],
                         readOnly: Bool = false) async throws -> RESPValue {
        try await evaluate(script, batch: [RedisScriptCall(keys: keys, arguments: arguments)],
                           readOnly: readOnly, timeout: nil)[0].get()
    }

    /// Runs `script` once per call of `batch`, pipelined: one round trip on a connection or a
    /// client, one per node (concurrently) on a cluster. The calls that fail with NOSCRIPT are
    /// handled together: the script is loaded once (`load`: on a cluster, on every master) and
    /// only those calls are sent again, by SHA-1; any still refused then go with EVAL.
    ///
    /// Calls are independent: each result is its call's reply or error, in the order of
    /// `batch`; a script error in one does not stop the others. Calls sent to the same node run
    /// in the order of `batch`, except that calls retried after NOSCRIPT run after the others.
    /// - Throws: only `CancellationError` (and, on a cluster, `RedisClusterError`
    ///   `.topologyUnavailable` when no node can be asked for the slot map).
    public func evaluate(_ script: RedisScript, batch: [RedisScriptCall], readOnly: Bool = false,
                         timeout: Duration? = nil) async throws -> [Result<RESPValue, any Error>] {
        var results = try await pipeline(batch.map { .evalsha(script.sha1, keys: $0.keys, arguments: $0.arguments,
                                                              readOnly: readOnly) }, timeout: timeout)
        var missing = results.indices.filter { Self.isNoScript(results[$0]) }
        guard !missing.isEmpty else { return results }
        let loaded: Bool
        do {
            _ = try await load(script)
            loaded = true
        } catch let error as CancellationError {
            throw error
        } catch {
            // Loading failed (a node unreachable, a script that does not compile): EVAL reports
            // the script's own error, or caches it where its calls run.
            loaded = false
        }
        if loaded {
            let retried = try await pipeline(missing.map { .evalsha(script.sha1, keys: batch[$0].keys,
                                                                    arguments: batch[$0].arguments, readOnly: readOnly) },
                                             timeout: timeout)
            for (index, result) in zip(missing, retried) { results[index] = result }
            missing = missing.filter { Self.isNoScript(results[$0]) }
        }
        if !missing.isEmpty {
            let evaluated = try await pipeline(missing.map { .eval(script.source, keys: batch[$0].keys,
                                                                   arguments: batch[$0].arguments, readOnly: readOnly) },
                                               timeout: timeout)
            for (index, result) in zip(missing, evaluated) { results[index] = result }
        }
        return results
    }

    /// `evaluate(_:batch:)`, with each reply decoded as `T`.
    public func evaluate<T: RESPDecodable>(_ script: RedisScript, batch: [RedisScriptCall], readOnly: Bool = false,
                                           timeout: Duration? = nil, as type: T.Type) async throws -> [Result<T, any Error>] {
        try await evaluate(script, batch: batch, readOnly: readOnly, timeout: timeout).map { result in
            result.flatMap { value in Result { try T(fromRESP: value) } }
        }
    }

    private static func isNoScript(_ result: Result<RESPValue, any Error>) -> Bool {
        guard case .failure(let error as RedisServerError) = result else { return false }
        return error.prefix == "NOSCRIPT"
    }

    /// `evaluate`, with the reply decoded as `T`.
    public func evaluate<T: RESPDecodable>(_ script: RedisScript, keys: [RedisKey] = [], arguments: [RedisArgument] = [],
                                           readOnly: Bool = false, as type: T.Type) async throws -> T {
        try T(fromRESP: try await evaluate(script, keys: keys, arguments: arguments, readOnly: readOnly))
    }

    /// `SCRIPT LOAD`: caches the script on the server and returns its SHA-1 (the default of
    /// `RedisCommandExecutor.load`).
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
