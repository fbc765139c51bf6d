import NIOCore
import RoostEngine
import RoostTestSupport
import Testing

@Suite struct PubSubDifferentialTests {
    @Test func subscribeAndPublishMatchRedis() async throws {
        try await Differential.check(#"""
            PUBLISH nobody hello
            !replies 2 SUBSCRIBE news sport
            !replies 1 SUBSCRIBE news
            @2 PUBLISH news "hi there"
            <
            @2 PUBLISH sport ""
            <
            @2 PUBLISH other x
            @2 PUBSUB NUMSUB news sport other
            @2 PUBSUB NUMPAT
            @2 ~PUBSUB CHANNELS
            @2 PUBSUB CHANNELS n*
            @2 PUBSUB CHANNELS nomatch*
            @2 GET k
            PING
            PING payload
            PING a b
            GET k
            SET k v
            PUBLISH news x
            !replies 1 UNSUBSCRIBE sport
            !replies 2 UNSUBSCRIBE sport missing
            !replies 1 UNSUBSCRIBE
            !replies 1 UNSUBSCRIBE
            PING
            GET k
            @2 PUBSUB NUMSUB news
            @2 ~PUBSUB CHANNELS
            """#)
    }

    @Test func binaryChannelsAndMessagesMatchRedis() async throws {
        try await Differential.check(#"""
            !replies 1 SUBSCRIBE "a\x00b\r\n\xff"
            !replies 1 SUBSCRIBE ""
            @2 PUBLISH "a\x00b\r\n\xff" "m\x00\r\n\xfe"
            <
            @2 PUBLISH "" ""
            <
            @2 PUBSUB NUMSUB "a\x00b\r\n\xff" "" a
            @2 PUBSUB CHANNELS a*
            @2 PUBLISH a x
            """#)
    }

    @Test func patternSubscriptionsMatchRedis() async throws {
        try await Differential.check(#"""
            !replies 3 PSUBSCRIBE news.* h?llo x[a-c]y
            !replies 1 PSUBSCRIBE news.*
            @2 PUBLISH news.today hi
            <
            @2 PUBLISH hello w
            <
            @2 PUBLISH hallo w
            <
            @2 PUBLISH xby w
            <
            @2 PUBLISH xdy w
            @2 PUBLISH news x
            @2 PUBSUB NUMPAT
            @3 !replies 1 PSUBSCRIBE news.*
            @2 PUBSUB NUMPAT
            @2 PUBLISH news.x y
            <
            @3 <
            !replies 1 PUNSUBSCRIBE h?llo
            !replies 2 PUNSUBSCRIBE nope h?llo
            !replies 2 PUNSUBSCRIBE
            !replies 1 PUNSUBSCRIBE
            @2 PUBSUB NUMPAT
            @2 PUBLISH news.x y
            @3 <
            PING
            """#)
    }

    @Test func globEdgeCasesMatchRedis() async throws {
        try await Differential.check(#"""
            !replies 1 PSUBSCRIBE [^a]*
            @2 PUBLISH abc x
            @2 PUBLISH bcd x
            <
            !replies 1 PUNSUBSCRIBE
            !replies 1 PSUBSCRIBE \*lit
            @2 PUBLISH *lit x
            <
            @2 PUBLISH alit x
            !replies 1 PUNSUBSCRIBE
            !replies 1 PSUBSCRIBE [z-a]
            @2 PUBLISH m x
            <
            !replies 1 PUNSUBSCRIBE
            !replies 1 PSUBSCRIBE "[abc"
            @2 PUBLISH a x
            <
            @2 PUBLISH "[" x
            !replies 1 PUNSUBSCRIBE
            !replies 1 PSUBSCRIBE a**b
            @2 PUBLISH ab x
            <
            @2 PUBLISH axxb x
            <
            @2 PUBLISH axxc x
            !replies 1 PUNSUBSCRIBE
            @2 !replies 3 SUBSCRIBE ab abc b
            @3 ~PUBSUB CHANNELS [a]*
            @3 PUBSUB CHANNELS ?
            @3 ~PUBSUB CHANNELS *c
            """#)
    }

    @Test func mixedChannelAndPatternCountsMatchRedis() async throws {
        try await Differential.check(#"""
            !replies 1 SUBSCRIBE c
            !replies 1 PSUBSCRIBE c*
            @2 PUBLISH c hello
            <
            <
            !replies 1 UNSUBSCRIBE c
            PING
            !replies 1 PUNSUBSCRIBE c*
            PING
            SET k v
            """#)
    }

    @Test func pubsubIntrospectionErrorsMatchRedis() async throws {
        try await Differential.check(#"""
            PUBSUB
            PUBSUB HELP
            PUBSUB help extra
            PUBSUB FOO
            PUBSUB channels a b
            PUBSUB NUMPAT x
            PUBSUB NUMSUB
            PUBSUB SHARDNUMSUB
            PUBSUB SHARDCHANNELS
            SUBSCRIBE
            PSUBSCRIBE
            PUBLISH a
            PUBLISH a b c
            SPUBLISH a
            SSUBSCRIBE
            """#)
    }

    @Test func unsubscribeWithoutSubscriptionsMatchesRedis() async throws {
        try await Differential.check(#"""
            UNSUBSCRIBE
            PUNSUBSCRIBE
            SUNSUBSCRIBE
            !replies 2 UNSUBSCRIBE a b
            !replies 1 PUNSUBSCRIBE a
            PING
            SET k v
            """#)
    }

    @Test func shardChannelsMatchRedis() async throws {
        try await Differential.check(#"""
            !replies 2 SSUBSCRIBE s1 s2
            @2 SPUBLISH s1 hi
            <
            @2 PUBLISH s1 hi
            @2 PUBSUB SHARDNUMSUB s1 s2 s3
            @2 PUBSUB NUMSUB s1
            @2 ~PUBSUB SHARDCHANNELS
            @2 PUBSUB SHARDCHANNELS *2
            GET k
            PING
            PING hi
            @2 ?CLIENT LIST
            !replies 1 SUNSUBSCRIBE s1
            !replies 1 SUNSUBSCRIBE
            GET k
            PING
            """#)
    }

    @Test func disconnectedSubscriberIsForgotten() async throws {
        try await Differential.check(#"""
            @2 !replies 1 SUBSCRIBE gone
            @2 !replies 1 PSUBSCRIBE g*
            PUBSUB NUMSUB gone
            PUBSUB NUMPAT
            @2 !rawclose *1\r\n$4\r\nQUIT\r\n
            PUBSUB NUMSUB gone
            PUBSUB NUMPAT
            PUBLISH gone x
            PUBSUB CHANNELS
            """#)
    }

    /// RESP3 push frames; runs once HELLO is in the command table.
    @Test(.enabled(if: CommandTable.standard.lookup(name: "hello") != nil))
    func resp3PushFramesMatchRedis() async throws {
        try await Differential.check(#"""
            ?HELLO 3
            !replies 2 SUBSCRIBE a b
            !replies 1 PSUBSCRIBE a*
            PING
            SET k v
            GET k
            @2 PUBLISH a hello
            <
            <
            !replies 3 PUBLISH a self
            !replies 1 UNSUBSCRIBE a
            !replies 1 UNSUBSCRIBE b
            !replies 1 UNSUBSCRIBE
            !replies 1 PUNSUBSCRIBE
            !replies 1 PUNSUBSCRIBE
            """#)
    }
}

/// Roost-only checks of the RESP3 shapes and of WATCH signals that need commands other
/// families provide; they drive the engine in-process.
@Suite struct PubSubEngineTests {
    private func output(_ engine: Engine, _ client: Client, _ words: String...) -> String {
        engine.withLock {
            engine.execute(words.map { ByteBuffer(string: $0) }, for: client)
            var out = client.reply.take()
            return out.readString(length: out.readableBytes) ?? ""
        }
    }

    @Test func resp3UsesPushFrames() {
        let engine = Engine()
        let (a, b) = engine.withLock { (engine.makeClient(), engine.makeClient()) }
        a.reply.protocolVersion = 3
        #expect(output(engine, a, "SUBSCRIBE", "ch") == ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n")
        #expect(output(engine, a, "PSUBSCRIBE", "c*") == ">3\r\n$10\r\npsubscribe\r\n$2\r\nc*\r\n:2\r\n")
        #expect(output(engine, a, "GET", "k") == "_\r\n")
        #expect(output(engine, a, "PING") == "+PONG\r\n")
        #expect(output(engine, b, "PUBLISH", "ch", "hi") == ":2\r\n")
        let deliveries = engine.withLock { engine.takeDeliveries() }
        #expect(deliveries.count == 1)
        if var bytes = deliveries.first?.1 {
            #expect(bytes.readString(length: bytes.readableBytes)
                == ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n>4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$2\r\nhi\r\n")
        }
        #expect(output(engine, a, "UNSUBSCRIBE") == ">3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:1\r\n")
        #expect(output(engine, a, "UNSUBSCRIBE") == ">3\r\n$11\r\nunsubscribe\r\n_\r\n:1\r\n")
        engine.withLock { engine.removeClient(a) }
        #expect(output(engine, b, "PUBSUB", "NUMPAT") == ":0\r\n")
    }

    @Test func brokenWatchIsANullInResp3() {
        let engine = Engine()
        let (a, b) = engine.withLock { (engine.makeClient(), engine.makeClient()) }
        a.reply.protocolVersion = 3
        #expect(output(engine, a, "WATCH", "k") == "+OK\r\n")
        #expect(output(engine, b, "SET", "k", "v") == "+OK\r\n")
        #expect(output(engine, a, "MULTI") == "+OK\r\n")
        #expect(output(engine, a, "EXEC") == "_\r\n")
        #expect(a.watchedKeys.isEmpty)
    }

    @Test func flushAndSwapSignalsBreakWatches() {
        let engine = Engine()
        let (a, b) = engine.withLock { (engine.makeClient(), engine.makeClient()) }
        #expect(output(engine, b, "SET", "k", "v") == "+OK\r\n")
        #expect(output(engine, a, "WATCH", "k", "absent") == "+OK\r\n")
        engine.withLock { engine.signalFlushedDatabase(engine.databases[1]) }
        #expect(!a.watchDirty)
        engine.withLock { engine.signalFlushedDatabase(engine.databases[0]) }
        #expect(a.watchDirty)
        #expect(a.watchedKeys.isEmpty)
        #expect(output(engine, a, "UNWATCH") == "+OK\r\n")
        #expect(output(engine, a, "WATCH", "other") == "+OK\r\n")
        engine.withLock { engine.signalSwappedDatabases(0, 1) }
        #expect(!a.watchDirty)
        #expect(output(engine, b, "SELECT", "1") == "+OK\r\n")
        #expect(output(engine, b, "SET", "other", "v") == "+OK\r\n")
        engine.withLock { engine.signalSwappedDatabases(0, 1) }
        #expect(a.watchDirty)
    }
}
