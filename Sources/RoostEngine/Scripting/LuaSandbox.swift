import CLua
import NIOCore

/// Builds the scripting environment Redis 7.0 gives EVAL: the base, table, string and math
/// libraries, `bit`, `cjson`, `cmsgpack` and `struct`, the `redis` API, Redis's `pcall`, and
/// read-only globals.
///
/// Debian's Lua has no read-only tables (Redis patches its bundled Lua for them), so the
/// globals and each library table are replaced by empty proxies whose metatables read through to
/// the real table and refuse writes with Redis's error texts; `rawset` refuses the proxies.
///
/// The string metatable cannot be a proxy (Lua reads metamethods raw), so scripts never get it:
/// `getmetatable` hands out a read-only proxy of it instead, and its `__index` is the read-only
/// `string` proxy. `getmetatable(_G)` answers a read-only `{__index = …}`, as Redis's does;
/// library tables have no metatable to show. Nothing a script does reaches the next script.
enum LuaSandbox {
    /// Registry keys of what `getmetatable` answers for a string and for `_G`, and of `_G`.
    static let stringMetatableKey = "roost.stringmeta"
    static let globalsMetatableKey = "roost.globalsmeta"
    static let globalsProxyKey = "roost.globalsproxy"

    /// The globals scripts may see, as Redis's allow lists name them.
    static let allowedGlobals: Set<String> = [
        "string", "cjson", "bit", "cmsgpack", "math", "struct", "table", "redis", "xpcall", "tostring",
        "setmetatable", "next", "assert", "tonumber", "rawequal", "collectgarbage", "getmetatable", "rawset",
        "pcall", "coroutine", "type", "_G", "select", "unpack", "gcinfo", "pairs", "rawget", "loadstring",
        "ipairs", "_VERSION", "load", "error", "__redis__err__handler",
    ]

    static func install(_ L: OpaquePointer) {
        roost_lua_openlib(L, luaopen_base, "")
        roost_lua_openlib(L, luaopen_table, LUA_TABLIBNAME)
        roost_lua_openlib(L, luaopen_string, LUA_STRLIBNAME)
        roost_lua_openlib(L, luaopen_math, LUA_MATHLIBNAME)
        LuaRandom.install(L)
        LuaBit.install(L)
        LuaCJSON.install(L)
        LuaCMsgpack.install(L)
        LuaStruct.install(L)
        Lua.setFunction(L, Lua.globals, "pcall", redisPcall)
        Lua.setFunction(L, Lua.globals, "rawset", protectedRawset)
        // next, pairs and rawget see through the read-only proxies to the tables behind them.
        Lua.rawField(L, Lua.globals, "next")
        Lua.setRawField(L, Lua.registry, originalNextKey)
        roost_lua_pushfunction(L, proxyNext)
        lua_pushvalue(L, -1)
        Lua.setRawField(L, Lua.registry, proxyNextKey)
        Lua.setRawField(L, Lua.globals, "next")
        Lua.setFunction(L, Lua.globals, "pairs", proxyPairs)
        Lua.setFunction(L, Lua.globals, "rawget", proxyRawget)
        Lua.setFunction(L, Lua.globals, "setmetatable", protectedSetmetatable)
        Lua.setFunction(L, Lua.globals, "getmetatable", protectedGetmetatable)
        Lua.setFunction(L, Lua.globals, "unpack", checkedUnpack)
        anchorChunkNames(L)
        lua_pushcclosure(L, errorHandler, 0)
        Lua.setRawField(L, Lua.globals, "__redis__err__handler")
        LuaRedisAPI.install(L)

        // Drop every global not on the allow list (dofile, loadfile, print).
        var remove: [[UInt8]] = []
        lua_pushnil(L)
        while lua_next(L, Lua.globals) != 0 {
            lua_settop(L, -2)
            if lua_type(L, -1) == LUA_TSTRING, let name = Lua.bytes(L, -1),
               !allowedGlobals.contains(String(decoding: name, as: UTF8.self)) {
                remove.append(name)
            }
        }
        for name in remove {
            Lua.push(L, name)
            lua_pushnil(L)
            lua_rawset(L, Lua.globals)
        }

        // The set of read-only proxies, weak-keyed.
        lua_createtable(L, 0, 8)
        lua_createtable(L, 0, 1)
        Lua.push(L, "k")
        Lua.setRawField(L, -2, "__mode")
        lua_setmetatable(L, -2)
        Lua.setRawField(L, Lua.registry, LuaScripting.readOnlyKey)

        // Library tables become read-only proxies.
        for name in ["string", "math", "table", "redis", "bit", "cjson", "cmsgpack", "struct", "coroutine"] {
            Lua.rawField(L, Lua.globals, name)
            pushProxy(L, indexTable: -1)
            lua_remove(L, -2)
            Lua.setRawField(L, Lua.globals, name)
        }

        // Strings index the read-only `string`; scripts see a proxy of their metatable.
        Lua.push(L, "")
        lua_getmetatable(L, -1)
        Lua.rawField(L, Lua.globals, "string")
        Lua.setRawField(L, -2, "__index")
        pushProxy(L, indexTable: -1)
        Lua.setRawField(L, Lua.registry, stringMetatableKey)
        lua_settop(L, -3)

        // The globals: the thread's globals table becomes a proxy of the real one, which `_G`
        // also names, and a missing global is an error.
        lua_pushvalue(L, Lua.globals)
        Lua.setRawField(L, Lua.registry, LuaScripting.globalsKey)
        lua_createtable(L, 0, 1)
        roost_lua_pushfunction(L, globalIndex)
        Lua.setRawField(L, -2, "__index")
        pushProxy(L, indexTable: -1)
        Lua.setRawField(L, Lua.registry, globalsMetatableKey)
        lua_createtable(L, 0, 0)
        lua_createtable(L, 0, 3)
        Lua.rawField(L, -3, "__index")
        Lua.setRawField(L, -2, "__index")
        roost_lua_pushfunction(L, readOnlyNewIndex)
        Lua.setRawField(L, -2, "__newindex")
        lua_pushboolean(L, 0)
        Lua.setRawField(L, -2, "__metatable")
        lua_setmetatable(L, -2)
        markReadOnly(L, -1)
        lua_remove(L, -2)
        lua_pushvalue(L, -1)
        Lua.setRawField(L, Lua.registry, globalsProxyKey)
        lua_pushvalue(L, -1)
        Lua.setRawField(L, Lua.globals, "_G")
        lua_pushvalue(L, -1)
        let proxy = lua_gettop(L)
        // The library functions' environment becomes the proxy too, so `getfenv(tostring)`
        // cannot hand a script the writable table behind it.
        setEnvironment(L, ofFunctionsIn: Lua.globals, to: proxy)
        lua_pushnil(L)
        while lua_next(L, Lua.globals) != 0 {
            if lua_type(L, -1) == LUA_TTABLE && isReadOnly(L, -1) && lua_getmetatable(L, -1) != 0 {
                Lua.rawField(L, -1, "__index")
                if lua_type(L, -1) == LUA_TTABLE { setEnvironment(L, ofFunctionsIn: lua_gettop(L), to: proxy) }
                lua_settop(L, -3)
            }
            lua_settop(L, -2)
        }
        lua_settop(L, -2)
        lua_replace(L, Lua.globals)
    }

    /// Sets the environment of every function stored in the table at `table` to the table at
    /// `environment` (both absolute indexes or pseudo-indexes).
    private static func setEnvironment(_ L: OpaquePointer, ofFunctionsIn table: Int32, to environment: Int32) {
        lua_pushnil(L)
        while lua_next(L, table) != 0 {
            if lua_type(L, -1) == LUA_TFUNCTION {
                lua_pushvalue(L, environment)
                lua_setfenv(L, -2)
            }
            lua_settop(L, -2)
        }
    }

    /// Pushes a read-only proxy reading through to the table at `indexTable`.
    private static func pushProxy(_ L: OpaquePointer, indexTable: Int32) {
        let t = lua_gettop(L) + indexTable + 1
        lua_createtable(L, 0, 0)
        lua_createtable(L, 0, 3)
        lua_pushvalue(L, t)
        Lua.setRawField(L, -2, "__index")
        roost_lua_pushfunction(L, readOnlyNewIndex)
        Lua.setRawField(L, -2, "__newindex")
        lua_pushboolean(L, 0)
        Lua.setRawField(L, -2, "__metatable")
        lua_setmetatable(L, -2)
        markReadOnly(L, -1)
    }

    private static func markReadOnly(_ L: OpaquePointer, _ index: Int32) {
        let t = lua_gettop(L) + index + 1
        Lua.rawField(L, Lua.registry, LuaScripting.readOnlyKey)
        lua_pushvalue(L, t)
        lua_pushboolean(L, 1)
        lua_rawset(L, -3)
        lua_settop(L, -2)
    }

    private static func isReadOnly(_ L: OpaquePointer, _ index: Int32) -> Bool {
        Lua.rawField(L, Lua.registry, LuaScripting.readOnlyKey)
        lua_pushvalue(L, index)
        lua_rawget(L, -2)
        let r = lua_toboolean(L, -1) != 0
        lua_settop(L, -3)
        return r
    }

    /// `__index` of the globals: the real global, or Redis's error for a missing one.
    static let globalIndex: roost_lua_fn = { L in
        guard let L else { return 0 }
        Lua.rawField(L, Lua.registry, LuaScripting.globalsKey)
        lua_pushvalue(L, 2)
        lua_rawget(L, -2)
        if lua_type(L, -1) != LUA_TNIL { return 1 }
        let name = Lua.cBytes(L, 2) ?? Array("(null)".utf8)
        Lua.pushErrorWithPosition(
            L, level: 1, Array("Script attempted to access nonexistent global variable '".utf8) + name + [39])
        return -1
    }

    /// `__newindex` of every read-only proxy.
    static let readOnlyNewIndex: roost_lua_fn = { L in
        guard let L else { return 0 }
        Lua.pushErrorWithPosition(L, level: 1, Array("Attempt to modify a readonly table".utf8))
        return -1
    }

    static let originalNextKey = "roost.next"
    static let proxyNextKey = "roost.proxynext"

    /// Replaces the read-only proxy at `index` (absolute) by the table behind it.
    private static func unwrapProxy(_ L: OpaquePointer, _ index: Int32) {
        guard lua_type(L, index) == LUA_TTABLE, isReadOnly(L, index), lua_getmetatable(L, index) != 0 else { return }
        Lua.rawField(L, -1, "__index")
        if lua_type(L, -1) != LUA_TTABLE {
            lua_settop(L, -2)
            Lua.rawField(L, Lua.registry, LuaScripting.globalsKey)
        }
        lua_replace(L, index)
        lua_settop(L, -2)
    }

    /// `next`, reading through the proxies; the original runs protected so its errors are
    /// raised from C.
    static let proxyNext: roost_lua_fn = { L in
        guard let L else { return 0 }
        lua_settop(L, 2)
        unwrapProxy(L, 1)
        Lua.rawField(L, Lua.registry, originalNextKey)
        lua_insert(L, 1)
        if lua_pcall(L, 2, LUA_MULTRET, 0) != 0 { return -1 }
        return lua_gettop(L)
    }

    /// `pairs`: the proxy-aware `next`, the table and nil.
    static let proxyPairs: roost_lua_fn = { L in
        guard let L else { return 0 }
        if lua_type(L, 1) != LUA_TTABLE {
            let got = String(cString: lua_typename(L, lua_type(L, 1)))
            Lua.pushErrorWithPosition(L, level: 1, Array("bad argument #1 to 'pairs' (table expected, got \(got))".utf8))
            return -1
        }
        Lua.rawField(L, Lua.registry, proxyNextKey)
        lua_pushvalue(L, 1)
        lua_pushnil(L)
        return 3
    }

    /// `rawget`, reading through the proxies.
    static let proxyRawget: roost_lua_fn = { L in
        guard let L else { return 0 }
        if lua_type(L, 1) != LUA_TTABLE {
            let got = String(cString: lua_typename(L, lua_type(L, 1)))
            Lua.pushErrorWithPosition(L, level: 1, Array("bad argument #1 to 'rawget' (table expected, got \(got))".utf8))
            return -1
        }
        if lua_type(L, 2) == LUA_TNONE {
            Lua.pushErrorWithPosition(L, level: 1, Array("bad argument #2 to 'rawget' (value expected)".utf8))
            return -1
        }
        lua_settop(L, 2)
        unwrapProxy(L, 1)
        lua_rawget(L, 1)
        return 1
    }

    /// `setmetatable`, refusing the read-only proxies as Redis's read-only tables refuse it.
    static let protectedSetmetatable: roost_lua_fn = { L in
        guard let L else { return 0 }
        let t2 = lua_type(L, 2)
        if lua_type(L, 1) != LUA_TTABLE {
            let got = String(cString: lua_typename(L, lua_type(L, 1)))
            Lua.pushErrorWithPosition(L, level: 1, Array("bad argument #1 to 'setmetatable' (table expected, got \(got))".utf8))
            return -1
        }
        if t2 != LUA_TNIL && t2 != LUA_TTABLE {
            Lua.pushErrorWithPosition(L, level: 1, Array("bad argument #2 to 'setmetatable' (nil or table expected)".utf8))
            return -1
        }
        if isReadOnly(L, 1) {
            Lua.push(L, "Attempt to modify a readonly table")
            return -1
        }
        if lua_getmetatable(L, 1) != 0 {
            Lua.rawField(L, -1, "__metatable")
            let protected = lua_type(L, -1) != LUA_TNIL
            lua_settop(L, -3)
            if protected {
                Lua.pushErrorWithPosition(L, level: 1, Array("cannot change a protected metatable".utf8))
                return -1
            }
        }
        lua_settop(L, 2)
        lua_setmetatable(L, 1)
        return 1
    }

    /// `getmetatable`, as Lua's, except that `_G` answers the proxy of `{__index = …}`, the
    /// other read-only tables answer nil, and strings answer the proxy of their metatable.
    static let protectedGetmetatable: roost_lua_fn = { L in
        guard let L else { return 0 }
        if lua_type(L, 1) == LUA_TNONE {
            Lua.pushErrorWithPosition(L, level: 1, Array("bad argument #1 to 'getmetatable' (value expected)".utf8))
            return -1
        }
        lua_settop(L, 1)
        if lua_type(L, 1) == LUA_TSTRING {
            Lua.rawField(L, Lua.registry, stringMetatableKey)
            return 1
        }
        if lua_type(L, 1) == LUA_TTABLE && isReadOnly(L, 1) {
            Lua.rawField(L, Lua.registry, globalsProxyKey)
            let isGlobals = lua_rawequal(L, 1, 2) != 0
            lua_settop(L, 1)
            if isGlobals { Lua.rawField(L, Lua.registry, globalsMetatableKey) } else { lua_pushnil(L) }
            return 1
        }
        if lua_getmetatable(L, 1) == 0 {
            lua_pushnil(L)
            return 1
        }
        Lua.rawField(L, -1, "__metatable")
        if lua_type(L, -1) == LUA_TNIL { lua_settop(L, -2) }
        return 1
    }

    /// `unpack` as Redis's patched Lua has it: the element count is computed in unsigned
    /// arithmetic and checked, where the system Lua's overflows (`unpack({}, 0, 2^31 - 1)`
    /// crashes it).
    static let checkedUnpack: roost_lua_fn = { L in
        guard let L else { return 0 }
        if lua_type(L, 1) != LUA_TTABLE {
            Lua.pushErrorWithPosition(L, level: 1, Array(LuaNumber.typeError(L, 1, "unpack", expected: "table").utf8))
            return -1
        }
        var first: Int32 = 1
        var last = Int32(truncatingIfNeeded: lua_objlen(L, 1))
        if lua_type(L, 2) > LUA_TNIL {
            guard let n = LuaNumber.check(L, 2, "unpack") else { return -1 }
            first = LuaNumber.truncatedInt(n)
        }
        if lua_type(L, 3) > LUA_TNIL {
            guard let n = LuaNumber.check(L, 3, "unpack") else { return -1 }
            last = LuaNumber.truncatedInt(n)
        }
        if first > last { return 0 }
        let count = UInt32(bitPattern: last) &- UInt32(bitPattern: first)
        if count >= UInt32(Int32.max) || lua_checkstack(L, Int32(count) + 1) == 0 {
            Lua.pushErrorWithPosition(L, level: 1, Array("too many results to unpack".utf8))
            return -1
        }
        var i = first
        while true {
            lua_rawgeti(L, 1, i)
            if i == last { break }
            i += 1
        }
        return Int32(count) + 1
    }

    // MARK: Chunk names

    static let chunkNamesKey = "roost.chunknames"
    static let originalLoadKey = "roost.load"
    static let originalLoadstringKey = "roost.loadstring"

    /// The system Lua's parser interns the chunk name without anchoring it, so a collection
    /// during parsing can free it while the parser still uses it (CVE-2025-49844, which Redis
    /// fixed in its copy). An interned string that is already referenced is never collected:
    /// the fixed chunk names are kept in the registry, and `load` and `loadstring` hand the
    /// parser a name that is on the stack (cut at its first NUL, as the parser reads it).
    private static func anchorChunkNames(_ L: OpaquePointer) {
        lua_createtable(L, 3, 0)
        for (i, name) in ["@user_script", "@user_function", "=(load)"].enumerated() {
            Lua.push(L, name)
            lua_rawseti(L, -2, Int32(i + 1))
        }
        Lua.setRawField(L, Lua.registry, chunkNamesKey)
        for (name, key, f) in [("load", originalLoadKey, anchoredLoad), ("loadstring", originalLoadstringKey, anchoredLoadstring)] {
            Lua.rawField(L, Lua.globals, name)
            Lua.setRawField(L, Lua.registry, key)
            Lua.setFunction(L, Lua.globals, name, f)
        }
    }

    /// Calls the original `load` or `loadstring` (registry `key`) with argument 1 and the chunk
    /// name at argument 2 (or `fallback`) cut at its first NUL and left on the stack. Lua calls
    /// a reader's errors through the running script's message handler, Redis's; the original
    /// runs under that handler too, so `load` returns the same `{err = …}` table.
    private static func callAnchored(_ L: OpaquePointer, _ key: String, fallback: Int32?) -> Int32 {
        let name = lua_type(L, 2) > LUA_TNIL ? Lua.cBytes(L, 2) : fallback.flatMap { Lua.cBytes(L, $0) }
        lua_settop(L, 1)
        if let name { Lua.push(L, name) } else { Lua.push(L, "=(load)") }
        lua_pushcclosure(L, errorHandler, 0)
        Lua.rawField(L, Lua.registry, key)
        lua_pushvalue(L, 1)
        lua_pushvalue(L, 2)
        if lua_pcall(L, 2, LUA_MULTRET, 3) != 0 { return -1 }
        return lua_gettop(L) - 3
    }

    /// Pushes the type error for argument `i` unless it is a string or number (or, when
    /// `optional`, absent or nil).
    private static func checkString(_ L: OpaquePointer, _ i: Int32, _ name: String, optional: Bool) -> Bool {
        let t = lua_type(L, i)
        if t == LUA_TSTRING || t == LUA_TNUMBER || (optional && t <= LUA_TNIL) { return true }
        Lua.pushErrorWithPosition(L, level: 1, Array(LuaNumber.typeError(L, i, name, expected: "string").utf8))
        return false
    }

    static let anchoredLoadstring: roost_lua_fn = { L in
        guard let L else { return 0 }
        guard checkString(L, 1, "loadstring", optional: false), checkString(L, 2, "loadstring", optional: true) else {
            return -1
        }
        return callAnchored(L, originalLoadstringKey, fallback: 1)
    }

    static let anchoredLoad: roost_lua_fn = { L in
        guard let L else { return 0 }
        if lua_type(L, 1) != LUA_TFUNCTION {
            Lua.pushErrorWithPosition(L, level: 1, Array(LuaNumber.typeError(L, 1, "load", expected: "function").utf8))
            return -1
        }
        guard checkString(L, 2, "load", optional: true) else { return -1 }
        return callAnchored(L, originalLoadKey, fallback: nil)
    }

    /// `rawset`, refusing the read-only proxies as Redis's read-only tables refuse it.
    static let protectedRawset: roost_lua_fn = { L in
        guard let L else { return 0 }
        if lua_type(L, 1) != LUA_TTABLE {
            let got = String(cString: lua_typename(L, lua_type(L, 1)))
            Lua.pushErrorWithPosition(L, level: 1, Array("bad argument #1 to 'rawset' (table expected, got \(got))".utf8))
            return -1
        }
        for i: Int32 in 2...3 where lua_type(L, i) == LUA_TNONE {
            Lua.pushErrorWithPosition(L, level: 1, Array("bad argument #\(i) to 'rawset' (value expected)".utf8))
            return -1
        }
        if isReadOnly(L, 1) {
            Lua.push(L, "Attempt to modify a readonly table")
            return -1
        }
        if lua_type(L, 2) == LUA_TNIL {
            Lua.push(L, "table index is nil")
            return -1
        }
        if lua_type(L, 2) == LUA_TNUMBER && lua_tonumber(L, 2).isNaN {
            Lua.push(L, "table index is NaN")
            return -1
        }
        lua_settop(L, 3)
        lua_rawset(L, 1)
        return 1
    }

    /// Redis's `pcall`: like Lua's, but an error table `{err = …}` is returned as its message.
    static let redisPcall: roost_lua_fn = { L in
        guard let L else { return 0 }
        let argc = lua_gettop(L)
        if argc < 1 {
            Lua.pushErrorWithPosition(L, level: 1, Array("bad argument #1 to 'pcall' (value expected)".utf8))
            return -1
        }
        lua_pushboolean(L, 1)
        lua_insert(L, 1)
        if lua_pcall(L, argc - 1, LUA_MULTRET, 0) != 0 {
            lua_remove(L, 1)
            if lua_type(L, -1) == LUA_TTABLE {
                Lua.rawField(L, -1, "err")
                if lua_isstring(L, -1) != 0 { lua_replace(L, -2) } else { lua_settop(L, -2) }
            }
            lua_pushboolean(L, 0)
            lua_insert(L, 1)
        }
        return lua_gettop(L)
    }

    /// The message handler of every script run (Redis's `__redis__err__handler`): turns the
    /// error into `{err = …, source = …, line = …}`, the position being the script code that
    /// raised it (the caller, when a C function raised it).
    static let errorHandler: lua_CFunction = { L in
        guard let L else { return 0 }
        var ar = lua_Debug()
        var found = lua_getstack(L, 1, &ar) != 0
        if found {
            lua_getinfo(L, "nSl", &ar)
            if let what = ar.what, String(cString: what) == "C" {
                found = lua_getstack(L, 2, &ar) != 0
                if found { lua_getinfo(L, "nSl", &ar) }
            }
        }
        lua_settop(L, 1)
        if lua_type(L, 1) != LUA_TTABLE {
            let text: [UInt8]
            switch lua_type(L, 1) {
            case LUA_TSTRING, LUA_TNUMBER: text = Lua.bytes(L, 1) ?? []
            case LUA_TNIL: text = Array("nil".utf8)
            case LUA_TBOOLEAN: text = Array((lua_toboolean(L, 1) != 0 ? "true" : "false").utf8)
            default:
                let name = String(cString: lua_typename(L, lua_type(L, 1)))
                let address = UInt(bitPattern: lua_topointer(L, 1))
                text = Array("\(name): 0x\(String(address, radix: 16))".utf8)
            }
            lua_settop(L, 0)
            Lua.pushSingleFieldTable(L, "err", Array("ERR ".utf8) + text)
        }
        if found {
            if let source = ar.source { lua_pushstring(L, source) } else { lua_pushnil(L) }
            Lua.setRawField(L, 1, "source")
            lua_pushnumber(L, lua_Number(ar.currentline))
            Lua.setRawField(L, 1, "line")
        }
        return 1
    }
}
