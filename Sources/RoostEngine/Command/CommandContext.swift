import NIOCore
import RoostRESP

/// What a command handler works with: the engine, the calling client and the arguments.
public struct CommandContext {
    public let engine: Engine
    public let client: Client
    /// All arguments, the command name at index 0.
    public let arguments: [ByteBuffer]
    /// The command being run.
    public let command: ResolvedCommand

    /// The calling client's reply writer.
    public var reply: ReplyWriter { client.reply }
    /// The calling client's selected database.
    public var database: Database { client.database }
    public var count: Int { arguments.count }

    /// Argument `index` as a key.
    public func key(_ index: Int) -> ByteString { ByteString(arguments[index]) }
    /// Argument `index` as bytes.
    public func bytes(_ index: Int) -> [UInt8] { arguments[index].bytesArray }
    /// Whether argument `index` equals `literal` ignoring case (`literal` lowercase).
    public func argument(_ index: Int, is literal: StaticString) -> Bool {
        arguments[index].equalsCaseInsensitive(literal)
    }

    /// Argument `index` as a 64-bit integer, with Redis's parsing rules.
    /// - Throws: `ERR value is not an integer or out of range`.
    
    public func integer(_ index: Int) throws(RedisError) -> Int64 {
        guard let v = RedisInteger.parse(arguments[index]) else { throw .notInteger }
        return v
    }

    /// Throws a syntax error unless the argument count is `n`.
    public func expectCount(_ n: Int) throws(RedisError) {
        if arguments.count != n { throw .syntax }
    }
}
