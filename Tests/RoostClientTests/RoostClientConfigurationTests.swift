import RoostClient
import Testing

@Suite("RoostClient configuration from URLs")
struct RoostClientConfigurationTests {
    @Test func fullRedisURL() throws {
        let c = try RedisClientConfiguration(url: "redis://alice:s%40cret@example.com:7000/3")
        #expect(c.endpoint == .tcp(host: "example.com", port: 7000))
        #expect(c.username == "alice")
        #expect(c.password == "s@cret")
        #expect(c.database == 3)
        #expect(c.tls == nil)
    }

    @Test func defaultsAndPasswordOnly() throws {
        let c = try RedisClientConfiguration(url: "redis://localhost")
        #expect(c.endpoint == .tcp(host: "localhost", port: 6379))
        #expect(c.database == 0)
        #expect(c.username == nil && c.password == nil)
        let p = try RedisClientConfiguration(url: "redis://:pw@localhost:1234")
        #expect(p.password == "pw")
        #expect(p.username == nil)
    }

    @Test func tlsAndIPv6() throws {
        let c = try RedisClientConfiguration(url: "rediss://[::1]:6380/1")
        #expect(c.tls != nil)
        #expect(c.endpoint == .tcp(host: "::1", port: 6380))
        #expect(c.database == 1)
    }

    @Test func unixSocket() throws {
        let c = try RedisClientConfiguration(url: "unix:///tmp/redis.sock?db=2&password=x")
        #expect(c.endpoint == .unix(path: "/tmp/redis.sock"))
        #expect(c.database == 2)
        #expect(c.password == "x")
    }

    @Test(arguments: [
        "localhost:6379", "http://localhost", "redis://", "redis://host/abc", "redis://host/-1",
        "redis://host/1/2", "unix://host/tmp/sock", "unix://", "redis://host:99999",
    ])
    func invalidURLs(_ url: String) {
        #expect {
            try RedisClientConfiguration(url: url)
        } throws: { error in
            (error as? RedisClientError)?.code == .invalidURL && "\(error)".contains(url)
        }
    }

    @Test func backoffGrowsAndIsCapped() {
        let backoff = RedisClientConfiguration.Backoff(initialDelay: .milliseconds(100), maximumDelay: .seconds(1))
        for _ in 0..<20 {
            let first = backoff.delay(afterAttempt: 1)
            #expect(first >= .milliseconds(50) && first <= .milliseconds(100))
            let fourth = backoff.delay(afterAttempt: 4)
            #expect(fourth >= .milliseconds(400) && fourth <= .milliseconds(800))
            #expect(backoff.delay(afterAttempt: 30) <= .seconds(1))
        }
    }
}
