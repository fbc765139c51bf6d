import NIOCore
import RoostRESP

extension RedisCommandExecutor {
    /// `PING`: `PONG`.
    public func ping() async throws -> String {
        try await execute(RedisCommand("PING"))
    }

    /// `PING message`: the message echoed.
    public func ping(_ message: String) async throws -> String {
        try await execute(RedisCommand("PING", [RedisArgument(message)]))
    }

    /// `ECHO`.
    public func echo(_ message: some RedisArgumentConvertible) async throws -> ByteBuffer {
        try await execute(RedisCommand("ECHO", [message.redisArgument]))
    }

    /// `INFO [section]`: the raw text.
    public func info(_ section: String? = nil) async throws -> String {
        try await execute(RedisCommand("INFO", section.map { [RedisArgument($0)] } ?? []))
    }

    /// `INFO`, parsed into `field: value` pairs (section headers and blank lines dropped).
    public func infoFields(_ section: String? = nil) async throws -> [String: String] {
        var fields: [String: String] = [:]
        for line in try await info(section).split(whereSeparator: { $0 == "\r\n" || $0 == "\n" }) {
            guard !line.hasPrefix("#"), let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return fields
    }

    /// `DBSIZE`.
    public func dbsize() async throws -> Int {
        try await execute(RedisCommand("DBSIZE"))
    }

    /// `FLUSHDB [ASYNC|SYNC]`.
    public func flushdb(async: Bool = false) async throws {
        let _: RedisOK = try await execute(RedisCommand("FLUSHDB", async ? ["ASYNC"] : []))
    }

    /// `PUBLISH` to `channel` (a name of any bytes): how many subscribers received the message.
    @discardableResult
    public func publish(_ message: some RedisArgumentConvertible, to channel: some RedisArgumentConvertible) async throws -> Int {
        try await execute(RedisCommand("PUBLISH", [channel.redisArgument, message.redisArgument]))
    }

    /// `SPUBLISH`: how many shard subscribers received the message.
    @discardableResult
    public func spublish(_ message: some RedisArgumentConvertible, to channel: some RedisArgumentConvertible) async throws -> Int {
        try await execute(RedisCommand("SPUBLISH", [channel.redisArgument, message.redisArgument]))
    }
}
