import RoostTestSupport
import Testing

@Suite struct HashDifferentialTests {
    @Test func setGetAndArity() async throws {
        try await Differential.check(#"""
            HSET h f1 v1
            HSET h f2 v2 f3 v3
            HSET h f1 new f4 v4
            HSET h f1 new
            HGET h f1
            HGET h f2
            HGET h nofield
            HGET nokey f
            HGETALL h
            HKEYS h
            HVALS h
            HLEN h
            HLEN nokey
            OBJECT ENCODING h
            TYPE h
            HSET h
            HSET h f
            HSET h f v g
            HSET
            HMSET h a 1 b 2
            HMSET h a
            HMSET h a 1 b
            HGETALL h
            HSETNX h a 2
            HSETNX h z 26
            HSETNX h z 27
            HSETNX newkey f v
            HGETALL newkey
            HSETNX h z
            HSETNX h z 1 2
            HGET h
            HGET h a b
            HMGET h a nofield z
            HMGET nokey a b
            HMGET h
            HEXISTS h a
            HEXISTS h nofield
            HEXISTS nokey a
            HEXISTS h
            HSTRLEN h f1
            HSTRLEN h nofield
            HSTRLEN nokey f
            HSTRLEN h
            HGETALL nokey
            HKEYS nokey
            HVALS nokey
            HGETALL
            HKEYS h x
            HVALS
            HLEN h x
            """#)
    }

    @Test func deleteAndEmptyKeys() async throws {
        try await Differential.check(#"""
            HSET h a 1 b 2 c 3
            HDEL h a
            HDEL h a
            HDEL h nofield b
            HLEN h
            EXISTS h
            HDEL h c c
            EXISTS h
            HGETALL h
            HDEL nokey a
            HDEL h
            HSET h x 1 y 2
            HDEL h x y z
            EXISTS h
            HSET h x ""
            HGET h x
            HSTRLEN h x
            HSET h "" ""
            HGET h ""
            HGETALL h
            HEXISTS h ""
            HDEL h ""
            HGETALL h
            """#)
    }

    @Test func binaryFieldsAndValues() async throws {
        try await Differential.check(#"""
            HSET h "a\x00b\r\n\xff" "v\x00\r\n\xfe"
            HSET h "\xff\xfe" "x"
            HGET h "a\x00b\r\n\xff"
            HSTRLEN h "a\x00b\r\n\xff"
            HEXISTS h "a\x00b"
            HGETALL h
            HKEYS h
            HMGET h "\xff\xfe" "a\x00b\r\n\xff" "a"
            HSCAN h 0
            HSCAN h 0 MATCH "\xff*"
            HDEL h "a\x00b\r\n\xff"
            HGETALL h
            HSET big "f\x00" "0123456789012345678901234567890123456789012345678901234567890123456789\x00\xff"
            OBJECT ENCODING big
            HGET big "f\x00"
            HSTRLEN big "f\x00"
            """#)
    }

    @Test func wrongType() async throws {
        try await Differential.check(#"""
            SET s v
            HSET s a 1
            HMSET s a 1
            HSETNX s a 1
            HGET s a
            HMGET s a b
            HGETALL s
            HKEYS s
            HVALS s
            HDEL s a
            HEXISTS s a
            HLEN s
            HSTRLEN s a
            HINCRBY s a 1
            HINCRBYFLOAT s a 1
            HRANDFIELD s
            HRANDFIELD s 2
            HRANDFIELD s -2 WITHVALUES
            HSCAN s 0
            HSCAN s x
            HSET h a 1
            GET h
            INCR h
            APPEND h x
            STRLEN h
            HINCRBY s a x
            HINCRBYFLOAT s a x
            HRANDFIELD s 1 foo
            """#)
    }

    @Test func incrby() async throws {
        try await Differential.check(#"""
            HINCRBY h n 5
            HINCRBY h n -10
            HINCRBY h n 0
            HGET h n
            HINCRBY h n 9223372036854775807
            HSET h n 9223372036854775800
            HINCRBY h n 7
            HINCRBY h n 8
            HINCRBY h n 1
            HSET h m -9223372036854775800
            HINCRBY h m -8
            HINCRBY h m -9
            HGET h m
            HINCRBY h n x
            HINCRBY h n 1.5
            HINCRBY h n 99999999999999999999
            HINCRBY h n ""
            HSET h s abc
            HINCRBY h s 1
            HSET h s " 1"
            HINCRBY h s 1
            HSET h s 007
            HINCRBY h s 1
            HSET h s +5
            HINCRBY h s 1
            HSET h s -0
            HINCRBY h s 1
            HSET h s 1.0
            HINCRBY h s 1
            HSET h s ""
            HINCRBY h s 1
            HINCRBY h n
            HINCRBY h n 1 2
            HINCRBY nokey2 f -9223372036854775808
            HGET nokey2 f
            HINCRBY newk f 9223372036854775807
            HINCRBY newk f 1
            HGETALL newk
            HINCRBY nokey3 f x
            EXISTS nokey3
            """#)
    }

    @Test func incrbyfloat() async throws {
        try await Differential.check(#"""
            HINCRBYFLOAT h f 10.5
            HINCRBYFLOAT h f 0.1
            HINCRBYFLOAT h f -5
            HINCRBYFLOAT h f 1e3
            HINCRBYFLOAT h f 5.0e-3
            HGET h f
            HSET h i 17
            HINCRBYFLOAT h i 1
            HINCRBYFLOAT h i -18
            HINCRBYFLOAT h i 3.0
            HINCRBYFLOAT h f x
            HINCRBYFLOAT h f ""
            HINCRBYFLOAT h f inf
            HINCRBYFLOAT h f -inf
            HINCRBYFLOAT h f nan
            HINCRBYFLOAT h f " 1"
            HINCRBYFLOAT h f "1 "
            HSET h s abc
            HINCRBYFLOAT h s 1
            HSET h s " 2"
            HINCRBYFLOAT h s 1
            HSET h s 1e308
            HINCRBYFLOAT h s 1e308
            HINCRBYFLOAT h s 1e4000
            HINCRBYFLOAT h s -1e308
            HINCRBYFLOAT h big 1e30
            HINCRBYFLOAT h big -1e30
            HINCRBYFLOAT h tiny 0.0000000000000000001
            HINCRBYFLOAT h neg -0.0
            ~HGETALL h
            HINCRBYFLOAT h f
            HINCRBYFLOAT h f 1 2
            HINCRBYFLOAT nokey f inf
            EXISTS nokey
            HINCRBYFLOAT h hexa 0x10
            OBJECT ENCODING h
            """#)
    }

    @Test func encodingTransitionsWithSmallThresholds() async throws {
        try await Differential.check(#"""
            CONFIG SET hash-max-listpack-entries 4
            CONFIG SET hash-max-listpack-value 8
            HSET h a 1 b 2 c 3 d 4
            OBJECT ENCODING h
            HGETALL h
            HSET h d 44
            OBJECT ENCODING h
            HSET h e 5
            OBJECT ENCODING h
            ~HGETALL h
            HDEL h a b c d
            OBJECT ENCODING h
            HGETALL h
            HSET v a 12345678
            OBJECT ENCODING v
            HSET v b 123456789
            OBJECT ENCODING v
            ~HGETALL v
            HSET w 123456789 a
            OBJECT ENCODING w
            HSET x a 1
            HSETNX x a 123456789012
            OBJECT ENCODING x
            HSETNX x b 123456789012
            OBJECT ENCODING x
            ~HGETALL x
            HSET y a 1
            HINCRBY y a 1234567890123
            OBJECT ENCODING y
            HSET z a 1
            HINCRBYFLOAT z a 1.5
            OBJECT ENCODING z
            HINCRBYFLOAT z a 0.0000001
            OBJECT ENCODING z
            HSET m a 1 b 2 c 3
            HMSET m d 4 e 5
            OBJECT ENCODING m
            HSET n a 1 b 2 c 3 d 4 e 5 f 6
            OBJECT ENCODING n
            HLEN n
            ~HKEYS n
            ~HVALS n
            HSET p a 1 b 2 c 3 d 4 a 5
            OBJECT ENCODING p
            HGETALL p
            HSET q a 1 b 123456789 c 3
            OBJECT ENCODING q
            CONFIG SET hash-max-listpack-entries 0
            HSET r a 1
            OBJECT ENCODING r
            CONFIG SET hash-max-listpack-entries 4
            CONFIG SET hash-max-listpack-value 0
            HSET t "" ""
            OBJECT ENCODING t
            HSET t a ""
            OBJECT ENCODING t
            COPY h hcopy
            OBJECT ENCODING hcopy
            COPY p pcopy
            OBJECT ENCODING pcopy
            HGETALL pcopy
            HSET pcopy a changed
            HGET p a
            """#)
    }

    @Test func encodingTransitionsWithDefaults() async throws {
        var script = "HSET h f0 v0\nOBJECT ENCODING h\n"
        // 512 fields stay a listpack; the 513th converts.
        var args: [String] = []
        for i in 1..<512 { args.append("f\(i) v\(i)") }
        script += "HSET h \(args.joined(separator: " "))\n"
        script += "HLEN h\nOBJECT ENCODING h\nHGETALL h\nHKEYS h\nHSCAN h 0\nHSCAN h 0 MATCH f1?? COUNT 5\n"
        script += "HSET h f512 v512\nOBJECT ENCODING h\nHLEN h\n~HGETALL h\n~HKEYS h\n~HVALS h\n"
        script += "HSET v f \(String(repeating: "x", count: 64))\nOBJECT ENCODING v\n"
        script += "HSET v g \(String(repeating: "y", count: 65))\nOBJECT ENCODING v\n~HGETALL v\n"
        script += "HSET w \(String(repeating: "k", count: 65)) 1\nOBJECT ENCODING w\n"
        script += "HINCRBYFLOAT z f 1e60\nOBJECT ENCODING z\nHINCRBYFLOAT z f 1e70\nOBJECT ENCODING z\nHGET z f\n"
        try await Differential.check(script)
    }

    /// Listpack entries longer than 127 bytes (multi-byte length prefixes), with a raised limit.
    @Test func longListpackEntries() async throws {
        var script = "CONFIG SET hash-max-listpack-value 100000\n"
        let long = String(repeating: "x", count: 200)
        let longer = String(repeating: "y", count: 20_000)
        script += "HSET h a 1 \(long) \(longer) b 2\nOBJECT ENCODING h\nHGETALL h\n"
        script += "HSET h a \(longer) \(long) 3\nOBJECT ENCODING h\nHGETALL h\nHSTRLEN h a\nHSTRLEN h \(long)\n"
        script += "HDEL h \(long)\nHGETALL h\nHSCAN h 0 MATCH y*\nHSET h \(long)z 4\nHKEYS h\nHVALS h\n"
        script += "HSET h c \(String(repeating: "z", count: 100_001))\nOBJECT ENCODING h\n~HKEYS h\n"
        try await Differential.check(script)
    }

    @Test func randfield() async throws {
        try await Differential.check(#"""
            HSET h a 1 b 2 c 3 d 4 e 5
            ?HRANDFIELD h
            HRANDFIELD h 0
            HRANDFIELD h 5
            HRANDFIELD h 6
            HRANDFIELD h 100 WITHVALUES
            HRANDFIELD h 0 WITHVALUES
            ?HRANDFIELD h 3
            ?HRANDFIELD h 1
            ?HRANDFIELD h -3
            ?HRANDFIELD h -10 WITHVALUES
            ?HRANDFIELD h 3 WITHVALUES
            HRANDFIELD nokey
            HRANDFIELD nokey 3
            HRANDFIELD nokey -3 WITHVALUES
            HRANDFIELD h x
            HRANDFIELD h 1.5
            HRANDFIELD h 3 FOO
            HRANDFIELD h 3 WITHVALUES FOO
            HRANDFIELD h -9223372036854775808
            HRANDFIELD h -9223372036854775808 WITHVALUES
            HRANDFIELD h 4611686018427387904 WITHVALUES
            HRANDFIELD h -4611686018427387904 WITHVALUES
            HRANDFIELD nokey 4611686018427387904 WITHVALUES
            HRANDFIELD h 9223372036854775807
            HRANDFIELD h 4611686018427387903 WITHVALUES
            HRANDFIELD
            HRANDFIELD h 1 WITHVALUES x
            ?HELLO 3
            HRANDFIELD h 5 WITHVALUES
            HRANDFIELD h 9
            ?HRANDFIELD h -2 WITHVALUES
            ?HRANDFIELD h 2 WITHVALUES
            ?HRANDFIELD h
            HRANDFIELD nokey
            HRANDFIELD nokey 2 WITHVALUES
            HRANDFIELD h 0 WITHVALUES
            """#)
    }

    /// Single-field hashes make the random replies deterministic, in both encodings and protocols.
    @Test func singleFieldRandomShapes() async throws {
        try await Differential.check(#"""
            CONFIG SET hash-max-listpack-value 8
            HSET one a 1
            HSET onet "a\x00" 123456789
            OBJECT ENCODING one
            OBJECT ENCODING onet
            HRANDFIELD one
            HRANDFIELD onet
            HRANDFIELD one 1
            HRANDFIELD onet 1 WITHVALUES
            HRANDFIELD one -3
            HRANDFIELD onet -3 WITHVALUES
            HRANDFIELD one 2 WITHVALUES
            HRANDFIELD onet 2 WITHVALUES
            HSCAN onet 0
            ?HSCAN onet 0 COUNT 1
            HSCAN onet 0 MATCH b*
            HGETALL onet
            ?HELLO 3
            HRANDFIELD one 1 WITHVALUES
            HRANDFIELD onet -2 WITHVALUES
            HRANDFIELD one -2
            HRANDFIELD onet 5 WITHVALUES
            HGETALL onet
            HSCAN onet 0
            """#)
    }

    @Test func resp3Shapes() async throws {
        try await Differential.check(#"""
            ?HELLO 3
            HSET h a 1 b 2
            HGETALL h
            HKEYS h
            HVALS h
            HGETALL nokey
            HKEYS nokey
            HVALS nokey
            HMGET h a nofield
            HGET h nofield
            HGET nokey a
            HEXISTS h a
            HSCAN h 0
            HSCAN nokey 0
            HINCRBYFLOAT h f 1.5
            HSTRLEN h a
            """#)
    }

    @Test func scanSmallHashes() async throws {
        try await Differential.check(#"""
            HSET h foo 1 bar 2 baz 3 "" 4 qux 5
            HSCAN h 0
            HSCAN h 0 COUNT 1
            HSCAN h 0 MATCH ba*
            HSCAN h 0 MATCH *
            HSCAN h 0 MATCH **
            HSCAN h 0 MATCH "" COUNT 100
            HSCAN h 0 MATCH nomatch
            HSCAN h 123
            HSCAN h 0 COUNT 0
            HSCAN h 0 COUNT -1
            HSCAN h 0 COUNT x
            HSCAN h 0 MATCH
            HSCAN h 0 TYPE hash
            HSCAN h 0 FOO bar
            HSCAN h x
            HSCAN h -1
            HSCAN h 18446744073709551616
            HSCAN nokey 0
            HSCAN nokey 0 FOO
            HSCAN nokey x
            HSCAN h
            HSET n 1 a 22 b 333 c
            HSCAN n 0 MATCH 2*
            HSCAN n 0 MATCH [13]*
            """#)
    }

    @Test func expiry() async throws {
        try await Differential.check(#"""
            HSET h a 1 b 2
            PEXPIRE h 100
            HGET h a
            HLEN h
            HSET h c 3
            TTL h
            !sleep 250
            HGET h a
            HLEN h
            EXISTS h
            HGETALL h
            HSET h2 a 1
            EXPIRE h2 100
            HSET h2 b 2
            TTL h2
            HDEL h2 a
            TTL h2
            HINCRBY h2 n 1
            TTL h2
            PEXPIRE h2 50
            !sleep 150
            HINCRBY h2 n 1
            TTL h2
            HGETALL h2
            """#)
    }

    @Test func multiAndCommandInfo() async throws {
        try await Differential.check(#"""
            MULTI
            HSET h a 1
            HINCRBY h a 2
            HGETALL h
            HSET h a
            EXEC
            WATCH h
            @2 HSET h b 2
            MULTI
            HGET h a
            EXEC
            WATCH h
            @2 HSETNX h b 3
            MULTI
            HGET h a
            EXEC
            COMMAND INFO hset hsetnx hget hmset hmget hgetall hdel hexists
            COMMAND INFO hlen hkeys hvals hincrby hincrbyfloat hstrlen hrandfield hscan
            COMMAND GETKEYS HSET h a 1
            """#)
    }

    /// A hash of 100,000 fields: reads, a range of deletions and a full HSCAN compared as sets.
    @Test func largeHash() async throws {
        try await Differential.with { pair in
            let (redis, roost) = try pair.clients(1)
            let fields = 100_000
            var batch: [[UInt8]] = []
            func flush() throws {
                if batch.isEmpty { return }
                let command = [Array("HSET".utf8), Array("big".utf8)] + batch
                try redis.send(command: command)
                try roost.send(command: command)
                #expect(try redis.readReply() == roost.readReply())
                batch.removeAll()
            }
            for i in 0..<fields {
                batch.append(Array("field:\(i)".utf8))
                batch.append(Array("value:\(i * 7)".utf8))
                if batch.count >= 2000 { try flush() }
            }
            try flush()
            var script = "HLEN big\nOBJECT ENCODING big\nHGET big field:0\nHGET big field:99999\nHGET big field:100000\n"
            script += "HMGET big field:1 field:50000 nofield field:77777\nHSTRLEN big field:12345\nHEXISTS big field:54321\n"
            script += "HINCRBY big field:5 3\nHINCRBYFLOAT big field:6 0.5\n"
            var del: [String] = []
            for i in 10_000..<20_000 { del.append("field:\(i)") }
            script += "HDEL big \(del.joined(separator: " "))\nHLEN big\nHGET big field:15000\nHGET big field:20000\n"
            script += "?HRANDFIELD big\n?HRANDFIELD big 5 WITHVALUES\n?HRANDFIELD big -5\n?HRANDFIELD big 80000\n"
            try pair.run(script)

            // HSCAN to completion on both servers: every field comes back, with its value.
            func fullScan(_ conn: RawConnection, count: Int) throws -> [String: String] {
                var cursor = "0"
                var seen: [String: String] = [:]
                repeat {
                    try conn.send(command: ["HSCAN", "big", cursor, "COUNT", "\(count)"].map { Array($0.utf8) })
                    let reply = try RESPReply.parse(conn.readReply())
                    guard case .array(let parts) = reply, parts.count == 2,
                          case .bulk(let next) = parts[0], case .array(let items) = parts[1] else {
                        Issue.record("unexpected HSCAN reply")
                        return seen
                    }
                    var i = 0
                    while i + 1 < items.count {
                        if case .bulk(let f) = items[i], case .bulk(let v) = items[i + 1] { seen[f] = v }
                        i += 2
                    }
                    cursor = next
                } while cursor != "0"
                return seen
            }
            let redisFields = try fullScan(redis, count: 1000)
            let roostFields = try fullScan(roost, count: 1000)
            #expect(redisFields.count == 90_000)
            #expect(roostFields.count == 90_000)
            #expect(redisFields == roostFields)
            let matched = try fullScan(roost, count: 7).count
            #expect(matched == 90_000)
            try pair.run("?HSCAN big 0 COUNT 1 MATCH nomatch*\n?HSCAN big 0 COUNT 9223372036854775807 MATCH field:1????\n")
            // A huge COUNT finishes the whole scan in one call on both servers.
            for conn in [redis, roost] {
                try conn.send(command: ["HSCAN", "big", "0", "COUNT", "100000000", "MATCH", "field:1???"].map { Array($0.utf8) })
                guard case .array(let parts) = try RESPReply.parse(conn.readReply()), parts.count == 2,
                      case .array(let items) = parts[1] else {
                    Issue.record("unexpected HSCAN reply")
                    continue
                }
                #expect(parts[0] == .bulk("0"))
                #expect(items.count == 2000)
            }
        }
    }

    /// Properties of HRANDFIELD that a type-only comparison cannot check.
    @Test func randfieldProperties() async throws {
        try await Differential.with(configure: { _ in }) { pair in
            let (_, roost) = try pair.clients(1)
            func run(_ args: [String]) throws -> RESPReply {
                try roost.send(command: args.map { Array($0.utf8) })
                return try RESPReply.parse(roost.readReply())
            }
            var all: [String] = []
            for i in 0..<10 { all += ["f\(i)", "v\(i)"] }
            _ = try run(["HSET", "small"] + all)
            var big: [String] = []
            for i in 0..<1000 { big += ["f\(i)", "v\(i)"] }
            _ = try run(["HSET", "large"] + big)
            for key in ["small", "large"] {
                let size = key == "small" ? 10 : 1000
                for count in [1, 3, 9, 400] where count < size {
                    guard case .array(let items) = try run(["HRANDFIELD", key, "\(count)"]) else {
                        Issue.record("not an array"); continue
                    }
                    let names = items.compactMap { if case .bulk(let s) = $0 { return s } else { return nil } }
                    #expect(names.count == count)
                    #expect(Set(names).count == count, "distinct fields for a positive count")
                    #expect(names.allSatisfy { $0.hasPrefix("f") && (Int($0.dropFirst()) ?? Int.max) < size })
                }
                guard case .array(let items) = try run(["HRANDFIELD", key, "-50", "WITHVALUES"]) else {
                    Issue.record("not an array"); continue
                }
                #expect(items.count == 100)
                var i = 0
                while i + 1 < items.count {
                    if case .bulk(let f) = items[i], case .bulk(let v) = items[i + 1] {
                        #expect("v" + f.dropFirst() == v, "value belongs to its field")
                    }
                    i += 2
                }
            }
        }
    }
}

/// A minimal RESP2 reply parser for the custom tests.
indirect enum RESPReply: Equatable {
    case bulk(String)
    case null
    case integer(Int)
    case simple(String)
    case error(String)
    case array([RESPReply])

    static func parse(_ bytes: [UInt8]) throws -> RESPReply {
        var i = 0
        return try parse(bytes, &i)
    }

    static func line(_ bytes: [UInt8], _ i: inout Int) -> String {
        var j = i
        while j + 1 < bytes.count && !(bytes[j] == 13 && bytes[j + 1] == 10) { j += 1 }
        let s = String(decoding: bytes[(i + 1)..<j], as: UTF8.self)
        i = j + 2
        return s
    }

    static func parse(_ bytes: [UInt8], _ i: inout Int) throws -> RESPReply {
        let type = bytes[i]
        let text = line(bytes, &i)
        switch type {
        case UInt8(ascii: "$"):
            let n = Int(text) ?? -1
            if n < 0 { return .null }
            let s = String(decoding: bytes[i..<(i + n)], as: UTF8.self)
            i += n + 2
            return .bulk(s)
        case UInt8(ascii: ":"): return .integer(Int(text) ?? 0)
        case UInt8(ascii: "+"): return .simple(text)
        case UInt8(ascii: "-"): return .error(text)
        case UInt8(ascii: "*"):
            let n = Int(text) ?? -1
            if n < 0 { return .null }
            var items: [RESPReply] = []
            for _ in 0..<n { items.append(try parse(bytes, &i)) }
            return .array(items)
        default:
            return .error("unknown type \(type)")
        }
    }
}
