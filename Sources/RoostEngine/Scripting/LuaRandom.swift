import CLua

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Redis's `math.random` and `math.randomseed`: a 48-bit linear congruential generator (Redis's
/// `redisLrand48`) that starts from the same state in every server, so scripts see the same
/// sequence Redis gives them. The state belongs to the engine and survives SCRIPT FLUSH.
enum LuaRandom {
    /// `lrand48`'s initial state.
    static let initialState: UInt64 = 0x1234_ABCD_330E
    static let maximum: Int64 = 2_147_483_647

    static func install(_ L: OpaquePointer) {
        Lua.rawField(L, Lua.globals, "math")
        Lua.setFunction(L, -1, "random", random)
        Lua.setFunction(L, -1, "randomseed", randomseed)
        lua_settop(L, -2)
    }

    /// The next 31-bit value; advances `state`.
    static func next(_ state: inout UInt64) -> Int64 {
        state = (state &* 0x5_DEEC_E66D &+ 0xB) & 0xFFFF_FFFF_FFFF
        return Int64(state >> 17)
    }

    /// The state `redisSrand48(seed)` sets.
    static func seeded(_ seed: Int32) -> UInt64 {
        (UInt64(UInt32(bitPattern: seed)) << 16) | 0x330E
    }

    private static func fail(_ L: OpaquePointer, _ message: String) -> Int32 {
        Lua.pushErrorWithPosition(L, level: 1, Array(message.utf8))
        return -1
    }

    /// `luaL_checkint`: the argument as a C int, or nil after pushing the error.
    private static func intArgument(_ L: OpaquePointer, _ i: Int32, _ name: String) -> Int32? {
        LuaNumber.check(L, i, name).map(LuaNumber.truncatedInt)
    }

    static let random: roost_lua_fn = { L in
        guard let L else { return 0 }
        guard let scripting = LuaScripting.of(L), scripting.run != nil else {
            return fail(L, "math.random can only be called inside a script invocation")
        }
        let r = Double(next(&scripting.engine.scriptRandomState) % maximum) / Double(maximum)
        switch lua_gettop(L) {
        case 0:
            lua_pushnumber(L, r)
        case 1:
            guard let u = intArgument(L, 1, "random") else { return -1 }
            if u < 1 { return fail(L, "bad argument #1 to 'random' (interval is empty)") }
            lua_pushnumber(L, floor(r * Double(u)) + 1)
        case 2:
            guard let l = intArgument(L, 1, "random"), let u = intArgument(L, 2, "random") else { return -1 }
            if l > u { return fail(L, "bad argument #2 to 'random' (interval is empty)") }
            // `u - l + 1` is C int arithmetic, which wraps.
            lua_pushnumber(L, floor(r * Double(u &- l &+ 1)) + Double(l))
        default:
            return fail(L, "wrong number of arguments")
        }
        return 1
    }

    static let randomseed: roost_lua_fn = { L in
        guard let L else { return 0 }
        guard let scripting = LuaScripting.of(L), scripting.run != nil else {
            return fail(L, "math.randomseed can only be called inside a script invocation")
        }
        guard let seed = intArgument(L, 1, "randomseed") else { return -1 }
        scripting.engine.scriptRandomState = seeded(seed)
        return 0
    }
}
