#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// DEBUG OBJECT and DEBUG LISTPACK: the low-level view of one value.
///
/// OBJECT's line has Redis's fields in Redis's order. `at` is an address in Roost's memory, so
/// it differs from Redis's; `encoding`, `serializedlength` (the length of the value's RDB
/// payload, which Roost writes byte for byte as Redis does) and the `ql_` figures of a list
/// (its quicklist nodes as `list-max-listpack-size` splits them) are the same as Redis's for the
/// same value built the same way; `lru` and `lru_seconds_idle` are the key's access clock.
enum DebugObject {
    static func object(_ c: CommandContext) throws(RedisError) {
        // Like Redis's `dictFind`: no expiry check and no access-time update.
        let key = c.key(2)
        guard let value = c.database.keys[key] else { throw .noSuchKey }
        let engine = c.engine
        let clock = c.database.keys.accessClock(key) ?? 0
        var writer = RDBWriter(compress: engine.configuration.rdbCompression,
                               listMaxListpackSize: engine.configuration.listMaxListpackSize)
        _ = writer.appendValue(value)
        var line = "Value at:" + address(value, key) + " refcount:\(KeyCommands.refcount(value, engine: engine))"
            + " encoding:\(value.encodingName) serializedlength:\(writer.takeBytes().count)"
            + " lru:\(clock) lru_seconds_idle:\(engine.idleSeconds(clock))"
        if case .list(let list) = value {
            let nodes = writer.quicklistNodes(list)
            let size = nodes.reduce(0) { $0 + RDBBlobs.listpack($1).count }
            let average = nodes.isEmpty ? 0 : Double(list.count) / Double(nodes.count)
            line += " ql_nodes:\(nodes.count) ql_avg_node:" + DoubleFormat.c(format: "%.2f", average)
                + " ql_listpack_max:\(engine.configuration.listMaxListpackSize)"
                + " ql_compressed:\(engine.configuration.listCompressDepth != 0 ? 1 : 0) ql_uncompressed_size:\(size)"
        }
        c.reply.status(line)
    }

    /// Where the value lives: the collection object's address, or for a string (kept in the
    /// key table's entry) an address-shaped number derived from the key.
    static func address(_ value: Value, _ key: ByteString) -> String {
        let bits: UInt
        switch value {
        case .list(let l): bits = UInt(bitPattern: Unmanaged.passUnretained(l).toOpaque())
        case .set(let s): bits = UInt(bitPattern: Unmanaged.passUnretained(s).toOpaque())
        case .zset(let z): bits = UInt(bitPattern: Unmanaged.passUnretained(z).toOpaque())
        case .stream(let s): bits = UInt(bitPattern: Unmanaged.passUnretained(s).toOpaque())
        case .string, .hash: bits = 0x7f00_0000_0000 | UInt(truncatingIfNeeded: key.hashValue) & 0xff_ffff_fff0
        }
        return "0x" + String(bits, radix: 16)
    }

    /// DEBUG LISTPACK key: prints the listpack of a listpack-encoded hash or sorted set on
    /// standard output, in the layout of Redis's `lpRepr` (addresses are offsets in Roost's copy).
    static func listpack(_ c: CommandContext) throws(RedisError) {
        guard let value = c.engine.lookupQuiet(c.database, c.key(2)) else { throw .noSuchKey }
        var elements: [[UInt8]] = []
        switch value {
        case .hash(let hash) where hash.isListpack:
            for pair in hash.pairs { elements += [pair.field.bytes, pair.value.bytes] }
        case .zset(let zset) where zset.isListpack:
            zset.forEach { elements += [$0.member.bytes, Array(SortedSetCommands.listpackScoreText($0.score).utf8)] }
        default:
            throw .format("Not a listpack encoded object.")
        }
        let text = representation(RDBBlobs.listpack(elements))
        fputs(text, stdout)
        fflush(stdout)
        c.reply.status("Listpack structure printed on stdout")
    }

    /// Redis's `lpRepr` of `lp`: a header line, then each entry's layout, bytes and value.
    static func representation(_ lp: [UInt8]) -> String {
        var out = "{total bytes \(lp.count)} {num entries \(Int(lp[4]) | Int(lp[5]) << 8)}\n"
        var p = 6
        var index = 0
        while p < lp.count && lp[p] != 0xFF {
            let (headerSize, encodedSize, text) = entry(lp, at: p)
            let backlen = encodedSize <= 127 ? 1 : encodedSize < 16383 ? 2 : encodedSize < 2_097_151 ? 3 : encodedSize < 268_435_455 ? 4 : 5
            out += "{\n\taddr: 0x" + String(0x1000_0000 + p, radix: 16) + ",\n"
                + "\tindex: " + padded(index, 2) + ",\n\toffset: \(p),\n"
                + "\thdr+entrylen+backlen: " + padded(encodedSize + backlen, 2) + ",\n"
                + "\thdrlen: " + padded(headerSize, 3) + ",\n\tbacklen: " + padded(backlen, 2) + ",\n"
                + "\tpayload: \(encodedSize - headerSize)\n\tbytes: "
            for byte in lp[p..<(p + encodedSize + backlen)] {
                out += (byte < 16 ? "0" : "") + String(byte, radix: 16) + "|"
            }
            let shown = text.count > 40 ? String(decoding: text.prefix(40), as: UTF8.self) + "..." : String(decoding: text, as: UTF8.self)
            out += "\n\t[str]" + shown + "\n}\n"
            p += encodedSize + backlen
            index += 1
        }
        return out + "{end}\n\n"
    }

    /// `value` right-aligned in `width` columns, as `%2d` writes it.
    static func padded(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: " ", count: max(0, width - text.count)) + text
    }

    /// The entry at `p`: its header size, its size without the back-length, and its value as text.
    static func entry(_ lp: [UInt8], at p: Int) -> (Int, Int, [UInt8]) {
        let b = lp[p]
        func int(_ bytes: Int) -> [UInt8] {
            var v: UInt64 = 0
            for i in 0..<bytes { v |= UInt64(lp[p + 1 + i]) << (8 * UInt64(i)) }
            let shift = UInt64(64 - 8 * bytes)
            return Array(String(Int64(bitPattern: v << shift) >> Int64(shift)).utf8)
        }
        func string(_ header: Int, _ length: Int) -> (Int, Int, [UInt8]) {
            (header, header + length, Array(lp[(p + header)..<(p + header + length)]))
        }
        if b & 0x80 == 0 { return (1, 1, Array(String(b).utf8)) }
        if b & 0xC0 == 0x80 { return string(1, Int(b & 0x3F)) }
        if b & 0xE0 == 0xC0 {
            let v = Int(b & 0x1F) << 8 | Int(lp[p + 1])
            return (1, 2, Array(String(v >= 1 << 12 ? v - (1 << 13) : v).utf8))
        }
        if b & 0xF0 == 0xE0 { return string(2, Int(b & 0x0F) << 8 | Int(lp[p + 1])) }
        switch b {
        case 0xF1: return (1, 3, int(2))
        case 0xF2: return (1, 4, int(3))
        case 0xF3: return (1, 5, int(4))
        case 0xF4: return (1, 9, int(8))
        default:
            let length = Int(lp[p + 1]) | Int(lp[p + 2]) << 8 | Int(lp[p + 3]) << 16 | Int(lp[p + 4]) << 24
            return string(5, length)
        }
    }
}
