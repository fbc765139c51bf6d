import Foundation
import RoostEngine
import RoostServer
import RoostTestSupport
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// BGSAVE, LASTSAVE, CONFIG save and INFO persistence against redis-server 7.0.15, and a real
/// `roost server` process: save points, SIGTERM saving, and a kill -9 in the middle of a BGSAVE
/// that leaves the previous `dump.rdb` usable.
@Suite(.serialized) struct BackgroundSaveDifferentialTests {
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "roost-bgsave-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func repliesMatchRedis() async throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pair = try await DifferentialPair(configure: { $0.dir = dir })
        do {
            try pair.run("""
                CONFIG GET save
                CONFIG SET save "3600 1 300 100"
                CONFIG GET save
                CONFIG SET save "3"
                CONFIG SET save "0 1"
                CONFIG SET save "1 -1"
                CONFIG SET save ""
                CONFIG GET save
                CONFIG GET stop-writes-on-bgsave-error
                CONFIG SET stop-writes-on-bgsave-error maybe
                SET k v
                BGSAVE NOW
                BGSAVE SCHEDULE x
                BGSAVE
                ?LASTSAVE
                MULTI
                BGSAVE
                SAVE
                DISCARD
                """)
            #expect(pair.mismatches.isEmpty, "\(pair.mismatches)")
            // INFO persistence: the same fields in the same order, up to the AOF ones.
            let (redis, roost) = try pair.clients(1)
            func names(_ connection: RawConnection) throws -> [String] {
                try connection.send(command: [Array("INFO".utf8), Array("persistence".utf8)])
                let text = String(decoding: try connection.readReply(), as: UTF8.self)
                let lines = text.split(separator: "\r\n").dropFirst(2).map(String.init)
                return lines.compactMap { $0.split(separator: ":").first.map(String.init) }
                    .prefix { $0 != "aof_enabled" }.map { $0 }
            }
            let redisNames = try names(redis)
            #expect(redisNames.count > 10)
            #expect(try names(roost) == redisNames)
        }
        await pair.stop()
    }

    static let binaryMissing = "the roost executable is not built (run `swift build` first; expected .build/debug/roost)"

    /// A `roost server` child on a free port in `dir`.
    static func startRoost(_ binary: String, dir: String, _ extra: [String] = []) throws -> (pid: pid_t, port: Int) {
        let port = try FreePort.find()
        let pid = try ChildProcess.spawn(binary, ["server", "--port", "\(port)", "--bind", "127.0.0.1", "--dir", dir] + extra)
        do {
            try PortProbe.waitUntilAccepting(port: port, timeout: 180)
        } catch {
            ChildProcess.kill(pid, signal: SIGKILL)
            throw error
        }
        return (pid, port)
    }

    static func call(_ c: RawConnection, _ words: String...) throws -> String {
        try c.send(command: words.map { Array($0.utf8) })
        return String(decoding: try c.readReply(), as: UTF8.self)
    }

    @Test(.enabled(if: PackagePaths.roostExecutable != nil, Comment(rawValue: binaryMissing)))
    func killDuringBackgroundSaveLeavesThePreviousFileUsable() throws {
        let binary = try #require(PackagePaths.roostExecutable)
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try Self.startRoost(binary, dir: dir)
        let keys = 200_000
        do {
            let c = try RawConnection(port: first.port, timeout: 120)
            #expect(try Self.call(c, "EVAL", "for i=1,\(keys) do redis.call('SET','key:'..i,'value:'..i) end", "0") == "$-1\r\n")
            #expect(try Self.call(c, "SAVE") == "+OK\r\n")
            let saved = try Data(contentsOf: URL(fileURLWithPath: dir + "/dump.rdb"))
            #expect(try Self.call(c, "SET", "key:1", "changed") == "+OK\r\n")
            #expect(try Self.call(c, "BGSAVE") == "+Background saving started\r\n")
            let info = try Self.call(c, "INFO", "persistence")
            let running = info.contains("rdb_bgsave_in_progress:1")
            ChildProcess.kill(first.pid, signal: SIGKILL)
            // The snapshot of 200,000 keys takes far longer than one INFO round trip.
            #expect(running, "killed while the BGSAVE ran")
            let after = try Data(contentsOf: URL(fileURLWithPath: dir + "/dump.rdb"))
            if running { #expect(after == saved, "the previous file is untouched") }
        } catch {
            ChildProcess.kill(first.pid, signal: SIGKILL)
            throw error
        }
        let second = try Self.startRoost(binary, dir: dir)
        defer { ChildProcess.kill(second.pid, signal: SIGKILL) }
        let c = try RawConnection(port: second.port, timeout: 60)
        #expect(try Self.call(c, "DBSIZE") == ":\(keys)\r\n")
        #expect(try Self.call(c, "GET", "key:\(keys)") == "$\("value:\(keys)".utf8.count)\r\nvalue:\(keys)\r\n")
    }

    @Test(.enabled(if: PackagePaths.roostExecutable != nil, Comment(rawValue: binaryMissing)))
    func savePointsAndSigtermSave() async throws {
        let binary = try #require(PackagePaths.roostExecutable)
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A save point of 1 change after 1 second: the server's own cycle starts a BGSAVE.
        let first = try Self.startRoost(binary, dir: dir, ["--save", "1 1"])
        do {
            let c = try RawConnection(port: first.port)
            #expect(try Self.call(c, "CONFIG", "GET", "save") == "*2\r\n$4\r\nsave\r\n$3\r\n1 1\r\n")
            #expect(try Self.call(c, "SET", "a", "1") == "+OK\r\n")
            try await eventually(timeout: .seconds(30), "a save point's BGSAVE") {
                try Self.call(c, "INFO", "persistence").contains("rdb_changes_since_last_save:0")
                    && FileManager.default.fileExists(atPath: dir + "/dump.rdb")
            }
            #expect(try Self.call(c, "SET", "b", "2") == "+OK\r\n")
            // SIGTERM with save points set saves before exiting.
            Glibc.kill(first.pid, SIGTERM)
            #expect(ChildProcess.wait(first.pid, timeout: 30) == 0)
        } catch {
            ChildProcess.kill(first.pid, signal: SIGKILL)
            throw error
        }
        let second = try Self.startRoost(binary, dir: dir)
        defer { ChildProcess.kill(second.pid, signal: SIGKILL) }
        let c = try RawConnection(port: second.port)
        #expect(try Self.call(c, "MGET", "a", "b") == "*2\r\n$1\r\n1\r\n$1\r\n2\r\n")
        // Without save points (the default), SHUTDOWN does not save.
        #expect(try Self.call(c, "SET", "c", "3") == "+OK\r\n")
        try c.send(command: [Array("SHUTDOWN".utf8)])
        _ = try? c.readUntilClosed()
        #expect(ChildProcess.wait(second.pid, timeout: 30) == 0)
        let third = try Self.startRoost(binary, dir: dir)
        defer { ChildProcess.kill(third.pid, signal: SIGKILL) }
        let d = try RawConnection(port: third.port)
        #expect(try Self.call(d, "EXISTS", "c") == ":0\r\n")
    }
}
