import Foundation
import NIOCore

/// DEBUG's subcommands other than RELOAD (Persistence.swift), as Redis 7.0's `debugCommand`
/// answers them, for the server's own tests and client test suites that use them.
enum DebugCommands {
    static func run(_ c: CommandContext) throws(RedisError) {
        if c.argument(1, is: "error") && c.count == 3 {
            // Any error text, sent as given (CR and LF as spaces) and, as in Redis, not counted
            // in errorstats: clients use it to fake LOADING, READONLY, OOM…
            let text = c.arguments[2].readableBytesView.map { $0 == 13 || $0 == 10 ? 32 : $0 }
            c.reply.buffer.writeRESPError(bytes: text)
        } else if c.argument(1, is: "sleep") && c.count == 3 {
            // The whole server sleeps, as Redis's does: this is the engine's thread.
            let seconds = strtod(String(decoding: c.arguments[2].readableBytesView, as: UTF8.self), nil)
            let microseconds = Int64(seconds * 1_000_000)
            if microseconds > 0 {
                var interval = timespec(tv_sec: Int(microseconds / 1_000_000), tv_nsec: Int(microseconds % 1_000_000) * 1000)
                nanosleep(&interval, nil)
            }
            c.reply.ok()
        } else if c.argument(1, is: "set-active-expire") && c.count == 3 {
            c.engine.activeExpireEnabled = atoi(String(decoding: c.arguments[2].readableBytesView, as: UTF8.self)) != 0
            c.reply.ok()
        } else {
            throw .subcommandSyntax(c.arguments)
        }
    }
}
