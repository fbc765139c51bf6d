import RoostEngine
import RoostTestSupport
import Testing

/// FUNCTION DUMP and FUNCTION RESTORE, compared byte for byte with redis-server, payloads
/// exchanged between the two servers, and Roost's LZF compressor checked against the RDB strings
/// of Redis's DUMP.
@Suite struct FunctionDumpDifferentialTests {
    /// A library `name` registering the functions `functions`, each returning its own name.
    static func library(_ name: String, _ functions: [String]) -> String {
        "#!lua name=\(name)\n" + functions.map { "redis.register_function('\($0)', function() return '\($0)' end)" }
            .joined(separator: "\n")
    }

    /// `bytes` as one redis-cli quoted argument, every byte escaped.
    static func quoted(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = [34]
        for b in bytes { out += [92, 120, digits[Int(b >> 4)], digits[Int(b & 15)]] }
        out.append(34)
        return String(decoding: out, as: UTF8.self)
    }

    /// The payload of a bulk string reply.
    static func bulk(_ reply: [UInt8]) throws -> [UInt8] {
        guard reply.first == 36, let cr = reply.firstIndex(of: 13),
              let length = Int(String(decoding: reply[1..<cr], as: UTF8.self)), length >= 0 else {
            throw DumpTestError("not a bulk string: \(RawConnection.escape(reply))")
        }
        return Array(reply[(cr + 2)..<(cr + 2 + length)])
    }

    /// `body` with a DUMP footer: the RDB version and the CRC-64 of everything before the CRC.
    static func payload(_ body: [UInt8], version: UInt16 = 10) -> [UInt8] {
        var out = body + [UInt8(version & 0xff), UInt8(version >> 8)]
        let crc = CRC64.checksum(out)
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: crc >> UInt64(i * 8))) }
        return out
    }

    /// A verbatim RDB string.
    static func rdb(_ s: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        RDBString.appendLength(s.count, to: &out)
        return out + s
    }

    static func rdb(_ s: String) -> [UInt8] { rdb(Array(s.utf8)) }

    /// A FUNCTION2 record holding `code` verbatim.
    static func record(_ code: String) -> [UInt8] { [245] + rdb(code) }

    /// Sends `arguments` on a side connection of one server and returns the reply.
    static func fetch(_ connection: RawConnection, _ arguments: [String]) throws -> [UInt8] {
        try connection.send(command: arguments.map { Array($0.utf8) })
        return try connection.readReply()
    }

    /// One function with a long, repetitive body: its code compresses.
    static let longLibrary: String = "#!lua name=biglib\nredis.register_function('big', function()\n  local t = {}\n"
        + (1...40).map { "  t[#t + 1] = 'value number \($0)'\n" }.joined() + "  return #t\nend)"
    static let binaryLibrary = "#!lua name=binlib\n-- \u{01}\u{02}\u{7f} \"quoted\" \t tabs\u{00}zero\nredis.register_function('bin', function() return 'a\\0b\\r\\n' end)\n--" + String(repeating: "\u{ff}\u{fe}", count: 30)

    @Test func dumpOfOneLibraryIsByteIdentical() async throws {
        try await Differential.with { pair in
            for code in [Self.library("lib1", ["f1"]), Self.longLibrary, Self.binaryLibrary,
                         Self.library("mid", ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaab"])] {
                try pair.step("FUNCTION DUMP")
                try pair.step("FUNCTION LOAD \(Self.quoted(Array(code.utf8)))")
                try pair.step("FUNCTION DUMP")
                try pair.step("FUNCTION LOAD REPLACE \(Self.quoted(Array(code.utf8)))")
                try pair.step("FUNCTION DUMP")
                try pair.step("FUNCTION FLUSH")
            }
            try pair.step("FUNCTION DUMP")
            try pair.step("FUNCTION DUMP extra")
            try pair.step("FUNCTION DUMP extra more")
        }
    }

    @Test func payloadsCrossBetweenServers() async throws {
        try await Differential.with { pair in
            let side = try pair.clients(9)
            for codes in [[Self.library("one", ["one_f"])], [Self.longLibrary], [Self.binaryLibrary],
                          [Self.library("a", ["fa"]), Self.library("b", ["fb"]), Self.longLibrary]] {
                try pair.step("FUNCTION FLUSH")
                for code in codes { try pair.step("FUNCTION LOAD \(Self.quoted(Array(code.utf8)))") }
                let fromRedis = try Self.bulk(Self.fetch(side.redis, ["FUNCTION", "DUMP"]))
                let fromRoost = try Self.bulk(Self.fetch(side.roost, ["FUNCTION", "DUMP"]))
                if codes.count == 1 { #expect(fromRedis == fromRoost) }
                // The long library is stored LZF-compressed.
                if codes == [Self.longLibrary] { #expect(fromRedis.dropFirst().first == 0xC3) }
                for dump in [fromRedis, fromRoost] {
                    // With several libraries, which collision Redis reports first follows its dict order.
                    if codes.count == 1 { try pair.step("FUNCTION RESTORE \(Self.quoted(dump))") }
                    try pair.step("FUNCTION FLUSH")
                    try pair.step("FUNCTION RESTORE \(Self.quoted(dump))")
                    try pair.step("~FUNCTION LIST WITHCODE")
                    try pair.step("FUNCTION RESTORE \(Self.quoted(dump)) REPLACE")
                    try pair.step("FUNCTION RESTORE \(Self.quoted(dump)) FLUSH")
                    try pair.step("~FUNCTION LIST")
                    try pair.step("FUNCTION STATS")
                }
                for code in codes {
                    let name = code.split(separator: "=")[1].split(separator: "\n")[0]
                    try pair.step("FUNCTION LIST LIBRARYNAME \(name) WITHCODE")
                }
            }
            try pair.step("FCALL one_f 0")
            try pair.step("FCALL fb 0")
            try pair.step("FCALL big 0")
            try pair.step("FUNCTION RESTORE \(Self.quoted(Self.payload(Self.record(Self.binaryLibrary)))) FLUSH")
            try pair.step("FCALL bin 0")
            try pair.step("FUNCTION DUMP")
        }
    }

    @Test func restorePolicies() async throws {
        let a = Self.record(Self.library("liba", ["fa"]))
        let a2 = Self.record(Self.library("liba", ["fa2"]))
        let b = Self.record(Self.library("libb", ["fb"]))
        let clash = Self.record(Self.library("libc", ["fa"]))
        let clash2 = Self.record(Self.library("libc", ["fa2"]))
        let d = Self.record(Self.library("libd", ["fd"]))
        let e = Self.record(Self.library("libe", ["fb"]))
        let q = { (bytes: [UInt8]) in Self.quoted(Self.payload(bytes)) }
        try await Differential.with { pair in
            try pair.run("""
                FUNCTION RESTORE \(q(a))
                FUNCTION RESTORE \(q(a))
                FUNCTION RESTORE \(q(a)) APPEND
                FUNCTION RESTORE \(q(b)) append
                ~FUNCTION LIST
                FUNCTION RESTORE \(q(a2)) REPLACE
                FUNCTION LIST LIBRARYNAME liba
                FCALL fa2 0
                FCALL fa 0
                FUNCTION RESTORE \(q(clash2))
                FUNCTION RESTORE \(q(clash2)) REPLACE
                FUNCTION RESTORE \(q(clash2 + a)) REPLACE
                FUNCTION RESTORE \(q(a + clash2)) REPLACE
                ~FUNCTION LIST
                FUNCTION RESTORE \(q(d + b)) APPEND
                FUNCTION RESTORE \(q(d + e)) APPEND
                FUNCTION RESTORE \(q(e + d)) REPLACE
                ~FUNCTION LIST WITHCODE
                FUNCTION RESTORE \(q(clash)) REPLACE
                ~FUNCTION LIST
                FUNCTION RESTORE \(q(clash)) FLUSH
                FUNCTION LIST
                FCALL fa 0
                FCALL fb 0
                FUNCTION RESTORE \(q([])) APPEND
                FUNCTION RESTORE \(q([])) REPLACE
                FUNCTION LIST
                FUNCTION RESTORE \(q([])) FLUSH
                FUNCTION LIST
                FUNCTION STATS
                FUNCTION RESTORE \(q(a + b)) rEpLaCe
                ~FUNCTION LIST
                FUNCTION RESTORE \(q(a)) FlUsH
                FUNCTION LIST
                FUNCTION RESTORE \(q(a)) bogus
                FUNCTION RESTORE \(q(a)) ""
                FUNCTION RESTORE \(q(a)) FLUSH extra
                FUNCTION RESTORE
                FUNCTION RESTORE \(q(a)) APPEND REPLACE FLUSH
                FUNCTION LIST
                """)
        }
    }

    @Test func corruptPayloads() async throws {
        let good = Self.payload(Self.record(Self.library("good", ["g"])))
        var badCRC = good
        badCRC[badCRC.count - 1] ^= 1
        var badByte = good
        badByte[3] ^= 0x20
        let oldRecord: [UInt8] = [246] + Self.rdb("oldlib") + Self.rdb("LUA")
        let oldCode = Self.rdb("redis.register_function('oldf', function() return 1 end)")
        let bodies: [[UInt8]] = [
            Self.record("hello"),
            Self.record(""),
            Self.record("#!lua name=x\nfoo("),
            Self.record("#!lua name=x\nreturn 1"),
            Self.record("#!lua name=bad-name\nreturn 1"),
            Self.record("#!lua\nreturn 1"),
            Self.record("#!js name=x\nreturn 1"),
            Self.record(Self.library("d", ["dup"])) + Self.record(Self.library("d", ["other"])),
            Self.record(Self.library("d1", ["dup"])) + Self.record(Self.library("d2", ["dup"])),
            [245] + [0x40, 200] + Array("#!lua".utf8),
            [245, 0x85],
            [245, 0xC5, 1, 2, 3],
            [245, 0xC0, 5],
            [245, 0xC1, 0x34, 0x12],
            [245, 0xC2, 1, 0, 0, 0],
            [245, 0xC3, 0, 0],
            [245, 0xC3, 1, 0],
            [245, 0xC3, 5, 10, 0x1f, 0x31, 0x32, 0x33, 0x34],
            [245, 0xC3, 3, 40, 0x20, 0, 0],
            [245, 0x80, 0, 0, 0, 5] + Array("#!lua".utf8),
            [245, 0x81, 0, 0, 0, 0, 0, 0, 0, 5] + Array("#!lua".utf8),
            [245],
            [0] + Self.rdb(Self.library("x", ["x"])),
            [250],
            [246, 0x85],
            oldRecord,
            oldRecord + [0x85],
            oldRecord + [1],
            oldRecord + [1] + Self.rdb("desc"),
            [246] + Self.rdb("oldlib3") + Self.rdb("foo") + [0] + oldCode,
            [246] + Self.rdb("bad name") + Self.rdb("lua") + [0] + oldCode,
            [246] + Self.rdb("oldlib") + Self.rdb("LUA") + [1] + Self.rdb("desc") + oldCode,
            [246] + Self.rdb("oldlib2") + Self.rdb("lua") + [0] + Self.rdb("redis.register_function('oldg', function() return 2 end)"),
        ]
        try await Differential.with { pair in
            try pair.step("FUNCTION LOAD \(Self.quoted(Array(Self.library("keep", ["k"]).utf8)))")
            for payload in [good, badCRC, badByte, Array(good.dropLast()), Array(good.dropFirst()), [], Array("abc".utf8),
                            Self.payload(Self.record(Self.library("v11", ["v11"])), version: 11),
                            Self.payload(Self.record(Self.library("v9", ["v9"])), version: 9),
                            Self.payload(Self.record(Self.library("v0", ["v0"])), version: 0),
                            Self.payload(Self.record(Self.library("vbig", ["vbig"])), version: 0xff0a)] {
                try pair.step("FUNCTION RESTORE \(Self.quoted(payload))")
            }
            for body in bodies {
                try pair.step("FUNCTION RESTORE \(Self.quoted(Self.payload(body)))")
                try pair.step("FUNCTION RESTORE \(Self.quoted(Self.payload(body))) REPLACE")
            }
            try pair.step("~FUNCTION LIST WITHCODE")
            try pair.step("FCALL oldf 0")
            try pair.step("FCALL k 0")
        }
    }

    @Test func restoreInTransactionsAndScripts() async throws {
        let one = Self.quoted(Self.payload(Self.record(Self.library("tx", ["txf"]))))
        let other = Self.quoted(Self.payload(Self.record(Self.library("tx2", ["txf2"]))))
        try await Differential.check("""
            MULTI
            FUNCTION RESTORE \(one)
            FUNCTION DUMP
            FUNCTION RESTORE \(one)
            FUNCTION RESTORE \(other) REPLACE
            EXEC
            ~FUNCTION LIST
            FCALL txf 0
            FCALL txf2 0
            MULTI
            FUNCTION RESTORE \(one) bogus
            FUNCTION RESTORE
            EXEC
            EVAL "return redis.call('function', 'dump')" 0
            EVAL "return redis.pcall('function', 'restore', 'x')" 0
            FUNCTION RESTORE \(other) FLUSH
            FUNCTION DUMP
            FCALL txf 0
            FUNCTION FLUSH
            FUNCTION DUMP
            FUNCTION RESTORE \(Self.quoted(Self.payload([])))
            FUNCTION STATS
            """)
    }

    /// Roost's RDB string encoder against the string part of Redis's DUMP of a string key, on
    /// strings of many shapes and sizes (verbatim, integers, LZF-compressed, at the edge of
    /// compressibility).
    @Test func rdbStringsMatchRedisDump() throws {
        let redis = try RedisServerProcess()
        defer { redis.stop() }
        let connection = try RawConnection(port: redis.port)
        var generator = DumpInputGenerator(seed: 42)
        var inputs: [[UInt8]] = ["", "a", "12", "-5", "127", "128", "-129", "32767", "-32768", "65536",
                                 "2147483647", "2147483648", "-2147483648", "007", "+1", "-0", "1e3",
                                 "aaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaa", "abcabcabcabcabcabcabcabc"].map { Array($0.utf8) }
        for length in [21, 22, 23, 24, 25, 26, 27, 28, 30, 33, 40, 47, 64, 100, 300, 1000, 5000, 9000, 20000, 70000] {
            for alphabet in [1, 2, 3, 4, 16, 256] {
                inputs.append((0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next() % UInt64(alphabet)) &+ 97 })
            }
            // Words repeated with noise, like text.
            let words = ["redis", "function", "return", " ", "\n", "local", "end", "(", ")"].map { Array($0.utf8) }
            var text: [UInt8] = []
            while text.count < length { text += words[Int(generator.next() % UInt64(words.count))] }
            inputs.append(Array(text.prefix(length)))
            // A random block repeated, far and near.
            let block = (0..<min(length, 50)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            var repeated: [UInt8] = []
            while repeated.count < length { repeated += block; repeated.append(UInt8(truncatingIfNeeded: generator.next())) }
            inputs.append(Array(repeated.prefix(length)))
        }
        for long in [300, 264, 265, 266, 280, 8192, 8200] {
            inputs.append([UInt8](repeating: 120, count: long))
            inputs.append(Array("xyz".utf8) + [UInt8](repeating: 0, count: long) + Array("tail".utf8))
        }
        var mismatches = 0
        for (index, input) in inputs.enumerated() {
            try connection.send(command: [Array("SET".utf8), Array("k\(index)".utf8), input])
            _ = try connection.readReply()
            try connection.send(command: [Array("DUMP".utf8), Array("k\(index)".utf8)])
            let dump = try Self.bulk(connection.readReply())
            // Type byte 0 (string), the RDB string, then the 10-byte footer.
            let expected = Array(dump[1..<(dump.count - 10)])
            var mine: [UInt8] = []
            RDBString.appendString(input, to: &mine)
            if mine != expected {
                mismatches += 1
                Issue.record("RDB string of input \(index) (\(input.count) bytes) differs: redis \(expected.count) bytes, roost \(mine.count)")
            }
            var reader = RDBString.Reader(expected)
            #expect(reader.string() == input, "decoding Redis's encoding of input \(index)")
            #expect(reader.position == expected.count)
            #expect(Self.verify(dump), "Redis's DUMP footer of input \(index)")
        }
        #expect(mismatches == 0)
        #expect(inputs.count > 150)
    }

    /// Redis's DUMP footer checked with Roost's CRC-64.
    static func verify(_ dump: [UInt8]) -> Bool {
        let crc = CRC64.checksum(dump[0..<(dump.count - 8)])
        return (0..<8).allSatisfy { dump[dump.count - 8 + $0] == UInt8(truncatingIfNeeded: crc >> UInt64($0 * 8)) }
    }
}


/// A small deterministic generator for test inputs.
private struct DumpInputGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// A reply the test could not use.
private struct DumpTestError: Error {
    let description: String
    init(_ description: String) { self.description = description }
}
