import Foundation
import NIOConcurrencyHelpers
import RoostTestSupport
import Testing

/// `roost server` with `appendonly yes` killed with kill -9 while several clients write: after
/// the restart every write it acknowledged is there (`appendfsync always`), or all but the last
/// second's (`everysec`), and no MULTI is half applied. `ROOST_AOF_KILLS` sets the number of
/// kills (default 3).
@Suite(.serialized, .enabled(if: PackagePaths.roostExecutable != nil, "the roost executable is needed"))
struct AOFCrashTests {
    static let writers = 4
    static var kills: Int { Int(ProcessInfo.processInfo.environment["ROOST_AOF_KILLS"] ?? "") ?? 3 }

    /// What the writers had acknowledged: per writer, the last element pushed and when.
    final class Acknowledged: Sendable {
        let pushed = NIOLockedValueBox<[Int: [(Int, ContinuousClock.Instant)]]>([:])
        let running = NIOLockedValueBox(true)
        var total: Int { pushed.withLockedValue { $0.values.reduce(0) { $0 + $1.count } } }
    }

    /// One writer: RPUSH list:i n, then MULTI INCR ta:i INCR tb:i EXEC, until its connection fails.
    static func write(port: Int, writer: Int, from start: Int, into acknowledged: Acknowledged) {
        guard let c = try? RawConnection(port: port, timeout: 5) else { return }
        var n = start
        while acknowledged.running.withLockedValue({ $0 }) {
            n += 1
            do {
                try c.send(command: [Array("RPUSH".utf8), Array("list:\(writer)".utf8), Array(String(n).utf8)])
                let reply = try c.readReply()
                guard reply.first == UInt8(ascii: ":") else { return }
                acknowledged.pushed.withLockedValue { $0[writer, default: []].append((n, .now)) }
                for command in [["MULTI"], ["INCR", "ta:\(writer)"], ["INCR", "tb:\(writer)"], ["EXEC"]] {
                    try c.send(command: command.map { Array($0.utf8) })
                }
                for _ in 0..<4 { _ = try c.readReply() }
            } catch {
                return
            }
        }
    }

    /// The list each writer left, as numbers.
    static func lists(port: Int) throws -> [Int: [Int]] {
        var out: [Int: [Int]] = [:]
        for writer in 0..<writers {
            let c = try RawConnection(port: port)
            try c.send(command: [Array("LRANGE".utf8), Array("list:\(writer)".utf8), Array("0".utf8), Array("-1".utf8)])
            out[writer] = RDBDifferentialTests.bulks(try c.readReply()).map { Int(String(decoding: $0, as: UTF8.self))! }
            let a = try RawConnection.text(port: port, ["GET", "ta:\(writer)"])
            let b = try RawConnection.text(port: port, ["GET", "tb:\(writer)"])
            #expect(a == b, "writer \(writer): a MULTI was half applied (\(a) vs \(b))")
        }
        return out
    }

    /// Keys loaded before a rewrite test, so that each rewrite runs long enough to be killed.
    static let rewriteKeys = 100_000

    /// With `rewrite`, each round starts a BGREWRITEAOF and kills the server while it runs.
    func run(appendfsync: String, kills: Int, allowedLoss: Duration, rewrite: Bool = false) async throws {
        let server = try AppendOnlyRedisServer(roost: true, appendfsync: appendfsync)
        defer { server.stop() }
        try await server.launch()
        if rewrite {
            let c = try RawConnection(port: server.port, timeout: 120)
            #expect(try c.text(["EVAL", "for i=1,\(Self.rewriteKeys) do redis.call('SET','key:'..i,'value:'..i) end", "0"]) == "$-1\r\n")
        }
        var killedDuringRewrite = 0
        var previous = try Self.lists(port: server.port)
        for round in 0..<kills {
            let acknowledged = Acknowledged()
            let target = Int.random(in: 20...400)
            let threads = (0..<Self.writers).map { writer in
                let start = previous[writer]?.last ?? 0
                let port = server.port
                let thread = Thread { Self.write(port: port, writer: writer, from: start, into: acknowledged) }
                thread.start()
                return thread
            }
            try await eventually(timeout: .seconds(60), "writes to be acknowledged") { acknowledged.total >= target }
            if rewrite {
                let c = try RawConnection(port: server.port, timeout: 30)
                #expect(try c.text(["BGREWRITEAOF"]) == "Background append only file rewriting started")
                let more = acknowledged.total + Int.random(in: 0...100)
                try await eventually(timeout: .seconds(60), "writes during the rewrite") { acknowledged.total >= more }
                if try c.text(["INFO", "persistence"]).contains("aof_rewrite_in_progress:1") { killedDuringRewrite += 1 }
            }
            server.kill9()
            let killedAt = ContinuousClock.now
            acknowledged.running.withLockedValue { $0 = false }
            _ = threads
            try await server.launch()
            let lists = try Self.lists(port: server.port)
            for writer in 0..<Self.writers {
                let list = lists[writer] ?? []
                #expect(list == Array(1...max(1, list.count)).prefix(list.count).map { $0 },
                        "round \(round), writer \(writer): the list is not 1…n")
                let acks = acknowledged.pushed.withLockedValue { $0[writer] ?? [] }
                let mustHave = acks.filter { killedAt - $0.1 > allowedLoss }.map(\.0).max() ?? 0
                #expect(list.count >= mustHave,
                        "round \(round), writer \(writer): \(mustHave) acknowledged, \(list.count) after the restart")
            }
            previous = lists
            if rewrite {
                #expect(Int(try RawConnection.text(port: server.port, ["DBSIZE"])) ?? 0 >= Self.rewriteKeys)
                #expect(try RawConnection.text(port: server.port, ["GET", "key:\(Self.rewriteKeys)"]) == "value:\(Self.rewriteKeys)")
            }
        }
        if rewrite { #expect(killedDuringRewrite > 0, "no kill landed while a rewrite ran") }
        let info = try RawConnection.text(port: server.port, ["INFO", "persistence"])
        #expect(info.contains("aof_enabled:1"))
    }

    @Test func alwaysLosesNoAcknowledgedWrite() async throws {
        try await run(appendfsync: "always", kills: Self.kills, allowedLoss: .zero)
    }

    /// kill -9 while BGREWRITEAOF writes the new base: the previous manifest and files (with
    /// the new incremental file, listed when the rewrite started) still hold every write.
    @Test func killDuringRewriteLosesNoAcknowledgedWrite() async throws {
        try await run(appendfsync: "always", kills: Self.kills, allowedLoss: .zero, rewrite: true)
    }

    @Test func everysecLosesAtMostAboutASecond() async throws {
        try await run(appendfsync: "everysec", kills: 1, allowedLoss: .seconds(2))
    }
}
