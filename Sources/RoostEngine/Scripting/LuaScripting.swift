import CLua
import NIOCore
import RoostRESP

/// The state of one running script: who called it, under which rules, and how long it has run.
final class ScriptRun {
    /// The client that sent EVAL or FCALL.
    let caller: Client
    /// EVAL_RO / EVALSHA_RO / FCALL_RO, or a `no-writes` script: write commands are refused.
    let readOnly: Bool
    /// The SHA-1 (EVAL) or function name (FCALL) Redis names in error texts and FUNCTION STATS.
    let sha: String
    /// EVAL's family rather than FCALL's: decides which BUSY text others get and which KILL works.
    let isEval: Bool
    /// The command as sent, for FUNCTION STATS.
    let command: [ByteBuffer]
    /// When it started (`Engine.clock()`).
    let startedAt: Int64
    /// Set once it has run past busy-reply-threshold: other clients get BUSY from then on.
    var timedOut = false
    /// When the event loop last gave it the engine back (busy scripts run in slices).
    var lastResumed: Int64 = 0
    /// Set by SCRIPT KILL, FUNCTION KILL or SHUTDOWN NOSAVE: the next hook raises an error.
    var killed = false
    /// Set once it has run a write command: SCRIPT KILL then refuses (UNKILLABLE).
    var wroteData = false
    /// Set by SHUTDOWN NOSAVE: the caller gets no reply, only the closed connection.
    var abandoned = false

    init(caller: Client, readOnly: Bool, sha: String, isEval: Bool, command: [ByteBuffer]) {
        self.caller = caller
        self.readOnly = readOnly
        self.sha = sha
        self.isEval = isEval
        self.command = command
        startedAt = Engine.clock()
    }
}

/// The Lua interpreter behind EVAL: one sandboxed Lua 5.1 state, the script cache, and the
/// client whose replies `redis.call` captures. SCRIPT FLUSH drops the whole object.
///
/// Lua errors are longjmps: no Swift frame may be skipped by one. Swift functions exposed to Lua
/// therefore never call API functions that can raise; they return -1 with the error value on the
/// stack, and the C trampoline in the CLua shim raises it.
final class LuaScripting {
    let L: OpaquePointer
    /// The engine owns this object and outlives it, so the reference is not counted
    /// (`redis.call` reads it several times per call).
    unowned(unsafe) let engine: Engine
    /// Cached scripts by lowercase SHA-1.
    var scripts: [String: CachedScript] = [:]
    /// The client redis.call runs commands as; its replies are parsed, never sent.
    let scriptClient: Client
    /// The script being run, if any.
    var run: ScriptRun?
    /// The protocol `redis.call` replies use, chosen by `redis.setresp`.
    var resp = 2
    /// The settings of the `cjson` module (index 0) and of each `cjson.new()` module.
    var cjsonInstances = [LuaCJSON.Config()]
    /// Function libraries by name (the functions state only).
    var libraries: [String: LuaLibrary] = [:]
    /// Functions by name, across libraries.
    var functions: [String: LuaFunction] = [:]
    /// Functions registered by the library being loaded; nil outside FUNCTION LOAD.
    var pendingFunctions: [LuaFunction]?
    /// The name of the library being loaded.
    var pendingLibrary: String?
    /// When FUNCTION LOAD started running the library's code; nil outside it.
    var loadStartedAt: Int64?

    /// Registry key of the real globals table (the thread's globals are a read-only proxy).
    static let globalsKey = "roost.globals"
    /// Registry key of the set of read-only proxies, checked by `rawset`.
    static let readOnlyKey = "roost.readonly"
    /// Registry key of this object.
    static let selfKey = "roost.scripting"

    init?(engine: Engine, functions: Bool = false) {
        guard let L = luaL_newstate() else { return nil }
        self.L = L
        self.engine = engine
        scriptClient = Client(
            id: 0, database: engine.databases[0], authenticated: true, now: engine.now,
            address: "", localAddress: "", fileDescriptor: -1)
        scriptClient.denyBlocking = true
        lua_pushlightuserdata(L, Unmanaged.passUnretained(self).toOpaque())
        Lua.setRawField(L, Lua.registry, LuaScripting.selfKey)
        LuaSandbox.install(L)
        if functions { installFunctionLoadEnvironment() }
    }

    deinit { lua_close(L) }

    /// The object owning `L`, from the registry.
    static func of(_ L: OpaquePointer) -> LuaScripting? {
        Lua.rawField(L, Lua.registry, selfKey)
        let p = lua_touserdata(L, -1)
        lua_settop(L, -2)
        guard let p else { return nil }
        return Unmanaged<LuaScripting>.fromOpaque(p).takeUnretainedValue()
    }

    // MARK: Script cache

    /// Compiles `body` and caches it under its SHA-1, which it returns.
    /// - Throws: `ERR Error compiling script (new function): …`.
    func load(_ body: [UInt8]) throws(RedisError) -> String {
        let sha = SHA1.hex(body)
        if scripts[sha] != nil { return sha }
        var source = body
        let flags = try ScriptFlags.parseShebang(body)
        if flags != nil {
            // The shebang line becomes a Lua comment, so line numbers stay the same.
            source[0] = UInt8(ascii: "-")
            source[1] = UInt8(ascii: "-")
        }
        let status = source.withUnsafeBufferPointer { p in
            p.withMemoryRebound(to: CChar.self) { luaL_loadbuffer(L, $0.baseAddress, $0.count, "@user_script") }
        }
        if status != 0 {
            let message = Lua.cBytes(L, -1) ?? []
            lua_settop(L, -2)
            throw RedisError.format("Error compiling script (new function): \(bytes: message)")
        }
        scripts[sha] = CachedScript(body: body, flags: flags, reference: luaL_ref(L, Lua.registry))
        return sha
    }

    // MARK: Running

    /// Runs the cached script `sha` for `caller`, writing its reply to the caller.
    func call(sha: String, _ script: CachedScript, keys: ArraySlice<ByteBuffer>, args: ArraySlice<ByteBuffer>,
              caller: Client, readOnly: Bool, command: [ByteBuffer]) {
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        lua_pushcclosure(L, LuaSandbox.errorHandler, 0)
        lua_rawgeti(L, Lua.registry, script.reference)
        Lua.rawField(L, Lua.registry, LuaScripting.globalsKey)
        pushArray(keys)
        Lua.setRawField(L, -2, "KEYS")
        pushArray(args)
        Lua.setRawField(L, -2, "ARGV")
        lua_settop(L, -2)
        run(ScriptRun(caller: caller, readOnly: readOnly, sha: sha, isEval: true, command: command), argumentCount: 0)
    }

    /// Calls the function below the top `argumentCount` values (Redis's error handler below it)
    /// as `script`, under the busy-reply-threshold hook, and writes the reply to the caller.
    func run(_ script: ScriptRun, argumentCount: Int32) {
        scriptClient.database = script.caller.database
        scriptClient.user = script.caller.user
        scriptClient.reply.protocolVersion = 2
        resp = 2
        run = script
        if engine.configuration.busyReplyThreshold > 0 {
            roost_lua_sethook(L, LuaScripting.hook, LUA_MASKCOUNT, LuaScripting.hookInstructions)
        }
        let status = lua_pcall(L, argumentCount, 1, -(argumentCount + 2))
        roost_lua_sethook(L, nil, 0, 0)
        run = nil
        if script.timedOut { engine.busyScript = nil }
        scriptClient.reply.buffer.clear()
        if script.abandoned {
            script.caller.closeAfterReply = true
        } else if status != 0 {
            writeRunError(to: script.caller, sha: script.sha)
        } else {
            LuaReplies.write(L, to: script.caller.reply, scriptResp: resp, countingErrorsOn: engine)
        }
    }

    // MARK: Timeouts

    /// Instructions between two looks at the clock, as in Redis.
    static let hookInstructions: Int32 = 100_000
    /// How long a busy script runs before it gives the event loop back for a turn.
    static let busySlice: Int64 = 10
    /// FUNCTION LOAD stops library code that runs longer than this (Redis's LOAD_TIMEOUT_MS).
    static let loadTimeout: Int64 = 500

    /// The hook: Redis's `luaMaskCountHook` and `luaEngineLoadHook`.
    static let hook: roost_lua_hook_decider = { L, _ in
        guard let L, let lua = LuaScripting.of(L) else { return 0 }
        return lua.interrupt(L)
    }

    /// Decides, every `hookInstructions` instructions (every line once killed), whether the
    /// running code goes on. Past busy-reply-threshold the script becomes the busy script and,
    /// every `busySlice` milliseconds, suspends its fiber so that the event loop serves the
    /// other clients. Returns 1 after pushing the error that stops it.
    func interrupt(_ L: OpaquePointer) -> Int32 {
        let clock = Engine.clock()
        if let started = loadStartedAt {
            if clock - started <= LuaScripting.loadTimeout { return 0 }
            roost_lua_sethook(L, LuaScripting.hook, LUA_MASKLINE, 0)
            Lua.pushErrorTable(L, Array("FUNCTION LOAD timeout".utf8))
            return 1
        }
        guard let script = run else { return 0 }
        serveOthersIfBusy(script, clock: clock)
        guard script.killed else { return 0 }
        // Every line from now on raises again, so a pcall cannot swallow the kill for good.
        roost_lua_sethook(L, LuaScripting.hook, LUA_MASKLINE, 0)
        Lua.pushErrorTable(L, Array("Script killed by user with SCRIPT KILL...".utf8))
        return 1
    }

    /// Pushes a Lua array of the arguments.
    func pushArray(_ items: ArraySlice<ByteBuffer>) {
        lua_createtable(L, Int32(items.count), 0)
        var i: Int32 = 1
        for item in items {
            item.withUnsafeReadableBytes { p in
                lua_pushlstring(L, p.baseAddress?.assumingMemoryBound(to: CChar.self), p.count)
            }
            lua_rawseti(L, -2, i)
            i += 1
        }
    }

    /// Writes the error a failed script reply carries: `-<err> script: <sha>, on <source>:<line>.`
    func writeRunError(to client: Client, sha: String) {
        var text: [UInt8]
        if lua_type(L, -1) != LUA_TTABLE {
            let message = Lua.cBytes(L, -1) ?? Array("execution failure".utf8)
            text = Array("ERR Error running script \(sha), ".utf8) + message.prefix(100)
            let error = RedisError(bytes: LuaReplies.spaced(text))
            engine.countError(error)
            client.reply.buffer.writeRESPError(bytes: error.bytes)
            return
        }
        // A failed redis.call's error was counted in errorstats when the command failed.
        let counted = !LuaReplies.ignoresErrorStats(L)
        if let plain = Lua.cBytes(L, -1), lua_type(L, -1) == LUA_TSTRING {
            text = Array("ERR ".utf8) + plain
        } else {
            text = []
        }
        Lua.rawField(L, -1, "err")
        if lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER { text = Lua.cBytes(L, -1) ?? [] }
        lua_settop(L, -2)
        Lua.rawField(L, -1, "source")
        let source = (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER) ? Lua.cBytes(L, -1) : nil
        lua_settop(L, -2)
        Lua.rawField(L, -1, "line")
        let line = (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER) ? Lua.cBytes(L, -1) : nil
        lua_settop(L, -2)
        if let source, let line {
            text += Array(" script: \(sha), on ".utf8) + source + [UInt8(ascii: ":")] + line + [UInt8(ascii: ".")]
        }
        let error = RedisError(bytes: LuaReplies.spaced(text))
        if counted { engine.countError(error) } else { engine.failWithoutCountingError() }
        client.reply.buffer.writeRESPError(bytes: error.bytes)
    }

    /// Past busy-reply-threshold, makes `script` the busy script and, once per `busySlice`,
    /// suspends its fiber so that the event loop serves the other clients. Runs in the hook and
    /// before each `redis.call`, so that a script spending its time in commands (which the
    /// instruction count does not see) gives the event loop back too.
    func serveOthersIfBusy(_ script: ScriptRun, clock: Int64) {
        if !script.timedOut {
            let threshold = Int64(engine.configuration.busyReplyThreshold)
            if threshold <= 0 || clock - script.startedAt < threshold { return }
            script.timedOut = true
            engine.busyScript = script
        }
        if let fiber = engine.scriptFiber, fiber.isRunning, clock - script.lastResumed >= LuaScripting.busySlice {
            fiber.suspend()
            script.lastResumed = Engine.clock()
        }
    }

    // MARK: redis.call

    /// Runs one command for `redis.call` / `redis.pcall` with the checks Redis's `scriptCall`
    /// makes, and returns the raw reply, or the error text of a refused call.
    func execute(_ arguments: [ByteBuffer]) -> Result<ByteBuffer, RedisError> {
        guard let run else { return .failure(.scriptCallOutsideScript) }
        serveOthersIfBusy(run, clock: Engine.clock())
        let resolved: ResolvedCommand
        switch engine.resolve(arguments) {
        case .success(let r): resolved = r
        case .failure: return .failure(.scriptUnknownCommand)
        }
        let spec = resolved.spec
        if (spec.arity > 0 && spec.arity != arguments.count) || arguments.count < -spec.arity {
            return .failure(.scriptWrongArity)
        }
        if spec.flags.contains(.noscript) { return .failure(.scriptCommandNotAllowed) }
        if let denial = engine.aclDenial(resolved, arguments, for: scriptClient, context: .lua, logged: run.caller) {
            return .failure(.aclDeniedInScript(denial))
        }
        // Like Redis, a read-only script also refuses commands that may replicate (PUBLISH…).
        if run.readOnly && (spec.flags.contains(.write) || spec.flags.contains(.mayReplicate)) {
            return .failure(.scriptWriteInReadOnly)
        }
        if spec.flags.contains(.write) { run.wroteData = true }
        scriptClient.reply.protocolVersion = resp
        // The buffer is reused: the caller drops its copy before the next call, so clearing
        // keeps the capacity instead of allocating.
        scriptClient.reply.buffer.clear()
        engine.call(resolved, arguments, for: scriptClient)
        return .success(scriptClient.reply.buffer)
    }
}

/// A script in the EVAL cache.
struct CachedScript {
    /// The body as sent.
    let body: [UInt8]
    /// The shebang flags; nil for a script without a shebang (Redis's "eval compatibility mode").
    let flags: ScriptFlags?
    /// The compiled function, referenced from the Lua registry.
    let reference: Int32
}

/// The flags a script declares in its `#!lua flags=…` shebang line.
struct ScriptFlags: OptionSet {
    let rawValue: Int
    static let noWrites = ScriptFlags(rawValue: 1)
    static let allowOOM = ScriptFlags(rawValue: 2)
    static let allowStale = ScriptFlags(rawValue: 4)
    static let noCluster = ScriptFlags(rawValue: 8)
    static let allowCrossSlotKeys = ScriptFlags(rawValue: 16)

    static let names: [(String, ScriptFlags)] = [
        ("no-writes", .noWrites), ("allow-oom", .allowOOM), ("allow-stale", .allowStale),
        ("no-cluster", .noCluster), ("allow-cross-slot-keys", .allowCrossSlotKeys),
    ]

    /// The flags of a body starting with `#!`, or nil for a body without a shebang.
    /// - Throws: Redis's shebang errors (invalid shebang, unexpected engine, flag or option).
    static func parseShebang(_ body: [UInt8]) throws(RedisError) -> ScriptFlags? {
        guard body.count >= 2, body[0] == UInt8(ascii: "#"), body[1] == UInt8(ascii: "!") else { return nil }
        guard let end = body.firstIndex(of: 10) else { throw RedisError("ERR Invalid script shebang") }
        let parts = body[..<end].split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
        let engine = String(decoding: parts.first ?? [], as: UTF8.self)
        if engine != "#!lua" { throw RedisError.format("Unexpected engine in script shebang: \(engine)") }
        var flags: ScriptFlags = []
        let prefix = Array("flags=".utf8)
        for part in parts.dropFirst() {
            guard part.starts(with: prefix) else {
                throw RedisError.format("Unknown lua shebang option: \(bytes: part)")
            }
            for name in part.dropFirst(prefix.count).split(separator: UInt8(ascii: ","), omittingEmptySubsequences: true) {
                let text = String(decoding: name, as: UTF8.self)
                guard let flag = names.first(where: { $0.0 == text }) else {
                    throw RedisError.format("Unexpected flag in script shebang: \(text)")
                }
                flags.insert(flag.1)
            }
        }
        return flags
    }
}

extension Engine {
    /// The Lua interpreter, created on first use.
    func luaScripting() throws(RedisError) -> LuaScripting {
        if let s = scripting { return s }
        guard let s = LuaScripting(engine: self) else { throw RedisError("ERR Failed to create the Lua interpreter") }
        scripting = s
        return s
    }

    /// The Lua state behind FUNCTION and FCALL, created on first use.
    func luaFunctions() throws(RedisError) -> LuaScripting {
        if let s = functionScripting { return s }
        guard let s = LuaScripting(engine: self, functions: true) else {
            throw RedisError("ERR Failed to create the Lua interpreter")
        }
        functionScripting = s
        return s
    }
}
