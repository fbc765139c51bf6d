import Foundation
import RoostEngine
import RoostServer
import RoostTestSupport
import Testing

/// RDB files moved between redis-server 7.0.15 and Roost in both directions: the same command
/// stream builds the keyspace on one server, SAVE writes it, the other server loads the file,
/// and every key's type, encoding, contents and expiry time compare equal.
@Suite(.serialized) struct RDBDifferentialTests {
    /// A command stream with every type in every encoding Redis 7.0 writes, binary names and
    /// values, expiry times in the future and one about to pass, three databases and a library.
    static func commands() -> [[[UInt8]]] {
        let binary: [UInt8] = [0, 1, 2, 0xff, 13, 10, 0x80, 0x7f]
        var out: [[String]] = [
            ["SET", "int", "12345"], ["SET", "negint", "-7"], ["SET", "bigint", "12345678901234"],
            ["SET", "maxint", "9223372036854775807"], ["SET", "notint", "007"],
            ["SET", "short", "abc"], ["SET", "embstr", String(repeating: "x", count: 30)],
            ["SET", "long", String(repeating: "abcdefgh", count: 100)],
            ["SET", "random", (0..<300).map { String(UnicodeScalar(UInt8(33 + ($0 * 37) % 90))) }.joined()],
            ["SET", "ttl", "v"], ["PEXPIRE", "ttl", "100000000"],
            ["SET", "soon", "v"], ["PEXPIRE", "soon", "300"],
            ["RPUSH", "list", "a", "1", "-5", "300", "70000", "-70000", "5000000000", "b", ""],
            ["HSET", "smallhash", "f1", "v1", "f2", "2", "f3", "-300000"],
            ["HSET", "bighash", "f", String(repeating: "y", count: 100)],
            ["SADD", "intset", "1", "2", "-3", "100000", "5000000000"],
            ["SADD", "set", "a", "b", "1"],
            ["ZADD", "zset", "1", "a", "2.5", "b", "-inf", "c", "inf", "d", "0.1", "e", "-0", "f", "1e300", "g"],
            ["ZADD", "bigzset", "1", String(repeating: "m", count: 80), "-0.125", "n", "3.3333333333333335", "o"],
            ["PFADD", "hll", "a", "b", "c"],
            ["SELECT", "3"], ["SET", "db3", "x"], ["EXPIRE", "db3", "5000"], ["HSET", "h3", "a", "b"],
            ["SELECT", "15"], ["RPUSH", "l15", "z"], ["SELECT", "0"],
            ["FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() return 1 end)"],
        ]
        var big = ["RPUSH", "biglist"]
        for i in 0..<3000 { big.append("element-\(i)") }
        out.append(big)
        var bigSet = ["SADD", "bigintset"]
        for i in 0..<600 { bigSet.append(String(i * 3)) }
        out.append(bigSet)
        var strSet = ["SADD", "strset"]
        for i in 0..<200 { strSet.append("member:\(i)") }
        out.append(strSet)
        var manyHash = ["HSET", "manyhash"]
        for i in 0..<600 { manyHash += ["f\(i)", String(i)] }
        out.append(manyHash)
        var manyZ = ["ZADD", "manyzset"]
        for i in 0..<200 { manyZ += [String(Double(i) / 3), "m\(i)"] }
        out.append(manyZ)
        var hllBig = ["PFADD", "hlldense"]
        for i in 0..<5000 { hllBig.append("e\(i)") }
        out.append(hllBig)
        var result = out.map { $0.map { Array($0.utf8) } }
        result.append([Array("SET".utf8), binary, binary + binary])
        result.append([Array("RPUSH".utf8), Array("binlist".utf8), binary, [], Array(repeating: 0x41, count: 9000)])
        result.append([Array("HSET".utf8), binary + [1], binary, Array(repeating: 0, count: 50)])
        result.append([Array("SADD".utf8), Array("binset".utf8), binary, []])
        result.append([Array("ZADD".utf8), Array("binzset".utf8), Array("1".utf8), binary])
        return result
    }

    /// The elements of an array reply of bulk strings.
    static func bulks(_ reply: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var i = reply.firstIndex(of: 13)! + 2
        while i < reply.count {
            let cr = reply[i...].firstIndex(of: 13)!
            let length = Int(String(decoding: reply[(i + 1)..<cr], as: UTF8.self))!
            out.append(Array(reply[(cr + 2)..<(cr + 2 + length)]))
            i = cr + 2 + length + 2
        }
        return out
    }

    /// Every key of every database as one line each: name, type, encoding, contents (sorted
    /// where the order is unspecified) and PEXPIRETIME; then FUNCTION LIST.
    static func keyspace(port: Int) throws -> [String] {
        let c = try RawConnection(port: port)
        func call(_ words: [[UInt8]]) throws -> [UInt8] {
            try c.send(command: words)
            return try c.readReply()
        }
        func call(_ words: String...) throws -> [UInt8] { try call(words.map { Array($0.utf8) }) }
        var lines: [String] = []
        for db in 0..<16 {
            _ = try call("SELECT", String(db))
            for key in bulks(try call("KEYS", "*")).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                let type = String(decoding: try call([Array("TYPE".utf8), key]), as: UTF8.self)
                let encoding = try call([Array("OBJECT".utf8), Array("ENCODING".utf8), key])
                var value: [UInt8]
                switch type {
                case "+string\r\n": value = try call([Array("GET".utf8), key])
                case "+list\r\n": value = try call([Array("LRANGE".utf8), key, Array("0".utf8), Array("-1".utf8)])
                case "+hash\r\n":
                    let flat = bulks(try call([Array("HGETALL".utf8), key]))
                    value = Array(stride(from: 0, to: flat.count, by: 2).map { flat[$0] + [0] + flat[$0 + 1] }
                        .sorted { $0.lexicographicallyPrecedes($1) }.joined(separator: [10]))
                case "+set\r\n":
                    value = Array(bulks(try call([Array("SMEMBERS".utf8), key])).sorted { $0.lexicographicallyPrecedes($1) }
                        .joined(separator: [10]))
                default:
                    value = try call([Array("ZRANGE".utf8), key, Array("0".utf8), Array("-1".utf8), Array("WITHSCORES".utf8)])
                }
                let expiry = try call([Array("PEXPIRETIME".utf8), key])
                lines.append("\(db) \(RawConnection.escape(key)) \(type) \(RawConnection.escape(encoding)) "
                    + "\(RawConnection.escape(value)) \(RawConnection.escape(expiry))")
            }
        }
        _ = try call("SELECT", "0")
        lines.append(RawConnection.escape(try call("FUNCTION", "LIST", "WITHCODE")))
        return lines
    }

    static func populate(port: Int, _ stream: [[[UInt8]]] = commands()) throws {
        let c = try RawConnection(port: port)
        for command in stream {
            try c.send(command: command)
            let reply = try c.readReply()
            #expect(reply.first != UInt8(ascii: "-"), "\(RawConnection.escape(command.first ?? [])) \(RawConnection.escape(command.dropFirst().first ?? [])): \(RawConnection.escape(reply))")
        }
    }

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "roost-rdb-diff-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func expectSameKeyspace(redisPort: Int, roostPort: Int) throws {
        let redis = try keyspace(port: redisPort)
        let roost = try keyspace(port: roostPort)
        #expect(redis.count > 30)
        #expect(redis.count == roost.count)
        for (r, o) in zip(redis, roost) where r != o {
            let start = zip(r, o).prefix { $0 == $1 }.count
            Issue.record("redis: \(r.prefix(80))…\(r.dropFirst(max(0, start - 40)).prefix(200))\nroost: …\(o.dropFirst(max(0, start - 40)).prefix(200))")
        }
    }

    @Test func roostLoadsTheFileRedisSaves() async throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let redis = try await RedisServerProcess.start(extraArguments: ["--dir", dir, "--enable-debug-command", "yes"])
        defer { redis.stop() }
        try Self.populate(port: redis.port)
        // Saves, and makes Redis's values what a load makes them (a string's encoding is
        // chosen again on load), as Roost's will be.
        #expect(try RawConnection.text(port: redis.port, ["DEBUG", "RELOAD"]) == "OK")
        let roost = try await RoostTestServer.start { $0.dir = dir }
        do {
            try await Task.sleep(for: .milliseconds(400))  // `soon` has expired in both
            try Self.expectSameKeyspace(redisPort: redis.port, roostPort: roost.port)
        } catch {
            try? await roost.stop()
            throw error
        }
        try await roost.stop()
    }

    @Test func redisLoadsTheFileRoostSaves() async throws {
        for compression in ["yes", "no"] {
            let dir = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let roost = try await RoostTestServer.start {
                $0.dir = dir
                $0.rdbCompression = compression == "yes"
                $0.enableDebugCommand = "yes"
            }
            do {
                try Self.populate(port: roost.port)
                #expect(try RawConnection.text(port: roost.port, ["DEBUG", "RELOAD"]) == "OK")
                let redis = try await RedisServerProcess.start(extraArguments: ["--dir", dir])
                defer { redis.stop() }
                try await Task.sleep(for: .milliseconds(400))
                try Self.expectSameKeyspace(redisPort: redis.port, roostPort: roost.port)
                #expect(try RawConnection.text(port: redis.port, ["DBSIZE"]) != "0")
            } catch {
                try? await roost.stop()
                throw error
            }
            try await roost.stop()
        }
    }

    /// The records after the header's aux fields, without the CRC: SELECTDB onwards.
    static func body(_ file: [UInt8]) -> [UInt8] {
        var reader = RDBString.Reader(file)
        reader.position = 9
        while reader.position < file.count && file[reader.position] == 0xFA {
            reader.position += 1
            _ = reader.string()
            _ = reader.string()
        }
        return Array(file[reader.position..<(file.count - 8)])
    }

    /// One key at a time, in an encoding whose layout does not depend on hash-table order:
    /// Roost's file is byte for byte Redis's after the aux fields.
    @Test func singleKeyFilesAreByteIdentical() async throws {
        let redisDir = try Self.temporaryDirectory(), roostDir = try Self.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: redisDir)
            try? FileManager.default.removeItem(atPath: roostDir)
        }
        let redis = try await RedisServerProcess.start(extraArguments: ["--dir", redisDir])
        defer { redis.stop() }
        let roost = try await RoostTestServer.start { $0.dir = roostDir }
        do {
            try Self.compareSingleKeyFiles(redis: redis, roost: roost, redisDir: redisDir, roostDir: roostDir)
        } catch {
            try? await roost.stop()
            throw error
        }
        try await roost.stop()
    }

    static func compareSingleKeyFiles(redis: RedisServerProcess, roost: RoostServer, redisDir: String, roostDir: String) throws {
        var big = ["RPUSH", "biglist"]
        for i in 0..<2000 { big.append("element-\(i)") }
        let cases: [[[String]]] = [
            [["SET", "s", "abc"]], [["SET", "i", "12345"]], [["SET", "n", "-70000"]], [["SET", "b", "12345678901234"]],
            [["SET", "c", String(repeating: "abc", count: 40)]],
            [["SET", "r", (0..<40).map { String(UnicodeScalar(UInt8(33 + ($0 * 37) % 90))) }.joined()]],
            [["SET", "t", "v"], ["PEXPIREAT", "t", "4000000000000"]],
            [["RPUSH", "l", "a", "1", "-5", "300", "70000", "-70000", "5000000000", "b", "", String(repeating: "z", count: 200)]],
            [big],
            [["HSET", "h", "f", "v", "f2", "2", "f3", String(repeating: "w", count: 60)]],
            [["SADD", "is", "3", "1", "2"]], [["SADD", "is32", "100000", "-5"]], [["SADD", "is64", "5000000000", "1"]],
            [["ZADD", "z", "1", "a", "2.5", "b", "-inf", "c", "inf", "d", "0.1", "e", "1e300", "g"]],
            [["PFADD", "hll", "a", "b", "c"]],
            [["SELECT", "5"], ["SET", "k", "v"], ["SELECT", "0"]],
        ]
        for commands in cases {
            for port in [redis.port, roost.port] {
                _ = try RawConnection.text(port: port, ["FLUSHALL"])
                let c = try RawConnection(port: port)
                for command in commands { _ = try c.text(command) }
                #expect(try RawConnection.text(port: port, ["SAVE"]) == "OK")
            }
            let redisFile = try [UInt8](Data(contentsOf: URL(fileURLWithPath: redisDir + "/dump.rdb")))
            let roostFile = try [UInt8](Data(contentsOf: URL(fileURLWithPath: roostDir + "/dump.rdb")))
            #expect(RawConnection.escape(body(roostFile)) == RawConnection.escape(body(redisFile)),
                    "\(commands.first?.prefix(3) ?? [])")
        }
    }

    @Test func aBadFileStopsTheServerFromStarting() async throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Array("REDIS0010garbage".utf8).withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: dir + "/dump.rdb")) }
        await #expect(throws: RDBLoadError.self) {
            let server = try await RoostTestServer.start { $0.dir = dir }
            try? await server.stop()
        }
    }

    @Test func persistenceCommandErrorsMatchRedis() async throws {
        try await Differential.check("""
            SAVE x
            COMMAND INFO save debug
            CONFIG SET dir /tmp
            CONFIG SET dbfilename x.rdb
            CONFIG SET rdbchecksum no
            ~CONFIG GET rdbc*
            CONFIG GET dbfilename
            CONFIG GET enable-debug-command
            DEBUG
            DEBUG RELOAD
            MULTI
            SAVE
            DISCARD
            """)
    }
}
