import NIOCore
import RoostRESP
import Testing

/// Lengths at the edges of the integer range are refused or awaited, never trapped on.
@Suite struct RESPParserLimitTests {
    static func parse(_ text: String, limits: RESPRequestParser.Limits = .init()) -> (done: Bool?, error: String?) {
        var parser = RESPRequestParser(limits: limits)
        var buffer = ByteBuffer(string: text)
        var arguments: [ByteBuffer] = []
        do {
            return (try parser.parse(&buffer, into: &arguments), nil)
        } catch {
            return (nil, error.message)
        }
    }

    @Test(arguments: [
        ("*9223372036854775807\r\n", "ERR Protocol error: invalid multibulk length"),
        ("*2147483648\r\n", "ERR Protocol error: invalid multibulk length"),
        ("*99999999999999999999\r\n", "ERR Protocol error: invalid multibulk length"),
        ("*1\r\n$-5\r\n", "ERR Protocol error: invalid bulk length"),
        ("*1\r\n$99999999999999999999\r\n", "ERR Protocol error: invalid bulk length"),
        ("*1\r\n$9223372036854775807\r\n", "ERR Protocol error: invalid bulk length"),
        ("*1\r\n$-9223372036854775808\r\n", "ERR Protocol error: invalid bulk length"),
    ])
    func extremeLengthsAreProtocolErrors(input: String, expected: String) {
        #expect(Self.parse(input).error == expected)
    }

    @Test func negativeMultibulkCountIsAnEmptyRequest() {
        #expect(Self.parse("*-2\r\n").done == true)
        #expect(Self.parse("*-9223372036854775808\r\n").done == true)
    }

    @Test func bulkLengthNearIntMaxWaitsForMoreBytes() {
        let limits = RESPRequestParser.Limits(maxBulkLength: Int.max)
        #expect(Self.parse("*1\r\n$9223372036854775807\r\nabc", limits: limits).done == false)
        #expect(Self.parse("*1\r\n$9223372036854775806\r\n", limits: limits).done == false)
    }
}
