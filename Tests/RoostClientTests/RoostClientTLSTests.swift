import Foundation
import NIOCore
import RoostClient
import RoostTestSupport
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `rediss://` against a real redis-server listening with TLS on a self-signed certificate made
/// by `openssl` for the test.
@Suite("RoostClient TLS", .enabled(if: ClientTestServers.redisAvailable
                                   && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")))
struct RoostClientTLSTests {
    struct TLSServer {
        let redis: RedisServerProcess
        let tlsPort: Int
        let certificate: String
    }

    static func withTLSServer(_ body: (TLSServer) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let certificate = directory + "/cert.pem"
        let key = directory + "/key.pem"
        let pid = try ChildProcess.spawn("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ])
        #expect(ChildProcess.wait(pid, timeout: 30) == 0)
        let tlsPort = try FreePort.find()
        let redis = try await ClientTestServers.startRedis([
            "--tls-port", "\(tlsPort)", "--tls-cert-file", certificate, "--tls-key-file", key,
            "--tls-ca-cert-file", certificate, "--tls-auth-clients", "no",
        ])
        defer { redis.stop() }
        try PortProbe.waitUntilAccepting(port: tlsPort, timeout: 10)
        try await body(TLSServer(redis: redis, tlsPort: tlsPort, certificate: certificate))
    }

    @Test func commandsOverTLS() async throws {
        try await Self.withTLSServer { server in
            var configuration = try RedisClientConfiguration(url: "rediss://127.0.0.1:\(server.tlsPort)/2")
            configuration.tls?.serverHostname = "localhost"
            configuration.tls?.trustRootsPath = server.certificate
            try await ClientTestServers.withClient(configuration) { client in
                try await client.set("secure", "yes")
                #expect(try await client.get("secure", as: String.self) == "yes")
                // 1 MB each way, to cross many TLS records.
                let big = ByteBuffer(repeating: UInt8(ascii: "t"), count: 1 << 20)
                try await client.set("big", big)
                #expect(try await client.get("big") == big)
                #expect(try await client.withConnection { $0.protocolVersion } == 3)
            }
        }
    }

    @Test func anUntrustedCertificateIsRejected() async throws {
        try await Self.withTLSServer { server in
            var configuration = try RedisClientConfiguration(url: "rediss://127.0.0.1:\(server.tlsPort)")
            configuration.tls?.serverHostname = "localhost"
            configuration.reconnect.maximumAttempts = 1
            try await ClientTestServers.withClient(configuration) { client in
                await #expect {
                    try await client.ping()
                } throws: { error in
                    (error as? RedisClientError)?.code == .connectionClosed && "\(error)".lowercased().contains("certificate")
                }
            }
        }
    }
}
