import Foundation
import RoostServer
import RoostTestSupport
import Testing

/// Real clients (redis-cli, redis-py, redis-benchmark) against Roost, with the same run against
/// redis-server as the reference.
@Suite struct RealClientTests {
    static var cli: String? { PackagePaths.tool("redis-cli") }

    /// Runs `body` with a redis-server and a Roost, each given by its port.
    static func withBoth(_ body: (_ redisPort: Int, _ roostPort: Int) throws -> Void) async throws {
        let redis = try await RedisServerProcess.start()
        let roost = try await RoostTestServer.start()
        defer { redis.stop() }
        do {
            try body(redis.port, roost.port)
        } catch {
            try? await roost.stop()
            throw error
        }
        try await roost.stop()
    }

    @Test(.enabled(if: RealClientTests.cli != nil, "redis-cli is not installed"))
    func redisCliRoundTrip() async throws {
        let cli = try #require(Self.cli)
        try await Self.withBoth { redisPort, roostPort in
            let commands: [[String]] = [
                ["PING"], ["SET", "greeting", "hello world"], ["GET", "greeting"], ["GET", "missing"],
                ["ECHO", "multi\nline"], ["DEL", "greeting", "missing"], ["EXISTS", "greeting"],
                ["SET", "k", "v", "EX", "100"], ["NOSUCHCMD", "x"], ["SELECT", "99"],
            ]
            for command in commands {
                for raw in [false, true] {
                    let flags = raw ? ["--no-raw"] : ["--raw"]
                    let a = try ChildProcess.run(cli, ["-p", "\(redisPort)"] + flags + command, timeout: 20)
                    let b = try ChildProcess.run(cli, ["-p", "\(roostPort)"] + flags + command, timeout: 20)
                    #expect(a.text == b.text, "\(command) \(flags): \(a.text) vs \(b.text)")
                    #expect(a.status == b.status)
                }
            }
            // -x: the last argument comes from standard input, binary-safe.
            let payload = Array("line one\nline two\u{0}\u{ff}".utf8)
            for port in [redisPort, roostPort] {
                let set = try ChildProcess.run(cli, ["-p", "\(port)", "-x", "SET", "fromstdin"], input: payload, timeout: 20)
                #expect(set.text == "OK\n", "port \(port)")
            }
            let a = try ChildProcess.run(cli, ["-p", "\(redisPort)", "--raw", "GET", "fromstdin"], timeout: 20)
            let b = try ChildProcess.run(cli, ["-p", "\(roostPort)", "--raw", "GET", "fromstdin"], timeout: 20)
            #expect(a.output == b.output)
            #expect(b.output == payload + [10])
        }
    }

    @Test(.enabled(if: RealClientTests.cli != nil, "redis-cli is not installed"))
    func redisCliPipeMassInsertion() async throws {
        let cli = try #require(Self.cli)
        var input: [UInt8] = []
        for i in 0..<5000 {
            input += RawConnection.encode([Array("SET".utf8), Array("key:\(i)".utf8), Array("value-\(i)".utf8)])
        }
        input += RawConnection.encode([Array("GET".utf8), Array("key:4999".utf8)])
        try await Self.withBoth { redisPort, roostPort in
            let a = try ChildProcess.run(cli, ["-p", "\(redisPort)", "--pipe"], input: input, timeout: 60)
            let b = try ChildProcess.run(cli, ["-p", "\(roostPort)", "--pipe"], input: input, timeout: 60)
            #expect(a.status == 0 && b.status == 0)
            #expect(b.text.contains("errors: 0, replies: 5001"), "\(b.text) \(b.errorText)")
            #expect(a.text == b.text)
            let size = try ChildProcess.run(cli, ["-p", "\(roostPort)", "DBSIZE"], timeout: 20)
            #expect(size.text == "5000\n")
        }
    }

    @Test(.enabled(if: PackagePaths.tool("redis-benchmark") != nil, "redis-benchmark is not installed"))
    func redisBenchmarkCompletes() async throws {
        let benchmark = try #require(PackagePaths.tool("redis-benchmark"))
        let roost = try await RoostTestServer.start()
        let result = try ChildProcess.run(
            benchmark, ["-p", "\(roost.port)", "-n", "2000", "-q", "-t", "set,get,incr,ping"], timeout: 120)
        try await roost.stop()
        #expect(result.status == 0, "\(result.text) \(result.errorText)")
        for test in ["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR"] {
            #expect(result.text.contains("\(test): "), "missing \(test) in: \(result.text)")
        }
    }

    // MARK: redis-py

    /// Runs a Python snippet (given the port as argv[1] and the RESP protocol as argv[2]) against
    /// both servers; returns the outputs.
    static func python(_ script: String, protocol version: Int) async throws -> (redis: ProcessResult, roost: ProcessResult) {
        let python = try PythonRedis.python()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("roost-\(UUID().uuidString).py").path
        try script.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        var results: [ProcessResult] = []
        try await withBoth { redisPort, roostPort in
            for port in [redisPort, roostPort] {
                results.append(try ChildProcess.run(python, [file, "\(port)", "\(version)"], timeout: 60))
            }
        }
        return (results[0], results[1])
    }

    static let prologue = """
        import sys, redis
        port = int(sys.argv[1])
        proto = int(sys.argv[2])
        r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10, protocol=proto)

        """

    /// redis-py 8 speaks RESP3 (HELLO 3) unless told `protocol=2`; both are checked.
    @Test(arguments: [2, 3]) func redisPySetGet(protocol version: Int) async throws {
        let (a, b) = try await Self.python(Self.prologue + """
            print(r.ping())
            print(r.set("k", b"v\\x00\\xff\\r\\n"))
            print(r.get("k"))
            print(r.get("missing"))
            print(r.set("n", 10, nx=True), r.set("n", 11, nx=True))
            print(r.exists("k", "n", "missing"))
            print(r.delete("k", "missing"))
            print(r.echo("héllo"))
            try:
                r.execute_command("NOSUCHCMD", "a")
            except redis.ResponseError as e:
                print("error:", e)
            """, protocol: version)
        #expect(a.status == 0, "redis: \(a.errorText)")
        #expect(b.status == 0, "roost: \(b.errorText)")
        #expect(a.text == b.text)
    }

    /// Needs MULTI/EXEC (implemented by the transactions family).
    @Test(arguments: [2, 3]) func redisPyTransactionPipeline(protocol version: Int) async throws {
        let (a, b) = try await Self.python(Self.prologue + """
            p = r.pipeline(transaction=True)
            p.set("a", "1")
            p.get("a")
            p.set("b", "2")
            p.exists("a", "b")
            print(p.execute())
            p = r.pipeline(transaction=False)
            for i in range(100):
                p.set(f"k{i}", i)
            print(sum(1 for x in p.execute() if x))
            """, protocol: version)
        #expect(a.status == 0, "redis: \(a.errorText)")
        #expect(b.status == 0, "roost: \(b.errorText)")
        #expect(a.text == b.text)
        #expect(a.text == "[True, b'1', True, 2]\n100\n")
    }

    /// Needs SUBSCRIBE/PUBLISH (implemented by the pub/sub family).
    @Test(arguments: [2, 3]) func redisPyPubSub(protocol version: Int) async throws {
        let (a, b) = try await Self.python(Self.prologue + """
            p = r.pubsub()
            p.subscribe("news")
            print(p.get_message(timeout=5))
            other = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10, protocol=proto)
            print(other.publish("news", "hello"))
            print(p.get_message(timeout=5))
            p.unsubscribe("news")
            print(p.get_message(timeout=5))
            """, protocol: version)
        #expect(a.status == 0, "redis: \(a.errorText)")
        #expect(b.status == 0, "roost: \(b.errorText)")
        #expect(a.text == b.text)
        #expect(a.text.contains("'data': b'hello'"))
    }
}
