import CLua
import NIOCore

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Conversions between replies and Lua values, both ways, as Redis documents them.
enum LuaReplies {
    // MARK: Reply → Lua

    /// Pushes the Lua value for one RESP2 or RESP3 reply.
    static func push(_ L: OpaquePointer, _ reply: ByteBuffer) {
        reply.withUnsafeReadableBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var position = 0
            pushValue(L, bytes, &position)
        }
    }

    /// The line starting at `p` (without CRLF); moves `p` past it.
    private static func line(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int) -> UnsafeBufferPointer<UInt8> {
        let start = p
        while p + 1 < b.count && !(b[p] == 13 && b[p + 1] == 10) { p += 1 }
        let out = UnsafeBufferPointer(rebasing: b[start..<min(p, b.count)])
        p += 2
        return out
    }

    private static func number(_ s: UnsafeBufferPointer<UInt8>) -> Int64 {
        var negative = false
        var v: Int64 = 0
        for c in s {
            if c == UInt8(ascii: "-") { negative = true; continue }
            v = v &* 10 &+ Int64(c &- 48)
        }
        // Wrapping: "-9223372036854775808" accumulates to the smallest integer already.
        return negative ? 0 &- v : v
    }

    private static func pushBytes(_ L: OpaquePointer, _ s: UnsafeBufferPointer<UInt8>) {
        s.withMemoryRebound(to: CChar.self) { lua_pushlstring(L, $0.baseAddress, $0.count) }
    }

    private static func pushValue(_ L: OpaquePointer, _ b: UnsafeBufferPointer<UInt8>, _ p: inout Int) {
        guard p < b.count else { lua_pushnil(L); return }
        lua_checkstack(L, 8)
        let type = b[p]
        p += 1
        let header = line(b, &p)
        switch type {
        case UInt8(ascii: "+"):
            lua_createtable(L, 0, 1)
            pushBytes(L, header)
            Lua.setRawField(L, -2, "ok")
        case UInt8(ascii: "-"):
            Lua.pushErrorTable(L, [UInt8(ascii: "-")] + Array(header))
            lua_pushboolean(L, 1)
            Lua.setRawField(L, -2, "ignore_error_stats_update")
        case UInt8(ascii: ":"):
            lua_pushnumber(L, lua_Number(number(header)))
        case UInt8(ascii: "$"), UInt8(ascii: "="):
            let n = Int(number(header))
            if n < 0 { lua_pushboolean(L, 0); return }
            let body = UnsafeBufferPointer(rebasing: b[p..<min(p + n, b.count)])
            p += n + 2
            if type == UInt8(ascii: "$") {
                pushBytes(L, body)
            } else {
                lua_createtable(L, 0, 1)
                lua_createtable(L, 0, 2)
                pushBytes(L, UnsafeBufferPointer(rebasing: body[(body.startIndex + min(4, body.count))...]))
                Lua.setRawField(L, -2, "string")
                pushBytes(L, UnsafeBufferPointer(rebasing: body[body.startIndex..<(body.startIndex + min(3, body.count))]))
                Lua.setRawField(L, -2, "format")
                Lua.setRawField(L, -2, "verbatim_string")
            }
        case UInt8(ascii: "*"), UInt8(ascii: ">"):
            let n = number(header)
            if n < 0 { lua_pushboolean(L, 0); return }
            lua_createtable(L, Int32(clamping: n), 0)
            var i: Int32 = 1
            while Int64(i) <= n {
                pushValue(L, b, &p)
                lua_rawseti(L, -2, i)
                i += 1
            }
        case UInt8(ascii: "%"), UInt8(ascii: "~"):
            let isMap = type == UInt8(ascii: "%")
            let n = number(header)
            lua_createtable(L, 0, 1)
            lua_createtable(L, 0, Int32(clamping: n))
            for _ in 0..<max(0, n) {
                pushValue(L, b, &p)
                if isMap { pushValue(L, b, &p) } else { lua_pushboolean(L, 1) }
                if lua_type(L, -2) == LUA_TNIL { lua_settop(L, -3) } else { lua_rawset(L, -3) }
            }
            Lua.setRawField(L, -2, isMap ? "map" : "set")
        case UInt8(ascii: "|"):
            let n = number(header)
            for _ in 0..<max(0, n * 2) {
                pushValue(L, b, &p)
                lua_settop(L, -2)
            }
            pushValue(L, b, &p)
        case UInt8(ascii: "_"):
            lua_pushnil(L)
        case UInt8(ascii: "#"):
            lua_pushboolean(L, header.first == UInt8(ascii: "t") ? 1 : 0)
        case UInt8(ascii: ","):
            let text = String(decoding: header, as: UTF8.self)
            lua_createtable(L, 0, 1)
            lua_pushnumber(L, strtod(text, nil))
            Lua.setRawField(L, -2, "double")
        case UInt8(ascii: "("):
            lua_createtable(L, 0, 1)
            pushBytes(L, header)
            Lua.setRawField(L, -2, "big_number")
        default:
            lua_pushnil(L)
        }
    }

    // MARK: Lua → reply

    /// A table being written: the Lua stack holds it (and, for maps and sets, the inner table
    /// and the iteration key) while its elements are written one by one.
    private enum Frame {
        case array(next: Int32, count: Int32)
        case map(awaitingValue: Bool)
        case set
    }

    /// Writes the value on top of the stack as a reply and pops it. `scriptResp` is the protocol
    /// the script chose with `redis.setresp`, which decides how booleans convert.
    ///
    /// Nested tables are walked with an explicit stack of frames rather than recursion, using
    /// the Lua stack exactly as Redis's `luaReplyToRedisReply` does, so a self-referencing table
    /// ends in "reached lua stack limit" at the same depth instead of overflowing the thread.
    /// Error replies are counted in INFO errorstats on `engine`, except those of a failed
    /// `redis.call`, counted when that command failed (`ignore_error_stats_update`).
    static func write(_ L: OpaquePointer, to reply: ReplyWriter, scriptResp: Int, countingErrorsOn engine: Engine) {
        var frames: [Frame] = []
        var haveValue = true
        while true {
            if haveValue {
                haveValue = false
                if let frame = writeOne(L, to: reply, scriptResp: scriptResp, engine: engine) {
                    frames.append(frame)
                }
            }
            guard let frame = frames.last else { return }
            switch frame {
            case .array(let next, let count):
                if next > count {
                    frames.removeLast()
                    lua_settop(L, -2)
                } else {
                    frames[frames.count - 1] = .array(next: next + 1, count: count)
                    lua_rawgeti(L, -1, next)
                    haveValue = true
                }
            case .map(let awaitingValue):
                // Stack: table, inner table, key. The key's copy is written first, then the
                // value, which leaves the key for the next lua_next.
                if awaitingValue {
                    frames[frames.count - 1] = .map(awaitingValue: false)
                    haveValue = true
                } else if lua_next(L, -2) != 0 {
                    lua_pushvalue(L, -2)
                    frames[frames.count - 1] = .map(awaitingValue: true)
                    haveValue = true
                } else {
                    frames.removeLast()
                    lua_settop(L, -3)
                }
            case .set:
                if lua_next(L, -2) != 0 {
                    lua_settop(L, -2)
                    lua_pushvalue(L, -1)
                    haveValue = true
                } else {
                    frames.removeLast()
                    lua_settop(L, -3)
                }
            }
        }
    }

    /// Writes a scalar or a special table and pops it, or starts a container and returns its
    /// frame (leaving what the frame needs on the stack).
    private static func writeOne(_ L: OpaquePointer, to reply: ReplyWriter, scriptResp: Int, engine: Engine) -> Frame? {
        if lua_checkstack(L, 4) == 0 {
            let error = RedisError(bytes: Array("ERR reached lua stack limit".utf8))
            engine.countError(error)
            reply.buffer.writeRESPError(bytes: error.bytes)
            lua_settop(L, -2)
            return nil
        }
        switch lua_type(L, -1) {
        case LUA_TSTRING:
            reply.bulk(Lua.bytes(L, -1) ?? [])
        case LUA_TBOOLEAN:
            let value = lua_toboolean(L, -1) != 0
            if scriptResp == 2 {
                if value { reply.integer(1) } else { reply.nullBulk() }
            } else {
                reply.boolean(value)
            }
        case LUA_TNUMBER:
            reply.integer(LuaNumber.integer(lua_tonumber(L, -1)))
        case LUA_TTABLE:
            return writeTable(L, to: reply, engine: engine)
        default:
            reply.nullBulk()
        }
        lua_settop(L, -2)
        return nil
    }

    /// Whether the error table on top of the stack came from a failed `redis.call`, whose error
    /// was counted when the command failed.
    static func ignoresErrorStats(_ L: OpaquePointer) -> Bool {
        Lua.rawField(L, -1, "ignore_error_stats_update")
        defer { lua_settop(L, -2) }
        return lua_toboolean(L, -1) != 0
    }

    private static func stringField(_ L: OpaquePointer, _ name: String) -> [UInt8]? {
        Lua.rawField(L, -1, name)
        defer { lua_settop(L, -2) }
        return lua_type(L, -1) == LUA_TSTRING ? Lua.bytes(L, -1) : nil
    }

    /// `bytes` with CR and LF as spaces, so that an error or status stays one protocol line.
    static func spaced(_ bytes: [UInt8]) -> [UInt8] {
        bytes.map { $0 == 13 || $0 == 10 ? 32 : $0 }
    }

    /// Writes an error, status, double, big number or verbatim table and pops it; for a map,
    /// set or array writes the header and returns the frame that writes the elements.
    private static func writeTable(_ L: OpaquePointer, to reply: ReplyWriter, engine: Engine) -> Frame? {
        if stringField(L, "err") != nil {
            let counted = !ignoresErrorStats(L)
            Lua.rawField(L, -1, "err")
            let error = RedisError(bytes: spaced(Lua.cBytes(L, -1) ?? []))
            lua_settop(L, -3)
            if counted { engine.countError(error) } else { engine.failWithoutCountingError() }
            reply.buffer.writeRESPError(bytes: error.bytes)
            return nil
        }
        if let ok = stringField(L, "ok") {
            var text = ok
            if let nul = text.firstIndex(of: 0) { text = Array(text[..<nul]) }
            reply.buffer.writeInteger(UInt8(ascii: "+"))
            reply.buffer.writeBytes(spaced(text))
            reply.buffer.writeStaticString("\r\n")
            lua_settop(L, -2)
            return nil
        }
        Lua.rawField(L, -1, "double")
        if lua_type(L, -1) == LUA_TNUMBER {
            reply.double(lua_tonumber(L, -1))
            lua_settop(L, -3)
            return nil
        }
        lua_settop(L, -2)
        if let big = stringField(L, "big_number") {
            if reply.isResp3 {
                reply.buffer.writeInteger(UInt8(ascii: "("))
                reply.buffer.writeBytes(spaced(big))
                reply.buffer.writeStaticString("\r\n")
            } else {
                reply.bulk(spaced(big))
            }
            lua_settop(L, -2)
            return nil
        }
        Lua.rawField(L, -1, "verbatim_string")
        if lua_type(L, -1) == LUA_TTABLE, let format = stringField(L, "format"), let text = stringField(L, "string") {
            lua_settop(L, -3)
            if reply.isResp3 {
                var f = format
                if let nul = f.firstIndex(of: 0) { f = Array(f[..<nul]) }
                while f.count < 3 { f.append(UInt8(ascii: " ")) }
                reply.buffer.writeRESPHeader(UInt8(ascii: "="), text.count + 4)
                reply.buffer.writeBytes(f.prefix(3))
                reply.buffer.writeInteger(UInt8(ascii: ":"))
                reply.buffer.writeBytes(text)
                reply.buffer.writeStaticString("\r\n")
            } else {
                reply.bulk(text)
            }
            return nil
        }
        lua_settop(L, -2)
        for kind in ["map", "set"] {
            Lua.rawField(L, -1, kind)
            if lua_type(L, -1) == LUA_TTABLE {
                var count = 0
                lua_pushnil(L)
                while lua_next(L, -2) != 0 {
                    lua_settop(L, -2)
                    count += 1
                }
                if kind == "map" {
                    reply.mapHeader(count)
                    lua_pushnil(L)
                    return .map(awaitingValue: false)
                }
                reply.setHeader(count)
                lua_pushnil(L)
                return .set
            }
            lua_settop(L, -2)
        }
        var count: Int32 = 0
        while true {
            lua_rawgeti(L, -1, count + 1)
            let isNil = lua_type(L, -1) == LUA_TNIL
            lua_settop(L, -2)
            if isNil { break }
            count += 1
        }
        reply.arrayHeader(Int(count))
        return .array(next: 1, count: count)
    }
}
