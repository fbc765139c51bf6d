import RoostTestSupport
import Testing

/// Keyspace notifications (`notify-keyspace-events`) against redis-server 7.0.15: client 1 is
/// subscribed to the notification channels, client 2 runs commands, and after each command
/// client 1 reads exactly the messages Redis sent, then a PING whose `pong` proves no message
/// is missing or extra.
@Suite struct KeyspaceNotificationDifferentialTests {
    @Test func configSetEchoesRedisCanonicalClasses() async throws {
        let values = ["KEA", "KA", "Ag", "nKE", "mKE", "xz", "AKEmn", "g$lshzxetd", "E$", "d", "ZZ", "\"\""]
        let steps = values.map { "CONFIG SET notify-keyspace-events \($0)\nCONFIG GET notify-keyspace-events" }
        try await Differential.check((["CONFIG GET notify-keyspace-events"] + steps + ["CONFIG GET notify-*"])
            .joined(separator: "\n"))
    }

    @Test func everyFamilyPublishesRedisEventNames() async throws {
        try await Differential.check(#"""
            @2 CONFIG SET notify-keyspace-events EA
            !replies 1 PSUBSCRIBE __keyevent*
            @2 SET a 1 EX 100
            <
            <
            PING
            @2 GETEX a PERSIST
            <
            PING
            @2 GETEX a EX 100
            <
            PING
            @2 GETEX a PXAT 1
            <
            PING
            @2 SET a 1 NX
            <
            PING
            @2 SET a 2 NX
            PING
            @2 SET a 3 XX GET
            <
            PING
            @2 GETSET a 4
            <
            PING
            @2 GETDEL a
            <
            PING
            @2 GETDEL a
            PING
            @2 MSET m1 1 m2 2
            <
            <
            PING
            @2 MSETNX m1 1 m3 3
            PING
            @2 MSETNX m3 3 m4 4
            <
            <
            PING
            @2 SETEX se 100 v
            <
            <
            PING
            @2 PSETEX pse 100000 v
            <
            <
            PING
            @2 SETNX snx v
            <
            PING
            @2 INCR n
            <
            PING
            @2 DECRBY n 5
            <
            PING
            @2 INCRBYFLOAT n 1.5
            <
            PING
            @2 APPEND ap x
            <
            PING
            @2 APPEND ap y
            <
            PING
            @2 SETRANGE sr 2 abc
            <
            PING
            @2 SETRANGE sr 0 ""
            PING
            @2 SETRANGE nosr 0 ""
            PING
            @2 SETBIT bits 7 1
            <
            PING
            @2 SETBIT bits 7 1
            PING
            @2 BITFIELD bits SET u8 8 255
            <
            PING
            @2 BITOP OR bo bits bits
            <
            PING
            @2 BITOP OR bo nosuch
            <
            PING
            @2 PFADD hll a b
            <
            PING
            @2 PFADD hll a
            PING
            @2 PFMERGE hll2 hll
            <
            PING
            @2 DEL m1 m2 nosuch
            <
            <
            PING
            @2 UNLINK m3
            <
            PING
            @2 EXPIRE m4 100
            <
            PING
            @2 PEXPIRE m4 1000000 LT
            PING
            @2 EXPIRE m4 -1
            <
            PING
            @2 PERSIST se
            <
            PING
            @2 PERSIST se
            PING
            @2 RENAME pse pse2
            <
            <
            PING
            @2 RENAMENX pse2 snx
            PING
            @2 RENAME snx snx
            PING
            @2 COPY pse2 cp
            <
            PING
            @2 COPY pse2 cp REPLACE
            <
            PING
            @2 COPY pse2 cp DB 2
            <
            PING
            @2 MOVE cp 3
            <
            <
            PING
            @2 RPUSH l a b c d e
            <
            PING
            @2 LPUSH l z
            <
            PING
            @2 LPUSHX nolist x
            PING
            @2 RPUSHX l y
            <
            PING
            @2 LINSERT l BEFORE a q
            <
            PING
            @2 LSET l 0 w
            <
            PING
            @2 LREM l 1 q
            <
            PING
            @2 LTRIM l 0 5
            <
            PING
            @2 LPOP l
            <
            PING
            @2 RPOP l 2
            <
            PING
            @2 LPOP l 0
            PING
            @2 LMOVE l l2 LEFT RIGHT
            <
            <
            PING
            @2 RPOPLPUSH l2 l
            <
            <
            <
            PING
            @2 LMPOP 1 l LEFT COUNT 10
            <
            <
            PING
            @2 LPOP nolist
            PING
            @2 HSET h f v g w
            <
            PING
            @2 HSETNX h f v
            PING
            @2 HSETNX h x y
            <
            PING
            @2 HINCRBY h n 1
            <
            PING
            @2 HINCRBYFLOAT h n 1.5
            <
            PING
            @2 HDEL h f nosuch
            <
            PING
            @2 HDEL h g x n
            <
            <
            PING
            @2 SADD s a b c
            <
            PING
            @2 SADD s a
            PING
            @2 SREM s a nosuch
            <
            PING
            @2 SMOVE s s2 b
            <
            <
            PING
            @2 SMOVE s s2 c
            <
            <
            <
            PING
            @2 SADD s 1 2 3 4
            <
            PING
            @2 ?SPOP s
            <
            PING
            @2 ?SPOP s 2
            <
            PING
            @2 ?SPOP s 5
            <
            <
            PING
            @2 SADD x 1 2
            <
            PING
            @2 SADD y 2 3
            <
            PING
            @2 SINTERSTORE si x y
            <
            PING
            @2 SUNIONSTORE su x y
            <
            PING
            @2 SDIFFSTORE sd x x
            PING
            @2 SDIFFSTORE sd x x
            PING
            @2 SINTERSTORE su x nosuch
            <
            PING
            @2 ZADD z 1 a 2 b 3 c 4 d 5 e 6 f
            <
            PING
            @2 ZADD z XX GT 0 a
            PING
            @2 ZADD z INCR 1 a
            <
            PING
            @2 ZINCRBY z 1 b
            <
            PING
            @2 ZREM z a nosuch
            <
            PING
            @2 ZREMRANGEBYSCORE z 0 2.5
            PING
            @2 ZREMRANGEBYLEX z [a [a
            PING
            @2 ZREMRANGEBYRANK z 0 0
            <
            PING
            @2 ZPOPMIN z
            <
            PING
            @2 ZPOPMAX z 0
            PING
            @2 ZADD z 1 a 2 b
            <
            PING
            @2 ZMPOP 1 z MIN COUNT 5
            <
            <
            PING
            @2 ZADD z 1 a 2 b
            <
            PING
            @2 ZRANGESTORE zr z 0 -1
            <
            PING
            @2 ZRANGESTORE zr z 5 6
            <
            PING
            @2 ZUNIONSTORE zu 1 z
            <
            PING
            @2 ZINTERSTORE zu 2 z nosuch
            <
            PING
            @2 ZDIFFSTORE zd 1 z
            <
            PING
            @2 GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
            <
            PING
            @2 GEOSEARCHSTORE gd g FROMLONLAT 15 37 BYRADIUS 200 km
            <
            PING
            @2 GEORADIUS g 15 37 200 km STORE gr
            <
            PING
            @2 GEORADIUS g 15 37 200 km STOREDIST gr2
            <
            PING
            @2 GEOSEARCHSTORE gd nosuch FROMLONLAT 15 37 BYRADIUS 200 km
            <
            PING
            @2 RPUSH sl 3 1 2
            <
            PING
            @2 SORT sl STORE ss
            <
            PING
            @2 SORT nosuch STORE ss
            <
            PING
            @2 XADD st 1-1 a 1
            <
            PING
            @2 XADD st MAXLEN 1 2-1 a 2
            <
            <
            PING
            @2 XTRIM st MAXLEN 0
            <
            PING
            @2 XTRIM st MAXLEN 0
            PING
            @2 XADD st 3-1 a 3
            <
            PING
            @2 XDEL st 3-1 9-9
            <
            PING
            @2 XDEL st 9-9
            PING
            @2 XGROUP CREATE st grp $
            <
            PING
            @2 XGROUP CREATE st2 grp $ MKSTREAM
            <
            PING
            @2 XGROUP CREATECONSUMER st grp c1
            <
            PING
            @2 XGROUP CREATECONSUMER st grp c1
            PING
            @2 XGROUP SETID st grp 0
            <
            PING
            @2 XGROUP DELCONSUMER st grp c1
            <
            PING
            @2 XGROUP DELCONSUMER st grp c9
            PING
            @2 XGROUP DESTROY st grp
            <
            PING
            @2 XGROUP DESTROY st grp
            PING
            @2 XSETID st 99-0
            <
            PING
            @2 RESTORE rs 0 "\x00\x01x\n\x00\"\x80\x86_\xbd\xe8H\xd0"
            <
            PING
            @2 RESTORE rs 0 "\x00\x01x\n\x00\"\x80\x86_\xbd\xe8H\xd0" REPLACE
            <
            PING
            @2 RESTORE rs 1 "\x00\x01x\n\x00\"\x80\x86_\xbd\xe8H\xd0" REPLACE ABSTTL
            <
            PING
            @2 FLUSHALL
            PING

            """#)
    }

    @Test func keyspaceChannelsNewKeyMissAndExpiredMatchRedis() async throws {
        try await Differential.check(#"""
            @2 CONFIG SET notify-keyspace-events KEAnm
            !replies 1 PSUBSCRIBE __key*__:*
            @2 SET a 1
            <
            <
            <
            <
            PING
            @2 SET a 2
            <
            <
            PING
            @2 GET nosuch
            <
            <
            PING
            @2 EXISTS nosuch
            <
            <
            PING
            @2 TYPE nosuch
            <
            <
            PING
            @2 MGET a nosuch
            <
            <
            PING
            @2 RPUSH l x
            <
            <
            <
            <
            PING
            @2 LPOP l
            <
            <
            <
            <
            PING
            # No PING between SET and GET: the key may expire actively at any moment after SET.
            @2 SET px v PX 1
            <
            <
            <
            <
            <
            <
            !sleep 30
            @2 GET px
            <
            <
            <
            <
            PING
            @2 SET b v
            <
            <
            <
            <
            PING
            @2 MULTI
            PING
            @2 SET b w
            PING
            @2 INCR c
            PING
            @2 EXEC
            <
            <
            <
            <
            <
            <
            PING
            @2 EVAL "redis.call('set', KEYS[1], 'v'); redis.call('del', KEYS[1]); return 1" 1 "bin\x00key\r\n"
            <
            <
            <
            <
            <
            <
            PING
            @2 SELECT 5
            PING
            @2 SET in5 v
            <
            <
            <
            <
            PING
            @2 SELECT 0
            PING

            """#)
    }

    @Test func evictionPublishesEvicted() async throws {
        try await Differential.check(#"""
            @2 CONFIG SET notify-keyspace-events Ee
            !replies 1 PSUBSCRIBE __key*__:*
            @2 CONFIG SET maxmemory-policy allkeys-random
            PING
            @2 SET k v
            PING
            @2 CONFIG SET maxmemory 1
            <
            PING
            @2 SET k2 v
            PING
            @2 CONFIG SET maxmemory 0
            PING

            """#)
    }
}

extension KeyspaceNotificationDifferentialTests {
    /// Served blocking pops publish the pop (and `del`) after the push that served them. Whether
    /// the pop blocks first or finds the pushed element, the messages are the same.
    @Test func servedBlockingPopsPublishTheirPops() async throws {
        try await Differential.check(#"""
            @2 CONFIG SET notify-keyspace-events EA
            !replies 1 PSUBSCRIBE __keyevent*
            @3 !noreply BLPOP bl 0
            @2 RPUSH bl x
            <
            <
            <
            PING
            @3 <
            @3 !noreply BZPOPMIN bz 0
            @2 ZADD bz 1 a
            <
            <
            <
            PING
            @3 <
            @3 !noreply BLMOVE src dst RIGHT LEFT 0
            @2 RPUSH src x
            <
            <
            <
            <
            PING
            @3 <
            """#)
    }
}
