import CLua

/// The `bit` library Redis bundles (LuaBitOp 1.0): 32-bit operations on Lua numbers.
enum LuaBit {
    static func install(_ L: OpaquePointer) {
        lua_createtable(L, 0, 12)
        let functions: [(String, roost_lua_fn)] = [
            ("tobit", tobit), ("bnot", bnot), ("band", band), ("bor", bor), ("bxor", bxor),
            ("lshift", lshift), ("rshift", rshift), ("arshift", arshift), ("rol", rol), ("ror", ror),
            ("bswap", bswap), ("tohex", tohex),
        ]
        for (name, f) in functions { Lua.setFunction(L, -1, name, f) }
        roost_lua_setglobal(L, "bit")
    }

    /// Argument `i` as LuaBitOp normalizes it (rounded, modulo 2^32), or nil after pushing
    /// `luaL_checknumber`'s error.
    private static func arg(_ L: OpaquePointer, _ i: Int32, _ name: String) -> UInt32? {
        guard let n = LuaNumber.check(L, i, name) else { return nil }
        return UInt32(truncatingIfNeeded: (n + 6_755_399_441_055_744.0).bitPattern)
    }

    private static func result(_ L: OpaquePointer, _ v: UInt32) -> Int32 {
        lua_pushnumber(L, lua_Number(Int32(bitPattern: v)))
        return 1
    }

    private static func fold(_ L: OpaquePointer, _ name: String, _ op: (UInt32, UInt32) -> UInt32) -> Int32 {
        guard var v = arg(L, 1, name) else { return -1 }
        // From the last argument down, as LuaBitOp does: the highest bad argument is reported.
        var i = lua_gettop(L)
        while i > 1 {
            guard let x = arg(L, i, name) else { return -1 }
            v = op(v, x)
            i -= 1
        }
        return result(L, v)
    }

    private static func shift(_ L: OpaquePointer, _ name: String, _ op: (UInt32, UInt32) -> UInt32) -> Int32 {
        guard let v = arg(L, 1, name), let n = arg(L, 2, name) else { return -1 }
        return result(L, op(v, n & 31))
    }

    static let tobit: roost_lua_fn = { L in
        guard let L else { return 0 }
        return fold(L, "tobit") { a, _ in a }
    }
    static let bnot: roost_lua_fn = { L in
        guard let L, let v = arg(L, 1, "bnot") else { return -1 }
        return result(L, ~v)
    }
    static let band: roost_lua_fn = { L in
        guard let L else { return 0 }
        return fold(L, "band") { $0 & $1 }
    }
    static let bor: roost_lua_fn = { L in
        guard let L else { return 0 }
        return fold(L, "bor") { $0 | $1 }
    }
    static let bxor: roost_lua_fn = { L in
        guard let L else { return 0 }
        return fold(L, "bxor") { $0 ^ $1 }
    }
    static let lshift: roost_lua_fn = { L in
        guard let L else { return 0 }
        return shift(L, "lshift") { $0 << $1 }
    }
    static let rshift: roost_lua_fn = { L in
        guard let L else { return 0 }
        return shift(L, "rshift") { $0 >> $1 }
    }
    static let arshift: roost_lua_fn = { L in
        guard let L else { return 0 }
        return shift(L, "arshift") { UInt32(bitPattern: Int32(bitPattern: $0) >> Int32($1)) }
    }
    static let rol: roost_lua_fn = { L in
        guard let L else { return 0 }
        return shift(L, "rol") { ($0 << $1) | ($0 >> ((32 - $1) & 31)) }
    }
    static let ror: roost_lua_fn = { L in
        guard let L else { return 0 }
        return shift(L, "ror") { ($0 >> $1) | ($0 << ((32 - $1) & 31)) }
    }
    static let bswap: roost_lua_fn = { L in
        guard let L, let v = arg(L, 1, "bswap") else { return -1 }
        return result(L, v.byteSwapped)
    }
    static let tohex: roost_lua_fn = { L in
        guard let L, var v = arg(L, 1, "tohex") else { return -1 }
        var n: Int32 = 8
        if lua_type(L, 2) != LUA_TNONE {
            guard let x = arg(L, 2, "tohex") else { return -1 }
            n = Int32(bitPattern: x)
        }
        // LuaBitOp negates a negative count; the smallest one is nudged first, as Redis's
        // patched copy does, so the negation cannot overflow.
        if n == Int32.min { n += 1 }
        let digits = Array((n < 0 ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        if n < 0 { n = -n }
        if n > 8 { n = 8 }
        var out = [UInt8](repeating: 0, count: Int(n))
        var i = Int(n) - 1
        while i >= 0 {
            out[i] = digits[Int(v & 15)]
            v >>= 4
            i -= 1
        }
        Lua.push(L, out)
        return 1
    }
}
