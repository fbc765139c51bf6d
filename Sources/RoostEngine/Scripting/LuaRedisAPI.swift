import CLua
import NIOCore
import RoostRESP

/// The `redis` table scripts see: call, pcall, the reply helpers, sha1hex, log, setresp,
/// set_repl and the constants.
enum LuaRedisAPI {
    static func install(_ L: OpaquePointer) {
        lua_createtable(L, 0, 32)
        Lua.setFunction(L, -1, "call", call)
        Lua.setFunction(L, -1, "pcall", pcall)
        Lua.setFunction(L, -1, "log", log)
        for (name, value) in [("LOG_DEBUG", 0), ("LOG_VERBOSE", 1), ("LOG_NOTICE", 2), ("LOG_WARNING", 3),
                              ("REPL_NONE", 0), ("REPL_AOF", 1), ("REPL_SLAVE", 2), ("REPL_REPLICA", 2),
                              ("REPL_ALL", 3), ("REDIS_VERSION_NUM", 0x07_00_0F)] {
            lua_pushnumber(L, lua_Number(value))
            Lua.setRawField(L, -2, name)
        }
        Lua.push(L, Engine.redisVersion)
        Lua.setRawField(L, -2, "REDIS_VERSION")
        Lua.setFunction(L, -1, "setresp", setresp)
        Lua.setFunction(L, -1, "sha1hex", sha1hex)
        Lua.setFunction(L, -1, "error_reply", errorReply)
        Lua.setFunction(L, -1, "status_reply", statusReply)
        Lua.setFunction(L, -1, "set_repl", setRepl)
        Lua.setFunction(L, -1, "acl_check_cmd", aclCheckCommand)
        Lua.setFunction(L, -1, "replicate_commands", replicateCommands)
        Lua.setFunction(L, -1, "breakpoint", breakpoint)
        Lua.setFunction(L, -1, "debug", debug)
        roost_lua_setglobal(L, "redis")
    }

    /// Pushes Redis's error table for `message` and returns -1, so the trampoline raises it.
    private static func raise(_ L: OpaquePointer, _ message: String) -> Int32 {
        Lua.pushErrorTable(L, Array(message.utf8))
        return -1
    }

    /// The call arguments as command arguments, or nil after pushing the error table.
    private static func arguments(_ L: OpaquePointer) -> [ByteBuffer]? {
        let argc = lua_gettop(L)
        if argc == 0 {
            Lua.pushErrorTable(L, Array("Please specify at least one argument for this redis lib call".utf8))
            return nil
        }
        // All arguments go into one buffer, then become slices of it: one allocation, not one
        // (or two) per argument.
        var storage = ByteBufferAllocator().buffer(capacity: 64)
        var ends: [Int] = []
        ends.reserveCapacity(Int(argc))
        var ok = true
        for i in 1...argc {
            if lua_type(L, i) == LUA_TNUMBER {
                storage.writeString(DoubleFormat.g17(lua_tonumber(L, i)))
            } else if lua_type(L, i) == LUA_TSTRING {
                var length = 0
                guard let p = lua_tolstring(L, i, &length) else { ok = false; break }
                storage.writeBytes(UnsafeRawBufferPointer(start: p, count: length))
            } else {
                ok = false
                break
            }
            ends.append(storage.writerIndex)
        }
        lua_settop(L, 0)
        if !ok {
            Lua.pushErrorTable(L, Array("Lua redis lib command arguments must be strings or integers".utf8))
            return nil
        }
        var out: [ByteBuffer] = []
        out.reserveCapacity(ends.count)
        var start = 0
        for end in ends {
            out.append(storage.getSlice(at: start, length: end - start) ?? ByteBuffer())
            start = end
        }
        return out
    }

    private static func generic(_ L: OpaquePointer, raise: Bool) -> Int32 {
        guard let scripting = LuaScripting.of(L), scripting.run != nil else {
            return self.raise(L, "redis.call/pcall can only be called inside a script invocation")
        }
        guard let argv = arguments(L) else { return raise ? -1 : 1 }
        switch scripting.execute(argv) {
        case .failure(let error):
            // Counted now, as Redis's scriptCall counts a refused call; the table says so.
            scripting.engine.countError(error)
            Lua.pushErrorTable(L, [UInt8(ascii: "-")] + error.bytes)
            lua_pushboolean(L, 1)
            Lua.setRawField(L, -2, "ignore_error_stats_update")
            return raise ? -1 : 1
        case .success(let reply):
            let isError = reply.readableBytesView.first == UInt8(ascii: "-")
            LuaReplies.push(L, reply)
            return raise && isError ? -1 : 1
        }
    }

    static let call: roost_lua_fn = { L in
        guard let L else { return 0 }
        return generic(L, raise: true)
    }

    static let pcall: roost_lua_fn = { L in
        guard let L else { return 0 }
        return generic(L, raise: false)
    }

    static let sha1hex: roost_lua_fn = { L in
        guard let L else { return 0 }
        if lua_gettop(L) != 1 { return raise(L, "wrong number of arguments") }
        let body = Lua.bytes(L, 1) ?? []
        Lua.push(L, SHA1.hex(body))
        return 1
    }

    static let errorReply: roost_lua_fn = { L in
        guard let L else { return 0 }
        if lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING {
            Lua.pushErrorTable(L, Array("wrong number or type of arguments".utf8))
            return 1
        }
        var text = Lua.cBytes(L, 1) ?? []
        if text.first != UInt8(ascii: "-") { text.insert(UInt8(ascii: "-"), at: 0) }
        Lua.pushErrorTable(L, text)
        return 1
    }

    static let statusReply: roost_lua_fn = { L in
        guard let L else { return 0 }
        if lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING {
            Lua.pushErrorTable(L, Array("wrong number or type of arguments".utf8))
            return 1
        }
        lua_createtable(L, 0, 1)
        lua_pushvalue(L, 1)
        Lua.setRawField(L, -2, "ok")
        return 1
    }

    static let log: roost_lua_fn = { L in
        guard let L else { return 0 }
        let argc = lua_gettop(L)
        if argc < 2 { return raise(L, "redis.log() requires two arguments or more.") }
        if lua_isnumber(L, 1) == 0 { return raise(L, "First argument must be a number (log level).") }
        let level = LuaNumber.int(lua_tonumber(L, 1))
        if level < 0 || level > 3 { return raise(L, "Invalid debug level.") }
        // As Redis: the string (or number) arguments joined by blanks; others are left out.
        var message: [UInt8] = []
        for index in 2...argc where lua_isstring(L, index) != 0 {
            if index != 2 { message.append(UInt8(ascii: " ")) }
            var length = 0
            if let text = lua_tolstring(L, index, &length) {
                message.append(contentsOf: UnsafeRawBufferPointer(start: text, count: length))
            }
        }
        if let scripting = LuaScripting.of(L), let log = scripting.engine.log, let level = Engine.LogLevel(rawValue: Int(level)) {
            log(level, String(decoding: message, as: UTF8.self))
        }
        return 0
    }

    static let setresp: roost_lua_fn = { L in
        guard let L else { return 0 }
        guard let scripting = LuaScripting.of(L), scripting.run != nil else {
            return raise(L, "redis.setresp can only be called inside a script invocation")
        }
        if lua_gettop(L) != 1 { return raise(L, "redis.setresp() requires one argument.") }
        let resp = LuaNumber.int(lua_tonumber(L, 1))
        if resp != 2 && resp != 3 { return raise(L, "RESP version must be 2 or 3.") }
        scripting.resp = Int(resp)
        return 0
    }

    static let setRepl: roost_lua_fn = { L in
        guard let L else { return 0 }
        guard let scripting = LuaScripting.of(L), scripting.run != nil else {
            return raise(L, "redis.set_repl can only be called inside a script invocation")
        }
        if lua_gettop(L) != 1 { return raise(L, "redis.set_repl() requires two arguments.") }
        let flags = LuaNumber.int(lua_tonumber(L, -1))
        if flags & ~3 != 0 {
            return raise(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
        }
        // Roost does not replicate; the setting is accepted.
        return 0
    }

    static let aclCheckCommand: roost_lua_fn = { L in
        guard let L else { return 0 }
        guard let scripting = LuaScripting.of(L), scripting.run != nil else {
            return raise(L, "redis.acl_check_cmd can only be called inside a script invocation")
        }
        guard let argv = arguments(L) else { return -1 }
        guard case .success(let command) = scripting.engine.resolve(argv) else {
            return raise(L, "Invalid command passed to redis.acl_check_cmd()")
        }
        let allowed = scripting.run?.caller.user?.check(command, argv) == nil
        lua_pushboolean(L, allowed ? 1 : 0)
        return 1
    }

    static let replicateCommands: roost_lua_fn = { L in
        guard let L else { return 0 }
        lua_pushboolean(L, 1)
        return 1
    }

    static let breakpoint: roost_lua_fn = { L in
        guard let L else { return 0 }
        lua_pushboolean(L, 0)
        return 1
    }

    static let debug: roost_lua_fn = { _ in 0 }
}
