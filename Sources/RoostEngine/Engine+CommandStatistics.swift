import NIOCore

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One command's figures for INFO commandstats (Redis's `calls`, `microseconds`,
/// `rejected_calls`, `failed_calls`).
public struct CommandCounters: Sendable {
    /// The full name (`get`, `config|get`).
    public let name: String
    public var calls: Int64 = 0
    public var microseconds: Int64 = 0
    /// Refused before running (arity, NOAUTH, OOM, MISCONF, BUSY…).
    public var rejected: Int64 = 0
    /// Ran and replied with an error.
    public var failed: Int64 = 0
    /// The durations INFO latencystats and LATENCY HISTOGRAM report (`latency-tracking`).
    var latency = LatencyHistogram()

    mutating func record(microseconds: Int64, failed: Bool, tracksLatency: Bool) {
        calls += 1
        self.microseconds += microseconds
        if failed { self.failed += 1 }
        if tracksLatency { latency.record(nanoseconds: microseconds * 1000) }
    }
}

/// INFO commandstats and errorstats: what `call` and `reject` record, counted as Redis counts
/// them. A command failed when an error reply was written since the last command that ran
/// (Redis's `incrCommandStatsOnError`), so a transaction or script counts each inner command's
/// error on that command.
extension Engine {
    /// Monotonic microseconds, for command durations.
    static func monotonicMicroseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }

    /// Counts an error reply: the total and its kind, the first word of its text when that word
    /// ends within Redis's 32-byte window, otherwise `ERR`.
    func countError(_ error: RedisError) {
        statistics.errorReplies += 1
        let bytes = error.bytes
        // Redis looks for the space in the first 32 bytes of "-TEXT", the dash included.
        if let space = bytes.prefix(31).firstIndex(of: UInt8(ascii: " ")), space > 0 {
            statistics.errorsByKind[Array(bytes[..<space]), default: 0] += 1
        } else {
            statistics.errorsByKind[Self.errPrefix, default: 0] += 1
        }
    }

    /// Fails the running command without counting an error reply: a script passing on a failed
    /// redis.call's error, counted when that command failed (Redis's
    /// `ERR_REPLY_FLAG_NO_STATS_UPDATE`). The mark `countCall` compares with moves back one.
    func failWithoutCountingError() {
        errorsBeforeLastCall -= 1
    }

    /// Records a command refused before it ran.
    func countRejection(_ resolved: ResolvedCommand) {
        statistics.commands[ObjectIdentifier(resolved.spec), default: CommandCounters(name: resolved.fullName)].rejected += 1
    }

    /// Records a command that ran: its figures, and the slow log unless it is loading from the
    /// append-only file, blocked (logged when served, as Redis does), or one Redis keeps out of
    /// the log (`skip_slowlog`: EXEC, AUTH, HELLO…). The same duration feeds the latency monitor
    /// (`command`, `fast-command`) and, unless blocked, the command's latency histogram.
    func countCall(_ resolved: ResolvedCommand, _ arguments: [ByteBuffer], client: Client, microseconds: Int64) {
        if aof.loading { return }
        if client.blocked != nil {
            client.blocked!.command = ObjectIdentifier(resolved.spec)
            client.blocked!.callMicroseconds = microseconds
        }
        if monitorsLatency {
            sampleLatency(resolved.spec.flags.contains(.fast) ? "fast-command" : "command", milliseconds: microseconds / 1000)
        }
        if client.blocked == nil && !resolved.spec.flags.contains(.skipSlowlog) {
            slowLog.record(arguments, name: resolved.fullName, client: client, microseconds: microseconds,
                           slowerThan: configuration.slowlogLogSlowerThan, maxLength: configuration.slowlogMaxLength)
        }
        let failed = statistics.errorReplies > errorsBeforeLastCall
        errorsBeforeLastCall = statistics.errorReplies
        // One lookup, updated in place; the name is copied only for a command's first call.
        statistics.commands[ObjectIdentifier(resolved.spec), default: CommandCounters(name: resolved.fullName)]
            .record(microseconds: microseconds, failed: failed,
                    tracksLatency: configuration.latencyTracking && client.blocked == nil)
    }

    /// INFO commandstats lines, by command name.
    var commandStatsFields: [(String, String)] {
        statistics.commands.values.sorted { $0.name < $1.name }.map { c in
            let perCall = c.calls == 0 ? 0 : Double(Float(c.microseconds) / Float(c.calls))
            return ("cmdstat_" + ServerInfo.safe(c.name),
                    "calls=\(c.calls),usec=\(c.microseconds),usec_per_call=\(GeoCommands.cFormat("%.2f", perCall))"
                        + ",rejected_calls=\(c.rejected),failed_calls=\(c.failed)")
        }
    }

    /// The kind of an error whose first word is not one: `ERR`.
    static let errPrefix = Array("ERR".utf8)

    /// Appends INFO errorstats lines, by kind in byte order. A kind is printed as Redis's
    /// `%.*s` prints it: up to a NUL byte.
    func appendErrorStats(to out: inout [UInt8]) {
        for (kind, count) in statistics.errorsByKind.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            out += "errorstat_".utf8
            out += ServerInfo.safe(bytes: Array(kind.prefix { $0 != 0 }))
            out += ":count=".utf8
            out += String(count).utf8
            out += [13, 10]
        }
    }
}
