import RoostTestSupport
import Testing

/// DUMP and RESTORE against redis-server: the payload of every type and encoding byte for
/// byte, payloads moved from each server to the other, and every option and error of RESTORE.
@Suite struct DumpRestoreDifferentialTests {
    /// Keys of every type and encoding (int, embstr, raw and LZF strings; listpack and
    /// quicklist lists; intsets and tables; listpack and table hashes and sorted sets).
    static let keyspace = #"""
        SET int 12345
        SET neg -99
        SET short hello
        SET long "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        SET bin "\x00\x01\xff\r\n"
        RPUSH list a b c 1 2 3
        RPUSH biglist aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
        SADD ints 1 2 3 100000 -5
        SADD words x y z
        HSET h f1 v1 f2 2
        HSET bighash f "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
        ZADD z 1 a 2.5 b -3 c
        ZADD bigz 1 "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"
        PFADD hll a b c
        XADD st 1-1 f v name x
        XADD st 2-0 f w name y
        """#

    @Test func payloadsMatchRedis() async throws {
        try await Differential.check(Self.keyspace + #"""
            DUMP int
            DUMP neg
            DUMP short
            DUMP long
            DUMP bin
            DUMP list
            DUMP biglist
            DUMP ints
            ?DUMP words
            DUMP h
            DUMP bighash
            DUMP z
            DUMP bigz
            DUMP hll
            DUMP st
            DUMP missing
            """#)
    }

    @Test func restoreOptionsAndErrorsMatchRedis() async throws {
        try await Differential.check(Self.keyspace + #"""
            RESTORE k 0 "\x00\x03abc\n\x00\xd9\xac0=Ar\xa2\xe2"
            GET k
            RESTORE k 0 "\x00\x03abc\n\x00\xd9\xac0=Ar\xa2\xe2"
            RESTORE k 0 "\x00\x03abc\n\x00\xd9\xac0=Ar\xa2\xe2" REPLACE
            RESTORE k2 0 "\x00\x03abc\n\x00\xd9\xac0=Ar\xa2\x00"
            RESTORE k2 0 "\x00\x03abc\x0b\x00\xd9\xac0=Ar\xa2\xe2"
            RESTORE k2 0 "short"
            RESTORE k2 0 ""
            RESTORE k2 -1 "\x00\x03abc\n\x00\xd9\xac0=Ar\xa2\xe2"
            RESTORE k2 abc "\x00\x03abc\n\x00\xd9\xac0=Ar\xa2\xe2"
            RESTORE k2 0 "\x00\x03abc\n\x00\xd9\xac0=Ar\xa2\xe2" BOGUS
            RESTORE k2 0 "\x00\x03abc\n\x00\xd9\xac0=Ar\xa2\xe2" IDLETIME -1
            RESTORE k2 0 "\x00\x03abc\n\x00\xd9\xac0=Ar\xa2\xe2" IDLETIME x
            RESTORE k2 0 "\x00\x03abc\n\x00\xd9\xac0=Ar\xa2\xe2" FREQ 256
            RESTORE k2 0 "\x00\x03abc\n\x00\xd9\xac0=Ar\xa2\xe2" FREQ 5 IDLETIME 5
            RESTORE k2 0 "\x00\x03abc\n\x00\xd9\xac0=Ar\xa2\xe2" IDLETIME 1000
            OBJECT IDLETIME k2
            RESTORE k3 100000 "\x00\x03abc\n\x00\xd9\xac0=Ar\xa2\xe2"
            ?PTTL k3
            RESTORE k4 1 "\x00\x03abc\n\x00\xd9\xac0=Ar\xa2\xe2" ABSTTL
            EXISTS k4
            RESTORE k REPLACE
            RESTORE k 1 "\x00\x03abc\n\x00\xd9\xac0=Ar\xa2\xe2" ABSTTL REPLACE
            EXISTS k
            """#)
    }

    /// Every key dumped by one server and restored into the other, both ways: the restored
    /// values dump to the same bytes again (a set stored as a table lists its members in hash
    /// order, which differs between any two processes, Redis's included: compared by members).
    @Test func payloadsMoveBothWays() async throws {
        try await Differential.with { pair in
            try pair.run(Self.keyspace)
            let keys = ["int", "neg", "short", "long", "bin", "list", "biglist", "ints", "words", "h", "bighash", "z",
                        "bigz", "hll", "st"]
            let (redis, roost) = try pair.clients(1)
            for key in keys {
                let fromRedis = try Self.bulk(redis.readReply(after: ["DUMP", key]))
                let fromRoost = try Self.bulk(roost.readReply(after: ["DUMP", key]))
                if key != "words" { #expect(fromRedis == fromRoost, "DUMP \(key)") }
                let intoRoost = try roost.readReply(after: [Array("RESTORE".utf8), Array("copy-\(key)".utf8), Array("0".utf8), fromRedis])
                let intoRedis = try redis.readReply(after: [Array("RESTORE".utf8), Array("copy-\(key)".utf8), Array("0".utf8), fromRoost])
                #expect(intoRoost == Array("+OK\r\n".utf8) && intoRedis == intoRoost, "RESTORE \(key)")
                let again = try Self.bulk(roost.readReply(after: ["DUMP", "copy-\(key)"]))
                if key != "words" { #expect(again == fromRedis, "DUMP of restored \(key)") }
            }
            try pair.step("~SMEMBERS copy-words")
            try pair.step("~SMEMBERS words")
        }
    }

    static func bulk(_ reply: [UInt8]) throws -> [UInt8] {
        guard reply.first == UInt8(ascii: "$"), let cr = reply.firstIndex(of: 13) else { return reply }
        return Array(reply[(cr + 2)..<(reply.count - 2)])
    }
}

extension RawConnection {
    /// Sends one command and reads its reply.
    func readReply(after arguments: [String]) throws -> [UInt8] {
        try readReply(after: arguments.map { Array($0.utf8) })
    }

    func readReply(after arguments: [[UInt8]]) throws -> [UInt8] {
        try send(command: arguments)
        return try readReply()
    }
}
