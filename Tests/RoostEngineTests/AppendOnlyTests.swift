import Foundation
import NIOCore
@testable import RoostEngine
import Testing

/// The manifest's text form, and loading an append-only directory in-process: replay, a torn
/// last command, a MULTI without its EXEC.
@Suite struct AppendOnlyTests {
    @Test func manifestRoundTripsInRedisFormat() throws {
        var manifest = AOFManifest()
        manifest.base = .init(name: "appendonly.aof.2.base.rdb", sequence: 2, type: .base)
        manifest.history = [.init(name: "appendonly.aof.1.base.rdb", sequence: 1, type: .history)]
        manifest.incrementals = [.init(name: "appendonly.aof.2.incr.aof", sequence: 2, type: .incremental),
                                 .init(name: "appendonly.aof.3.incr.aof", sequence: 3, type: .incremental)]
        #expect(manifest.text == """
            file appendonly.aof.2.base.rdb seq 2 type b
            file appendonly.aof.1.base.rdb seq 1 type h
            file appendonly.aof.2.incr.aof seq 2 type i
            file appendonly.aof.3.incr.aof seq 3 type i

            """)
        #expect(try AOFManifest.parse(manifest.text) == manifest)
    }

    @Test func manifestParsingFollowsRedis() throws {
        let parsed = try AOFManifest.parse("# comment\ntype i seq 1 file \"a b.aof\"\n")
        #expect(parsed.incrementals == [.init(name: "a b.aof", sequence: 1, type: .incremental)])
        #expect(AOFManifest.quoted("a b.aof") == "\"a b.aof\"")
        #expect(throws: AOFManifestError.self) { try AOFManifest.parse("") }
        #expect(throws: AOFManifestError.self) { try AOFManifest.parse("file x seq 1 type z\n") }
        #expect(throws: AOFManifestError.self) { try AOFManifest.parse("file x seq 1 type b\nfile y seq 2 type b\n") }
        #expect(throws: AOFManifestError.self) { try AOFManifest.parse("file x seq 2 type i\nfile y seq 1 type i\n") }
        #expect(throws: AOFManifestError.self) { try AOFManifest.parse("file \"x seq 1 type i\n") }
    }

    static func directory() throws -> String {
        let path = NSTemporaryDirectory() + "roost-aof-unit-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func engine(_ dir: String, loadTruncated: Bool = true) throws -> (Engine, [String]) {
        var configuration = EngineConfiguration()
        configuration.dir = dir
        configuration.appendOnly = true
        configuration.aofLoadTruncated = loadTruncated
        let engine = Engine(configuration: configuration)
        let log = try engine.openAppendOnlyFileAtStart()
        return (engine, log)
    }

    /// Waits (with a deadline) for the running rewrite to end.
    static func waitForRewrite(_ engine: Engine) throws {
        let deadline = Date().addingTimeInterval(120)
        while engine.withLock({ engine.appendOnlyRewriteInProgress }) {
            guard Date() < deadline else { throw CancellationError() }
            usleep(2000)
        }
    }

    static func run(_ engine: Engine, _ words: String...) -> String {
        engine.withLock {
            let client = engine.makeClient()
            defer { engine.removeClient(client) }
            engine.execute(words.map { ByteBuffer(string: $0) }, for: client)
            return String(buffer: client.reply.take())
        }
    }

    @Test func replaysBaseAndIncrementalFilesAndCutsATornTail() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let (engine, log) = try Self.engine(dir)
            #expect(log.contains("Creating AOF base file appendonly.aof.1.base.rdb on server start"))
            _ = Self.run(engine, "SET", "before", "1")
            #expect(Self.run(engine, "BGREWRITEAOF") == "+Background append only file rewriting started\r\n")
            _ = Self.run(engine, "SET", "k", "v", "EX", "1000")
            _ = Self.run(engine, "RPUSH", "l", "a", "b")
            _ = Self.run(engine, "SADD", "s", "x", "y", "z")
            _ = Self.run(engine, "SPOP", "s")
            _ = Self.run(engine, "INCRBYFLOAT", "f", "1.25")
            _ = Self.run(engine, "EVAL", "redis.call('incr','n'); redis.call('incr','n'); return 1", "0")
            try Self.waitForRewrite(engine)
            engine.withLock { engine.syncAppendOnlyFile() }
        }
        let manifest = try String(contentsOfFile: dir + "/appendonlydir/appendonly.aof.manifest", encoding: .utf8)
        #expect(manifest == "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n")
        let incr = dir + "/appendonlydir/appendonly.aof.2.incr.aof"
        let text = try String(contentsOfFile: incr, encoding: .utf8)
        #expect(text.contains("SET\r\n$1\r\nk\r\n$1\r\nv\r\n$4\r\nPXAT\r\n"))
        #expect(text.contains("SREM"))
        #expect(text.contains("MULTI") && text.contains("EXEC"))
        // A torn last command.
        let handle = try #require(FileHandle(forWritingAtPath: incr))
        handle.seekToEndOfFile()
        handle.write(Data("*3\r\n$3\r\nSET\r\n$4\r\ntorn\r\n$3\r\nva".utf8))
        handle.closeFile()
        #expect(throws: AppendOnlyLoadError.self) { _ = try Self.engine(dir, loadTruncated: false) }
        let (engine, log) = try Self.engine(dir)
        #expect(log.contains("!!! Warning: short read while loading the AOF file appendonly.aof.2.incr.aof!!!"))
        #expect(log.contains("AOF appendonly.aof.2.incr.aof loaded anyway because aof-load-truncated is enabled"))
        #expect(Self.run(engine, "GET", "before") == "$1\r\n1\r\n")
        #expect(Self.run(engine, "GET", "k") == "$1\r\nv\r\n")
        #expect(Self.run(engine, "LRANGE", "l", "0", "-1") == "*2\r\n$1\r\na\r\n$1\r\nb\r\n")
        #expect(Self.run(engine, "SCARD", "s") == ":2\r\n")
        #expect(Self.run(engine, "GET", "f") == "$4\r\n1.25\r\n")
        #expect(Self.run(engine, "GET", "n") == "$1\r\n2\r\n")
        #expect(Self.run(engine, "EXISTS", "torn") == ":0\r\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: incr)).count == text.utf8.count)
    }

    /// Runs several commands under one hold of the engine's lock: nothing in the background
    /// moves between them.
    static func runTogether(_ engine: Engine, _ commands: [[String]]) -> [String] {
        engine.withLock {
            let client = engine.makeClient()
            defer { engine.removeClient(client) }
            return commands.map { words in
                engine.execute(words.map { ByteBuffer(string: $0) }, for: client)
                return String(buffer: client.reply.take())
            }
        }
    }

    /// Stores `key:1`…`key:count` = their number, straight into database 0 (a script that long
    /// would turn busy on a loaded machine).
    static func fill(_ engine: Engine, _ count: Int) {
        engine.withLock {
            let db = engine.databases[0]
            for i in 1...count { engine.setKey(db, ByteString("key:\(i)"), .string(StringValue(encoding: Array(String(i).utf8)))) }
        }
    }

    @Test func aRewriteRunsInTheBackgroundAndKeepsItsPointInTime() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let keys = 30_000
        do {
            let (engine, _) = try Self.engine(dir)
            Self.fill(engine, keys)
            let replies = Self.runTogether(engine, [
                ["BGREWRITEAOF"], ["BGREWRITEAOF"], ["BGSAVE"], ["INFO", "persistence"],
                // Changes the snapshot must not see, logged to the new incremental file.
                ["SET", "key:1", "changed"], ["DEL", "key:2"], ["SET", "new", "1"], ["RPUSH", "list", "a", "b"],
            ])
            #expect(replies[0] == "+Background append only file rewriting started\r\n")
            #expect(replies[1] == "-ERR Background append only file rewriting already in progress\r\n")
            #expect(replies[2] == "-ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.\r\n")
            #expect(replies[3].contains("aof_rewrite_in_progress:1\r\naof_rewrite_scheduled:0\r\n"))
            #expect(replies[3].contains("aof_rewrites:1\r\n"))
            // While it runs, the manifest already lists the new incremental file.
            let during = try String(contentsOfFile: dir + "/appendonlydir/appendonly.aof.manifest", encoding: .utf8)
            #expect(during == "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n")
            for i in 3...100 { _ = Self.run(engine, "INCR", "key:\(i)") }
            try Self.waitForRewrite(engine)
            let info = Self.run(engine, "INFO", "persistence")
            #expect(info.contains("aof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0\r\n"))
            #expect(info.contains("aof_last_bgrewrite_status:ok\r\naof_rewrites:1\r\naof_rewrites_consecutive_failures:0\r\n"))
            #expect(info.contains("aof_current_rewrite_time_sec:-1\r\n"))
            let after = try String(contentsOfFile: dir + "/appendonlydir/appendonly.aof.manifest", encoding: .utf8)
            #expect(after == "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n")
            #expect(!FileManager.default.fileExists(atPath: dir + "/appendonlydir/appendonly.aof.1.incr.aof"))
            #expect(!FileManager.default.fileExists(atPath: dir + "/appendonlydir/appendonly.aof.1.base.rdb"))
            _ = Self.run(engine, "SET", "last", "1")
            engine.withLock { engine.syncAppendOnlyFile() }
        }
        // The new base holds the keyspace as it was when the rewrite started; the incremental
        // file replays what came after.
        let base = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/appendonlydir/appendonly.aof.2.base.rdb")))
        var reader = RDBReader(base, configuration: EngineConfiguration())
        let image = try reader.read(now: Engine.clock())
        #expect(image.entries.count == keys)
        let (reloaded, _) = try Self.engine(dir)
        #expect(Self.run(reloaded, "DBSIZE") == ":\(keys + 2)\r\n")
        #expect(Self.run(reloaded, "MGET", "key:1", "key:2", "key:3", "key:100", "key:101", "new", "last")
            == "*7\r\n$7\r\nchanged\r\n$-1\r\n$1\r\n4\r\n$3\r\n101\r\n$3\r\n101\r\n$1\r\n1\r\n$1\r\n1\r\n")
        #expect(Self.run(reloaded, "LRANGE", "list", "0", "-1") == "*2\r\n$1\r\na\r\n$1\r\nb\r\n")
    }

    @Test func aRewriteWaitsBehindABackgroundSave() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (engine, _) = try Self.engine(dir)
        Self.fill(engine, 20_000)
        let replies = Self.runTogether(engine, [["BGSAVE"], ["BGREWRITEAOF"], ["INFO", "persistence"]])
        #expect(replies[0] == "+Background saving started\r\n")
        #expect(replies[1] == "+Background append only file rewriting scheduled\r\n")
        #expect(replies[2].contains("aof_rewrite_in_progress:0\r\naof_rewrite_scheduled:1\r\n"))
        #expect(replies[2].contains("aof_pending_rewrite:1\r\n"))
        let deadline = Date().addingTimeInterval(120)
        while engine.withLock({ engine.backgroundSaveInProgress }) && Date() < deadline { usleep(2000) }
        engine.withLock { engine.persistenceCron() }
        #expect(Self.run(engine, "INFO", "persistence").contains("aof_rewrite_scheduled:0\r\n"))
        try Self.waitForRewrite(engine)
        #expect(Self.run(engine, "INFO", "persistence").contains("aof_rewrites:1\r\n"))
    }

    @Test func aMultiWithoutExecIsNotApplied() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let (engine, _) = try Self.engine(dir)
            _ = Self.run(engine, "SET", "a", "1")
            engine.withLock { engine.syncAppendOnlyFile() }
        }
        let incr = dir + "/appendonlydir/appendonly.aof.1.incr.aof"
        let handle = try #require(FileHandle(forWritingAtPath: incr))
        handle.seekToEndOfFile()
        handle.write(Data("*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n".utf8))
        handle.closeFile()
        let (engine, log) = try Self.engine(dir)
        #expect(log.contains("Revert incomplete MULTI/EXEC transaction in AOF file appendonly.aof.1.incr.aof"))
        #expect(Self.run(engine, "GET", "a") == "$1\r\n1\r\n")
        #expect(Self.run(engine, "EXISTS", "b") == ":0\r\n")
    }

    @Test func configSetTurnsTheFileOnWithARewriteAndOff() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var configuration = EngineConfiguration()
        configuration.dir = dir
        let engine = Engine(configuration: configuration)
        _ = Self.run(engine, "SET", "a", "1")
        #expect(Self.run(engine, "CONFIG", "SET", "appendonly", "yes") == "+OK\r\n")
        #expect(Self.run(engine, "CONFIG", "GET", "appendonly") == "*2\r\n$10\r\nappendonly\r\n$3\r\nyes\r\n")
        try Self.waitForRewrite(engine)
        let manifest = try String(contentsOfFile: dir + "/appendonlydir/appendonly.aof.manifest", encoding: .utf8)
        #expect(manifest == "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n")
        _ = Self.run(engine, "SET", "b", "2")
        #expect(Self.run(engine, "WAITAOF", "1", "0", "0") == "*2\r\n:1\r\n:0\r\n")
        #expect(Self.run(engine, "CONFIG", "SET", "appendonly", "no") == "+OK\r\n")
        _ = Self.run(engine, "SET", "c", "3")
        let (reloaded, _) = try Self.engine(dir)
        #expect(Self.run(reloaded, "MGET", "a", "b", "c") == "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n")
        let info = Self.run(reloaded, "INFO", "persistence")
        #expect(info.contains("aof_enabled:1\r\naof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0\r\n"))
        #expect(info.contains("aof_last_write_status:ok\r\naof_last_cow_size:0\r\n"))
    }

    @Test func autoRewriteStartsPastTheGrowthPercentage() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (engine, _) = try Self.engine(dir)
        _ = Self.run(engine, "CONFIG", "SET", "auto-aof-rewrite-min-size", "1024")
        for i in 0..<100 { _ = Self.run(engine, "SET", "key:\(i)", String(repeating: "v", count: 40)) }
        engine.withLock { _ = engine.appendOnlyCron(now: Engine.clock(), lastFsync: Engine.clock()) }
        try Self.waitForRewrite(engine)
        let manifest = try String(contentsOfFile: dir + "/appendonlydir/appendonly.aof.manifest", encoding: .utf8)
        #expect(manifest == "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n")
        #expect(!FileManager.default.fileExists(atPath: dir + "/appendonlydir/appendonly.aof.1.incr.aof"))
        #expect(Self.run(engine, "INFO", "persistence").contains("aof_rewrites:1\r\n"))
        let (reloaded, _) = try Self.engine(dir)
        #expect(Self.run(reloaded, "DBSIZE") == ":100\r\n")
    }

    @Test func anOldSingleFileIsMovedIntoTheDirectoryAsItsBase() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$3\r\nold\r\n$1\r\n1\r\n".utf8)
            .write(to: URL(fileURLWithPath: dir + "/appendonly.aof"))
        let (engine, _) = try Self.engine(dir)
        #expect(Self.run(engine, "GET", "old") == "$1\r\n1\r\n")
        let manifest = try String(contentsOfFile: dir + "/appendonlydir/appendonly.aof.manifest", encoding: .utf8)
        #expect(manifest == "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n")
        #expect(!FileManager.default.fileExists(atPath: dir + "/appendonly.aof"))
    }

    @Test func waitaofAndWaitOnAStandaloneServer() throws {
        let engine = Engine()
        #expect(Self.run(engine, "WAITAOF", "1", "0", "0") == "-ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.\r\n")
        #expect(Self.run(engine, "WAITAOF", "0", "0", "-1") == "-ERR timeout is negative\r\n")
        #expect(Self.run(engine, "WAITAOF", "0", "0", "0") == "*2\r\n:0\r\n:0\r\n")
        #expect(Self.run(engine, "WAIT", "0", "0") == ":0\r\n")
    }
}
