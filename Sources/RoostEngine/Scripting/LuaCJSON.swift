import CLua

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The `cjson` library Redis 7.0 bundles (lua-cjson 2.1.0), written in Swift: the same encoding
/// choices (`%.14g` numbers, escaped `/`, empty tables as `{}`, sparse-array refusal, nesting
/// limits) and the same error texts. `cjson.new` is not provided.
enum LuaCJSON {
    /// Settings the `cjson.encode_*` functions change; they last until SCRIPT FLUSH, as the
    /// Lua state does.
    struct Config {
        var sparseConvert = false
        var sparseRatio = 2
        var sparseSafe = 10
        var maxDepth = 1000
        var decodeMaxDepth = 1000
        var precision = 14
        /// 0 refuses NaN and Inf, 1 writes them as `nan`/`inf`, 2 writes `null`.
        var encodeInvalidNumbers = 0
        var decodeInvalidNumbers = true
        var keepBuffer = true
    }

    static func install(_ L: OpaquePointer) {
        pushModule(L, instance: 0)
        roost_lua_setglobal(L, "cjson")
    }

    /// Pushes a cjson module table whose functions share the settings of `instance` (0 is the
    /// global `cjson`; `cjson.new` makes others).
    private static func pushModule(_ L: OpaquePointer, instance: Int) {
        lua_createtable(L, 0, 13)
        let functions: [(String, roost_lua_fn)] = [
            ("encode", encode), ("decode", decode), ("encode_sparse_array", encodeSparseArray),
            ("encode_max_depth", encodeMaxDepth), ("decode_max_depth", decodeMaxDepth),
            ("encode_number_precision", encodeNumberPrecision), ("encode_keep_buffer", encodeKeepBuffer),
            ("encode_invalid_numbers", encodeInvalidNumbers), ("decode_invalid_numbers", decodeInvalidNumbers),
            ("new", new),
        ]
        for (name, f) in functions {
            lua_pushinteger(L, instance)
            roost_lua_pushclosure(L, f, 1)
            Lua.setRawField(L, -2, name)
        }
        lua_pushlightuserdata(L, nil)
        Lua.setRawField(L, -2, "null")
        Lua.push(L, "cjson")
        Lua.setRawField(L, -2, "_NAME")
        Lua.push(L, "2.1.0")
        Lua.setRawField(L, -2, "_VERSION")
    }

    /// `cjson.new()`: a module with its own settings, at their defaults.
    static let new: roost_lua_fn = { L in
        guard let L, let scripting = LuaScripting.of(L) else { return 0 }
        let instance = scripting.cjsonInstances.count
        scripting.cjsonInstances.append(Config())
        pushModule(L, instance: instance)
        return 1
    }

    /// The deepest nesting encode and decode follow, whatever `encode_max_depth` and
    /// `decode_max_depth` say: both recurse. On the script fiber's stack, Lua's own stack limit
    /// (`lua_checkstack`) stops them near 8000, as in Redis; off it (no fiber could be mapped)
    /// a lower cap protects the thread's stack.
    static func recursionCap(_ L: OpaquePointer) -> Int {
        LuaScripting.of(L)?.engine.scriptFiber?.isRunning == true ? Int.max : 3000
    }

    /// The settings of the module the running function belongs to (its upvalue 2).
    private static func instance(_ L: OpaquePointer) -> Int { Int(lua_tointeger(L, roost_lua_upvalueindex(2))) }

    private static func config(_ L: OpaquePointer) -> Config {
        guard let s = LuaScripting.of(L) else { return Config() }
        let i = instance(L)
        return i < s.cjsonInstances.count ? s.cjsonInstances[i] : Config()
    }

    private static func setConfig(_ L: OpaquePointer, _ c: Config) {
        guard let s = LuaScripting.of(L) else { return }
        let i = instance(L)
        if i < s.cjsonInstances.count { s.cjsonInstances[i] = c }
    }

    /// Pushes `luaL_argerror`'s text for argument `n` of `name`; returns -1.
    private static func argError(_ L: OpaquePointer, _ n: Int32, _ name: String, _ message: String) -> Int32 {
        Lua.pushErrorWithPosition(L, level: 1, Array("bad argument #\(n) to '\(name)' (\(message))".utf8))
        return -1
    }

    private static func fail(_ L: OpaquePointer, _ message: String) -> Int32 {
        Lua.pushErrorWithPosition(L, level: 1, Array(message.utf8))
        return -1
    }

    // MARK: Encoding

    private struct EncodeError: Error { let message: String }

    static let encode: roost_lua_fn = { L in
        guard let L else { return 0 }
        if lua_gettop(L) != 1 { return argError(L, 1, "encode", "expected 1 argument") }
        var cfg = config(L)
        cfg.maxDepth = min(cfg.maxDepth, recursionCap(L))
        var out: [UInt8] = []
        do throws(EncodeError) {
            try appendValue(L, cfg, &out, depth: 0)
        } catch {
            return fail(L, error.message)
        }
        Lua.push(L, out)
        return 1
    }

    private static func typeName(_ L: OpaquePointer, _ index: Int32) -> String {
        String(cString: lua_typename(L, lua_type(L, index)))
    }

    private static func appendString(_ L: OpaquePointer, _ index: Int32, _ out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for c in Lua.bytes(L, index) ?? [] {
            switch c {
            case 8: out += Array(#"\b"#.utf8)
            case 9: out += Array(#"\t"#.utf8)
            case 10: out += Array(#"\n"#.utf8)
            case 12: out += Array(#"\f"#.utf8)
            case 13: out += Array(#"\r"#.utf8)
            case 34: out += Array(#"\""#.utf8)
            case 47: out += Array(#"\/"#.utf8)
            case 92: out += Array(#"\\"#.utf8)
            case 0..<32, 127:
                out += Array(#"\u00"#.utf8)
                out.append(hex[Int(c >> 4)])
                out.append(hex[Int(c & 15)])
            default: out.append(c)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendNumber(_ L: OpaquePointer, _ index: Int32, _ cfg: Config, _ out: inout [UInt8]) throws(EncodeError) {
        let n = lua_tonumber(L, index)
        if n.isNaN || n.isInfinite {
            switch cfg.encodeInvalidNumbers {
            case 0: throw EncodeError(message: "Cannot serialise \(typeName(L, index)): must not be NaN or Inf")
            case 1:
                if n.isNaN {
                    out += Array("nan".utf8)
                    return
                }
            default:
                out += Array("null".utf8)
                return
            }
        }
        out += Array(DoubleFormat.c(format: "%.\(cfg.precision)g", n).utf8)
    }

    /// The array length of the table on top, or -1 when it is an object (lua_array_length).
    /// lua-cjson keeps the largest index and the count in C `int`s: an index of 2^31 or more
    /// converts to the smallest int (so the table encodes as an object), and the sparse test's
    /// product wraps.
    private static func arrayLength(_ L: OpaquePointer, _ cfg: Config) throws(EncodeError) -> Int {
        var maxIndex: Int32 = 0
        var items: Int32 = 0
        lua_pushnil(L)
        while lua_next(L, -2) != 0 {
            if lua_type(L, -2) == LUA_TNUMBER {
                let k = lua_tonumber(L, -2)
                if k != 0 && k.rounded(.down) == k && k >= 1 {
                    if k > Double(maxIndex) { maxIndex = LuaNumber.int(k) }
                    items &+= 1
                    lua_settop(L, -2)
                    continue
                }
            }
            lua_settop(L, -3)
            return -1
        }
        let ratio = Int32(clamping: cfg.sparseRatio)
        if ratio > 0 && maxIndex > items &* ratio && maxIndex > Int32(clamping: cfg.sparseSafe) {
            if !cfg.sparseConvert { throw EncodeError(message: "Cannot serialise table: excessively sparse array") }
            return -1
        }
        return Int(maxIndex)
    }

    private static func appendValue(_ L: OpaquePointer, _ cfg: Config, _ out: inout [UInt8], depth: Int) throws(EncodeError) {
        switch lua_type(L, -1) {
        case LUA_TSTRING: appendString(L, -1, &out)
        case LUA_TNUMBER: try appendNumber(L, -1, cfg, &out)
        case LUA_TBOOLEAN: out += Array((lua_toboolean(L, -1) != 0 ? "true" : "false").utf8)
        case LUA_TNIL: out += Array("null".utf8)
        case LUA_TLIGHTUSERDATA where lua_touserdata(L, -1) == nil: out += Array("null".utf8)
        case LUA_TTABLE:
            let level = depth + 1
            if level > cfg.maxDepth || lua_checkstack(L, 3) == 0 {
                throw EncodeError(message: "Cannot serialise, excessive nesting (\(level))")
            }
            let length = try arrayLength(L, cfg)
            lua_checkstack(L, 4)
            if length > 0 {
                out.append(UInt8(ascii: "["))
                for i in 1...length {
                    if i > 1 { out.append(UInt8(ascii: ",")) }
                    lua_rawgeti(L, -1, Int32(i))
                    try appendValue(L, cfg, &out, depth: level)
                    lua_settop(L, -2)
                }
                out.append(UInt8(ascii: "]"))
            } else {
                out.append(UInt8(ascii: "{"))
                var first = true
                lua_pushnil(L)
                while lua_next(L, -2) != 0 {
                    if !first { out.append(UInt8(ascii: ",")) }
                    first = false
                    switch lua_type(L, -2) {
                    case LUA_TNUMBER:
                        out.append(UInt8(ascii: "\""))
                        try appendNumber(L, -2, cfg, &out)
                        out += Array("\":".utf8)
                    case LUA_TSTRING:
                        appendString(L, -2, &out)
                        out.append(UInt8(ascii: ":"))
                    default:
                        throw EncodeError(message: "Cannot serialise \(typeName(L, -2)): table key must be a number or string")
                    }
                    try appendValue(L, cfg, &out, depth: level)
                    lua_settop(L, -2)
                }
                out.append(UInt8(ascii: "}"))
            }
        default:
            throw EncodeError(message: "Cannot serialise \(typeName(L, -1)): type not supported")
        }
    }

    // MARK: Decoding

    private enum Token {
        case objectBegin, objectEnd, arrayBegin, arrayEnd, string([UInt8]), number(Double), boolean(Bool)
        case null, colon, comma, end, error(String)

        var name: String {
            switch self {
            case .objectBegin: return "T_OBJ_BEGIN"
            case .objectEnd: return "T_OBJ_END"
            case .arrayBegin: return "T_ARR_BEGIN"
            case .arrayEnd: return "T_ARR_END"
            case .string: return "T_STRING"
            case .number: return "T_NUMBER"
            case .boolean: return "T_BOOLEAN"
            case .null: return "T_NULL"
            case .colon: return "T_COLON"
            case .comma: return "T_COMMA"
            case .end: return "T_END"
            case .error(let message): return message
            }
        }
    }

    private struct DecodeError: Error { let message: String }

    private struct Parser {
        /// The text, NUL-terminated as the C parser reads it.
        let data: [UInt8]
        var index = 0
        let refuseBadNumbers: Bool
        var depth = 0
        let maxDepth: Int

        func at(_ i: Int) -> UInt8 { i < data.count ? data[i] : 0 }

        func startsWith(_ literal: String) -> Bool {
            var i = index
            for c in literal.utf8 {
                if at(i) != c { return false }
                i += 1
            }
            return true
        }

        func isInvalidNumber() -> Bool {
            var i = index
            if at(i) == UInt8(ascii: "+") { return true }
            if at(i) == UInt8(ascii: "-") { i += 1 }
            if at(i) == UInt8(ascii: "0") {
                let c2 = at(i + 1)
                return (c2 | 0x20) == UInt8(ascii: "x") || (c2 >= 48 && c2 <= 57)
            } else if at(i) <= UInt8(ascii: "9") {
                return false
            }
            func ci(_ word: String) -> Bool {
                var j = i
                for c in word.utf8 {
                    if at(j) | 0x20 != c { return false }
                    j += 1
                }
                return true
            }
            return ci("inf") || ci("nan")
        }

        /// The next token and its 0-based position.
        mutating func next() -> (Token, Int) {
            while true {
                let c = at(index)
                if c == 32 || c == 9 || c == 10 || c == 13 { index += 1 } else { break }
            }
            let start = index
            let c = at(index)
            switch c {
            case UInt8(ascii: "{"): index += 1; return (.objectBegin, start)
            case UInt8(ascii: "}"): index += 1; return (.objectEnd, start)
            case UInt8(ascii: "["): index += 1; return (.arrayBegin, start)
            case UInt8(ascii: "]"): index += 1; return (.arrayEnd, start)
            case UInt8(ascii: ","): index += 1; return (.comma, start)
            case UInt8(ascii: ":"): index += 1; return (.colon, start)
            case 0: return (.end, start)
            case UInt8(ascii: "\""): return string()
            case UInt8(ascii: "-"), 48...57:
                if refuseBadNumbers && isInvalidNumber() { return (.error("invalid number"), index) }
                return number()
            case UInt8(ascii: "f"), UInt8(ascii: "i"), UInt8(ascii: "I"), UInt8(ascii: "n"), UInt8(ascii: "N"),
                 UInt8(ascii: "t"), UInt8(ascii: "+"):
                if startsWith("true") { index += 4; return (.boolean(true), start) }
                if startsWith("false") { index += 5; return (.boolean(false), start) }
                if startsWith("null") { index += 4; return (.null, start) }
                if !refuseBadNumbers && isInvalidNumber() { return number() }
                return (.error("invalid token"), index)
            default:
                return (.error("invalid token"), index)
            }
        }

        mutating func number() -> (Token, Int) {
            let start = index
            var consumed = 0
            let value: Double = data.withUnsafeBufferPointer { p in
                p.withMemoryRebound(to: CChar.self) { chars in
                    guard let base = chars.baseAddress else { return 0 }
                    let begin = base + index
                    var end: UnsafeMutablePointer<CChar>?
                    let v = strtod(begin, &end)
                    consumed = end.map { $0 - UnsafeMutablePointer(mutating: begin) } ?? 0
                    return v
                }
            }
            if consumed == 0 { return (.error("invalid number"), index) }
            index += consumed
            return (.number(value), start)
        }

        func hex4(_ i: Int) -> Int? {
            var v = 0
            for k in 0..<4 {
                let c = at(i + k)
                let d: Int
                switch c {
                case 48...57: d = Int(c) - 48
                case 65...70: d = Int(c) - 55
                case 97...102: d = Int(c) - 87
                default: return nil
                }
                v = v << 4 | d
            }
            return v
        }

        mutating func string() -> (Token, Int) {
            let start = index
            index += 1
            var out: [UInt8] = []
            while at(index) != UInt8(ascii: "\"") {
                var c = at(index)
                if c == 0 { return (.error("unexpected end of string"), index) }
                if c == UInt8(ascii: "\\") {
                    let e = at(index + 1)
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): c = e
                    case UInt8(ascii: "b"): c = 8
                    case UInt8(ascii: "t"): c = 9
                    case UInt8(ascii: "n"): c = 10
                    case UInt8(ascii: "f"): c = 12
                    case UInt8(ascii: "r"): c = 13
                    case UInt8(ascii: "u"):
                        guard let bytes = unicodeEscape() else { return (.error("invalid unicode escape code"), index) }
                        out += bytes
                        continue
                    default: return (.error("invalid escape code"), index)
                    }
                    index += 1
                }
                out.append(c)
                index += 1
            }
            index += 1
            return (.string(out), start)
        }

        mutating func unicodeEscape() -> [UInt8]? {
            guard var cp = hex4(index + 2) else { return nil }
            var length = 6
            if cp & 0xF800 == 0xD800 {
                if cp & 0x400 != 0 { return nil }
                guard at(index + 6) == UInt8(ascii: "\\"), at(index + 7) == UInt8(ascii: "u"),
                      let low = hex4(index + 8), low & 0xFC00 == 0xDC00 else { return nil }
                cp = ((cp & 0x3FF) << 10 | (low & 0x3FF)) + 0x10000
                length = 12
            }
            var out: [UInt8]
            if cp <= 0x7F {
                out = [UInt8(cp)]
            } else if cp <= 0x7FF {
                out = [UInt8(cp >> 6 | 0xC0), UInt8(cp & 0x3F | 0x80)]
            } else if cp <= 0xFFFF {
                out = [UInt8(cp >> 12 | 0xE0), UInt8((cp >> 6) & 0x3F | 0x80), UInt8(cp & 0x3F | 0x80)]
            } else {
                out = [UInt8(cp >> 18 | 0xF0), UInt8((cp >> 12) & 0x3F | 0x80), UInt8((cp >> 6) & 0x3F | 0x80),
                       UInt8(cp & 0x3F | 0x80)]
            }
            index += length
            return out
        }
    }

    private static func parseError(_ expected: String, _ token: (Token, Int)) -> DecodeError {
        DecodeError(message: "Expected \(expected) but found \(token.0.name) at character \(token.1 + 1)")
    }

    private static func descend(_ L: OpaquePointer, _ p: inout Parser, _ token: (Token, Int), slots: Int32) throws(DecodeError) {
        p.depth += 1
        if p.depth > p.maxDepth || lua_checkstack(L, slots) == 0 {
            throw DecodeError(message: "Found too many nested data structures (\(p.depth)) at character \(token.1 + 1)")
        }
    }

    private static func pushValue(_ L: OpaquePointer, _ p: inout Parser, _ token: (Token, Int)) throws(DecodeError) {
        switch token.0 {
        case .string(let s): Lua.push(L, s)
        case .number(let n): lua_pushnumber(L, n)
        case .boolean(let b): lua_pushboolean(L, b ? 1 : 0)
        case .null: lua_pushlightuserdata(L, nil)
        case .objectBegin:
            try descend(L, &p, token, slots: 3)
            defer { p.depth -= 1 }
            lua_createtable(L, 0, 0)
            var t = p.next()
            if case .objectEnd = t.0 { return }
            while true {
                guard case .string(let key) = t.0 else { throw parseError("object key string", t) }
                Lua.push(L, key)
                t = p.next()
                guard case .colon = t.0 else { throw parseError("colon", t) }
                try pushValue(L, &p, p.next())
                lua_rawset(L, -3)
                t = p.next()
                if case .objectEnd = t.0 { return }
                guard case .comma = t.0 else { throw parseError("comma or object end", t) }
                t = p.next()
            }
        case .arrayBegin:
            try descend(L, &p, token, slots: 2)
            defer { p.depth -= 1 }
            lua_createtable(L, 0, 0)
            var t = p.next()
            if case .arrayEnd = t.0 { return }
            var i: Int32 = 1
            while true {
                try pushValue(L, &p, t)
                lua_rawseti(L, -2, i)
                i += 1
                t = p.next()
                if case .arrayEnd = t.0 { return }
                guard case .comma = t.0 else { throw parseError("comma or array end", t) }
                t = p.next()
            }
        default:
            throw parseError("value", token)
        }
    }

    static let decode: roost_lua_fn = { L in
        guard let L else { return 0 }
        if lua_gettop(L) != 1 { return argError(L, 1, "decode", "expected 1 argument") }
        guard lua_type(L, 1) == LUA_TSTRING || lua_type(L, 1) == LUA_TNUMBER, let text = Lua.bytes(L, 1) else {
            return argError(L, 1, "decode", "string expected, got \(typeName(L, 1))")
        }
        if text.count >= 2 && (text[0] == 0 || text[1] == 0) {
            return fail(L, "JSON parser does not support UTF-16 or UTF-32")
        }
        let cfg = config(L)
        var parser = Parser(data: text + [0], refuseBadNumbers: !cfg.decodeInvalidNumbers,
                            maxDepth: min(cfg.decodeMaxDepth, recursionCap(L)))
        do throws(DecodeError) {
            try pushValue(L, &parser, parser.next())
            let t = parser.next()
            if case .end = t.0 {} else { throw parseError("the end", t) }
        } catch {
            return fail(L, error.message)
        }
        return 1
    }

    // MARK: Configuration

    /// lua-cjson's `json_integer_option`: sets an integer setting from argument `i` if given.
    /// The value is a C `int` taken from `luaL_checkinteger` (so 2^32 + 5 is 5), and the range
    /// error always names argument #1, as lua-cjson's does.
    private static func integerOption(_ L: OpaquePointer, _ i: Int32, _ name: String, _ value: inout Int,
                                      _ lower: Int, _ upper: Int) -> Bool {
        if lua_type(L, i) > LUA_TNIL {
            guard let n = LuaNumber.check(L, i, name) else { return false }
            let v = Int(LuaNumber.truncatedInt(n))
            if v < lower || v > upper {
                _ = argError(L, 1, name, "expected integer between \(lower) and \(upper)")
                return false
            }
            value = v
        }
        lua_pushinteger(L, value)
        return true
    }

    /// lua-cjson's `json_enum_option`: booleans map to 0 and `boolTrue`, strings to their index.
    private static func enumOption(_ L: OpaquePointer, _ i: Int32, _ name: String, _ value: inout Int,
                                   _ options: [String] = ["off", "on"], boolTrue: Int = 1) -> Bool {
        if lua_type(L, i) > LUA_TNIL {
            if lua_type(L, i) == LUA_TBOOLEAN {
                value = lua_toboolean(L, i) != 0 ? boolTrue : 0
            } else {
                // `luaL_checkoption` reads the option as a C string, so up to its first NUL.
                guard lua_type(L, i) == LUA_TSTRING || lua_type(L, i) == LUA_TNUMBER, let text = Lua.cBytes(L, i) else {
                    _ = argError(L, i, name, "string expected, got \(typeName(L, i))")
                    return false
                }
                guard let index = options.firstIndex(where: { Array($0.utf8) == text }) else {
                    let message = Array("bad argument #\(i) to '\(name)' (invalid option '".utf8) + text + [39, 41]
                    Lua.pushErrorWithPosition(L, level: 1, message)
                    return false
                }
                value = index
            }
        }
        if value == 0 || value == boolTrue { lua_pushboolean(L, Int32(value)) } else { Lua.push(L, options[value]) }
        return true
    }

    /// lua-cjson's `json_arg_init`: refuses more than `max` arguments, and pads the missing ones
    /// with nil so that the results each option pushes land above them.
    private static func tooMany(_ L: OpaquePointer, _ max: Int32, _ name: String) -> Bool {
        if lua_gettop(L) > max {
            _ = argError(L, max + 1, name, "found too many arguments")
            return true
        }
        lua_settop(L, max)
        return false
    }

    static let encodeSparseArray: roost_lua_fn = { L in
        guard let L else { return 0 }
        let name = "encode_sparse_array"
        if tooMany(L, 3, name) { return -1 }
        var cfg = config(L)
        var convert = cfg.sparseConvert ? 1 : 0
        guard enumOption(L, 1, name, &convert),
              integerOption(L, 2, name, &cfg.sparseRatio, 0, Int(Int32.max)),
              integerOption(L, 3, name, &cfg.sparseSafe, 0, Int(Int32.max)) else { return -1 }
        cfg.sparseConvert = convert != 0
        setConfig(L, cfg)
        return 3
    }

    static let encodeMaxDepth: roost_lua_fn = { L in
        guard let L else { return 0 }
        if tooMany(L, 1, "encode_max_depth") { return -1 }
        var cfg = config(L)
        guard integerOption(L, 1, "encode_max_depth", &cfg.maxDepth, 1, Int(Int32.max)) else { return -1 }
        setConfig(L, cfg)
        return 1
    }

    static let decodeMaxDepth: roost_lua_fn = { L in
        guard let L else { return 0 }
        if tooMany(L, 1, "decode_max_depth") { return -1 }
        var cfg = config(L)
        guard integerOption(L, 1, "decode_max_depth", &cfg.decodeMaxDepth, 1, Int(Int32.max)) else { return -1 }
        setConfig(L, cfg)
        return 1
    }

    static let encodeNumberPrecision: roost_lua_fn = { L in
        guard let L else { return 0 }
        if tooMany(L, 1, "encode_number_precision") { return -1 }
        var cfg = config(L)
        guard integerOption(L, 1, "encode_number_precision", &cfg.precision, 1, 14) else { return -1 }
        setConfig(L, cfg)
        return 1
    }

    static let encodeKeepBuffer: roost_lua_fn = { L in
        guard let L else { return 0 }
        if tooMany(L, 1, "encode_keep_buffer") { return -1 }
        var cfg = config(L)
        var value = cfg.keepBuffer ? 1 : 0
        guard enumOption(L, 1, "encode_keep_buffer", &value) else { return -1 }
        cfg.keepBuffer = value != 0
        setConfig(L, cfg)
        return 1
    }

    static let encodeInvalidNumbers: roost_lua_fn = { L in
        guard let L else { return 0 }
        if tooMany(L, 1, "encode_invalid_numbers") { return -1 }
        var cfg = config(L)
        guard enumOption(L, 1, "encode_invalid_numbers", &cfg.encodeInvalidNumbers, ["off", "on", "null"]) else {
            return -1
        }
        setConfig(L, cfg)
        return 1
    }

    static let decodeInvalidNumbers: roost_lua_fn = { L in
        guard let L else { return 0 }
        if tooMany(L, 1, "decode_invalid_numbers") { return -1 }
        var cfg = config(L)
        var value = cfg.decodeInvalidNumbers ? 1 : 0
        guard enumOption(L, 1, "decode_invalid_numbers", &value) else { return -1 }
        cfg.decodeInvalidNumbers = value != 0
        setConfig(L, cfg)
        return 1
    }
}
