import CLua

/// The conversions from a Lua number (a `Double`) to an integer that Redis's Lua libraries make
/// in C, computed as x86-64 computes them, so that no client-controlled number can trap.
///
/// Swift's `Int(x)` traps on NaN, infinities and out-of-range values. C's casts do not: on
/// x86-64 `cvttsd2si` truncates toward zero and answers the "integer indefinite" value (the
/// smallest integer of the destination width) for NaN, ±inf and anything out of range. Every
/// library function exposed to scripts converts through this type, never through `Int(x)`.
enum LuaNumber {
    /// `(lua_Integer)d`, `(long)d`, `(long long)d`: 64-bit `cvttsd2si`. What `lua_tointeger`,
    /// `luaL_checkinteger` and `luaL_optinteger` answer.
    static func integer(_ d: Double) -> Int64 {
        if d.isNaN || d >= 9_223_372_036_854_775_808.0 || d < -9_223_372_036_854_775_808.0 { return .min }
        return Int64(d)
    }

    /// `(int)d`: 32-bit `cvttsd2si`, as `int x = lua_tonumber(...)` compiles.
    static func int(_ d: Double) -> Int32 {
        if d.isNaN || d >= 2_147_483_648.0 || d <= -2_147_483_649.0 { return .min }
        return Int32(d)
    }

    /// `luaL_checkint` and `int x = luaL_checkinteger(...)`: the 64-bit conversion, then the
    /// low 32 bits (so 2^32 + 5 is 5, and NaN is 0).
    static func truncatedInt(_ d: Double) -> Int32 {
        Int32(truncatingIfNeeded: integer(d))
    }

    /// `(size_t)d` and `(unsigned long)d` as gcc compiles them for x86-64: below 2^63 (NaN
    /// included) the signed conversion reinterpreted, otherwise the conversion of `d - 2^63`
    /// with the top bit flipped, which makes 2^64 and beyond (and +inf) 0.
    static func unsigned(_ d: Double) -> UInt64 {
        if d >= 9_223_372_036_854_775_808.0 {
            return UInt64(bitPattern: integer(d - 9_223_372_036_854_775_808.0)) ^ (1 << 63)
        }
        return UInt64(bitPattern: integer(d))
    }

    /// The low 32 bits of `n` as `%d` prints a wider integer passed to `lua_pushfstring`.
    static func printed(_ n: Int64) -> Int32 { Int32(truncatingIfNeeded: n) }

    // MARK: Arguments

    /// `luaL_checknumber(L, i)`: the number at `i`, or nil after pushing Lua's
    /// "bad argument #i to 'name' (number expected, got T)" error (with the script position).
    static func check(_ L: OpaquePointer, _ i: Int32, _ name: String) -> Double? {
        if lua_isnumber(L, i) == 0 {
            Lua.pushErrorWithPosition(L, level: 1, Array(typeError(L, i, name, expected: "number").utf8))
            return nil
        }
        return lua_tonumber(L, i)
    }

    /// `luaL_checkinteger(L, i)`, or nil after pushing the error.
    static func checkInteger(_ L: OpaquePointer, _ i: Int32, _ name: String) -> Int64? {
        check(L, i, name).map(integer)
    }

    /// `luaL_optinteger(L, i, value)`: `value` when the argument is absent or nil.
    static func optionalInteger(_ L: OpaquePointer, _ i: Int32, _ name: String, default value: Int64) -> Int64? {
        lua_type(L, i) <= LUA_TNIL ? value : checkInteger(L, i, name)
    }

    /// `luaL_typerror`'s text for argument `i` of `name`.
    static func typeError(_ L: OpaquePointer, _ i: Int32, _ name: String, expected: String) -> String {
        let got = String(cString: lua_typename(L, lua_type(L, i)))
        return "bad argument #\(i) to '\(name)' (\(expected) expected, got \(got))"
    }
}
