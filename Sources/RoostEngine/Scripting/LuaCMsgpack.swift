import CLua

/// The `cmsgpack` library Redis 7.0 bundles (lua-cmsgpack 0.4.0), written in Swift: pack,
/// unpack, unpack_one and unpack_limit, with the same encodings and error texts.
enum LuaCMsgpack {
    /// Tables nested deeper than this are packed as nil, which also stops cycles.
    static let maxNesting = 16

    static func install(_ L: OpaquePointer) {
        lua_createtable(L, 0, 8)
        Lua.setFunction(L, -1, "pack", pack)
        Lua.setFunction(L, -1, "unpack", unpack)
        Lua.setFunction(L, -1, "unpack_one", unpackOne)
        Lua.setFunction(L, -1, "unpack_limit", unpackLimit)
        for (name, value) in [("_NAME", "cmsgpack"), ("_VERSION", "lua-cmsgpack 0.4.0"),
                              ("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo"),
                              ("_DESCRIPTION", "MessagePack C implementation for Lua")] {
            Lua.push(L, value)
            Lua.setRawField(L, -2, name)
        }
        roost_lua_setglobal(L, "cmsgpack")
    }

    private static func fail(_ L: OpaquePointer, _ message: String) -> Int32 {
        Lua.pushErrorWithPosition(L, level: 1, Array(message.utf8))
        return -1
    }

    // MARK: Packing

    private static func appendBigEndian(_ out: inout [UInt8], _ value: UInt64, bytes: Int) {
        for i in (0..<bytes).reversed() { out.append(UInt8(truncatingIfNeeded: value >> (UInt64(i) * 8))) }
    }

    private static func encodeInteger(_ n: Int64, _ out: inout [UInt8]) {
        let u = UInt64(bitPattern: n)
        if n >= 0 {
            if n <= 127 { out.append(UInt8(n)) }
            else if n <= 0xFF { out.append(0xCC); appendBigEndian(&out, u, bytes: 1) }
            else if n <= 0xFFFF { out.append(0xCD); appendBigEndian(&out, u, bytes: 2) }
            else if n <= 0xFFFF_FFFF { out.append(0xCE); appendBigEndian(&out, u, bytes: 4) }
            else { out.append(0xCF); appendBigEndian(&out, u, bytes: 8) }
        } else {
            if n >= -32 { out.append(UInt8(truncatingIfNeeded: n)) }
            else if n >= -128 { out.append(0xD0); appendBigEndian(&out, u, bytes: 1) }
            else if n >= -32768 { out.append(0xD1); appendBigEndian(&out, u, bytes: 2) }
            else if n >= -2_147_483_648 { out.append(0xD2); appendBigEndian(&out, u, bytes: 4) }
            else { out.append(0xD3); appendBigEndian(&out, u, bytes: 8) }
        }
    }

    private static func encodeHeader(_ count: Int, _ out: inout [UInt8], fix: UInt8, fixLimit: Int, c16: UInt8, c32: UInt8) {
        if count <= fixLimit { out.append(fix | UInt8(count)) }
        else if count <= 0xFFFF { out.append(c16); appendBigEndian(&out, UInt64(count), bytes: 2) }
        else { out.append(c32); appendBigEndian(&out, UInt64(count), bytes: 4) }
    }

    /// Packs the value on top of the stack and pops it.
    private static func encode(_ L: OpaquePointer, _ out: inout [UInt8], level: Int) {
        var type = lua_type(L, -1)
        if type == LUA_TTABLE && level == maxNesting { type = LUA_TNIL }
        switch type {
        case LUA_TSTRING:
            let s = Lua.bytes(L, -1) ?? []
            if s.count < 32 { out.append(0xA0 | UInt8(s.count)) }
            else if s.count <= 0xFF { out.append(0xD9); appendBigEndian(&out, UInt64(s.count), bytes: 1) }
            else if s.count <= 0xFFFF { out.append(0xDA); appendBigEndian(&out, UInt64(s.count), bytes: 2) }
            else { out.append(0xDB); appendBigEndian(&out, UInt64(s.count), bytes: 4) }
            out += s
        case LUA_TBOOLEAN:
            out.append(lua_toboolean(L, -1) != 0 ? 0xC3 : 0xC2)
        case LUA_TNUMBER:
            let n = lua_tonumber(L, -1)
            if !n.isInfinite && !n.isNaN && n >= -9_223_372_036_854_775_808.0 && n < 9_223_372_036_854_775_808.0
                && Double(Int64(n)) == n {
                encodeInteger(Int64(n), &out)
            } else {
                let f = Float(n)
                if Double(f) == n {
                    out.append(0xCA)
                    appendBigEndian(&out, UInt64(f.bitPattern), bytes: 4)
                } else {
                    out.append(0xCB)
                    appendBigEndian(&out, n.bitPattern, bytes: 8)
                }
            }
        case LUA_TTABLE:
            lua_checkstack(L, 4)
            if isArray(L) {
                let length = Int(lua_objlen(L, -1))
                encodeHeader(length, &out, fix: 0x90, fixLimit: 15, c16: 0xDC, c32: 0xDD)
                if length > 0 {
                    for j in 1...length {
                        lua_rawgeti(L, -1, Int32(j))
                        encode(L, &out, level: level + 1)
                    }
                }
            } else {
                var count = 0
                lua_pushnil(L)
                while lua_next(L, -2) != 0 {
                    lua_settop(L, -2)
                    count += 1
                }
                encodeHeader(count, &out, fix: 0x80, fixLimit: 15, c16: 0xDE, c32: 0xDF)
                lua_pushnil(L)
                while lua_next(L, -2) != 0 {
                    lua_pushvalue(L, -2)
                    encode(L, &out, level: level + 1)
                    encode(L, &out, level: level + 1)
                }
            }
        default:
            out.append(0xC0)
        }
        lua_settop(L, -2)
    }

    /// Whether the table on top has exactly the keys 1...N.
    private static func isArray(_ L: OpaquePointer) -> Bool {
        let top = lua_gettop(L)
        var count = 0.0
        var maxKey = 0.0
        lua_pushnil(L)
        while lua_next(L, -2) != 0 {
            lua_settop(L, -2)
            let n = lua_tonumber(L, -1)
            let isInt32 = !n.isInfinite && !n.isNaN && n >= -2_147_483_648.0 && n <= 2_147_483_647.0
                && Double(Int32(n)) == n
            if lua_type(L, -1) != LUA_TNUMBER || n <= 0 || !isInt32 {
                lua_settop(L, top)
                return false
            }
            maxKey = max(maxKey, n)
            count += 1
        }
        lua_settop(L, top)
        return maxKey == count
    }

    static let pack: roost_lua_fn = { L in
        guard let L else { return 0 }
        let n = lua_gettop(L)
        if n == 0 {
            Lua.pushErrorWithPosition(L, level: 1, Array("bad argument #0 to 'pack' (MessagePack pack needs input.)".utf8))
            return -1
        }
        var out: [UInt8] = []
        lua_checkstack(L, 8)
        for i in 1...n {
            lua_pushvalue(L, i)
            encode(L, &out, level: 0)
        }
        Lua.push(L, out)
        return 1
    }

    // MARK: Unpacking

    private enum DecodeError: Error {
        case eof, badFormat
        /// A message raised as is (`positioned: false`, like Lua's own table errors) or after the
        /// script position (`luaL_error`).
        case message(String, positioned: Bool = false)
    }

    private struct Cursor {
        let data: [UInt8]
        var position: Int

        var left: Int { data.count - position }

        mutating func need(_ n: Int) throws(DecodeError) {
            if left < n { throw .eof }
        }

        func byte(_ i: Int) -> UInt8 { data[position + i] }

        func bigEndian(_ offset: Int, _ count: Int) -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<count { v = v << 8 | UInt64(data[position + offset + i]) }
            return v
        }
    }

    /// A container being filled: its table (and, for arrays, the next index; for maps, a
    /// pending key) sit on the Lua stack.
    private struct Frame {
        let isMap: Bool
        var remaining: Int
        var nextIndex: Double = 1
        var haveKey = false
    }

    /// Decodes one value onto the stack. Nested arrays and maps are filled with an explicit
    /// stack of frames, so hostile nesting ends in Lua's stack limit, never in a deep Swift
    /// recursion.
    private static func decode(_ L: OpaquePointer, _ c: inout Cursor) throws(DecodeError) {
        var frames: [Frame] = []
        while true {
            // Prepare the slot for the next value of the innermost container.
            if let top = frames.last, !top.isMap {
                lua_pushnumber(L, top.nextIndex)
            }
            if let frame = try decodeScalarOrOpen(L, &c) {
                frames.append(frame)
            } else {
                // A complete value is on top: store it into its parents while they fill up.
                while true {
                    guard var top = frames.last else { return }
                    if top.isMap && !top.haveKey {
                        top.haveKey = true
                        frames[frames.count - 1] = top
                        break
                    }
                    if top.isMap {
                        if lua_type(L, -2) == LUA_TNIL { throw .message("table index is nil") }
                        if lua_type(L, -2) == LUA_TNUMBER && lua_tonumber(L, -2).isNaN {
                            throw .message("table index is NaN")
                        }
                        top.haveKey = false
                    } else {
                        top.nextIndex += 1
                    }
                    lua_rawset(L, -3)
                    top.remaining -= 1
                    frames[frames.count - 1] = top
                    if top.remaining > 0 { break }
                    frames.removeLast()
                }
            }
            // Pop containers that were empty from the start.
            while let top = frames.last, top.remaining == 0 {
                frames.removeLast()
                var completed = true
                while completed {
                    guard var parent = frames.last else { return }
                    completed = false
                    if parent.isMap && !parent.haveKey {
                        parent.haveKey = true
                        frames[frames.count - 1] = parent
                        break
                    }
                    if parent.isMap {
                        if lua_type(L, -2) == LUA_TNIL { throw .message("table index is nil") }
                        parent.haveKey = false
                    } else {
                        parent.nextIndex += 1
                    }
                    lua_rawset(L, -3)
                    parent.remaining -= 1
                    frames[frames.count - 1] = parent
                    if parent.remaining == 0 {
                        frames.removeLast()
                        completed = true
                    }
                }
            }
        }
    }

    /// Pushes a scalar and returns nil, or pushes a new table and returns its frame.
    private static func decodeScalarOrOpen(_ L: OpaquePointer, _ c: inout Cursor) throws(DecodeError) -> Frame? {
        try c.need(1)
        if lua_checkstack(L, 1) == 0 {
            throw .message("stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)",
                           positioned: true)
        }
        let t = c.byte(0)
        func number(_ v: Double, _ size: Int) {
            lua_pushnumber(L, v)
            c.position += size
        }
        func open(isMap: Bool, count: Int, header: Int) throws(DecodeError) -> Frame {
            c.position += header
            lua_createtable(L, 0, 0)
            // An array's index takes a slot before each element; every value (a map's keys and
            // values included) checks for its own slot, as lua-cmsgpack does.
            if !isMap && lua_checkstack(L, 1) == 0 {
                throw .message("stack overflow (in function mp_decode_to_lua_array)", positioned: true)
            }
            return Frame(isMap: isMap, remaining: count)
        }
        switch t {
        case 0xCC: try c.need(2); number(Double(c.byte(1)), 2)
        case 0xD0: try c.need(2); number(Double(Int8(bitPattern: c.byte(1))), 2)
        case 0xCD: try c.need(3); number(Double(c.bigEndian(1, 2)), 3)
        case 0xD1: try c.need(3); number(Double(Int16(truncatingIfNeeded: c.bigEndian(1, 2))), 3)
        case 0xCE: try c.need(5); number(Double(c.bigEndian(1, 4)), 5)
        case 0xD2: try c.need(5); number(Double(Int32(truncatingIfNeeded: c.bigEndian(1, 4))), 5)
        case 0xCF, 0xD3: try c.need(9); number(Double(Int64(bitPattern: c.bigEndian(1, 8))), 9)
        case 0xC0: lua_pushnil(L); c.position += 1
        case 0xC3: lua_pushboolean(L, 1); c.position += 1
        case 0xC2: lua_pushboolean(L, 0); c.position += 1
        case 0xCA:
            try c.need(5)
            number(Double(Float(bitPattern: UInt32(c.bigEndian(1, 4)))), 5)
        case 0xCB:
            try c.need(9)
            number(Double(bitPattern: c.bigEndian(1, 8)), 9)
        case 0xD9, 0xDA, 0xDB:
            let size = t == 0xD9 ? 1 : t == 0xDA ? 2 : 4
            try c.need(1 + size)
            let length = Int(c.bigEndian(1, size))
            try c.need(1 + size + length)
            let start = c.position + 1 + size
            Lua.push(L, Array(c.data[start..<(start + length)]))
            c.position = start + length
        case 0xDC, 0xDD:
            let size = t == 0xDC ? 2 : 4
            try c.need(1 + size)
            return try open(isMap: false, count: Int(c.bigEndian(1, size)), header: 1 + size)
        case 0xDE, 0xDF:
            let size = t == 0xDE ? 2 : 4
            try c.need(1 + size)
            return try open(isMap: true, count: Int(c.bigEndian(1, size)), header: 1 + size)
        default:
            if t & 0x80 == 0 {
                number(Double(t), 1)
            } else if t & 0xE0 == 0xE0 {
                number(Double(Int8(bitPattern: t)), 1)
            } else if t & 0xE0 == 0xA0 {
                let length = Int(t & 0x1F)
                try c.need(1 + length)
                Lua.push(L, Array(c.data[(c.position + 1)..<(c.position + 1 + length)]))
                c.position += 1 + length
            } else if t & 0xF0 == 0x90 {
                return try open(isMap: false, count: Int(t & 0x0F), header: 1)
            } else if t & 0xF0 == 0x80 {
                return try open(isMap: true, count: Int(t & 0x0F), header: 1)
            } else {
                throw .badFormat
            }
        }
        return nil
    }

    /// lua-cmsgpack's `mp_unpack_full`: with `limit` and `offset` both 0 every value is
    /// returned; otherwise the next offset (-1 at the end) comes first. Both are `lua_Integer`s;
    /// the error texts print them (and the length) through `%d`, so as C ints.
    private static func unpackFull(_ L: OpaquePointer, _ name: String, limit: Int64, offset: Int64) -> Int32 {
        guard lua_type(L, 1) == LUA_TSTRING || lua_type(L, 1) == LUA_TNUMBER, let s = Lua.bytes(L, 1) else {
            return fail(L, LuaNumber.typeError(L, 1, name, expected: "string"))
        }
        let decodeAll = limit == 0 && offset == 0
        let length = LuaNumber.printed(Int64(s.count))
        if offset < 0 || limit < 0 {
            return fail(L, "Invalid request to unpack with offset of \(LuaNumber.printed(offset)) and limit of \(length).")
        } else if offset > Int64(s.count) {
            return fail(L, "Start offset \(LuaNumber.printed(offset)) greater than input length \(length).")
        }
        let cap = decodeAll ? Int64(Int32.max) : limit
        var c = Cursor(data: s, position: Int(offset))
        var count: Int32 = 0
        while c.left > 0 && Int64(count) < cap {
            do throws(DecodeError) {
                try decode(L, &c)
            } catch {
                switch error {
                case .eof: return fail(L, "Missing bytes in input.")
                case .badFormat: return fail(L, "Bad data format in input.")
                case .message(let text, let positioned):
                    if positioned { return fail(L, text) }
                    Lua.push(L, text)
                    return -1
                }
            }
            count += 1
        }
        if !decodeAll {
            if lua_checkstack(L, 1) == 0 { return fail(L, "stack overflow (in function mp_unpack_full)") }
            lua_pushinteger(L, c.left == 0 ? -1 : c.position)
            lua_insert(L, 2)
            count += 1
        }
        return count
    }

    static let unpack: roost_lua_fn = { L in
        guard let L else { return 0 }
        return unpackFull(L, "unpack", limit: 0, offset: 0)
    }

    static let unpackOne: roost_lua_fn = { L in
        guard let L else { return 0 }
        guard let offset = LuaNumber.optionalInteger(L, 2, "unpack_one", default: 0) else { return -1 }
        lua_settop(L, 1)
        return unpackFull(L, "unpack_one", limit: 1, offset: offset)
    }

    static let unpackLimit: roost_lua_fn = { L in
        guard let L else { return 0 }
        guard let limit = LuaNumber.checkInteger(L, 2, "unpack_limit"),
              let offset = LuaNumber.optionalInteger(L, 3, "unpack_limit", default: 0) else { return -1 }
        lua_settop(L, 1)
        return unpackFull(L, "unpack_limit", limit: limit, offset: offset)
    }
}
