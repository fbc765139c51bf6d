import Foundation
import NIOCore
import RoostClient
import RoostTestSupport
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

@Suite("RoostClient pub/sub")
struct RoostClientPubSubTests {
    @Test(arguments: TestServerKind.available)
    func channelsPatternsAndShardChannels(_ kind: TestServerKind) async throws {
        try await ClientTestServers.with(kind) { client in
            let received = try await client.subscribe(channels: ["news", "sport"], patterns: ["log.*"],
                                                      shardChannels: ["shard1"]) { subscription in
                #expect(try await client.publish("hello", to: "news") == 1)
                #expect(try await client.publish("ignored", to: "weather") == 0)
                #expect(try await client.publish("disk full", to: "log.error") == 1)
                #expect(try await client.spublish("s", to: "shard1") == 1)
                #expect(try await client.publish("goal", to: "sport") == 1)
                var messages: [RedisPubSubMessage] = []
                for try await message in subscription.messages {
                    messages.append(message)
                    if messages.count == 4 { break }
                }
                return messages
            }
            #expect(received.map(\.kind) == [.message, .patternMessage, .shardMessage, .message])
            #expect(received.map(\.channel) == ["news", "log.error", "shard1", "sport"])
            #expect(received.map(\.text) == ["hello", "disk full", "s", "goal"])
            #expect(received[1].pattern == "log.*")
            // The dedicated connection closed with the body: no subscribers are left.
            // (A loaded server may take a while to see the close: poll with a generous deadline.)
            var receivers = 1
            let deadline = ContinuousClock.now + .seconds(60)
            while receivers > 0, ContinuousClock.now < deadline {
                receivers = try await client.publish("late", to: "news")
                if receivers > 0 { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(receivers == 0)
        }
    }

    @Test(arguments: TestServerKind.available)
    func binaryPayloads(_ kind: TestServerKind) async throws {
        try await ClientTestServers.with(kind) { client in
            let payload: [UInt8] = [0, 13, 10, 0xff, 42]
            let got = try await client.subscribe(channels: ["bin"]) { subscription in
                try await client.publish(payload, to: "bin")
                var iterator = subscription.messages.makeAsyncIterator()
                return try await iterator.next()
            }
            #expect(got.map { Array($0.payload.readableBytesView) } == payload)
        }
    }

    @Test(arguments: TestServerKind.available)
    func binaryChannelAndPatternNamesRoundTrip(_ kind: TestServerKind) async throws {
        try await ClientTestServers.with(kind) { client in
            let channel: [UInt8] = [0x00, 0xff, 0x0d, 0x0a, 0x61]
            let pattern: [UInt8] = [0x00, 0xff, 0x2a]
            let payload: [UInt8] = [0xff, 0x00, 0xfe]
            let received = try await client.subscribe(channels: [channel], patterns: [pattern]) { subscription in
                #expect(try await client.publish(payload, to: channel) == 2)
                var messages: [RedisPubSubMessage] = []
                for try await message in subscription.messages {
                    messages.append(message)
                    if messages.count == 2 { break }
                }
                return messages
            }
            #expect(Set(received.map(\.kind)) == [.message, .patternMessage])
            for message in received {
                #expect(Array(message.channelBytes.readableBytesView) == channel)
                #expect(Array(message.payload.readableBytesView) == payload)
            }
            #expect(received.compactMap { $0.patternBytes.map { Array($0.readableBytesView) } } == [pattern])
        }
    }

    @Test(arguments: TestServerKind.available)
    func aKilledSubscriberConnectionYieldsAGapThenLaterMessages(_ kind: TestServerKind) async throws {
        try await ClientTestServers.with(kind, configure: {
            $0.reconnect = .init(initialDelay: .milliseconds(10), maximumDelay: .milliseconds(100))
        }) { client in
            try await client.subscribe(channels: ["events"], patterns: ["ev*"]) { subscription in
                var iterator = subscription.makeAsyncIterator()
                #expect(try await client.publish("before", to: "events") == 2)
                #expect(try await iterator.next()?.message?.text == "before")
                #expect(try await iterator.next()?.message?.text == "before")
                let before = ContinuousClock.now
                #expect(try await client.send("CLIENT", "KILL", "TYPE", "pubsub", as: Int.self) == 1)
                guard case .gap(let gap) = try await iterator.next() else {
                    Issue.record("expected a gap after the subscriber's connection was killed")
                    return
                }
                #expect(gap.disconnectedAt >= before)
                #expect(gap.restoredAt >= gap.disconnectedAt)
                #expect(gap.attempts >= 1)
                // The gap comes once both subscriptions are back: this publish reaches them.
                #expect(try await client.publish("after", to: "events") == 2)
                #expect(try await iterator.next()?.message?.text == "after")
                #expect(try await iterator.next()?.message?.text == "after")
            }
        }
    }

    @Test(.enabled(if: ClientTestServers.redisAvailable))
    func resp2Subscriptions() async throws {
        try await ClientTestServers.withRedis(configure: { $0.protocolPreference = .resp2 }) { _, client in
            let texts = try await client.subscribe(channels: ["a", "b"], patterns: ["p*"]) { subscription in
                try await client.publish("1", to: "a")
                try await client.publish("2", to: "pq")
                try await client.publish("3", to: "b")
                var texts: [String] = []
                for try await message in subscription.messages {
                    texts.append("\(message.channel)=\(message.text)")
                    if texts.count == 3 { break }
                }
                return texts
            }
            #expect(texts == ["a=1", "pq=2", "b=3"])
        }
    }

    @Test(.enabled(if: ClientTestServers.redisAvailable))
    func subscriptionsAreRestoredAfterAServerRestart() async throws {
        let first = try await ClientTestServers.startRedis()
        let port = first.port
        var configuration = ClientTestServers.configuration(port: port)
        configuration.reconnect = .init(initialDelay: .milliseconds(20), maximumDelay: .milliseconds(200))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-client-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await ClientTestServers.withClient(configuration) { client in
            let texts = try await client.subscribe(channels: ["c"]) { subscription in
                var iterator = subscription.messages.makeAsyncIterator()
                try await client.publish("before", to: "c")
                let before = try await iterator.next()?.text
                first.stop()
                try await Task.sleep(for: .milliseconds(200))
                let pid = try ChildProcess.spawn("/usr/bin/redis-server", [
                    "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                    "--dir", directory, "--daemonize", "no",
                ])
                defer { ChildProcess.kill(pid, signal: SIGKILL) }
                try PortProbe.waitUntilAccepting(port: port, timeout: 10)
                // Publish until the restored subscription receives (it resubscribes with backoff).
                var delivered = 0
                for _ in 0..<100 where delivered == 0 {
                    delivered = try await client.publish("after", to: "c")
                    if delivered == 0 { try await Task.sleep(for: .milliseconds(50)) }
                }
                #expect(delivered == 1)
                let after = try await iterator.next()?.text
                return [before, after]
            }
            #expect(texts == ["before", "after"])
        }
    }
}
