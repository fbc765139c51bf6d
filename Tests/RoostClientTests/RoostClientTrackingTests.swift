import NIOCore
import RoostClient
import RoostTestSupport
import Testing

/// RESP3 connections with CLIENT TRACKING on: the `invalidate` pushes a server sends between
/// replies are never taken for a command's reply.
@Suite("RoostClient with client-side caching")
struct RoostClientTrackingTests {
    @Test(arguments: TestServerKind.available)
    func invalidationPushesAreNotReplies(_ kind: TestServerKind) async throws {
        try await ClientTestServers.with(kind) { client in
            try await client.withConnection { tracked in
                #expect(try await tracked.send("CLIENT", "TRACKING", "ON", as: String.self) == "OK")
                for round in 0..<20 {
                    #expect(try await tracked.send("GET", "k", as: String?.self) == (round == 0 ? nil : "v\(round - 1)"))
                    // Another connection changes the key; this one's own change follows its reply.
                    try await client.set("k", "v\(round)")
                    #expect(try await tracked.send("GET", "k", as: String?.self) == "v\(round)")
                    #expect(try await tracked.send("SET", "k", "v\(round)", as: String.self) == "OK")
                }
            }
        }
    }
}
