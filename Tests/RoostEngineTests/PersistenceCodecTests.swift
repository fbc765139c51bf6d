import RoostEngine
import Testing

/// The RDB codecs behind FUNCTION DUMP/RESTORE: CRC-64, LZF, lengths and strings.
@Suite struct PersistenceCodecTests {
    /// A small deterministic generator for test inputs.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    @Test func crc64KnownVectors() {
        #expect(CRC64.checksum(Array("123456789".utf8)) == 0xe9c6_d914_c4b8_d9ca)
        #expect(CRC64.checksum([UInt8]()) == 0)
        // Continuing a checksum equals checksumming the concatenation.
        let whole = CRC64.checksum(Array("hello world".utf8))
        #expect(CRC64.checksum(Array(" world".utf8), continuing: CRC64.checksum(Array("hello".utf8))) == whole)
        #expect(CRC64.checksum(Array("123456780".utf8)) != 0xe9c6_d914_c4b8_d9ca)
    }

    @Test func crc64OfRedisFunctionDump() {
        // FUNCTION DUMP of one small library on redis-server 7.0.15: body, version 10, CRC.
        let code = Array("#!lua name=lib1\nredis.register_function('f1', function() return 1 end)".utf8)
        let body: [UInt8] = [0xf5, 0x40, 0x46] + code + [0x0a, 0x00]
        let crc = CRC64.checksum(body)
        let stored: [UInt8] = [0x98, 0xfa, 0x43, 0x9b, 0xf0, 0xa7, 0xa5, 0xa2]
        #expect((0..<8).map { UInt8(truncatingIfNeeded: crc >> UInt64($0 * 8)) } == stored)
    }

    @Test func lzfMatchesRedisBytes() throws {
        // DUMP of this string on redis-server 7.0.15 holds these compressed bytes.
        let input = Array((String(repeating: "abcdefgh", count: 8) + "xyz" + String(repeating: "abc", count: 10)).utf8)
        let expected: [UInt8] = [0x08] + Array("abcdefgha".utf8) + [0xe0, 0x2e, 0x07, 0x02] + Array("xyz".utf8)
            + [0x20, 0x3a, 0xe0, 0x10, 0x02, 0x01] + Array("bc".utf8)
        let packed = try #require(LZF.compress(input, limit: input.count - 4))
        #expect(packed == expected)
        var encoded: [UInt8] = []
        RDBString.appendString(input, to: &encoded)
        #expect(encoded == [0xc3, 0x19, 0x40, 0x61] + expected)
        #expect(LZF.decompress(expected[...], limit: input.count) == input)
    }

    @Test func lzfRoundTripsRandomData() throws {
        var generator = Generator(state: 7)
        for round in 0..<300 {
            let length = Int(generator.next() % 5000) + 1
            let alphabet = [1, 2, 4, 26, 256][round % 5]
            let input = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next() % UInt64(alphabet)) }
            guard let packed = LZF.compress(input, limit: length + length / 16 + 64) else {
                Issue.record("no room to compress \(length) bytes")
                continue
            }
            #expect(LZF.decompress(packed[...], limit: length) == input)
            if alphabet == 1 && length > 100 { #expect(packed.count < length / 10) }
            // Too little room: no output rather than a truncated one.
            if packed.count > 1 { #expect(LZF.compress(input, limit: packed.count - 1) == nil) }
        }
        #expect(LZF.compress([], limit: 10) == nil)
        #expect(LZF.compress([1, 2, 3], limit: 0) == nil)
    }

    @Test func lzfDecompressRejectsCorruptStreams() {
        // A literal run longer than the input.
        #expect(LZF.decompress([0x05, 0x61][...], limit: 10) == nil)
        // A back reference before the start of the output.
        #expect(LZF.decompress([0x00, 0x61, 0x20, 0x05][...], limit: 10) == nil)
        // A back reference cut short.
        #expect(LZF.decompress([0x00, 0x61, 0xe0][...], limit: 10) == nil)
        // More output than allowed.
        #expect(LZF.decompress([0x02, 0x61, 0x62, 0x63][...], limit: 2) == nil)
        // Overlapping copy: "a" then 5 copies of the previous byte.
        #expect(LZF.decompress([0x00, 0x61, 0x60, 0x00][...], limit: 10) == Array("aaaaaa".utf8))
    }

    @Test func rdbLengthsAndStrings() {
        func length(_ n: Int) -> [UInt8] {
            var out: [UInt8] = []
            RDBString.appendLength(n, to: &out)
            return out
        }
        #expect(length(0) == [0])
        #expect(length(63) == [63])
        #expect(length(64) == [0x40, 64])
        #expect(length(16383) == [0x7f, 0xff])
        #expect(length(16384) == [0x80, 0, 0, 0x40, 0])
        #expect(length(Int(UInt32.max)) == [0x80, 0xff, 0xff, 0xff, 0xff])
        #expect(length(Int(UInt32.max) + 1) == [0x81, 0, 0, 0, 1, 0, 0, 0, 0])
        func string(_ s: String) -> [UInt8] {
            var out: [UInt8] = []
            RDBString.appendString(Array(s.utf8), to: &out)
            return out
        }
        #expect(string("5") == [0xc0, 5])
        #expect(string("-128") == [0xc0, 0x80])
        #expect(string("128") == [0xc1, 0x80, 0])
        #expect(string("-32768") == [0xc1, 0, 0x80])
        #expect(string("32768") == [0xc2, 0, 0x80, 0, 0])
        #expect(string("2147483648") == [0x0a] + Array("2147483648".utf8))
        #expect(string("007") == [3] + Array("007".utf8))
        #expect(string("+1") == [2] + Array("+1".utf8))
        #expect(string("") == [0])
        for text in ["5", "-128", "128", "-32768", "32768", "-2147483648", "abc", "", String(repeating: "ab", count: 100)] {
            var reader = RDBString.Reader(string(text))
            #expect(reader.string() == Array(text.utf8))
            #expect(reader.position == reader.bytes.count)
        }
        var bad = RDBString.Reader([0xc4, 1, 2])
        #expect(bad.string() == nil)
        var short = RDBString.Reader([5, 0x61])
        #expect(short.string() == nil)
        var wide = RDBString.Reader([0x85])
        #expect(wide.length() == nil)
    }
}
