import NIOCore
import RoostRESP
import Testing

@testable import RoostEngine

/// In-process checks of the scripting pieces: SHA-1 vectors and redis.call through the engine.
@Suite struct ScriptingUnitTests {
    @Test func sha1MatchesPublishedVectors() {
        #expect(SHA1.hex(Array("".utf8)) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(SHA1.hex(Array("abc".utf8)) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(SHA1.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        #expect(SHA1.hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
            == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
        // 55 and 56 bytes straddle the padding boundary.
        #expect(SHA1.hex([UInt8](repeating: 0, count: 55)) == "8e8832c642a6a38c74c17fc92ccedc266c108e6c")
        #expect(SHA1.hex([UInt8](repeating: 0, count: 56)) == "9438e360f578e12c0e0e8ed28e2c125c1cefee16")
    }

    private func run(_ engine: Engine, _ client: Client, _ args: [String]) -> String {
        engine.withLock {
            engine.execute(args.map { ByteBuffer(string: $0) }, for: client)
            var out = client.reply.take()
            return out.readString(length: out.readableBytes) ?? ""
        }
    }

    @Test func redisCallRunsOnTheEngineAndCapturesReplies() {
        let engine = Engine()
        let client = engine.withLock { engine.makeClient() }
        #expect(run(engine, client, ["EVAL", "return redis.call('set', KEYS[1], ARGV[1])", "1", "k", "v"]) == "+OK\r\n")
        #expect(run(engine, client, ["GET", "k"]) == "$1\r\nv\r\n")
        #expect(run(engine, client, ["EVAL", "return {redis.call('get', 'k'), redis.call('get', 'nokey')}", "0"])
            == "*2\r\n$1\r\nv\r\n$-1\r\n")
        #expect(engine.withLock { engine.scripting?.scripts.count } == 2)
        #expect(run(engine, client, ["SCRIPT", "FLUSH"]) == "+OK\r\n")
        #expect(engine.withLock { engine.scripting == nil })
    }
}
