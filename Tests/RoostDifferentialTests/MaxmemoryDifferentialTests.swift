import Foundation
import RoostTestSupport
import Testing

/// `maxmemory` against redis-server: the OOM refusals byte for byte, the configuration
/// parameters, OBJECT FREQ and IDLETIME under each policy family, and eviction compared as
/// behaviour (counts cannot match: the allocators differ).
@Suite struct MaxmemoryDifferentialTests {
    @Test func noevictionRefusesDenyOOMCommands() async throws {
        try await Differential.check(#"""
            SET a 1
            RPUSH l x
            CONFIG SET maxmemory 1
            SET b 1
            INCR a
            LPUSH l y
            SADD s m
            GET a
            LRANGE l 0 -1
            EXISTS a
            EXPIRE a 100
            PING
            DEL a
            SET a 2
            CONFIG SET maxmemory 0
            SET a 3
            GET a
            """#)
    }

    @Test func transactionsWhileOutOfMemory() async throws {
        try await Differential.check(#"""
            SET a 1
            CONFIG SET maxmemory 1
            MULTI
            SET c 1
            GET a
            EXEC
            MULTI
            GET a
            EXEC
            MULTI
            DISCARD
            # Queued before memory ran out, executed after.
            CONFIG SET maxmemory 0
            MULTI
            SET c 1
            @2 CONFIG SET maxmemory 1
            EXEC
            MULTI
            GET a
            DEL a
            @2 CONFIG SET maxmemory 0
            @2 SET a 1
            @2 CONFIG SET maxmemory 1
            EXEC
            CONFIG SET maxmemory 0
            """#)
    }

    @Test func scriptsWhileOutOfMemory() async throws {
        try await Differential.check(#"""
            SET a 1
            FUNCTION LOAD "#!lua name=lib\nredis.register_function('w', function(k) return redis.call('set', k[1], '1') end)\nredis.register_function{function_name='r', callback=function(k) return redis.call('get', k[1]) end, flags={'no-writes'}}\nredis.register_function{function_name='o', callback=function(k) return redis.call('set', k[1], '1') end, flags={'allow-oom'}}"
            SCRIPT LOAD "#!lua\nreturn redis.call('get', 'a')"
            CONFIG SET maxmemory 1
            EVAL "return redis.call('set', 'x', '1')" 0
            EVAL "return redis.pcall('set', 'x', '1')" 0
            EVAL "return redis.call('get', 'a')" 0
            EVAL "redis.call('del', 'zz') return redis.call('set', 'x', '1')" 0
            EVAL "#!lua\nreturn redis.call('get', 'a')" 0
            EVALSHA 9aefcbc2762001bfca7aafeb9bd7f9aaf86c08b8 0
            EVAL "#!lua flags=no-writes\nreturn redis.call('get', 'a')" 0
            EVAL "#!lua flags=allow-oom\nreturn redis.call('set', 'a', '2')" 0
            EVAL_RO "return redis.call('get', 'a')" 0
            FCALL w 1 x
            FCALL r 1 a
            FCALL o 1 a
            FCALL_RO r 1 a
            MULTI
            EVAL "return redis.call('get', 'a')" 0
            EXEC
            CONFIG SET maxmemory 0
            MULTI
            EVAL "return redis.call('set', 'y', '1')" 0
            EVAL "#!lua flags=no-writes\nreturn 1" 0
            @2 CONFIG SET maxmemory 1
            EXEC
            CONFIG SET maxmemory 0
            FUNCTION FLUSH
            """#)
    }

    @Test func configurationParameters() async throws {
        try await Differential.check(#"""
            CONFIG GET maxmemory-samples
            CONFIG SET maxmemory-samples 0
            CONFIG SET maxmemory-samples 10
            CONFIG SET maxmemory-samples abc
            CONFIG GET maxmemory-samples
            CONFIG GET maxmemory-eviction-tenacity
            CONFIG SET maxmemory-eviction-tenacity 101
            CONFIG SET maxmemory-eviction-tenacity -1
            CONFIG SET maxmemory-eviction-tenacity 50
            CONFIG GET maxmemory-eviction-tenacity
            CONFIG GET lfu-log-factor
            CONFIG SET lfu-log-factor -1
            CONFIG SET lfu-log-factor 20
            CONFIG GET lfu-decay-time
            CONFIG SET lfu-decay-time -1
            CONFIG SET lfu-decay-time 5
            ~CONFIG GET lfu-*
            CONFIG SET maxmemory-policy volatile-ttl
            CONFIG GET maxmemory-policy
            CONFIG SET maxmemory-policy allkeys-random
            CONFIG SET maxmemory-policy lru
            CONFIG GET maxmemory-policy
            CONFIG SET maxmemory 10mb
            CONFIG GET maxmemory
            CONFIG SET maxmemory -1
            CONFIG SET maxmemory 0
            """#)
    }

    @Test func objectFreqAndIdletimeFollowThePolicy() async throws {
        try await Differential.check(#"""
            CONFIG SET maxmemory-policy allkeys-lru
            SET k v
            OBJECT FREQ k
            OBJECT IDLETIME k
            GET k
            OBJECT IDLETIME k
            CONFIG SET maxmemory-policy volatile-lfu
            OBJECT IDLETIME k
            ?OBJECT FREQ k
            SET n v
            OBJECT FREQ n
            GET n
            OBJECT FREQ n
            SET n w
            ?OBJECT FREQ n
            INCR counter
            ?OBJECT FREQ counter
            OBJECT FREQ missing
            CONFIG SET maxmemory-policy noeviction
            OBJECT FREQ n
            ?OBJECT IDLETIME n
            """#)
    }

    /// INFO's memory fields and the eviction counters: Roost reports a subset of Redis's fields,
    /// in Redis's order.
    @Test func infoFieldsFollowRedisOrder() async throws {
        try await Differential.with { pair in
            let (r, o) = try pair.clients(1)
            for section in ["memory", "stats"] {
                let names = try [r, o].map { connection -> [String] in
                    let text = try Side(connection: connection, name: "").command("INFO", section)
                    return text.split(separator: "\r\n").filter { $0.contains(":") }.map { String($0.prefix { $0 != ":" }) }
                }
                let redis = names[0], roost = names[1]
                var position = 0
                // Redis 7.4's buffer-limit counters, which 7.0.15 lacks, are the one addition.
                for name in roost where !name.hasSuffix("_buffer_limit_disconnections") {
                    guard let found = redis[position...].firstIndex(of: name) else {
                        Issue.record("INFO \(section): \(name) is not in Redis's fields after \(redis[position - 1])")
                        continue
                    }
                    position = found + 1
                }
                if section == "memory" {
                    for name in ["used_memory", "used_memory_peak", "used_memory_dataset", "maxmemory", "maxmemory_policy"] {
                        #expect(roost.contains(name))
                    }
                } else {
                    for name in ["evicted_keys", "total_eviction_exceeded_time", "current_eviction_exceeded_time"] {
                        #expect(roost.contains(name))
                    }
                }
            }
        }
    }

    // MARK: Eviction, compared as behaviour

    /// One server's side of an eviction run.
    struct Side {
        let connection: RawConnection
        let name: String

        @discardableResult
        func command(_ words: String...) throws -> String {
            try connection.send(command: words.map { Array($0.utf8) })
            return String(decoding: try connection.readReply(), as: UTF8.self)
        }

        /// Sends `commands` pipelined in batches; returns the replies that were errors.
        @discardableResult
        func pipeline(_ commands: [[String]]) throws -> [String] {
            var errors: [String] = []
            var i = 0
            while i < commands.count {
                let batch = commands[i..<min(i + 200, commands.count)]
                try connection.send(raw: batch.flatMap { RawConnection.encode($0.map { Array($0.utf8) }) })
                for _ in batch {
                    let reply = String(decoding: try connection.readReply(), as: UTF8.self)
                    if reply.hasPrefix("-") { errors.append(reply) }
                }
                i += batch.count
            }
            return errors
        }

        func info(_ field: String) throws -> Int {
            let text = try command("INFO", "everything")
            guard let line = text.split(separator: "\r\n").first(where: { $0.hasPrefix(field + ":") }) else { return -1 }
            return Int(line.dropFirst(field.count + 1)) ?? -1
        }

        func integer(_ words: String...) throws -> Int {
            try connection.send(command: words.map { Array($0.utf8) })
            let reply = String(decoding: try connection.readReply(), as: UTF8.self)
            return Int(reply.dropFirst().prefix { $0 == "-" || $0.isNumber }) ?? -1
        }
    }

    static let value = String(repeating: "v", count: 50)

    /// Lets a server finish evicting: each command evicts for at most the tenacity's time
    /// limit (Redis goes on between commands in a timer), so send commands until `evicted_keys`
    /// stops moving, with a deadline.
    static func waitForEvictions(_ side: Side) throws {
        let deadline = Date().addingTimeInterval(20)
        var last = -1
        while Date() < deadline {
            let evicted = try side.info("evicted_keys")
            if evicted == last { return }
            last = evicted
            for _ in 0..<50 { try side.command("PING") }
        }
    }

    struct IdleTimeout: Error {
        let key: String
    }

    /// Waits until OBJECT IDLETIME of `key` reaches `seconds` on both servers.
    static func waitIdle(_ sides: [Side], _ key: String, seconds: Int) throws {
        let deadline = Date().addingTimeInterval(15)
        for side in sides {
            while try side.integer("OBJECT", "IDLETIME", key) < seconds {
                guard Date() < deadline else { throw IdleTimeout(key: key) }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
    }

    @Test func allKeysLRUEvictsColdKeysAndKeepsHotOnes() async throws {
        try await Differential.with { pair in
            let (r, o) = try pair.clients(1)
            let sides = [Side(connection: r, name: "redis"), Side(connection: o, name: "roost")]
            for side in sides {
                try side.command("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
                try side.pipeline((0..<15000).map { ["SET", "cold:\($0)", Self.value] })
            }
            try Self.waitIdle(sides, "cold:14999", seconds: 2)
            for side in sides { try side.pipeline((0..<20).map { ["SET", "hot:\($0)", Self.value] }) }
            let limit = try sides.map { try $0.info("used_memory") }.min()!
            var kept: [Int] = []
            for side in sides {
                try side.command("CONFIG", "SET", "maxmemory", String(limit))
                var commands: [[String]] = []
                for i in 0..<5000 {
                    commands.append(["SET", "new:\(i)", Self.value])
                    if i % 100 == 0 { commands += (0..<20).map { ["GET", "hot:\($0)"] } }
                }
                let errors = try side.pipeline(commands)
                #expect(errors.isEmpty)
                try Self.waitForEvictions(side)
                #expect(try side.info("evicted_keys") > 0)
                let used = try side.info("used_memory")
                #expect(used <= limit + 64 * 1024, "\(side.name): used \(used), limit \(limit)")
                let hot = try (0..<20).map { try side.integer("EXISTS", "hot:\($0)") }.reduce(0, +)
                #expect(hot == 20)
                // The cold keys went first: the newest keys are still there.
                #expect(try side.integer("EXISTS", "new:4999") == 1)
                kept.append(try side.integer("DBSIZE"))
                try side.command("CONFIG", "SET", "maxmemory", "0")
            }
            print("allkeys-lru, maxmemory \(limit): Redis kept \(kept[0]) keys, Roost \(kept[1]) (ratio \(Double(kept[1]) / Double(kept[0])))")
        }
    }

    @Test func volatileTTLEvictsSoonestExpiryFirstThenRefuses() async throws {
        try await Differential.with { pair in
            let (r, o) = try pair.clients(1)
            let sides = [Side(connection: r, name: "redis"), Side(connection: o, name: "roost")]
            for side in sides {
                try side.command("CONFIG", "SET", "maxmemory-policy", "volatile-ttl")
                try side.pipeline((0..<200).map { ["SET", "keep:\($0)", Self.value] })
                try side.pipeline((0..<6000).map { ["SET", "ttl:\($0)", Self.value, "EX", String(10_000 + $0)] })
            }
            let limit = try sides.map { try $0.info("used_memory") }.min()! - 300_000
            for side in sides {
                try side.command("CONFIG", "SET", "maxmemory", String(limit))
                try Self.waitForEvictions(side)
                #expect(try side.info("evicted_keys") > 0)
                let keep = try (0..<200).map { try side.integer("EXISTS", "keep:\($0)") }.reduce(0, +)
                #expect(keep == 200)
                // Sampled, so not strictly in order: far more of the soonest-expiring are gone.
                let soonest = try (0..<500).map { try side.integer("EXISTS", "ttl:\($0)") }.reduce(0, +)
                let latest = try (5500..<6000).map { try side.integer("EXISTS", "ttl:\($0)") }.reduce(0, +)
                #expect(soonest < latest / 2, "soonest \(soonest) latest \(latest)")
            }
            // With nothing volatile left, writes are refused; reads and deletions still run.
            for side in sides {
                try side.command("CONFIG", "SET", "maxmemory", "1")
                try Self.waitForEvictions(side)
            }
            try pair.run(#"""
                SET x y
                DBSIZE
                GET keep:0
                DEL keep:0
                CONFIG SET maxmemory 0
                """#)
        }
    }

    @Test(arguments: ["volatile-lru", "volatile-lfu", "volatile-random", "allkeys-random", "allkeys-lfu"])
    func policiesEvictOnlyWhatTheyMay(policy: String) async throws {
        try await Differential.with { pair in
            let (r, o) = try pair.clients(1)
            let sides = [Side(connection: r, name: "redis"), Side(connection: o, name: "roost")]
            for side in sides {
                try side.command("CONFIG", "SET", "maxmemory-policy", policy)
                try side.pipeline((0..<200).map { ["SET", "keep:\($0)", Self.value] })
                try side.pipeline((0..<10000).map { ["SET", "ttl:\($0)", Self.value, "EX", "10000"] })
            }
            // Well above both servers' floor (baseline and the keys without a TTL).
            let limit = try sides.map { try $0.info("used_memory") }.min()! - 400_000
            for side in sides {
                try side.command("CONFIG", "SET", "maxmemory", String(limit))
                try Self.waitForEvictions(side)
                #expect(try side.info("evicted_keys") > 0)
                let used = try side.info("used_memory")
                #expect(used <= limit + 64 * 1024, "\(side.name): used \(used), limit \(limit)")
                let keep = try (0..<200).map { try side.integer("EXISTS", "keep:\($0)") }.reduce(0, +)
                if policy.hasPrefix("volatile") { #expect(keep == 200) }
                try side.command("CONFIG", "SET", "maxmemory", "0")
            }
        }
    }
}
