import Foundation
import NIOCore
@testable import RoostEngine
import Testing

/// BGSAVE without fork: the file holds the keyspace as it was when BGSAVE started, whatever the
/// clients change while the snapshot's thread walks it; save points, MISCONF and the replies
/// and figures Redis 7.0 gives.
@Suite struct BackgroundSaveTests {

    static func run(_ engine: Engine, _ client: Client, _ words: String...) -> String {
        engine.withLock { RDBTests.run(engine, client, words.map { Array($0.utf8) }) }
    }

    /// An expiry time far in the future, the same in every run (2100-01-01).
    static let farFuture = "4102444800000"

    /// Keys of every type and encoding in databases 0 to 4, the same in every run: `count` in
    /// database 0, 300 in each other one.
    static func populate(_ engine: Engine, _ client: Client, count: Int) {
        func add(_ words: [String]) { _ = RDBTests.run(engine, client, words.map { Array($0.utf8) }) }
        for db in 0...4 {
            add(["SELECT", String(db)])
            for i in 0..<(db == 0 ? count : 300) {
                switch i % 9 {
                case 0: add(["SET", "s:\(i)", String(i * 7)])
                case 1: add(["SET", "s:\(i)", "value-\(i)"])
                case 2: add(["SET", "s:\(i)", String(repeating: "r\(i % 10)", count: 40)])
                case 3: add(["RPUSH", "l:\(i)", "a", "b", String(i)])
                case 4: add(["HSET", "h:\(i)", "f1", "v1", "f2", String(i)])
                case 5: add(["SADD", "set:\(i)", "1", "2", String(i)])
                case 6: add(["SADD", "set:\(i)", "x", "y\(i)"])
                case 7: add(["ZADD", "z:\(i)", "1", "a", "2.5", "m\(i)"])
                default:
                    add(["SET", "t:\(i)", "v\(i)"])
                    add(["PEXPIREAT", "t:\(i)", farFuture])
                }
            }
        }
        var big = ["RPUSH", "biglist"]
        for i in 0..<2000 { big.append("element-\(i)") }
        add(["SELECT", "0"])
        add(big)
    }

    /// One change of many kinds, chosen by `r`: overwrites, in-place changes of every type,
    /// deletions, TTL changes, renames, new keys, and changes in other databases.
    static func mutate(_ engine: Engine, _ client: Client, count: Int, _ r: UInt64) {
        let i = Int(r % UInt64(count))
        let db = (r >> 20) % 8 == 0 ? 1 : 0
        let step: [String]
        switch (r >> 8) % 16 {
        case 0: step = ["SET", "s:\(i)", "changed"]
        case 1: step = ["APPEND", "s:\(i - i % 9 + 2)", "tail"]
        case 2: step = ["INCR", "s:\(i - i % 9)"]
        case 3: step = ["RPUSH", "l:\(i - i % 9 + 3)", "pushed"]
        case 4: step = ["LPOP", "l:\(i - i % 9 + 3)"]
        case 5: step = ["HSET", "h:\(i - i % 9 + 4)", "f1", "changed", "f9", "new"]
        case 6: step = ["SADD", "set:\(i - i % 9 + 5)", "99", "nonint"]
        case 7: step = ["SREM", "set:\(i - i % 9 + 6)", "x"]
        case 8: step = ["ZADD", "z:\(i - i % 9 + 7)", "9", "a", "1", "new"]
        case 9: step = ["DEL", "s:\(i - i % 9 + 1)", "z:\(i - i % 9 + 7)"]
        case 10: step = ["PERSIST", "t:\(i - i % 9 + 8)"]
        case 11: step = ["PEXPIREAT", "s:\(i - i % 9)", "4102444900000"]
        case 12: step = ["RENAME", "h:\(i - i % 9 + 4)", "renamed:\(i)"]
        case 13: step = ["SET", "new:\(r % 100_000)", "fresh"]
        case 14: step = ["LTRIM", "biglist", "1", "-2"]
        default: step = ["DEL", "l:\(i - i % 9 + 3)"]
        }
        _ = RDBTests.run(engine, client, [Array("SELECT".utf8), Array(String(db).utf8)])
        _ = RDBTests.run(engine, client, step.map { Array($0.utf8) })
    }

    static func field(_ engine: Engine, _ client: Client, _ name: String) -> String? {
        let info = run(engine, client, "INFO", "persistence")
        for line in info.split(separator: "\r\n") where line.hasPrefix(name + ":") {
            return String(line.dropFirst(name.count + 1))
        }
        return nil
    }

    /// Waits (with a deadline) for the running BGSAVE to end.
    static func waitForBackgroundSave(_ engine: Engine) throws {
        let deadline = Date().addingTimeInterval(120)
        while engine.withLock({ engine.backgroundSaveInProgress }) {
            guard Date() < deadline else { throw CancellationError() }
            usleep(2000)
        }
    }

    @Test func backgroundSaveIsThePointInTimeImageUnderConcurrentWrites() throws {
        let dir = try RDBTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var configuration = EngineConfiguration()
        configuration.dir = dir
        let engine = Engine(configuration: configuration)
        let client = engine.withLock { engine.makeClient() }
        let count = 30_000
        engine.withLock { Self.populate(engine, client, count: count) }

        // The expected image, computed apart: the same commands on a fresh engine.
        let reference = Engine()
        let expected = reference.withLock {
            Self.populate(reference, reference.makeClient(), count: count)
            return RDBTests.view(reference)
        }

        // BGSAVE, then changes of every kind while it runs, each under its own lock hold.
        #expect(Self.run(engine, client, "BGSAVE") == "+Background saving started\r\n")
        var random = SplitMix64(seed: 10)
        var changesDuringSave = 0
        var flushed = false
        let deadline = Date().addingTimeInterval(120)
        while engine.withLock({ engine.backgroundSaveInProgress }) {
            #expect(Date() < deadline)
            if Date() > deadline { break }
            engine.withLock {
                // Whole-database changes once the walk is under way: FLUSHDB (database 2
                // is not walked yet) and SWAPDB of two databases not walked yet.
                if changesDuringSave == 200 && !flushed {
                    flushed = true
                    _ = RDBTests.run(engine, client, [Array("SELECT".utf8), Array("2".utf8)])
                    _ = RDBTests.run(engine, client, [Array("FLUSHDB".utf8)])
                    _ = RDBTests.run(engine, client, [Array("SET".utf8), Array("s:0".utf8), Array("after-flush".utf8)])
                    _ = RDBTests.run(engine, client, ["SWAPDB", "3", "4"].map { Array($0.utf8) })
                }
                Self.mutate(engine, client, count: count, random.next())
            }
            changesDuringSave += 1
        }
        #expect(changesDuringSave > 200, "enough changes landed while the snapshot ran")
        #expect(flushed)
        #expect(Self.field(engine, client, "rdb_last_bgsave_status") == "ok")
        #expect(Self.field(engine, client, "rdb_bgsave_in_progress") == "0")

        let bytes = try #require(try RDBFile.contents(of: dir + "/dump.rdb"))
        let loaded = Engine()
        try loaded.withLock {
            try loaded.loadRDB(bytes)
            RDBTests.expectSame(RDBTests.view(loaded), expected)
        }
        // And the live keyspace did change.
        #expect(engine.withLock { RDBTests.view(engine) } != expected)
    }

    @Test func writesAfterTheWalkPassedAKeyAndReusedSlotsStayOut() throws {
        let dir = try RDBTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var configuration = EngineConfiguration()
        configuration.dir = dir
        let engine = Engine(configuration: configuration)
        let client = engine.withLock { engine.makeClient() }
        engine.withLock {
            for i in 0..<5000 { _ = RDBTests.run(engine, client, [Array("SET".utf8), Array("k\(i)".utf8), Array("v\(i)".utf8)]) }
        }
        let expected = engine.withLock { RDBTests.view(engine) }
        // In one lock hold: start, then delete and re-add keys (a freed slot must not be reused
        // for a key the walk would then write), then let the thread run.
        engine.withLock {
            #expect(RDBTests.run(engine, client, [Array("BGSAVE".utf8)]) == "+Background saving started\r\n")
            #expect(RDBTests.run(engine, client, [Array("BGSAVE".utf8)]) == "-ERR Background save already in progress\r\n")
            #expect(RDBTests.run(engine, client, ["BGSAVE", "SCHEDULE"].map { Array($0.utf8) })
                == "-ERR Background save already in progress\r\n")
            #expect(RDBTests.run(engine, client, [Array("SAVE".utf8)]) == "-ERR Background save already in progress\r\n")
            #expect(RDBTests.run(engine, client, ["BGSAVE", "NOW"].map { Array($0.utf8) }) == "-ERR syntax error\r\n")
            #expect(Self.fieldLocked(engine, client, "rdb_bgsave_in_progress") == "1")
            #expect(Self.fieldLocked(engine, client, "current_save_keys_total") == "5000")
            for i in 0..<2500 { _ = RDBTests.run(engine, client, [Array("DEL".utf8), Array("k\(i)".utf8)]) }
            for i in 0..<2500 { _ = RDBTests.run(engine, client, [Array("SET".utf8), Array("n\(i)".utf8), Array("new".utf8)]) }
        }
        try Self.waitForBackgroundSave(engine)
        let loaded = Engine()
        try loaded.withLock {
            try loaded.loadRDB(try #require(try RDBFile.contents(of: dir + "/dump.rdb")))
            RDBTests.expectSame(RDBTests.view(loaded), expected)
        }
        #expect(Self.field(engine, client, "rdb_last_bgsave_time_sec") != "-1")
        #expect(Self.field(engine, client, "rdb_changes_since_last_save") == "5000")
    }

    static func fieldLocked(_ engine: Engine, _ client: Client, _ name: String) -> String? {
        let info = RDBTests.run(engine, client, [Array("INFO".utf8), Array("persistence".utf8)])
        for line in info.split(separator: "\r\n") where line.hasPrefix(name + ":") {
            return String(line.dropFirst(name.count + 1))
        }
        return nil
    }

    @Test func savePointsStartABackgroundSave() throws {
        let dir = try RDBTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var configuration = EngineConfiguration()
        configuration.dir = dir
        configuration.savePoints = [SavePoint(seconds: 5, changes: 3)]
        let engine = Engine(configuration: configuration)
        let client = engine.withLock { engine.makeClient() }
        _ = Self.run(engine, client, "SET", "a", "1")
        _ = Self.run(engine, client, "SET", "b", "2")
        #expect(Self.field(engine, client, "rdb_changes_since_last_save") == "2")
        // Not enough changes, then not enough time, then both.
        engine.withLock { engine.lastSave -= 60 }
        engine.withLock { engine.persistenceCron() }
        #expect(!engine.withLock { engine.backgroundSaveInProgress })
        engine.withLock { engine.lastSave += 60 }
        _ = Self.run(engine, client, "SET", "c", "3")
        engine.withLock { engine.persistenceCron() }
        #expect(!engine.withLock { engine.backgroundSaveInProgress })
        let before = engine.withLock { engine.lastSave -= 60; return engine.lastSave }
        engine.withLock { engine.persistenceCron() }
        try Self.waitForBackgroundSave(engine)
        #expect(FileManager.default.fileExists(atPath: dir + "/dump.rdb"))
        #expect(Self.field(engine, client, "rdb_changes_since_last_save") == "0")
        #expect(Int64(Self.run(engine, client, "LASTSAVE").dropFirst().dropLast())! > before, "\"\\r\\n\" is one Character")
    }

    @Test func failedBackgroundSaveStopsWritesWithMisconf() throws {
        let dir = try RDBTests.temporaryDirectory()
        var configuration = EngineConfiguration()
        configuration.dir = dir
        configuration.savePoints = [SavePoint(seconds: 3600, changes: 1)]
        let engine = Engine(configuration: configuration)
        let client = engine.withLock { engine.makeClient() }
        _ = Self.run(engine, client, "SET", "a", "1")
        try FileManager.default.removeItem(atPath: dir)
        #expect(Self.run(engine, client, "BGSAVE") == "+Background saving started\r\n")
        try Self.waitForBackgroundSave(engine)
        #expect(Self.field(engine, client, "rdb_last_bgsave_status") == "err")
        let misconf = "-" + RedisError.writesDeniedByRDBError.message + "\r\n"
        #expect(misconf.hasPrefix("-MISCONF Redis is configured to save RDB snapshots"))
        #expect(Self.run(engine, client, "SET", "a", "2") == misconf)
        #expect(Self.run(engine, client, "PING") == misconf)
        #expect(Self.run(engine, client, "GET", "a") == "$1\r\n1\r\n")
        #expect(Self.run(engine, client, "MULTI") == "+OK\r\n")
        #expect(Self.run(engine, client, "SET", "a", "3") == misconf)
        #expect(Self.run(engine, client, "EXEC").hasPrefix("-EXECABORT"))
        #expect(Self.run(engine, client, "CONFIG", "SET", "stop-writes-on-bgsave-error", "no") == "+OK\r\n")
        #expect(Self.run(engine, client, "SET", "a", "4") == "+OK\r\n")
        #expect(Self.run(engine, client, "CONFIG", "SET", "stop-writes-on-bgsave-error", "yes") == "+OK\r\n")
        #expect(Self.run(engine, client, "CONFIG", "SET", "save", "") == "+OK\r\n")
        #expect(Self.run(engine, client, "SET", "a", "5") == "+OK\r\n", "no save points, no MISCONF")
    }

    @Test func saveConfiguration() throws {
        let engine = Engine()
        let client = engine.withLock { engine.makeClient() }
        #expect(Self.run(engine, client, "CONFIG", "GET", "save") == "*2\r\n$4\r\nsave\r\n$0\r\n\r\n")
        #expect(Self.run(engine, client, "CONFIG", "SET", "save", "3600 1 300 100") == "+OK\r\n")
        #expect(Self.run(engine, client, "CONFIG", "GET", "save") == "*2\r\n$4\r\nsave\r\n$14\r\n3600 1 300 100\r\n")
        for bad in ["3", "0 1", "1 -1", "x 1", "1 1 2"] {
            #expect(Self.run(engine, client, "CONFIG", "SET", "save", bad)
                == "-ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters\r\n")
        }
        #expect(Self.run(engine, client, "CONFIG", "GET", "stop-writes-on-bgsave-error")
            == "*2\r\n$27\r\nstop-writes-on-bgsave-error\r\n$3\r\nyes\r\n")

        var fromFile = EngineConfiguration()
        try fromFile.apply(configurationFile: "save 900 1\nsave 300 10 60 10000\nstop-writes-on-bgsave-error no\n")
        #expect(fromFile.savePoints == [SavePoint(seconds: 900, changes: 1), SavePoint(seconds: 300, changes: 10),
                                        SavePoint(seconds: 60, changes: 10000)])
        #expect(!fromFile.stopWritesOnBackgroundSaveError)
        try fromFile.apply(configurationFile: "save \"\"\n")
        #expect(fromFile.savePoints.isEmpty)
        var fromFlag = EngineConfiguration()
        try fromFlag.set("save", ["3600 1 300 100 60 10000"])
        #expect(fromFlag.savePoints == SavePoint.redisDefaults)
        #expect(throws: ConfigurationError.self) { try fromFlag.set("save", ["1"]) }
    }

    @Test(arguments: [false, true]) func flushAllAbandonsTheBackgroundSave(withSavePoints: Bool) throws {
        let dir = try RDBTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var configuration = EngineConfiguration()
        configuration.dir = dir
        if withSavePoints { configuration.savePoints = [SavePoint(seconds: 3600, changes: 1)] }
        let engine = Engine(configuration: configuration)
        let client = engine.withLock { engine.makeClient() }
        engine.withLock { Self.populate(engine, client, count: 3000) }
        engine.withLock {
            #expect(RDBTests.run(engine, client, [Array("BGSAVE".utf8)]) == "+Background saving started\r\n")
            #expect(RDBTests.run(engine, client, [Array("FLUSHALL".utf8)]) == "+OK\r\n")
            _ = RDBTests.run(engine, client, [Array("SET".utf8), Array("after".utf8), Array("1".utf8)])
        }
        try Self.waitForBackgroundSave(engine)
        // As in Redis: the BGSAVE is killed (no failure), and with save points the empty
        // dataset is saved at once.
        #expect(Self.field(engine, client, "rdb_last_bgsave_status") == "ok")
        let file = try RDBFile.contents(of: dir + "/dump.rdb")
        if withSavePoints {
            let loaded = Engine()
            try loaded.withLock {
                try loaded.loadRDB(try #require(file))
                #expect(RDBTests.view(loaded).isEmpty)
            }
        } else {
            #expect(file == nil)
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/temp-bgsave-\(getpid()).rdb"))
    }

    @Test func snapshotAPIWritesAnAppendOnlyBaseToAFileDescriptor() throws {
        let dir = try RDBTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let engine = Engine()
        let client = engine.withLock { engine.makeClient() }
        engine.withLock { Self.populate(engine, client, count: 2000) }
        let expected = engine.withLock { RDBTests.view(engine) }
        let path = dir + "/base.rdb"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        #expect(fd >= 0)
        final class Outcome: @unchecked Sendable {  // @unchecked: written under the engine lock, read after
            var summary: RDBSnapshot.Summary?
            var done = false
        }
        let outcome = Outcome()
        let started = engine.withLock {
            engine.beginSnapshot(writingTo: fd, purpose: .appendOnlyBase) { result in
                outcome.summary = try? result.get()
                outcome.done = true
            }
        }
        #expect(started != nil)
        let deadline = Date().addingTimeInterval(60)
        while !engine.withLock({ outcome.done }) && Date() < deadline { usleep(2000) }
        close(fd)
        let summary = try #require(engine.withLock { outcome.summary })
        #expect(summary.keys == expected.count)
        let bytes = try #require(try RDBFile.contents(of: path))
        #expect(summary.bytes == bytes.count)
        // The aux field `aof-base` is 1 in an AOF base file (an RDB integer: 0xC0 0x01).
        let name = [8] + Array("aof-base".utf8)
        let at = try #require(bytes.indices.first { bytes[$0...].starts(with: name) })
        #expect(Array(bytes[(at + name.count)..<(at + name.count + 2)]) == [0xC0, 0x01])
        let loaded = Engine()
        try loaded.withLock {
            try loaded.loadRDB(bytes)
            RDBTests.expectSame(RDBTests.view(loaded), expected)
        }
        #expect(engine.withLock { engine.snapshots.isEmpty })
    }
}
