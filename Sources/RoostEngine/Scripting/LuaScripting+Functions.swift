import CLua
import NIOCore

/// One function a library registered with `redis.register_function`.
struct LuaFunction {
    let name: String
    /// The callback, as a reference in the Lua registry.
    let reference: Int32
    let flags: ScriptFlags
    let library: String
    /// The `description` given to register_function, if any.
    let description: [UInt8]?
}

/// A library loaded by FUNCTION LOAD.
struct LuaLibrary {
    let name: String
    let code: [UInt8]
    var functionNames: [String]
}

/// Redis 7 functions (FUNCTION LOAD, FCALL) on their own Lua state, as Redis keeps them apart
/// from EVAL's: libraries, their functions, and the load-time API.
extension LuaScripting {
    /// Registry key of the restricted `redis` table a library sees while it loads.
    static let loadAPIKey = "roost.loadapi"
    /// Registry key of the environment a library's code runs in while it loads.
    static let loadEnvironmentKey = "roost.loadenv"

    /// Builds the load-time environment: only `redis`, holding register_function, log, the log
    /// levels and the version; any other name is Redis's nonexistent-global error.
    func installFunctionLoadEnvironment() {
        lua_createtable(L, 0, 8)
        Lua.setFunction(L, -1, "register_function", LuaFunctionAPI.registerFunction)
        Lua.rawField(L, Lua.registry, LuaScripting.globalsKey)
        Lua.rawField(L, -1, "redis")
        let redisIndex = lua_gettop(L)
        lua_getmetatable(L, redisIndex)
        Lua.rawField(L, -1, "__index")
        for name in ["log", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING", "REDIS_VERSION", "REDIS_VERSION_NUM"] {
            Lua.rawField(L, -1, name)
            Lua.setRawField(L, -6, name)
        }
        lua_settop(L, -5)
        // Missing fields of the load-time API raise the nonexistent-global error too.
        lua_createtable(L, 0, 2)
        roost_lua_pushfunction(L, LuaFunctionAPI.missingField)
        Lua.setRawField(L, -2, "__index")
        roost_lua_pushfunction(L, LuaSandbox.readOnlyNewIndex)
        Lua.setRawField(L, -2, "__newindex")
        lua_setmetatable(L, -2)
        lua_pushvalue(L, -1)
        Lua.setRawField(L, Lua.registry, LuaScripting.loadAPIKey)
        // The environment: { redis = api } with the same protections.
        lua_createtable(L, 0, 1)
        lua_insert(L, -2)
        Lua.setRawField(L, -2, "redis")
        lua_createtable(L, 0, 2)
        roost_lua_pushfunction(L, LuaFunctionAPI.missingField)
        Lua.setRawField(L, -2, "__index")
        roost_lua_pushfunction(L, LuaSandbox.readOnlyNewIndex)
        Lua.setRawField(L, -2, "__newindex")
        lua_setmetatable(L, -2)
        Lua.setRawField(L, Lua.registry, LuaScripting.loadEnvironmentKey)
    }

    /// FUNCTION LOAD: parses the metadata, runs the code to collect its functions, and installs
    /// the library. Returns the library name.
    func loadLibrary(_ code: [UInt8], replace: Bool) throws(RedisError) -> String {
        let name = try LuaScripting.libraryName(code)
        if libraries[name] != nil && !replace { throw RedisError.format("Library '\(name)' already exists") }
        var source = code
        source[0] = UInt8(ascii: "-")
        source[1] = UInt8(ascii: "-")
        let status = source.withUnsafeBufferPointer { p in
            p.withMemoryRebound(to: CChar.self) { luaL_loadbuffer(L, $0.baseAddress, $0.count, "@user_function") }
        }
        if status != 0 {
            let message = Lua.cBytes(L, -1) ?? []
            lua_settop(L, -2)
            throw RedisError.format("Error compiling function: \(bytes: message)")
        }
        Lua.rawField(L, Lua.registry, LuaScripting.loadEnvironmentKey)
        lua_setfenv(L, -2)
        pendingFunctions = []
        pendingLibrary = name
        loadStartedAt = Engine.clock()
        roost_lua_sethook(L, LuaScripting.hook, LUA_MASKCOUNT, LuaScripting.hookInstructions)
        let failed = lua_pcall(L, 0, 0, 0) != 0
        roost_lua_sethook(L, nil, 0, 0)
        loadStartedAt = nil
        let registered = pendingFunctions ?? []
        pendingFunctions = nil
        pendingLibrary = nil
        func release() { for f in registered { luaL_unref(L, Lua.registry, f.reference) } }
        if failed {
            var text: [UInt8]
            if lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER {
                text = Array("ERR ".utf8) + (Lua.cBytes(L, -1) ?? [])
            } else {
                text = []
                if lua_type(L, -1) == LUA_TTABLE {
                    Lua.rawField(L, -1, "err")
                    text = Lua.cBytes(L, -1) ?? []
                    lua_settop(L, -2)
                }
            }
            lua_settop(L, -2)
            release()
            throw RedisError.format("Error registering functions: \(bytes: text)")
        }
        if registered.isEmpty { throw RedisError("ERR No functions registered") }
        for f in registered {
            if let existing = functions[f.name], existing.library != name {
                release()
                throw RedisError.format("Function \(f.name) already exists")
            }
        }
        if let old = libraries[name] { deleteLibrary(old) }
        for f in registered {
            // At run time a callback sees the ordinary globals, not the load environment.
            lua_rawgeti(L, Lua.registry, f.reference)
            lua_pushvalue(L, Lua.globals)
            lua_setfenv(L, -2)
            lua_settop(L, -2)
            functions[f.name] = f
        }
        libraries[name] = LuaLibrary(name: name, code: code, functionNames: registered.map(\.name))
        return name
    }

    /// Removes a library and its functions.
    func deleteLibrary(_ library: LuaLibrary) {
        for name in library.functionNames {
            if let f = functions.removeValue(forKey: name) { luaL_unref(L, Lua.registry, f.reference) }
        }
        libraries[library.name] = nil
    }

    /// Whether `name` is a valid library or function name: letters, digits and `_`, not empty.
    static func isValidName(_ name: [UInt8]) -> Bool {
        !name.isEmpty && name.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 122) || $0 == 95 }
    }

    /// The library name from the `#!lua name=<name>` line, with Redis's metadata errors.
    static func libraryName(_ code: [UInt8]) throws(RedisError) -> String {
        guard code.count >= 2, code[0] == UInt8(ascii: "#"), code[1] == UInt8(ascii: "!") else {
            throw RedisError("ERR Missing library metadata")
        }
        guard let end = code.firstIndex(of: 10) else { throw RedisError("ERR Invalid library metadata") }
        let parts = code[2..<end].split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
        let engine = String(decoding: parts.first ?? [], as: UTF8.self)
        if engine.lowercased() != "lua" { throw RedisError.format("Engine '\(engine)' not found") }
        var name: [UInt8]?
        let prefix = Array("name=".utf8)
        for part in parts.dropFirst() {
            if part.starts(with: prefix) {
                if name != nil { throw RedisError("ERR Invalid metadata value, name argument was given multiple times") }
                name = Array(part.dropFirst(prefix.count))
            } else {
                throw RedisError.format("Invalid metadata value given: \(bytes: part)")
            }
        }
        guard let name else { throw RedisError("ERR Library name was not given") }
        if !isValidName(name) { throw .invalidLibraryName }
        return String(decoding: name, as: UTF8.self)
    }

    /// Runs function `f` for `caller` (FCALL), writing its reply to the caller.
    func callFunction(_ f: LuaFunction, keys: ArraySlice<ByteBuffer>, args: ArraySlice<ByteBuffer>, caller: Client,
                      readOnly: Bool, command: [ByteBuffer]) {
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        lua_pushcclosure(L, LuaSandbox.errorHandler, 0)
        lua_rawgeti(L, Lua.registry, f.reference)
        pushArray(keys)
        pushArray(args)
        run(ScriptRun(caller: caller, readOnly: readOnly, sha: f.name, isEval: false, command: command), argumentCount: 2)
    }
}

/// The Lua side of functions: `redis.register_function` and the load-time API's guard.
enum LuaFunctionAPI {
    private static func raise(_ L: OpaquePointer, _ message: String) -> Int32 {
        Lua.pushErrorTable(L, Array(message.utf8))
        return -1
    }

    /// `__index` of the load-time tables: Redis's nonexistent-global error.
    static let missingField: roost_lua_fn = { L in
        guard let L else { return 0 }
        let name = Lua.cBytes(L, 2) ?? Array("(null)".utf8)
        Lua.pushErrorWithPosition(
            L, level: 1, Array("Script attempted to access nonexistent global variable '".utf8) + name + [39])
        return -1
    }

    static let registerFunction: roost_lua_fn = { L in
        guard let L else { return 0 }
        guard let scripting = LuaScripting.of(L), scripting.pendingFunctions != nil,
              let library = scripting.pendingLibrary else {
            return raise(L, "redis.register_function can only be called on FUNCTION LOAD command")
        }
        var name: [UInt8]?
        var callback: Int32 = 0
        var flags: ScriptFlags = []
        var description: [UInt8]?
        let argc = lua_gettop(L)
        if argc == 1 {
            if lua_type(L, 1) != LUA_TTABLE {
                return raise(L, "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
            }
            lua_pushnil(L)
            while lua_next(L, 1) != 0 {
                guard lua_type(L, -2) == LUA_TSTRING, let key = Lua.bytes(L, -2) else {
                    return raise(L, "named argument key given to redis.register_function is not a string")
                }
                switch String(decoding: key, as: UTF8.self) {
                case "function_name":
                    guard lua_type(L, -1) == LUA_TSTRING else {
                        return raise(L, "function_name argument given to redis.register_function must be a string")
                    }
                    name = Lua.bytes(L, -1)
                case "callback":
                    guard lua_type(L, -1) == LUA_TFUNCTION else {
                        return raise(L, "callback argument given to redis.register_function must be a function")
                    }
                    // Keep the callback below the iteration key, at index 2.
                    lua_pushvalue(L, -1)
                    lua_insert(L, 2)
                    callback = 2
                case "description":
                    guard lua_type(L, -1) == LUA_TSTRING else {
                        return raise(L, "description argument given to redis.register_function must be a string")
                    }
                    description = Lua.bytes(L, -1)
                case "flags":
                    guard lua_type(L, -1) == LUA_TTABLE else {
                        return raise(L, "flags argument to redis.register_function must be a table representing function flags")
                    }
                    var i: Int32 = 1
                    while true {
                        lua_rawgeti(L, -1, i)
                        if lua_type(L, -1) == LUA_TNIL { lua_settop(L, -2); break }
                        guard lua_type(L, -1) == LUA_TSTRING, let text = Lua.bytes(L, -1),
                              let flag = ScriptFlags.names.first(where: { $0.0 == String(decoding: text, as: UTF8.self) }) else {
                            return raise(L, "unknown flag given")
                        }
                        flags.insert(flag.1)
                        lua_settop(L, -2)
                        i += 1
                    }
                default:
                    return raise(L, "unknown argument given to redis.register_function")
                }
                lua_settop(L, -2)
            }
            if name == nil { return raise(L, "redis.register_function must get a function name argument") }
            if callback == 0 { return raise(L, "redis.register_function must get a callback argument") }
        } else if argc == 2 {
            guard lua_type(L, 1) == LUA_TSTRING else {
                return raise(L, "first argument to redis.register_function must be a string")
            }
            guard lua_type(L, 2) == LUA_TFUNCTION else {
                return raise(L, "second argument to redis.register_function must be a function")
            }
            name = Lua.bytes(L, 1)
            callback = 2
        } else {
            return raise(L, "wrong number of arguments to redis.register_function")
        }
        guard let name, LuaScripting.isValidName(name) else {
            return raise(L, "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
        }
        let text = String(decoding: name, as: UTF8.self)
        if scripting.pendingFunctions?.contains(where: { $0.name == text }) == true {
            return raise(L, "Function already exists in the library")
        }
        lua_pushvalue(L, callback)
        let reference = luaL_ref(L, Lua.registry)
        scripting.pendingFunctions?.append(LuaFunction(
            name: text, reference: reference, flags: flags, library: library, description: description))
        return 0
    }
}
