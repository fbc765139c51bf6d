import NIOCore

/// MONITOR: every command the server runs, as one status line per command to each monitoring
/// client, in Redis 7.0's format (`replicationFeedMonitors`):
/// `+<seconds>.<microseconds> [<db> <addr>] "arg" "arg"…`, arguments quoted as `sdscatrepr`
/// does, commands from scripts as `[<db> lua]`. Admin commands and commands refused before
/// running are not shown; script commands are shown before they run, others after.
enum MonitorCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("monitor", arity: 1, flags: [.admin, .noscript, .loading, .stale],
                    categories: ["admin", "slow", "dangerous"], group: "server", since: "1.0.0",
                    summary: "Listen for all requests received by the server in real time", 
                    handler: monitor),
    ]

    /// MONITOR: a client already monitoring gets no reply, as in Redis.
    static func monitor(_ c: CommandContext) throws(RedisError) {
        if c.client.isMonitor { return }
        c.client.isMonitor = true
        c.engine.monitors.append(c.client)
        c.reply.ok()
    }
}

extension Engine {
    /// Sends the line for `arguments`, run by `client`, to every monitoring client.
    func feedMonitors(_ arguments: [ByteBuffer], _ name: String, from client: Client) {
        let microseconds = Engine.clockMicroseconds()
        var line: [UInt8] = Array("+\(microseconds / 1_000_000).".utf8)
        let fraction = String(microseconds % 1_000_000)
        line += repeatElement(UInt8(ascii: "0"), count: 6 - fraction.utf8.count)
        line += fraction.utf8
        let isScript = scripting.map { $0.scriptClient === client } ?? false
            || functionScripting.map { $0.scriptClient === client } ?? false
        line += " [\(client.database.index) \(isScript ? "lua" : client.address)] ".utf8
        let redacted = Engine.redactedArguments(arguments, name)
        for (i, argument) in arguments.enumerated() {
            if i > 0 { line.append(UInt8(ascii: " ")) }
            if redacted.contains(i) {
                line += "\"(redacted)\"".utf8
            } else {
                argument.withUnsafeReadableBytes { Engine.appendRepr(&line, $0) }
            }
        }
        line += "\r\n".utf8
        var buffer = ByteBufferAllocator().buffer(capacity: line.count)
        buffer.writeBytes(line)
        for monitor in monitors {
            monitor.reply.raw(buffer)
            if monitor !== client { scheduleDelivery(to: monitor) }
        }
    }

    /// The argument positions Redis shows as `(redacted)`: AUTH's credentials, HELLO's after
    /// AUTH, and the values CONFIG SET gives sensitive parameters (`requirepass`, `masterauth`,
    /// `masteruser`).
    static func redactedArguments(_ arguments: [ByteBuffer], _ name: String) -> Set<Int> {
        switch name {
        case "config|set":
            // Redis redacts once the arguments pair up, whatever else is wrong with them.
            guard arguments.count % 2 == 0 else { return [] }
            return Set(stride(from: 2, to: arguments.count, by: 2).filter {
                EngineConfiguration.sensitiveParameters.contains(String(buffer: arguments[$0]).lowercased())
            }.map { $0 + 1 })
        case "auth":
            return Set(1..<arguments.count)
        case "hello":
            var positions = Set<Int>()
            var i = 2
            while i < arguments.count {
                if String(buffer: arguments[i]).lowercased() == "auth" && i + 2 < arguments.count {
                    positions.insert(i + 1)
                    positions.insert(i + 2)
                    i += 3
                } else {
                    i += 1
                }
            }
            return positions
        default:
            return []
        }
    }

    /// Appends `bytes` quoted as Redis's `sdscatrepr`.
    static func appendRepr(_ out: inout [UInt8], _ bytes: UnsafeRawBufferPointer) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for b in bytes {
            switch b {
            case UInt8(ascii: "\\"), UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), b]
            case 10: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 13: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 9: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 7: out += [UInt8(ascii: "\\"), UInt8(ascii: "a")]
            case 8: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x20...0x7e: out.append(b)
            default: out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(b >> 4)], hex[Int(b & 15)]]
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Forgets a disconnecting monitor.
    func removeMonitor(_ client: Client) {
        guard client.isMonitor else { return }
        monitors.removeAll { $0 === client }
    }
}
