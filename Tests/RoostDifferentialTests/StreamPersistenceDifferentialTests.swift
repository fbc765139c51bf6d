import Foundation
import RoostTestSupport
import Testing

import RoostEngine

/// Streams in RDB files: each server loads the file the other saves, and every stream reads back
/// byte for byte as it was on the server that saved it (XINFO STREAM FULL, with delivery and
/// seen times, which the file carries); streams without consumers are byte-identical files.
@Suite struct StreamPersistenceDifferentialTests {
    static func commands() -> [[String]] {
        var out: [[String]] = [["CONFIG", "SET", "stream-node-max-entries", "16"]]
        for i in 1...120 {
            let fields = i % 7 == 0 ? ["other", "\(i)", "x", "y"] : ["f", "\(i * 1000)", "g", "value-\(i)"]
            out.append(["XADD", "s", "\(i / 3 + 1)-\(i)"] + fields)
        }
        out += [
            ["XDEL", "s", "1-1", "2-3", "20-60"],
            ["XGROUP", "CREATE", "s", "g", "0"],
            ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "5", "STREAMS", "s", ">"],
            ["XREADGROUP", "GROUP", "g", "bob", "COUNT", "3", "STREAMS", "s", ">"],
            ["XACK", "s", "g", "2-4"],
            ["XCLAIM", "s", "g", "carol", "0", "2-5", "TIME", "1700000000000", "RETRYCOUNT", "4"],
            ["XGROUP", "CREATE", "s", "g2", "$", "ENTRIESREAD", "120"],
            ["XGROUP", "CREATECONSUMER", "s", "g2", "dave"],
            ["XGROUP", "CREATE", "empty", "g", "0", "MKSTREAM"],
            ["XADD", "trimmed", "1-1", "a", "1"], ["XADD", "trimmed", "2-1", "a", "2"],
            ["XTRIM", "trimmed", "MAXLEN", "0"],
            ["XADD", "set", "5-5", String(repeating: "long", count: 40), String(repeating: "v", count: 300)],
            ["XSETID", "set", "9-9", "ENTRIESADDED", "50", "MAXDELETEDID", "7-0"],
        ]
        return out
    }

    static func populate(port: Int) throws {
        let c = try RawConnection(port: port)
        for command in commands() {
            let reply = try c.text(command)
            #expect(!reply.hasPrefix("ERR"), "\(command.prefix(3)): \(reply)")
        }
    }

    /// What each stream reads as, in raw bytes.
    static func view(port: Int) throws -> [String] {
        let c = try RawConnection(port: port)
        var out: [String] = []
        for key in ["s", "empty", "trimmed", "set"] {
            for query in [["XINFO", "STREAM", key, "FULL", "COUNT", "0"], ["XINFO", "GROUPS", key], ["TYPE", key],
                          ["XRANGE", key, "-", "+"], ["XPENDING", key, "g"]] {
                try c.send(command: query.map { Array($0.utf8) })
                out.append("\(query.joined(separator: " ")): \(RawConnection.escape(try c.readReply()))")
            }
        }
        return out
    }

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "roost-stream-rdb-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func expectSame(_ saved: [String], _ loaded: [String], _ direction: String) {
        #expect(saved.count == loaded.count)
        for (a, b) in zip(saved, loaded) where a != b {
            Issue.record("\(direction)\nsaved:  \(a.prefix(600))\nloaded: \(b.prefix(600))")
        }
    }

    @Test func redisLoadsTheFileRoostSaves() async throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let roost = try await RoostTestServer.start { $0.dir = dir }
        do {
            try Self.populate(port: roost.port)
            let saved = try Self.view(port: roost.port)
            #expect(try RawConnection.text(port: roost.port, ["SAVE"]) == "OK")
            let redis = try await RedisServerProcess.start(extraArguments: ["--dir", dir])
            defer { redis.stop() }
            Self.expectSame(saved, try Self.view(port: redis.port), "Roost → Redis")
        } catch {
            try? await roost.stop()
            throw error
        }
        try await roost.stop()
    }

    @Test func roostLoadsTheFileRedisSaves() async throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let redis = try await RedisServerProcess.start(extraArguments: ["--dir", dir])
        defer { redis.stop() }
        try Self.populate(port: redis.port)
        let saved = try Self.view(port: redis.port)
        #expect(try RawConnection.text(port: redis.port, ["SAVE"]) == "OK")
        let roost = try await RoostTestServer.start { $0.dir = dir }
        do {
            Self.expectSame(saved, try Self.view(port: roost.port), "Redis → Roost")
        } catch {
            try? await roost.stop()
            throw error
        }
        try await roost.stop()
    }

    /// Streams without consumers (no times inside), one key a file: Roost's file is Redis's,
    /// byte for byte, after the header.
    @Test func filesAreByteIdentical() async throws {
        let redisDir = try Self.temporaryDirectory(), roostDir = try Self.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: redisDir)
            try? FileManager.default.removeItem(atPath: roostDir)
        }
        var long: [[String]] = (1...150).map { ["XADD", "s", "\($0)-\($0 % 4)", "f", "\($0)", "g", "text-\($0)"] }
        long += [["XDEL", "s", "3-3", "100-0"], ["XGROUP", "CREATE", "s", "g", "5-1", "ENTRIESREAD", "5"]]
        let cases: [[[String]]] = [
            long,
            [["XGROUP", "CREATE", "e", "g", "$", "MKSTREAM"]],
            [["XADD", "t", "1-1", "a", "1"], ["XTRIM", "t", "MAXLEN", "0"], ["XSETID", "t", "5-0", "ENTRIESADDED", "9"]],
        ]
        let redis = try await RedisServerProcess.start(extraArguments: ["--dir", redisDir])
        defer { redis.stop() }
        let roost = try await RoostTestServer.start { $0.dir = roostDir }
        do {
            for commands in cases {
                for port in [redis.port, roost.port] {
                    let c = try RawConnection(port: port)
                    _ = try c.text(["FLUSHALL"])
                    for command in commands { _ = try c.text(command) }
                    #expect(try c.text(["SAVE"]) == "OK")
                }
                let redisFile = try [UInt8](Data(contentsOf: URL(fileURLWithPath: redisDir + "/dump.rdb")))
                let roostFile = try [UInt8](Data(contentsOf: URL(fileURLWithPath: roostDir + "/dump.rdb")))
                #expect(RawConnection.escape(RDBDifferentialTests.body(roostFile))
                        == RawConnection.escape(RDBDifferentialTests.body(redisFile)), "\(commands[0])")
            }
        } catch {
            try? await roost.stop()
            throw error
        }
        try await roost.stop()
    }
}
