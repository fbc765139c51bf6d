import CLua

/// Thin helpers over the Lua C API, for the values Roost moves in and out of scripts.
enum Lua {
    static let registry: Int32 = LUA_REGISTRYINDEX
    static let globals: Int32 = LUA_GLOBALSINDEX

    /// Pushes raw bytes as a Lua string.
    static func push(_ L: OpaquePointer, _ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { p in
            p.withMemoryRebound(to: CChar.self) { lua_pushlstring(L, $0.baseAddress, $0.count) }
        }
    }

    /// Pushes a Swift string as a Lua string.
    static func push(_ L: OpaquePointer, _ text: String) {
        var text = text
        text.withUTF8 { p in
            p.withMemoryRebound(to: CChar.self) { lua_pushlstring(L, $0.baseAddress, $0.count) }
        }
    }

    /// The bytes of the string (or number, converted in place) at `index`, or nil.
    static func bytes(_ L: OpaquePointer, _ index: Int32) -> [UInt8]? {
        var length = 0
        guard let p = lua_tolstring(L, index, &length) else { return nil }
        return p.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }

    /// The string at `index` cut at its first NUL, as C code reading it with `%s` sees it.
    static func cBytes(_ L: OpaquePointer, _ index: Int32) -> [UInt8]? {
        guard let b = bytes(L, index) else { return nil }
        if let nul = b.firstIndex(of: 0) { return Array(b[..<nul]) }
        return b
    }

    /// `t[field]` without metamethods, pushed on the stack. `t` must be an absolute index or
    /// negative relative to the stack before the call.
    static func rawField(_ L: OpaquePointer, _ table: Int32, _ field: String) {
        let t = table < 0 && table > registry ? lua_gettop(L) + table + 1 : table
        push(L, field)
        lua_rawget(L, t)
    }

    /// Sets `t[field] = top of stack` without metamethods, popping the value.
    static func setRawField(_ L: OpaquePointer, _ table: Int32, _ field: String) {
        let t = table < 0 && table > registry ? lua_gettop(L) + table + 1 : table
        push(L, field)
        lua_insert(L, -2)
        lua_rawset(L, t)
    }

    /// Pushes a table `{field = bytes}`.
    static func pushSingleFieldTable(_ L: OpaquePointer, _ field: String, _ value: [UInt8]) {
        lua_createtable(L, 0, 1)
        push(L, value)
        setRawField(L, -2, field)
    }

    /// Registers a Swift function (which returns -1 to raise the value on the stack) as `t[name]`.
    static func setFunction(_ L: OpaquePointer, _ table: Int32, _ name: String, _ f: roost_lua_fn) {
        let t = table < 0 && table > registry ? lua_gettop(L) + table + 1 : table
        roost_lua_pushfunction(L, f)
        setRawField(L, t, name)
    }

    /// Pushes `luaL_where(L, level)` followed by `message`, concatenated: an error message with
    /// the position of the Lua code at `level`, as `luaL_error` builds it.
    static func pushErrorWithPosition(_ L: OpaquePointer, level: Int32, _ message: [UInt8]) {
        luaL_where(L, level)
        push(L, message)
        lua_concat(L, 2)
    }

    /// Pushes Redis's error table `{err = "CODE message"}` from an error text that is either
    /// `-CODE message` or a plain message (which gets the `ERR` code), as `luaPushErrorBuff` does.
    static func pushErrorTable(_ L: OpaquePointer, _ text: [UInt8]) {
        var code: [UInt8] = Array("ERR".utf8)
        var message: ArraySlice<UInt8>
        if text.first == UInt8(ascii: "-") {
            if let space = text.firstIndex(of: UInt8(ascii: " ")) {
                code = Array(text[1..<space])
                message = text[(space + 1)...]
            } else {
                message = text[1...]
            }
        } else {
            message = text[...]
        }
        while let c = message.first, c == 13 || c == 10 { message = message.dropFirst() }
        while let c = message.last, c == 13 || c == 10 { message = message.dropLast() }
        var final = code
        final.append(UInt8(ascii: " "))
        final.append(contentsOf: message)
        if let nul = final.firstIndex(of: 0) { final = Array(final[..<nul]) }
        pushSingleFieldTable(L, "err", final)
    }
}
