import NIOCore
@testable import RoostEngine
import Testing

/// `used_memory`'s running total, the LFU counter and eviction, driven in-process.
@Suite struct EvictionTests {
    func run(_ engine: Engine, _ client: Client, _ words: [String]) -> String {
        engine.execute(words.map { ByteBuffer(string: $0) }, for: client)
        return String(buffer: client.reply.take())
    }

    /// A deterministic generator of command lines over every family, on a few keys, with values
    /// short (inline), medium (embstr) and long (heap) so that every footprint case is hit.
    struct CommandGenerator {
        var random: SplitMix64

        mutating func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        mutating func key() -> String { pick(["a", "b", "c", "d", "{k}long-key-name-over-twenty-three-bytes"]) }
        mutating func value() -> String {
            pick(["1", "x", "12345", "value-of-twenty-bytes", String(repeating: "v", count: 40),
                  String(repeating: "w", count: 100), String(repeating: "y", count: 700), "3.5"])
        }
        mutating func number() -> String { pick(["0", "1", "2", "-1", "5", "100"]) }

        mutating func command() -> [String] {
            let k = key(), v = value(), w = value(), n = number()
            let all: [[String]] = [
                // strings and bits
                ["SET", k, v], ["SET", k, v, "KEEPTTL"], ["SETNX", k, v], ["MSET", k, v, key(), w],
                ["APPEND", k, v], ["SETRANGE", k, n, v], ["INCR", k], ["INCRBYFLOAT", k, "1.5"],
                ["GETDEL", k], ["GETSET", k, v], ["SETBIT", k, "100", "1"], ["BITOP", "OR", k, key(), key()],
                ["BITFIELD", k, "SET", "u8", "40", "7"], ["GETEX", k, "PX", "5000"],
                // lists
                ["LPUSH", k, v, w], ["RPUSH", k, v], ["LPOP", k], ["RPOP", k, "2"], ["LSET", k, "0", v],
                ["LINSERT", k, "BEFORE", v, w], ["LREM", k, "0", v], ["LTRIM", k, "1", "-1"],
                ["LMOVE", k, key(), "LEFT", "RIGHT"], ["RPOPLPUSH", k, k],
                // hashes
                ["HSET", k, v, w], ["HSET", k, "f", v, "g", w], ["HDEL", k, v], ["HINCRBY", k, "n", n],
                ["HSETNX", k, w, v], ["HINCRBYFLOAT", k, "fl", "0.5"],
                // sets
                ["SADD", k, v, w, n], ["SADD", k, n], ["SREM", k, v], ["SPOP", k], ["SMOVE", k, key(), v],
                ["SINTERSTORE", k, key(), key()], ["SUNIONSTORE", k, key(), k], ["SDIFFSTORE", k, key(), key()],
                // sorted sets
                ["ZADD", k, n, v], ["ZADD", k, "1", w, "2", n], ["ZINCRBY", k, "3", v], ["ZREM", k, w],
                ["ZPOPMIN", k], ["ZUNIONSTORE", k, "2", k, key()], ["ZRANGESTORE", k, key(), "0", "-1"],
                ["ZREMRANGEBYRANK", k, "0", "0"],
                // HyperLogLog
                ["PFADD", k, v, w], ["PFMERGE", k, key()], ["PFCOUNT", k],
                // keys and expiry
                ["DEL", k, key()], ["UNLINK", k], ["RENAME", k, key()], ["RENAMENX", k, key()],
                ["COPY", k, key(), "REPLACE"], ["COPY", k, key(), "DB", "1"], ["MOVE", k, "1"],
                ["EXPIRE", k, "100"], ["PEXPIRE", k, "1"], ["PERSIST", k], ["SORT", k, "ALPHA", "STORE", key()],
                ["SELECT", pick(["0", "1"])], ["SWAPDB", "0", "1"], ["GET", k], ["LRANGE", k, "0", "-1"],
                // scripts
                ["EVAL", "redis.call('rpush', KEYS[1], ARGV[1]) return redis.pcall('incr', KEYS[1])", "1", k, v],
                ["EVAL", "redis.call('hset', KEYS[1], 'x', ARGV[1]) redis.call('del', KEYS[1]) return redis.call('set', KEYS[1], ARGV[1])", "1", k, v],
            ]
            return pick(all)
        }
    }

    /// Whether every database's running charge equals a recount; records an issue if not.
    static func expectChargesMatch(_ engine: Engine, after commands: [[String]], sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let running = engine.databases.map(\.chargedBytes)
        let recounted = engine.recountedCharges()
        #expect(running == recounted, "after \(commands.suffix(4).map { $0.map { $0.prefix(12) } })", sourceLocation: sourceLocation)
        return running == recounted
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func runningTotalEqualsARecountAfterRandomCommands(seed: UInt64) {
        let engine = Engine()
        engine.withLock {
            let client = engine.makeClient(), other = engine.makeClient()
            var generator = CommandGenerator(random: SplitMix64(seed: seed))
            var history: [[String]] = []
            for step in 0..<3000 {
                var command = generator.command()
                if step % 97 == 0 { command = ["FLUSHDB"] }
                if step % 50 == 10 {
                    // A transaction of a few commands, one of them erroring at run time.
                    _ = run(engine, client, ["MULTI"])
                    for _ in 0..<3 {
                        let queued = generator.command()
                        history.append(queued)
                        _ = run(engine, client, queued)
                    }
                    command = ["EXEC"]
                    _ = run(engine, client, command)
                } else if step % 40 == 5 {
                    // A blocked pop served by a push: the hand-off happens after the push.
                    command = ["BLPOP+RPUSH"]
                    _ = run(engine, other, ["BLPOP", "q", "0"])
                    _ = run(engine, client, ["RPUSH", "q", generator.value(), generator.value()])
                    _ = engine.takeDeliveries()
                } else {
                    _ = run(engine, client, command)
                }
                history.append(command)
                if !Self.expectChargesMatch(engine, after: history) { break }
            }
            _ = run(engine, client, ["FLUSHALL"])
            #expect(engine.databases.allSatisfy { $0.chargedBytes == 0 })
        }
    }

    @Test func usedMemoryFollowsTheDataset() {
        let engine = Engine()
        engine.withLock {
            let client = engine.makeClient()
            let empty = engine.usedMemory
            for i in 0..<1000 { _ = run(engine, client, ["SET", "key:\(i)", String(repeating: "x", count: 100)]) }
            let full = engine.usedMemory
            // 1,000 keys of 100 bytes: at least their values, at most a few hundred bytes each.
            #expect(full - empty > 100_000 && full - empty < 300_000)
            _ = run(engine, client, ["FLUSHALL"])
            #expect(engine.usedMemory - empty < 1000)
        }
    }

    @Test func configurationFileSetsTheNewParameters() throws {
        var configuration = EngineConfiguration()
        try configuration.apply(configurationFile: """
            maxmemory 100mb
            maxmemory-policy allkeys-lfu
            maxmemory-samples 10
            maxmemory-eviction-tenacity 20
            lfu-log-factor 5
            lfu-decay-time 2
            """)
        #expect(configuration.maxMemory == 100 * 1024 * 1024)
        #expect(configuration.evictionPolicy == .allKeysLFU)
        #expect(configuration.maxMemorySamples == 10)
        #expect(configuration.maxMemoryEvictionTenacity == 20)
        #expect(configuration.lfuLogFactor == 5 && configuration.lfuDecayTime == 2)
        #expect(throws: ConfigurationError.self) { try configuration.apply(configurationFile: "maxmemory-samples 0") }
        #expect(throws: ConfigurationError.self) { try configuration.apply(configurationFile: "maxmemory-policy lru") }
    }

    // MARK: LFU

    @Test func lfuCounterFollowsRedisFormula() {
        let engine = Engine()
        engine.withLock {
            engine.now = 10 * 60_000
            let minutes = engine.lfuMinutes
            #expect(minutes == 10)
            #expect(engine.lfuInitialClock == 10 << 8 | 5)
            // Decay: one per lfu-decay-time minutes since the stamp, never below zero.
            #expect(engine.lfuDecayedCounter(7 << 8 | 10) == 7)
            #expect(engine.lfuDecayedCounter(0 << 8 | 4) == 0)
            engine.configuration.lfuDecayTime = 2
            #expect(engine.lfuDecayedCounter(4 << 8 | 10) == 7)
            engine.configuration.lfuDecayTime = 0
            #expect(engine.lfuDecayedCounter(0 << 8 | 10) == 10)
            // Wrap-around of the 16-bit minutes: stamped at 65530, now 10 is 15 minutes later.
            engine.configuration.lfuDecayTime = 1
            #expect(engine.lfuDecayedCounter(65530 << 8 | 20) == 5)
            // At or below LFU_INIT_VAL the increment is certain; 255 saturates.
            for c: UInt32 in 0...5 { #expect(engine.lfuIncremented(c) == c + 1) }
            #expect(engine.lfuIncremented(255) == 255)
            // Above it, with probability 1 / ((c - 5) × factor + 1).
            engine.configuration.lfuLogFactor = 10
            let trials = 200_000
            var hits = 0
            for _ in 0..<trials where engine.lfuIncremented(15) == 16 { hits += 1 }
            let expected = Double(trials) / 101
            #expect(abs(Double(hits) - expected) < 5 * expected.squareRoot())
            // updateLFU stamps the minutes now.
            #expect(engine.updatedLFU(10 << 8 | 3) == 10 << 8 | 4)
        }
    }

    @Test func accessUnderLFUBumpsTheCounter() {
        var configuration = EngineConfiguration()
        configuration.maxMemoryPolicy = "allkeys-lfu"
        let engine = Engine(configuration: configuration)
        engine.withLock {
            let client = engine.makeClient()
            _ = run(engine, client, ["SET", "k", "v"])
            #expect(run(engine, client, ["OBJECT", "FREQ", "k"]) == ":5\r\n")
            for _ in 0..<100 { _ = run(engine, client, ["GET", "k"]) }
            let reply = run(engine, client, ["OBJECT", "FREQ", "k"])
            let freq = Int(reply.dropFirst().prefix { $0.isNumber }) ?? -1
            // From 5, the first increment is certain (p = 1/(0·10+1)), then 1/11, 1/21…
            #expect(freq >= 6 && freq < 20, "\(reply)")
            #expect(run(engine, client, ["OBJECT", "IDLETIME", "k"]).hasPrefix("-ERR An LFU maxmemory policy is selected"))
        }
    }

    // MARK: Eviction

    @Test func poolKeepsTheSixteenBestCandidates() {
        var pool = EvictionPool()
        for score in [5, 1, 9, 3, 7] as [UInt64] { pool.offer(score: score, key: ByteString("k\(score)"), database: 0) }
        #expect(pool.candidates.map(\.score) == [1, 3, 5, 7, 9])
        for score in 10..<30 as Range<UInt64> { pool.offer(score: score, key: ByteString("k\(score)"), database: 0) }
        #expect(pool.candidates.count == 16)
        #expect(pool.candidates.first?.score == 14)
        pool.offer(score: 2, key: ByteString("worse"), database: 0)
        #expect(pool.candidates.first?.score == 14)
        #expect(pool.popBest()?.score == 29)
    }

    static func engine(policy: String, headroom: Int) -> Engine {
        let engine = Engine()
        engine.withLock {
            engine.configuration.maxMemoryPolicy = policy
            engine.configuration.maxMemory = engine.usedMemory + headroom
        }
        return engine
    }

    @Test func allKeysLRUKeepsUnderTheLimitAndKeepsHotKeys() {
        let engine = Self.engine(policy: "allkeys-lru", headroom: 200_000)
        engine.withLock {
            let client = engine.makeClient()
            let value = String(repeating: "v", count: 200)
            for i in 0..<10 { _ = run(engine, client, ["SET", "hot:\(i)", value]) }
            for i in 0..<5000 {
                _ = run(engine, client, ["SET", "cold:\(i)", value])
                // The LRU clock counts seconds: make the cold keys look written 100 s ago.
                engine.databases[0].keys.touch(ByteString("cold:\(i)"), clock: engine.accessClock &- 100)
                if i % 10 == 0 { for h in 0..<10 { _ = run(engine, client, ["GET", "hot:\(h)"]) } }
            }
            #expect(engine.statistics.evictedKeys > 3000)
            #expect(engine.usedMemory <= engine.configuration.maxMemory + 1000)
            for h in 0..<10 { #expect(engine.databases[0].keys.contains(ByteString("hot:\(h)"))) }
        }
    }

    @Test func volatileTTLEvictsSoonestExpiryFirstThenRefuses() {
        let engine = Self.engine(policy: "volatile-ttl", headroom: 100_000)
        engine.withLock {
            let client = engine.makeClient()
            let value = String(repeating: "v", count: 300)
            for i in 0..<100 { _ = run(engine, client, ["SET", "keep:\(i)", value]) }
            var refused = false
            for i in 0..<2000 {
                let reply = run(engine, client, ["SET", "ttl:\(i)", value, "EX", String(100_000 - i)])
                if reply.hasPrefix("-OOM") { refused = true; break }
            }
            #expect(engine.statistics.evictedKeys > 0)
            for i in 0..<100 { #expect(engine.databases[0].keys.contains(ByteString("keep:\(i)"))) }
            // Later keys have shorter TTLs: the survivors are the early ones.
            let survivors = engine.databases[0].expires.keys.map(\.description)
            #expect(!survivors.isEmpty)
            // Once nothing volatile is left, writes are refused.
            for i in 0..<2000 where !refused {
                refused = run(engine, client, ["SET", "plain:\(i)", value]).hasPrefix("-OOM")
            }
            #expect(refused)
            #expect(run(engine, client, ["GET", "keep:0"]).hasPrefix("$300"))
            #expect(run(engine, client, ["DEL", "keep:0"]) == ":1\r\n")
        }
    }

    @Test(arguments: ["allkeys-random", "volatile-random", "volatile-lru", "volatile-lfu", "allkeys-lfu"])
    func policiesEvictOnlyWhatTheyMay(policy: String) {
        let engine = Self.engine(policy: policy, headroom: 100_000)
        engine.withLock {
            let client = engine.makeClient()
            let value = String(repeating: "v", count: 300)
            for i in 0..<50 { _ = run(engine, client, ["SET", "keep:\(i)", value]) }
            for i in 0..<1000 { _ = run(engine, client, ["SET", "ttl:\(i)", value, "EX", "1000"]) }
            #expect(engine.statistics.evictedKeys > 0)
            #expect(engine.usedMemory <= engine.configuration.maxMemory + 1000)
            let kept = (0..<50).filter { engine.databases[0].keys.contains(ByteString("keep:\($0)")) }.count
            if policy.hasPrefix("volatile") { #expect(kept == 50) }
        }
    }

    @Test func noevictionRefusesDenyOOMCommandsOnly() {
        let engine = Self.engine(policy: "noeviction", headroom: 10_000)
        engine.withLock {
            let client = engine.makeClient()
            var reply = ""
            for i in 0..<1000 where !reply.hasPrefix("-OOM") {
                reply = run(engine, client, ["SET", "k:\(i)", String(repeating: "v", count: 200)])
            }
            #expect(reply == "-OOM command not allowed when used memory > 'maxmemory'.\r\n")
            #expect(run(engine, client, ["GET", "k:0"]).hasPrefix("$200"))
            #expect(run(engine, client, ["DEL", "k:0"]) == ":1\r\n")
            #expect(engine.statistics.evictedKeys == 0)
        }
    }
}

