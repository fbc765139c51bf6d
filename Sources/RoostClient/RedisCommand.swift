import NIOCore
import RoostRESP

/// One argument of a command, as the bytes sent in its bulk string.
public struct RedisArgument: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    /// The argument's bytes.
    public var bytes: ByteBuffer

    /// The bytes of `buffer`.
    public init(_ buffer: ByteBuffer) { bytes = buffer }
    /// The bytes of `bytes`.
    public init(bytes: some Sequence<UInt8>) { self.bytes = ByteBuffer(bytes: bytes) }
    /// The UTF-8 bytes of `string`.
    public init(_ string: String) { bytes = ByteBuffer(string: string) }
    /// `value` in decimal.
    public init(_ value: Int) { bytes = ByteBuffer(string: String(value)) }
    /// `value` as Redis reads a float (`inf`, `-inf` for infinities).
    public init(_ value: Double) {
        if value == .infinity {
            bytes = ByteBuffer(string: "+inf")
        } else if value == -.infinity {
            bytes = ByteBuffer(string: "-inf")
        } else {
            bytes = ByteBuffer(string: String(value))
        }
    }
    /// A string literal's UTF-8 bytes.
    public init(stringLiteral value: String) { self.init(value) }
    /// An integer literal in decimal.
    public init(integerLiteral value: Int) { self.init(value) }
}

/// A value that can be sent as a command argument.
public protocol RedisArgumentConvertible: Sendable {
    /// The argument's bytes.
    var redisArgument: RedisArgument { get }
}

extension RedisArgument: RedisArgumentConvertible {
    /// Itself.
    public var redisArgument: RedisArgument { self }
}
extension String: RedisArgumentConvertible {
    /// The UTF-8 bytes.
    public var redisArgument: RedisArgument { RedisArgument(self) }
}
extension Substring: RedisArgumentConvertible {
    /// The UTF-8 bytes.
    public var redisArgument: RedisArgument { RedisArgument(String(self)) }
}
extension Int: RedisArgumentConvertible {
    /// Decimal.
    public var redisArgument: RedisArgument { RedisArgument(self) }
}
extension Double: RedisArgumentConvertible {
    /// As Redis reads floats.
    public var redisArgument: RedisArgument { RedisArgument(self) }
}
extension ByteBuffer: RedisArgumentConvertible {
    /// The readable bytes.
    public var redisArgument: RedisArgument { RedisArgument(self) }
}
extension Array: RedisArgumentConvertible where Element == UInt8 {
    /// The bytes.
    public var redisArgument: RedisArgument { RedisArgument(bytes: self) }
}

/// A key. Strings, byte arrays and buffers convert to it.
public typealias RedisKey = RedisArgument

/// A command ready to send: its name and arguments.
public struct RedisCommand: Sendable, Hashable {
    /// The command name and its arguments, in order (`["SET", "k", "v"]`).
    public var arguments: [RedisArgument]

    /// A command from its name and arguments.
    public init(_ name: String, _ arguments: [RedisArgument] = []) {
        self.arguments = [RedisArgument(name)] + arguments
    }

    /// A command from its name and arguments of any convertible types.
    public init(_ name: String, _ arguments: any RedisArgumentConvertible...) {
        self.init(name, arguments.map(\.redisArgument))
    }

    /// The command name, upper-cased (`CLIENT` for `CLIENT SETNAME`).
    public var name: String {
        guard let first = arguments.first else { return "" }
        return String(buffer: first.bytes).uppercased()
    }

    /// How the connection treats the command's replies, worked out from its name once.
    struct ReplyTraits {
        /// How many replies it produces: one, except for the `SUBSCRIBE` family, which answers
        /// once per channel.
        var replyCount = 1
        /// Whether the replies come through the pub/sub confirmation path.
        var isSubscriptionChange = false
        /// Whether the command can block the connection until another client acts.
        var isBlocking = false
    }

    var replyTraits: ReplyTraits {
        var traits = ReplyTraits()
        switch name {
        case "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE":
            traits.replyCount = max(arguments.count - 1, 1)
            traits.isSubscriptionChange = true
        case "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "WAIT", "WAITAOF":
            traits.isBlocking = true
        case "XREAD", "XREADGROUP":
            traits.isBlocking = arguments.contains { String(buffer: $0.bytes).uppercased() == "BLOCK" }
        default:
            break
        }
        return traits
    }

    /// Appends the command as a RESP array of bulk strings.
    func encode(into buffer: inout ByteBuffer) {
        buffer.writeRESPHeader(UInt8(ascii: "*"), arguments.count)
        for argument in arguments {
            buffer.writeRESPBulk(argument.bytes)
        }
    }
}
