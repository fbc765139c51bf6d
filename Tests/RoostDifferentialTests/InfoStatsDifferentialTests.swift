import RoostTestSupport
import Testing

/// INFO's sections against redis-server: which sections each form of INFO prints, in which
/// order, and the counts of INFO commandstats and errorstats after the same commands
/// (durations differ and are not compared).
@Suite struct InfoStatsDifferentialTests {
    /// `name:value` lines of an INFO reply, by section.
    static func sections(_ reply: [UInt8]) -> [(String, [String: String])] {
        var out: [(String, [String: String])] = []
        for line in String(decoding: reply, as: UTF8.self).split(separator: "\r\n") {
            if line.hasPrefix("# ") {
                out.append((String(line.dropFirst(2)), [:]))
            } else if let colon = line.firstIndex(of: ":"), !out.isEmpty, !line.hasPrefix("$") {
                out[out.count - 1].1[String(line[..<colon])] = String(line[line.index(after: colon)...])
            }
        }
        return out
    }

    static func info(_ pair: DifferentialPair, _ arguments: [String]) throws -> ([(String, [String: String])], [(String, [String: String])]) {
        let (redis, roost) = try pair.clients(9)
        let bytes = arguments.map { Array($0.utf8) }
        try redis.send(command: bytes)
        try roost.send(command: bytes)
        return (sections(try redis.readReply()), sections(try roost.readReply()))
    }

    @Test func sectionsMatchRedis() async throws {
        try await Differential.with { pair in
            for form in [["INFO"], ["INFO", "default"], ["INFO", "all"], ["INFO", "everything"], ["INFO", "cluster"],
                         ["INFO", "replication", "cpu"], ["INFO", "CLUSTER", "keyspace"], ["INFO", "modules"],
                         ["INFO", "nosuchsection"], ["INFO", "commandstats"], ["INFO", "errorstats"]] {
                let (redis, roost) = try Self.info(pair, form)
                #expect(redis.map(\.0) == roost.map(\.0), "\(form)")
            }
            let (redis, roost) = try Self.info(pair, ["INFO", "replication", "cluster", "cpu"])
            for ((name, theirs), (_, mine)) in zip(redis, roost) {
                #expect(Set(theirs.keys) == Set(mine.keys), "fields of \(name)")
                for field in ["role", "connected_slaves", "master_failover_state", "master_replid2", "master_repl_offset",
                              "second_repl_offset", "repl_backlog_active", "cluster_enabled"] where theirs[field] != nil {
                    #expect(theirs[field] == mine[field], "\(field)")
                }
                if let id = mine["master_replid"] { #expect(id.count == 40 && id.allSatisfy(\.isHexDigit)) }
            }
        }
    }

    @Test func commandAndErrorCountsMatchRedis() async throws {
        try await Differential.with { pair in
            try pair.step("CONFIG RESETSTAT")
            try pair.run(#"""
                SET k v
                GET k
                GET
                LPUSH k x
                SET k v XX NX
                INCR k
                NOSUCHCOMMAND a b
                EVALSHA ffffffffffffffffffffffffffffffffffffffff 0
                HSET h f 1
                HGET h f
                CONFIG GET maxmemory
                CONFIG NOSUCH
                MULTI
                INCR k
                SET a b
                EXEC
                MULTI
                GET
                SET a b
                EXEC
                MULTI
                EXEC
                EXPIRE k abc
                ZADD z 1 a
                ZADD z nan a
                GEOADD g 200 10 far
                """#)
            try Self.expectSameCounts(pair)
            try pair.step("CONFIG RESETSTAT")
            let (afterReset, afterResetRoost) = try Self.info(pair, ["INFO", "errorstats"])
            #expect(afterReset.first?.1 == afterResetRoost.first?.1)
        }
    }

    /// A script's error reply is counted once: a refused or failed redis.call when it happens
    /// (the script passing it on still fails EVAL), error_reply and {err=...} tables (nested
    /// too) and runtime errors when the reply is written.
    @Test func scriptErrorsAreCountedOnceAsInRedis() async throws {
        try await Differential.with { pair in
            try pair.step("CONFIG RESETSTAT")
            try pair.run(#"""
                SET s v
                EVAL "return redis.call('nosuch')" 0
                EVAL "error('x')" 0
                EVAL "return redis.pcall('nosuch')" 0
                EVAL "return {1, {err='NEST y'}}" 0
                EVAL "return redis.call('incr', 's')" 0
                EVAL "return redis.pcall('incr', 's')" 0
                EVAL "redis.pcall('incr', 's') return 1" 0
                EVAL "return redis.error_reply('MYERR boom')" 0
                EVAL "return {err='OTHER x'}" 0
                """#)
            try Self.expectSameCounts(pair)
        }
    }

    /// INFO errorstats identical, and commandstats' counts (not durations) identical.
    static func expectSameCounts(_ pair: DifferentialPair) throws {
        let (redisErrors, roostErrors) = try info(pair, ["INFO", "errorstats"])
        #expect(redisErrors.first?.1 == roostErrors.first?.1)
        let (redisCommands, roostCommands) = try info(pair, ["INFO", "commandstats"])
        func counts(_ s: [(String, [String: String])]) -> [String: String] {
            var out: [String: String] = [:]
            for (name, value) in s.first?.1 ?? [:] where name != "cmdstat_info" {
                let kept = value.split(separator: ",").filter { !$0.hasPrefix("usec") }
                out[name] = kept.joined(separator: ",")
            }
            return out
        }
        #expect(counts(redisCommands) == counts(roostCommands))
    }
}
