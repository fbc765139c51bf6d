import NIOCore
import RoostRESP

/// Commands queued for one `MULTI`/`EXEC` block. Nothing is sent until the block runs.
public struct RedisTransaction: Sendable {
    /// The queued commands, in order.
    public private(set) var commands: [RedisCommand] = []

    /// An empty transaction.
    public init() {}

    /// Queues `command`.
    public mutating func enqueue(_ command: RedisCommand) {
        commands.append(command)
    }

    /// Queues a command by name.
    public mutating func enqueue(_ name: String, _ arguments: any RedisArgumentConvertible...) {
        commands.append(RedisCommand(name, arguments.map(\.redisArgument)))
    }
}

extension RedisConnection {
    /// Runs `transaction` as `MULTI`, its commands, `EXEC`, written in one go.
    /// - Returns: each command's reply, or its error reply as `.failure(RedisServerError)`
    ///   (a command failing at run time does not undo the others; that is Redis's model).
    /// - Throws: `RedisClientError.transactionAborted` when `EXEC` returns null because a
    ///   watched key changed; `RedisServerError` (`EXECABORT…`) when a command was rejected
    ///   while queueing, in which case nothing ran.
    public func exec(_ transaction: RedisTransaction) async throws -> [Result<RESPValue, any Error>] {
        let replies = try await pipeline([RedisCommand("MULTI")] + transaction.commands + [RedisCommand("EXEC")])
        _ = try replies[0].get()
        let exec = try replies[replies.count - 1].get()
        switch exec {
        case .array(.some(let results)):
            guard results.count == transaction.commands.count else {
                throw RedisClientError(.unexpectedReply, "EXEC returned \(results.count) replies for \(transaction.commands.count) commands")
            }
            return results.map { value in
                switch value {
                case .error(let bytes), .blobError(let bytes):
                    return .failure(RedisServerError(message: String(decoding: bytes, as: UTF8.self)))
                default:
                    return .success(value)
                }
            }
        case .array(nil), .null:
            throw RedisClientError(.transactionAborted, "EXEC returned null: a watched key changed")
        default:
            throw RedisClientError(.unexpectedReply, "EXEC returned a \(exec.typeDescription)")
        }
    }

    /// Builds a transaction with `build` and runs it (see `exec(_:)`).
    public func transaction(_ build: (inout RedisTransaction) throws -> Void) async throws -> [Result<RESPValue, any Error>] {
        var transaction = RedisTransaction()
        try build(&transaction)
        return try await exec(transaction)
    }

    /// Optimistic locking: `WATCH`es `keys`, lets `body` read on this connection and return the
    /// transaction to run, then `EXEC`s it. When a watched key changed meanwhile, starts over,
    /// up to `maximumAttempts` times. An empty transaction from `body` just `UNWATCH`es.
    /// - Throws: `RedisClientError.transactionConflict` when every attempt conflicted; whatever
    ///   `body` or the server throws (after `UNWATCH`).
    public func watch(_ keys: [RedisKey], maximumAttempts: Int = 16,
                      _ body: (RedisConnection) async throws -> RedisTransaction) async throws -> [Result<RESPValue, any Error>] {
        for _ in 0..<max(maximumAttempts, 1) {
            _ = try await execute(RedisCommand("WATCH", keys))
            let transaction: RedisTransaction
            do {
                transaction = try await body(self)
            } catch {
                _ = try? await execute(RedisCommand("UNWATCH"))
                throw error
            }
            if transaction.commands.isEmpty {
                _ = try await execute(RedisCommand("UNWATCH"))
                return []
            }
            do {
                return try await exec(transaction)
            } catch let error as RedisClientError where error.code == .transactionAborted {
                logger.debug("optimistic transaction conflicted, retrying")
                continue
            }
        }
        throw RedisClientError(.transactionConflict, "the watched keys kept changing for \(maximumAttempts) attempts")
    }
}

extension RedisClient {
    /// Runs a transaction on a pooled connection (see `RedisConnection.exec(_:)`).
    public func transaction(_ build: (inout RedisTransaction) throws -> Void) async throws -> [Result<RESPValue, any Error>] {
        var transaction = RedisTransaction()
        try build(&transaction)
        let built = transaction
        return try await withConnection { try await $0.exec(built) }
    }

    /// An optimistic transaction on a pooled connection (see `RedisConnection.watch`).
    public func watch(_ keys: [RedisKey], maximumAttempts: Int = 16,
                      _ body: (RedisConnection) async throws -> RedisTransaction) async throws -> [Result<RESPValue, any Error>] {
        try await withConnection { try await $0.watch(keys, maximumAttempts: maximumAttempts, body) }
    }
}
