import NIOCore
import RoostRESP

/// DUMP and RESTORE (Redis's `cluster.c`): a value serialised as its RDB type byte and
/// payload, followed by the RDB version (2 bytes) and a CRC-64 of all of it (8 bytes), both
/// little-endian, so payloads move between Roost and Redis either way.
enum DumpRestoreCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("dump", arity: 2, flags: [.readonly], categories: ["keyspace", "read", "slow"],
                    tips: ["nondeterministic_output"], group: "generic", since: "2.6.0",
                    summary: "Return a serialized version of the value stored at the specified key.",
                    handler: dump),
        CommandSpec("restore", arity: -4, flags: [.write, .denyoom], categories: ["keyspace", "write", "slow", "dangerous"],
                    group: "generic", since: "2.6.0",
                    summary: "Create a key using the provided serialized value, previously obtained using DUMP.",
                    handler: restore),
    ]

    /// The RDB version payloads carry.
    static let rdbVersion: UInt16 = 10

    /// `value` as a DUMP payload, written with the engine's RDB settings.
    static func payload(_ value: Value, configuration: EngineConfiguration) -> [UInt8] {
        var writer = RDBWriter(compress: configuration.rdbCompression, listMaxListpackSize: configuration.listMaxListpackSize)
        let type = writer.appendValue(value)
        var out = [type] + writer.takeBytes()
        out.append(UInt8(rdbVersion & 0xff))
        out.append(UInt8(rdbVersion >> 8))
        RDBBlobs.appendLittleEndian(CRC64.checksum(out), bytes: 8, to: &out)
        return out
    }

    /// Whether `payload` ends with a version this server reads and a matching checksum.
    static func verify(_ payload: [UInt8]) -> Bool {
        if payload.count < 10 { return false }
        let footer = payload.count - 10
        let version = UInt16(payload[footer]) | UInt16(payload[footer + 1]) << 8
        if version > rdbVersion { return false }
        var crc: UInt64 = 0
        for i in 0..<8 { crc |= UInt64(payload[footer + 2 + i]) << UInt64(i * 8) }
        return CRC64.checksum(Array(payload[..<(footer + 2)])) == crc
    }

    static func dump(_ c: CommandContext) throws(RedisError) {
        guard let value = c.engine.lookupRead(c.database, c.key(1)) else {
            c.reply.nullBulk()
            return
        }
        c.reply.bulk(payload(value, configuration: c.engine.configuration))
    }

    /// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]: checks
    /// in Redis's order, written to the append-only file with an absolute TTL.
    static func restore(_ c: CommandContext) throws(RedisError) {
        var replace = false, absoluteTTL = false
        var idle: Int64 = -1, frequency: Int64 = -1
        var j = 4
        while j < c.count {
            let additional = c.count - j - 1
            if c.argument(j, is: "replace") {
                replace = true
            } else if c.argument(j, is: "absttl") {
                absoluteTTL = true
            } else if c.argument(j, is: "idletime") && additional >= 1 && frequency == -1 {
                idle = try c.integer(j + 1)
                if idle < 0 { throw RedisError("ERR Invalid IDLETIME value, must be >= 0") }
                j += 1
            } else if c.argument(j, is: "freq") && additional >= 1 && idle == -1 {
                frequency = try c.integer(j + 1)
                if frequency < 0 || frequency > 255 { throw RedisError("ERR Invalid FREQ value, must be >= 0 and <= 255") }
                j += 1
            } else {
                throw .syntax
            }
            j += 1
        }
        let db = c.database, key = c.key(1)
        if !replace && c.engine.lookupWrite(db, key) != nil {
            throw RedisError("BUSYKEY Target key name already exists.")
        }
        var ttl = try c.integer(2)
        if ttl < 0 { throw RedisError("ERR Invalid TTL value, must be >= 0") }
        let payload = c.bytes(3)
        guard verify(payload) else { throw RedisError("ERR DUMP payload version or checksum are wrong") }
        var reader = RDBReader(Array(payload.dropFirst()), configuration: c.engine.configuration)
        guard let value = (try? reader.readValue(payload[0])) ?? nil else {
            throw RedisError("ERR Bad data format")
        }
        let deleted = replace && c.engine.deleteKey(db, key)
        if ttl != 0 && !absoluteTTL { ttl += Engine.clock() }
        if ttl != 0 && ttl <= Engine.clock() {
            c.engine.propagate(db, deleted ? [[.text("DEL"), .key(key)]] : [])
            if deleted { c.notify(.generic, "del", key) }
            c.reply.ok()
            return
        }
        c.engine.setKey(db, key, value)
        c.engine.countChanges(1)
        if ttl != 0 {
            c.engine.setExpire(db, key, at: ttl)
            if !absoluteTTL {
                var arguments: [AOFArgument] = c.arguments.map { .buffer($0) }
                arguments[2] = .number(ttl)
                arguments.append(.text("ABSTTL"))
                c.engine.propagate(db, [arguments])
            }
        }
        if DumpRestoreCommands.usesLFU(c.engine) {
            if frequency >= 0 { db.keys.touch(key, clock: c.engine.lfuMinutes << 8 | UInt32(frequency)) }
        } else if idle >= 0 {
            let now = Int64(c.engine.accessClock), maxClock: Int64 = 0xFF_FFFF
            var clock = now - idle
            if clock < 0 { clock = (now + maxClock / 2) % maxClock }
            db.keys.touch(key, clock: UInt32(clock))
        }
        c.notify(.generic, "restore", key)
        c.reply.ok()
    }

    static func usesLFU(_ engine: Engine) -> Bool { KeyCommands.usesLFU(engine) }
}
