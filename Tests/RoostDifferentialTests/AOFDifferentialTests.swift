import Foundation
import RoostEngine
import RoostServer
import RoostTestSupport
import Testing

/// Append-only directories moved between redis-server 7.0.15 and Roost in both directions: the
/// same command stream (with commands whose effects must be propagated rather than replayed:
/// SPOP, relative expiry, INCRBYFLOAT, scripts, MULTI, blocking pops) runs with `appendonly yes`
/// on one server, a copy of its AOF directory is loaded by the other, and the keyspaces compare
/// equal.
@Suite(.serialized) struct AOFDifferentialTests {
    static func words(_ text: [String]) -> [[UInt8]] { text.map { Array($0.utf8) } }

    /// The RDB suite's stream, a rewrite, then commands Redis rewrites when it propagates them.
    static func commands() -> [[[UInt8]]] {
        let effects: [[String]] = [
            ["BGREWRITEAOF"],
            ["SADD", "pops", "a", "b", "c", "d", "e", "f"], ["SPOP", "pops"], ["SPOP", "pops", "2"],
            ["SETEX", "sx", "1000", "v"], ["SET", "px", "v", "PX", "100000"], ["SET", "gx", "v"],
            ["GETEX", "gx", "EX", "1000"], ["EXPIRE", "int", "5000"],
            ["INCRBYFLOAT", "fl", "3.5"], ["INCRBYFLOAT", "fl", "0.1"], ["HINCRBYFLOAT", "hf", "f", "1.5"],
            ["EVAL", "redis.call('rpush','el','a','b'); redis.call('set','es','1'); return 1", "0"],
            ["SET", "gone", "v"], ["EXPIREAT", "gone", "1"],
            ["LPUSH", "bl", "x", "y"], ["BLPOP", "bl", "0"], ["ZADD", "bz", "1", "a", "2", "b"], ["BZPOPMIN", "bz", "0"],
            ["RPUSH", "src", "1", "2"], ["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"],
            ["SELECT", "5"], ["SET", "in5", "v"], ["SELECT", "0"],
            ["GEOADD", "geo", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"],
            ["GEORADIUS", "geo", "15", "37", "200", "km"],
            ["GEOSEARCHSTORE", "geo2", "geo", "FROMLONLAT", "15", "37", "BYRADIUS", "100", "km", "STOREDIST"],
        ]
        return RDBDifferentialTests.commands() + effects.map(words)
            + [words(["MULTI"]), words(["INCR", "m1"]), words(["INCR", "m2"]), words(["EXEC"])]
    }

    static func copyDirectory(_ from: String) throws -> String {
        let to = try RDBDifferentialTests.temporaryDirectory()
        try FileManager.default.copyItem(atPath: from + "/appendonlydir", toPath: to + "/appendonlydir")
        return to
    }

    /// Waits until the server has no rewrite running (Redis rewrites in a child).
    static func waitForRewrite(port: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let info = try RawConnection.text(port: port, ["INFO", "persistence"])
            if info.contains("aof_rewrite_in_progress:0") && !info.contains("aof_rewrite_scheduled:1") { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the rewrite did not finish")
    }

    /// Starts redis-server and Roost, each on its own copy of `dir`'s AOF directory, and
    /// compares what they loaded (both load, so string encodings chosen by a load agree).
    static func expectBothLoadTheSame(_ dir: String) async throws {
        let redisCopy = try copyDirectory(dir), roostCopy = try copyDirectory(dir)
        defer {
            try? FileManager.default.removeItem(atPath: redisCopy)
            try? FileManager.default.removeItem(atPath: roostCopy)
        }
        let redis = try await RedisServerProcess.start(extraArguments: ["--dir", redisCopy, "--appendonly", "yes"])
        defer { redis.stop() }
        let roost = try await RoostTestServer.start {
            $0.dir = roostCopy
            $0.appendOnly = true
        }
        do {
            try RDBDifferentialTests.expectSameKeyspace(redisPort: redis.port, roostPort: roost.port)
            #expect(try RawConnection.text(port: roost.port, ["DBSIZE"]) != "0")
            #expect(try RawConnection.text(port: roost.port, ["GET", "m1"]) == "1")
        } catch {
            try? await roost.stop()
            throw error
        }
        try await roost.stop()
    }

    @Test func redisLoadsTheDirectoryRoostWrites() async throws {
        let dir = try RDBDifferentialTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let roost = try await RoostTestServer.start {
            $0.dir = dir
            $0.appendOnly = true
            $0.appendFsync = .always
        }
        do {
            try RDBDifferentialTests.populate(port: roost.port, Self.commands())
            try await Self.waitForRewrite(port: roost.port)
            try await Task.sleep(for: .milliseconds(400))  // `soon` has expired
            try await Self.expectBothLoadTheSame(dir)
        } catch {
            try? await roost.stop()
            throw error
        }
        try await roost.stop()
    }

    @Test func roostLoadsTheDirectoryRedisWrites() async throws {
        let dir = try RDBDifferentialTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let redis = try await RedisServerProcess.start(extraArguments: ["--dir", dir, "--appendonly", "yes", "--appendfsync", "always"])
        defer { redis.stop() }
        try await Self.waitForRewrite(port: redis.port)
        try RDBDifferentialTests.populate(port: redis.port, Self.commands())
        try await Self.waitForRewrite(port: redis.port)
        try await Task.sleep(for: .milliseconds(400))
        try await Self.expectBothLoadTheSame(dir)
    }
}
