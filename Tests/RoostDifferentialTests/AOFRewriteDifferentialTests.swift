import Foundation
import RoostEngine
import RoostServer
import RoostTestSupport
import Testing

/// BGREWRITEAOF in the background against redis-server 7.0.15: the replies while a rewrite or a
/// BGSAVE runs (both made slow with `rdb-key-save-delay`), INFO persistence's rewrite fields,
/// CONFIG SET appendonly yes answering before its rewrite ends, and MISCONF after the
/// append-only file cannot be written (its new incremental file is a link to /dev/full, so
/// every write to it fails with ENOSPC: a real I/O failure, no hook).
@Suite(.serialized) struct AOFRewriteDifferentialTests {
    /// INFO persistence as name → value.
    static func persistence(_ port: Int) throws -> [String: String] {
        let text = try RawConnection.text(port: port, ["INFO", "persistence"])
        var out: [String: String] = [:]
        for line in text.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            out[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return out
    }

    /// INFO persistence's field names in order.
    static func fieldNames(_ port: Int) throws -> [String] {
        let text = try RawConnection.text(port: port, ["INFO", "persistence"])
        return text.split(separator: "\r\n").dropFirst().compactMap { $0.split(separator: ":").first.map(String.init) }
    }

    /// Expects the same values of `fields` on both servers.
    static func expectSameFields(_ pair: DifferentialPair, _ fields: [String], _ when: String,
                                 sourceLocation: SourceLocation = #_sourceLocation) throws {
        let redis = try persistence(pair.redis.port), roost = try persistence(pair.roost.port)
        for field in fields {
            #expect(redis[field] != nil, "\(field) missing on redis", sourceLocation: sourceLocation)
            #expect(roost[field] == redis[field], "\(when): \(field) is \(roost[field] ?? "missing") on roost, \(redis[field] ?? "") on redis",
                    sourceLocation: sourceLocation)
        }
    }

    /// Waits until neither server runs a rewrite or a BGSAVE, nor has a rewrite scheduled, and
    /// (INFO does not show a scheduled BGSAVE) each has made `saves` RDB saves.
    static func waitUntilIdle(_ pair: DifferentialPair, saves: Int = 0) async throws {
        for port in [pair.redis.port, pair.roost.port] {
            try await eventually(timeout: .seconds(60), "no rewrite or BGSAVE on port \(port)") {
                let info = try persistence(port)
                return info["aof_rewrite_in_progress"] == "0" && info["aof_rewrite_scheduled"] == "0"
                    && info["rdb_bgsave_in_progress"] == "0" && info["rdb_saves"] == String(saves)
            }
        }
    }

    /// The two keyspaces are equal (a full dump of each, as the RDB suite compares them).
    static func expectSameKeyspace(redisPort: Int, roostPort: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let redis = try RDBDifferentialTests.keyspace(port: redisPort)
        #expect(!redis.isEmpty, sourceLocation: sourceLocation)
        #expect(try RDBDifferentialTests.keyspace(port: roostPort) == redis, sourceLocation: sourceLocation)
    }

    static let rewriteFields = ["aof_enabled", "aof_rewrite_in_progress", "aof_rewrite_scheduled", "aof_last_bgrewrite_status",
                                "aof_rewrites", "aof_rewrites_consecutive_failures", "aof_last_write_status", "rdb_bgsave_in_progress"]

    @Test func rewriteAndBackgroundSaveExcludeEachOtherAsInRedis() async throws {
        let redisDir = try RDBDifferentialTests.temporaryDirectory(), roostDir = try RDBDifferentialTests.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: redisDir)
            try? FileManager.default.removeItem(atPath: roostDir)
        }
        let pair = try await DifferentialPair(redisArguments: ["--dir", redisDir, "--appendonly", "yes"]) {
            $0.dir = roostDir
            $0.appendOnly = true
        }
        do {
            try await Self.waitUntilIdle(pair)
            try #require(try Self.fieldNames(pair.roost.port) == Self.fieldNames(pair.redis.port))
            // Five keys at 300 ms each: every snapshot below runs for 1.5 s.
            try pair.run("""
                CONFIG SET rdb-key-save-delay 300000
                MSET a 1 b 2 c 3 d 4 e 5
                BGREWRITEAOF
                BGREWRITEAOF
                BGSAVE
                SET during rewrite
                """)
            try Self.expectSameFields(pair, Self.rewriteFields, "while a rewrite runs")
            try pair.run("""
                BGSAVE SCHEDULE
                MULTI
                BGREWRITEAOF
                EXEC
                """)
            try Self.expectSameFields(pair, Self.rewriteFields, "with a BGSAVE scheduled")
            try await Self.waitUntilIdle(pair, saves: 1)
            try Self.expectSameFields(pair, Self.rewriteFields, "after the rewrites")
            try pair.run("""
                BGSAVE
                BGREWRITEAOF
                BGREWRITEAOF
                BGSAVE
                """)
            try Self.expectSameFields(pair, Self.rewriteFields + ["aof_pending_rewrite"], "while a BGSAVE runs")
            try await Self.waitUntilIdle(pair, saves: 2)
            try Self.expectSameFields(pair, Self.rewriteFields, "after the scheduled rewrite")
            #expect(pair.mismatches.isEmpty, "\(pair.mismatches)")
            // The directory each left: the same manifest, and the keys written during the
            // rewrites are in it.
            let manifest = "appendonlydir/appendonly.aof.manifest"
            let redisManifest = try String(contentsOfFile: redisDir + "/" + manifest, encoding: .utf8)
            #expect(try String(contentsOfFile: roostDir + "/" + manifest, encoding: .utf8) == redisManifest)
            try Self.expectSameKeyspace(redisPort: pair.redis.port, roostPort: pair.roost.port)
        } catch {
            await pair.stop()
            throw error
        }
        await pair.stop()
    }

    @Test func configSetAppendonlyRepliesBeforeItsRewriteEnds() async throws {
        let redisDir = try RDBDifferentialTests.temporaryDirectory(), roostDir = try RDBDifferentialTests.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: redisDir)
            try? FileManager.default.removeItem(atPath: roostDir)
        }
        let pair = try await DifferentialPair(redisArguments: ["--dir", redisDir]) { $0.dir = roostDir }
        do {
            try pair.run("""
                CONFIG SET rdb-key-save-delay 300000
                MSET a 1 b 2 c 3 d 4 e 5
                CONFIG SET appendonly yes
                CONFIG GET appendonly
                SET during rewrite
                CONFIG SET appendonly yes
                SHUTDOWN
                SHUTDOWN NOSAVE
                """)
            try Self.expectSameFields(pair, Self.rewriteFields + ["aof_pending_rewrite"], "while the first rewrite runs")
            try await Self.waitUntilIdle(pair)
            try Self.expectSameFields(pair, Self.rewriteFields, "after the first rewrite")
            // Turned on while a BGSAVE runs: scheduled behind it.
            try pair.run("""
                CONFIG SET appendonly no
                BGSAVE
                CONFIG SET appendonly yes
                SET while scheduled
                """)
            try Self.expectSameFields(pair, Self.rewriteFields + ["aof_pending_rewrite"], "with the first rewrite scheduled")
            try await Self.waitUntilIdle(pair, saves: 1)
            try Self.expectSameFields(pair, Self.rewriteFields, "after the scheduled first rewrite")
            try pair.run("SET after rewrite")
            #expect(pair.mismatches.isEmpty, "\(pair.mismatches)")
            let manifest = "appendonlydir/appendonly.aof.manifest"
            let redisManifest = try String(contentsOfFile: redisDir + "/" + manifest, encoding: .utf8)
            #expect(try String(contentsOfFile: roostDir + "/" + manifest, encoding: .utf8) == redisManifest)
            // Each directory loads on the other server with every key.
            let redisCopy = try AOFDifferentialTests.copyDirectory(roostDir), roostCopy = try AOFDifferentialTests.copyDirectory(redisDir)
            defer {
                try? FileManager.default.removeItem(atPath: redisCopy)
                try? FileManager.default.removeItem(atPath: roostCopy)
            }
            let redis = try await RedisServerProcess.start(extraArguments: ["--dir", redisCopy, "--appendonly", "yes"])
            defer { redis.stop() }
            try Self.expectSameKeyspace(redisPort: redis.port, roostPort: pair.roost.port)
            let roost = try await RoostTestServer.start {
                $0.dir = roostCopy
                $0.appendOnly = true
            }
            do {
                try Self.expectSameKeyspace(redisPort: pair.redis.port, roostPort: roost.port)
                #expect(try RawConnection.text(port: roost.port, ["DBSIZE"]) == "8")
            } catch {
                try? await roost.stop()
                throw error
            }
            try await roost.stop()
        } catch {
            await pair.stop()
            throw error
        }
        await pair.stop()
    }

    @Test func misconfAfterTheAppendOnlyFileCannotBeWritten() async throws {
        let redisDir = try RDBDifferentialTests.temporaryDirectory(), roostDir = try RDBDifferentialTests.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: redisDir)
            try? FileManager.default.removeItem(atPath: roostDir)
        }
        let pair = try await DifferentialPair(redisArguments: ["--dir", redisDir, "--appendonly", "yes", "--appendfsync", "everysec"]) {
            $0.dir = roostDir
            $0.appendOnly = true
            $0.appendFsync = .everysec
        }
        do {
            try await Self.waitUntilIdle(pair)
            // The next incremental file is /dev/full: writes to it fail with ENOSPC.
            for dir in [redisDir, roostDir] {
                try FileManager.default.createSymbolicLink(atPath: dir + "/appendonlydir/appendonly.aof.2.incr.aof",
                                                           withDestinationPath: "/dev/full")
            }
            try pair.run("BGREWRITEAOF")
            try await Self.waitUntilIdle(pair)
            try pair.run("""
                SET a 1
                SET b 2
                PING
                GET a
                INCR n
                """)
            try Self.expectSameFields(pair, Self.rewriteFields, "after a failed write")
            // A rewrite opens a new incremental file; the buffered writes reach it and writes
            // are accepted again.
            try pair.run("""
                BGREWRITEAOF
                SET c 3
                MGET a b c
                """)
            try await Self.waitUntilIdle(pair)
            try Self.expectSameFields(pair, Self.rewriteFields, "after the write error was solved")
            #expect(pair.mismatches.isEmpty, "\(pair.mismatches)")
        } catch {
            await pair.stop()
            throw error
        }
        await pair.stop()
    }

    /// Under `appendfsync always` Redis exits on an AOF write error; Roost closes the
    /// connection without the reply that would acknowledge a write not on disk, and refuses
    /// writes with MISCONF until a write succeeds.
    @Test func alwaysNeverAcknowledgesAWriteThatFailed() async throws {
        let dir = try RDBDifferentialTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let roost = try await RoostTestServer.start {
            $0.dir = dir
            $0.appendOnly = true
            $0.appendFsync = .always
        }
        do {
            try FileManager.default.createSymbolicLink(atPath: dir + "/appendonlydir/appendonly.aof.2.incr.aof",
                                                       withDestinationPath: "/dev/full")
            #expect(try RawConnection.text(port: roost.port, ["BGREWRITEAOF"]) == "Background append only file rewriting started")
            let c = try RawConnection(port: roost.port)
            try c.send(command: [Array("SET".utf8), Array("lost".utf8), Array("1".utf8)])
            #expect(try c.readUntilClosed().isEmpty, "no reply for a write that is not on disk")
            let refused = try RawConnection(port: roost.port)
            try refused.send(command: [Array("SET".utf8), Array("b".utf8), Array("2".utf8)])
            #expect(String(decoding: try refused.readReply(), as: UTF8.self)
                == "-MISCONF Errors writing to the AOF file: No space left on device\r\n")
            #expect(try Self.persistence(roost.port)["aof_last_write_status"] == "err")
        } catch {
            try? await roost.stop()
            throw error
        }
        try await roost.stop()
    }
}
