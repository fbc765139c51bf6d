import Foundation
import RoostTestSupport
import Testing

/// `rdb_changes_since_last_save` (Redis's `server.dirty`, which the save points read) counts
/// as Redis counts: per element for pushes, field sets, member adds and pops, per key for
/// deletions, one per RENAME, MOVE or SWAPDB, nothing for a command that changed nothing. The
/// figure is compared with redis-server's after every command of a stream.
@Suite struct RDBChangesDifferentialTests {
    static let stream = """
        SET a 1
        SET a 2
        MSET b 1 c 2 d 3
        DEL b c missing
        RPUSH l 1 2 3
        LPUSH l 4 5
        LPUSHX missing x
        RPUSHX l x
        LPOP l
        RPOP l 2
        LPOP missing
        LREM l 0 1
        LREM l 0 nothing
        LINSERT l BEFORE 2 x
        LSET l 0 y
        LTRIM l 0 -1
        LTRIM l 1 2
        LMOVE l l2 LEFT RIGHT
        HSET h f1 v f2 v
        HSET h f1 x f3 y
        HSETNX h f9 v
        HSETNX h f9 v
        HINCRBY h n 1
        HDEL h f1 f2 nope
        SADD s a b c
        SADD s a d
        SREM s a b z
        ?SPOP s
        SADD s2 1 2 3 4 5
        ?SPOP s2 2
        ?SPOP s2 10
        SADD s3 a b
        SADD s4 b
        SMOVE s3 s4 a
        SMOVE s3 s4 b
        SINTERSTORE dst s4 s4
        ZADD z 1 a 2 b
        ZADD z 3 a 2 b 4 c
        ZADD z NX 5 a
        ZINCRBY z 1 a
        ZREM z a x
        ZPOPMIN z
        ZADD z 1 a 2 b 3 c
        ZPOPMAX z 2
        ZREMRANGEBYRANK z 0 -1
        ZADD z2 1 a 2 b 3 c
        ZREMRANGEBYSCORE z2 1 2
        ZUNIONSTORE zd 1 z2
        INCR n
        INCRBY n 5
        APPEND a x
        SETRANGE a 0 y
        SETBIT bits 7 1
        SETBIT bits 7 1
        PFADD hll a b c
        PFADD hll a
        EXPIRE a 100
        EXPIRE missing 100
        PERSIST a
        PERSIST a
        SET e v
        EXPIRE e 0
        RENAME a a2
        COPY a2 a3
        MOVE a3 1
        SWAPDB 0 1
        SWAPDB 0 1
        SETNX a2 v
        GETSET a2 q
        GETDEL a2
        GETDEL a2
        MULTI
        RPUSH ml 1 2 3
        HSET mh a 1 b 2
        EXEC
        EVAL "redis.call('rpush','el','a','b','c'); redis.call('sadd','es','x','y'); return 1" 0
        FLUSHDB
        SET x 1
        FLUSHALL
        """

    @Test func changesSinceLastSaveCountAsRedisCounts() async throws {
        let pair = try await DifferentialPair()
        var mismatches: [String] = []
        do {
            for rawLine in Self.stream.split(separator: "\n") {
                let line = rawLine.trimmingCharacters(in: .whitespaces)
                try pair.step(line)
                let redis = try AOFRewriteDifferentialTests.persistence(pair.redis.port)["rdb_changes_since_last_save"]
                let roost = try AOFRewriteDifferentialTests.persistence(pair.roost.port)["rdb_changes_since_last_save"]
                if redis != roost { mismatches.append("after \(line): redis \(redis ?? "?"), roost \(roost ?? "?")") }
            }
        } catch {
            await pair.stop()
            throw error
        }
        await pair.stop()
        #expect(pair.mismatches.isEmpty, "\(pair.mismatches)")
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
    }
}
