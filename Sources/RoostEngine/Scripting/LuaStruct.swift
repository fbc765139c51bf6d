import CLua

/// The `struct` library Redis bundles (Roberto Ierusalimschy's struct 0.2): pack, unpack and
/// size of binary records described by a format string, with the same error texts.
enum LuaStruct {
    static let maxIntSize = 32
    static let maxAlign = 8

    static func install(_ L: OpaquePointer) {
        lua_createtable(L, 0, 3)
        Lua.setFunction(L, -1, "pack", pack)
        Lua.setFunction(L, -1, "unpack", unpack)
        Lua.setFunction(L, -1, "size", size)
        roost_lua_setglobal(L, "struct")
    }

    /// An error raised after the script position, as `luaL_error` raises it; bytes, since an
    /// invalid option is echoed as the raw byte.
    private struct Failure: Error {
        let message: [UInt8]
        init(_ text: String) { message = Array(text.utf8) }
        init(bytes: [UInt8]) { message = bytes }
    }

    private static func argError(_ n: Int32, _ name: String, _ text: String) -> Failure {
        Failure("bad argument #\(n) to '\(name)' (\(text))")
    }

    private static func error(_ text: String) -> Failure { Failure(text) }

    private static func raise(_ L: OpaquePointer, _ f: Failure) -> Int32 {
        Lua.pushErrorWithPosition(L, level: 1, f.message)
        return -1
    }

    private struct Format {
        let bytes: [UInt8]
        var index = 0
        var littleEndian = true
        var align = 1

        var atEnd: Bool { index >= bytes.count || bytes[index] == 0 }

        mutating func next() -> UInt8 {
            defer { index += 1 }
            return bytes[index]
        }

        func isDigit(_ i: Int) -> Bool { i < bytes.count && bytes[i] >= 48 && bytes[i] <= 57 }

        mutating func number(default value: Int) throws(Failure) -> Int {
            if !isDigit(index) { return value }
            var a = 0
            repeat {
                let d = Int(bytes[index]) - 48
                if a > Int(Int32.max) / 10 || a * 10 > Int(Int32.max) - d { throw LuaStruct.error("integral size overflow") }
                a = a * 10 + d
                index += 1
            } while isDigit(index)
            return a
        }

        /// The size of option `opt`, reading its count.
        mutating func size(_ opt: UInt8) throws(Failure) -> Int {
            switch opt {
            case UInt8(ascii: "B"), UInt8(ascii: "b"): return 1
            case UInt8(ascii: "H"), UInt8(ascii: "h"): return 2
            case UInt8(ascii: "L"), UInt8(ascii: "l"), UInt8(ascii: "T"), UInt8(ascii: "d"): return 8
            case UInt8(ascii: "f"): return 4
            case UInt8(ascii: "x"): return 1
            case UInt8(ascii: "c"): return try number(default: 1)
            case UInt8(ascii: "i"), UInt8(ascii: "I"):
                let sz = try number(default: 4)
                if sz > LuaStruct.maxIntSize {
                    throw LuaStruct.error("integral size \(sz) is larger than limit of \(LuaStruct.maxIntSize)")
                }
                return sz
            default: return 0
            }
        }

        func toAlign(_ length: Int, _ opt: UInt8, _ size: Int) -> Int {
            if size == 0 || opt == UInt8(ascii: "c") { return 0 }
            let s = min(size, align)
            return (s - (length & (s - 1))) & (s - 1)
        }

        /// The options that are not values: endianness, alignment and spaces; anything else is
        /// an invalid option (which `size` only reaches for characters that are not alphanumeric).
        mutating func common(_ opt: UInt8, _ name: String) throws(Failure) {
            switch opt {
            case UInt8(ascii: ">"): littleEndian = false
            case UInt8(ascii: "<"): littleEndian = true
            case UInt8(ascii: "!"):
                let a = try number(default: LuaStruct.maxAlign)
                if a <= 0 || a & (a - 1) != 0 { throw LuaStruct.error("alignment \(a) is not a power of 2") }
                align = a
            case UInt8(ascii: " "): break
            default:
                throw Failure(bytes: Array("bad argument #1 to '\(name)' (invalid format option '".utf8) + [opt, 39, 41])
            }
        }
    }

    private static func formatArgument(_ L: OpaquePointer, _ name: String) throws(Failure) -> Format {
        guard lua_type(L, 1) == LUA_TSTRING || lua_type(L, 1) == LUA_TNUMBER, let f = Lua.bytes(L, 1) else {
            throw argError(1, name, "string expected, got \(String(cString: lua_typename(L, lua_type(L, 1))))")
        }
        return Format(bytes: f)
    }

    private static func numberArgument(_ L: OpaquePointer, _ i: Int32) throws(Failure) -> Double {
        if lua_isnumber(L, i) == 0 {
            throw argError(i, "pack", "number expected, got \(String(cString: lua_typename(L, lua_type(L, i))))")
        }
        return lua_tonumber(L, i)
    }

    static let pack: roost_lua_fn = { L in
        guard let L else { return 0 }
        do throws(Failure) {
            var fmt = try formatArgument(L, "pack")
            var arg: Int32 = 2
            var out: [UInt8] = []
            while !fmt.atEnd {
                let opt = fmt.next()
                var size = try fmt.size(opt)
                out += [UInt8](repeating: 0, count: fmt.toAlign(out.count, opt, size))
                switch opt {
                case UInt8(ascii: "b"), UInt8(ascii: "B"), UInt8(ascii: "h"), UInt8(ascii: "H"), UInt8(ascii: "l"),
                     UInt8(ascii: "L"), UInt8(ascii: "T"), UInt8(ascii: "i"), UInt8(ascii: "I"):
                    let n = try numberArgument(L, arg)
                    arg += 1
                    // `(unsigned long)(long)n` for a negative number, `(unsigned long)n` otherwise.
                    var value = n < 0 ? UInt64(bitPattern: LuaNumber.integer(n)) : LuaNumber.unsigned(n)
                    var bytes = [UInt8](repeating: 0, count: size)
                    for i in 0..<size {
                        bytes[fmt.littleEndian ? i : size - 1 - i] = UInt8(truncatingIfNeeded: value)
                        value = i < 7 ? value >> 8 : 0
                    }
                    out += bytes
                case UInt8(ascii: "x"):
                    out.append(0)
                case UInt8(ascii: "f"):
                    let bits = Float(try numberArgument(L, arg)).bitPattern
                    arg += 1
                    for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: bits >> UInt32(8 * (fmt.littleEndian ? i : 3 - i)))) }
                case UInt8(ascii: "d"):
                    let bits = try numberArgument(L, arg).bitPattern
                    arg += 1
                    for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: bits >> UInt64(8 * (fmt.littleEndian ? i : 7 - i)))) }
                case UInt8(ascii: "c"), UInt8(ascii: "s"):
                    guard lua_type(L, arg) == LUA_TSTRING || lua_type(L, arg) == LUA_TNUMBER, let s = Lua.bytes(L, arg) else {
                        throw argError(arg, "pack", "string expected, got \(String(cString: lua_typename(L, lua_type(L, arg))))")
                    }
                    arg += 1
                    if size == 0 { size = s.count }
                    if s.count < size { throw argError(arg, "pack", "string too short") }
                    out += s[0..<size]
                    if opt == UInt8(ascii: "s") {
                        out.append(0)
                        size += 1
                    }
                default:
                    try fmt.common(opt, "pack")
                }
            }
            Lua.push(L, out)
            return 1
        } catch {
            return raise(L, error)
        }
    }

    static let unpack: roost_lua_fn = { L in
        guard let L else { return 0 }
        do throws(Failure) {
            var fmt = try formatArgument(L, "unpack")
            guard lua_type(L, 2) == LUA_TSTRING || lua_type(L, 2) == LUA_TNUMBER, let data = Lua.bytes(L, 2) else {
                throw argError(2, "unpack", "string expected, got \(String(cString: lua_typename(L, lua_type(L, 2))))")
            }
            var start: Int64 = 1
            if lua_type(L, 3) > LUA_TNIL {
                if lua_isnumber(L, 3) == 0 { throw Failure(LuaNumber.typeError(L, 3, "unpack", expected: "number")) }
                start = LuaNumber.integer(lua_tonumber(L, 3))
            }
            // size_t arithmetic: a negative start wraps to a huge position.
            var pos = UInt(bitPattern: Int(start))
            if pos == 0 { throw argError(3, "unpack", "offset must be 1 or greater") }
            pos -= 1
            let ld = UInt(data.count)
            lua_settop(L, 2)
            var results: Int32 = 0
            func check(_ size: UInt) throws(Failure) {
                if !(size <= ld && pos <= ld - size) { throw argError(2, "unpack", "data string too short") }
            }
            while !fmt.atEnd {
                let opt = fmt.next()
                var size = UInt(try fmt.size(opt))
                pos &+= UInt(fmt.toAlign(Int(truncatingIfNeeded: pos), opt, Int(size)))
                try check(size)
                if lua_checkstack(L, 2) == 0 { throw error("stack overflow (too many results)") }
                let p = Int(pos)
                switch opt {
                case UInt8(ascii: "b"), UInt8(ascii: "B"), UInt8(ascii: "h"), UInt8(ascii: "H"), UInt8(ascii: "l"),
                     UInt8(ascii: "L"), UInt8(ascii: "T"), UInt8(ascii: "i"), UInt8(ascii: "I"):
                    var l: UInt64 = 0
                    let n = Int(size)
                    for i in 0..<n {
                        let b = data[p + (fmt.littleEndian ? n - 1 - i : i)]
                        l = (l << 8) | UInt64(b)
                    }
                    if opt >= UInt8(ascii: "a") {
                        // The sign mask's shift count is taken modulo 64, as x86-64's shift
                        // instruction does for the wider (and zero) sizes C leaves undefined.
                        let mask = UInt64.max << UInt64((n * 8 - 1) & 63)
                        if l & mask != 0 { l |= mask }
                        lua_pushnumber(L, Double(Int64(bitPattern: l)))
                    } else {
                        lua_pushnumber(L, Double(l))
                    }
                    results += 1
                case UInt8(ascii: "x"):
                    break
                case UInt8(ascii: "f"):
                    var bits: UInt32 = 0
                    for i in 0..<4 { bits = bits << 8 | UInt32(data[p + (fmt.littleEndian ? 3 - i : i)]) }
                    lua_pushnumber(L, Double(Float(bitPattern: bits)))
                    results += 1
                case UInt8(ascii: "d"):
                    var bits: UInt64 = 0
                    for i in 0..<8 { bits = bits << 8 | UInt64(data[p + (fmt.littleEndian ? 7 - i : i)]) }
                    lua_pushnumber(L, Double(bitPattern: bits))
                    results += 1
                case UInt8(ascii: "c"):
                    if size == 0 {
                        if results == 0 || lua_isnumber(L, -1) == 0 { throw error("format 'c0' needs a previous size") }
                        size = UInt(LuaNumber.unsigned(lua_tonumber(L, -1)))
                        lua_settop(L, -2)
                        results -= 1
                        try check(size)
                    }
                    Lua.push(L, Array(data[p..<(p + Int(size))]))
                    results += 1
                case UInt8(ascii: "s"):
                    guard let end = data[p...].firstIndex(of: 0) else { throw error("unfinished string in data") }
                    size = UInt(end - p + 1)
                    Lua.push(L, Array(data[p..<end]))
                    results += 1
                default:
                    try fmt.common(opt, "unpack")
                }
                pos &+= size
            }
            lua_pushinteger(L, Int(bitPattern: pos &+ 1))
            return results + 1
        } catch {
            return raise(L, error)
        }
    }

    static let size: roost_lua_fn = { L in
        guard let L else { return 0 }
        do throws(Failure) {
            var fmt = try formatArgument(L, "size")
            var pos = 0
            while !fmt.atEnd {
                let opt = fmt.next()
                let size = try fmt.size(opt)
                pos += fmt.toAlign(pos, opt, size)
                if opt == UInt8(ascii: "s") {
                    throw argError(1, "size", "option 's' has no fixed size")
                } else if opt == UInt8(ascii: "c") && size == 0 {
                    throw argError(1, "size", "option 'c0' has no fixed size")
                }
                let isAlphanumeric = (opt >= 48 && opt <= 57) || ((opt | 0x20) >= 97 && (opt | 0x20) <= 122)
                if !isAlphanumeric { try fmt.common(opt, "size") }
                pos += size
            }
            lua_pushinteger(L, pos)
            return 1
        } catch {
            return raise(L, error)
        }
    }
}
