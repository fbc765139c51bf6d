import NIOCore
import RoostRESP
import Testing

/// The one-write bulk framing against the plain definition `$<len>\r\n<bytes>\r\n`.
@Suite struct RESPWritingTests {
    @Test func bulkFramingMatchesTheDefinition() {
        var generator = SystemRandomNumberGenerator()
        let lengths = [0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 4095, 4096, 65_536, 100_003]
        for length in lengths {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let expected = Array("$\(length)\r\n".utf8) + bytes + [13, 10]
            var fromArray = ByteBuffer(string: "prefix")
            fromArray.writeRESPBulk(bytes)
            #expect(Array(fromArray.readableBytesView) == Array("prefix".utf8) + expected, "length \(length)")
            var fromBuffer = ByteBuffer()
            fromBuffer.writeRESPBulk(ByteBuffer(bytes: bytes))
            #expect(Array(fromBuffer.readableBytesView) == expected, "length \(length)")
            var fromPointer = ByteBuffer()
            bytes.withUnsafeBytes { fromPointer.writeRESPBulk($0) }
            #expect(Array(fromPointer.readableBytesView) == expected, "length \(length)")
        }
    }
}
