@testable import RoostEngine
import Testing

/// StringValue picks Redis's encodings and keeps values of up to 7 bytes inline.
@Suite struct StringValueTests {
    @Test func encodingsAndInlineRoundTrips() {
        let samples: [[UInt8]] = [[], [0], [0xff], Array("xxx".utf8), [1, 2, 3, 4, 5, 6, 7], [0, 0, 0, 0, 0, 0, 0],
                                  [255, 0, 13, 10, 0, 255, 1], [1, 2, 3, 4, 5, 6, 7, 8], Array(repeating: 7, count: 44),
                                  Array(repeating: 7, count: 45), Array("123".utf8), Array("007".utf8), Array("-0".utf8)]
        for bytes in samples {
            let value = StringValue(encoding: bytes)
            #expect(value.bytes == bytes)
            #expect(value.count == bytes.count)
            value.withUnsafeBytes { #expect(Array($0) == bytes) }
            let expected: StaticString
            if bytes.count <= 20, RedisIntegerBridge.parse(bytes) != nil {
                expected = "int"
            } else {
                expected = bytes.count <= 44 ? "embstr" : "raw"
            }
            #expect(value.encodingName.description == expected.description, "\(bytes)")
            if case .short = value { #expect(bytes.count <= StringValue.shortCapacity) }
        }
        if case .short = StringValue(encoding: Array("abc".utf8)) {} else { Issue.record("3 bytes should be inline") }
        if case .embstr = StringValue(encoding: Array("abcdefgh".utf8)) {} else { Issue.record("8 bytes are not inline") }
    }
}
