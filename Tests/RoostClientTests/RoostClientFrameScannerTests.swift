import NIOCore
@testable import RoostClient
import RoostRESP
import Testing

@Suite("RoostClient RESP frame scanner")
struct RoostClientFrameScannerTests {
    static let frames: [String] = [
        "+OK\r\n", "-ERR bad\r\n", ":42\r\n", "$5\r\nhe\r\no\r\n", "$-1\r\n", "*-1\r\n", "*0\r\n", "_\r\n",
        "#t\r\n", ",3.5\r\n", "(123\r\n", "!3\r\nerr\r\n", "=7\r\ntxt:abc\r\n",
        "*3\r\n:1\r\n*2\r\n$1\r\na\r\n*0\r\n+x\r\n",
        "%2\r\n+k\r\n*1\r\n:1\r\n$1\r\nq\r\n~1\r\n_\r\n",
        ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nhi\r\n",
        "|1\r\n+ttl\r\n:3\r\n*2\r\n:1\r\n:2\r\n",
    ]

    @Test func dripFedBytesGiveTheSameFramesAsWholeBuffers() throws {
        let all = Self.frames.joined()
        var scanner = RESPFrameScanner()
        var buffer = ByteBuffer()
        var found: [String] = []
        for byte in all.utf8 {
            buffer.writeInteger(byte)
            while let length = try scanner.scan(buffer) {
                found.append(String(buffer: buffer.readSlice(length: length)!))
            }
        }
        #expect(found == Self.frames)
        #expect(buffer.readableBytes == 0)
    }

    @Test func incompleteFramesNeedMoreBytes() throws {
        for frame in Self.frames {
            let bytes = Array(frame.utf8)
            for cut in 0..<bytes.count {
                var scanner = RESPFrameScanner()
                #expect(try scanner.scan(ByteBuffer(bytes: bytes[0..<cut])) == nil, "\(frame.debugDescription) cut at \(cut)")
            }
        }
    }

    @Test func garbageIsAnError() {
        var scanner = RESPFrameScanner()
        #expect(throws: RESPFrameScanner.Error.self) { try scanner.scan(ByteBuffer(string: "?x\r\n")) }
        var lengths = RESPFrameScanner()
        #expect(throws: RESPFrameScanner.Error.self) { try lengths.scan(ByteBuffer(string: "$abc\r\n")) }
    }
}
