import NIOCore
import RoostRESP
import Testing

@Suite struct RESPRequestParserTests {
    /// Parses `input` fed in chunks of `chunk` bytes; returns the commands, or the error text.
    static func parseAll(_ input: [UInt8], chunk: Int) -> (commands: [[[UInt8]]], error: String?) {
        var parser = RESPRequestParser()
        var buffer = ByteBuffer()
        var arguments: [ByteBuffer] = []
        var commands: [[[UInt8]]] = []
        var offset = 0
        while offset < input.count {
            buffer.writeBytes(input[offset..<min(offset + chunk, input.count)])
            offset += chunk
            do {
                while try parser.parse(&buffer, into: &arguments) {
                    if !arguments.isEmpty { commands.append(arguments.map { Array($0.readableBytesView) }) }
                    arguments.removeAll()
                }
            } catch {
                return (commands, error.message)
            }
        }
        return (commands, nil)
    }

    @Test(arguments: [1, 2, 3, 7, 1000])
    func anySplitGivesTheSameCommands(chunk: Int) {
        let input = Array("*2\r\n$3\r\nGET\r\n$5\r\na\r\nbc\r\nPING\r\n\r\n*0\r\nSET \"x y\" 'z'\n*1\r\n$0\r\n\r\n".utf8)
        let result = Self.parseAll(input, chunk: chunk)
        #expect(result.error == nil)
        #expect(result.commands == [
            [Array("GET".utf8), Array("a\r\nbc".utf8)],
            [Array("PING".utf8)],
            [Array("SET".utf8), Array("x y".utf8), Array("z".utf8)],
            [[]],
        ])
    }

    @Test(arguments: [
        ("*1\r\n$x\r\n", "ERR Protocol error: invalid bulk length"),
        ("*1\r\n$-1\r\n", "ERR Protocol error: invalid bulk length"),
        ("*x\r\n", "ERR Protocol error: invalid multibulk length"),
        ("*1\r\n:1\r\n", "ERR Protocol error: expected '$', got ':'"),
        ("GET \"a\r\n", "ERR Protocol error: unbalanced quotes in request"),
        ("GET \"a\"b\r\n", "ERR Protocol error: unbalanced quotes in request"),
    ])
    func malformedInputGetsRedisErrorText(input: String, expected: String) {
        for chunk in [1, 64] {
            #expect(Self.parseAll(Array(input.utf8), chunk: chunk).error == expected)
        }
    }

    @Test func declaredBulkLengthIsNotAllocatedUpFront() throws {
        var parser = RESPRequestParser()
        var buffer = ByteBuffer(string: "*1\r\n$536870912\r\nabc")
        var arguments: [ByteBuffer] = []
        #expect(try parser.parse(&buffer, into: &arguments) == false)
        #expect(buffer.capacity < 1024)
        #expect(parser.isInsideRequest)
    }

    @Test func bulkLongerThanTheLimitIsRejected() {
        var parser = RESPRequestParser(limits: .init(maxBulkLength: 10))
        var buffer = ByteBuffer(string: "*1\r\n$11\r\n")
        var arguments: [ByteBuffer] = []
        #expect(throws: RESPRequestParser.ProtocolError.self) { try parser.parse(&buffer, into: &arguments) }
    }
}
