import NIOCore

/// Errors that quote what the client typed (unknown commands and subcommands), with the bytes
/// Redis echoes: cut at a NUL byte as C's `%s` cuts them, and at Redis's lengths.
extension RedisError {
    /// Redis's `addReplySubcommandSyntaxError`: the subcommand as given, cut at 128 bytes, and the
    /// command as given in upper case.
    static func subcommandSyntax(_ arguments: [ByteBuffer]) -> RedisError {
        let name = Engine.cBytes(arguments[0], limit: .max).map { $0 >= 0x61 && $0 <= 0x7a ? $0 - 0x20 : $0 }
        return .format(
            "unknown subcommand or wrong number of arguments for '\(cString: arguments[1], limit: 128)'. Try \(bytes: name) HELP.")
    }
}

extension Engine {
    /// Redis's "unknown command" text: the name cut at 128 bytes, then the arguments, quoted,
    /// each cut so that at most 128 bytes of them are written.
    static func unknownCommandError(_ arguments: [ByteBuffer]) -> RedisError {
        var args = [UInt8]()
        var i = 1
        while i < arguments.count && args.count < 128 {
            let limit = 128 - args.count
            args.append(UInt8(ascii: "'"))
            args.append(contentsOf: cBytes(arguments[i], limit: limit))
            args.append(contentsOf: "' ".utf8)
            i += 1
        }
        return .format("unknown command '\(cString: arguments[0], limit: 128)', with args beginning with: \(bytes: args)")
    }

    /// The bytes of `buffer` up to the first NUL and at most `limit` long, as `%.*s` prints them.
    static func cBytes(_ buffer: ByteBuffer, limit: Int) -> [UInt8] {
        var out = [UInt8]()
        for c in buffer.readableBytesView {
            if c == 0 || out.count >= limit { break }
            out.append(c)
        }
        return out
    }
}
