/// Random Lua scripts that call every library a Redis script can reach (bit, struct, cjson,
/// cmsgpack, redis.*, string, math, table and the base functions) with the numbers that break
/// conversions (NaN, ±inf, ±2^31, ±2^63, 2^64, huge and negative counts) and odd strings,
/// including `redis.call` of generated commands and sandbox escapes.
public struct LuaSnippetGenerator: Sendable {
    /// Lua expressions for numbers at the edges.
    public static let numbers: [String] = [
        "0", "1", "-1", "2", "3", "8", "31", "32", "33", "63", "64", "65", "255", "256", "-256", "0.5", "-0.5",
        "1.5", "2^31", "-2^31", "2^31-1", "2^32", "2^32+1", "2^52", "2^53", "2^53+1", "2^63", "-2^63", "2^63-1024",
        "2^64", "-2^64", "1e300", "-1e300", "1e-300", "0/0", "-(0/0)", "1/0", "-1/0", "math.huge", "-math.huge",
        "-0", "4294967295", "2147483647", "-2147483648", "9007199254740993", "1e15", "100000",
    ]

    /// Lua expressions for strings and other values.
    public static let others: [String] = [
        "''", "'a'", "'abc'", "'\\0'", "'\\1'", "'\\255\\254'", "'1'", "'-1'", "'1e400'", "'nan'", "'0x10'",
        "string.rep('x', 70)", "nil", "true", "false", "{}", "{1,2,3}", "{a=1}", "{1,{2,{3}}}", "{0/0}",
        "{1/0, -1/0}", "{[1]=1,[3]=3}", "{[1.5]=1}", "{[2^40]=1}", "'[1,2,3]'", "'{\"a\":[1,{}]}'", "'[[[[[[1]]]]]]'",
        "'\\145\\1\\2'", "'\\220\\0\\2\\1\\2'", "'\\203\\1\\2\\3\\4\\5\\6'", "'\\217\\255'", "'\\207'", "'\\193'",
        "cjson.null", "KEYS", "ARGV", "KEYS[1]", "ARGV[1]", "_G", "string", "redis",
    ]

    /// struct format strings.
    public static let structFormats: [String] = [
        "b", "B", "h", "H", "l", "L", "i", "I", "i8", "i16", "i17", "I0", "i3", "d", "f", "c", "c0", "c1", "c-1",
        "c99999999999", "s", "x", "<i", ">i", "!i", "!4i", "!17i", "!3d", ">dc0", "bc0", "Bc0", "i4c0", "<hHlL",
        ">bBd", "c2147483648", "i9999999999", "!", "=", "z", "", "xxxx", "s0", "   ",
    ]

    /// Library calls: a function and how many arguments it takes (a range).
    static let functions: [(name: String, arguments: ClosedRange<Int>)] = [
        ("bit.tobit", 0...2), ("bit.tohex", 0...3), ("bit.bnot", 0...2), ("bit.band", 0...4), ("bit.bor", 0...4),
        ("bit.bxor", 0...4), ("bit.lshift", 0...3), ("bit.rshift", 0...3), ("bit.arshift", 0...3), ("bit.rol", 0...3),
        ("bit.ror", 0...3), ("bit.bswap", 0...2),
        ("cjson.encode", 0...2), ("cjson.decode", 0...2), ("cjson.encode_keep_buffer", 0...2),
        ("cjson.encode_max_depth", 0...2), ("cjson.decode_max_depth", 0...2), ("cjson.encode_number_precision", 0...2),
        ("cjson.encode_sparse_array", 0...4), ("cjson.encode_invalid_numbers", 0...2),
        ("cjson.decode_invalid_numbers", 0...2), ("cjson.new", 0...1),
        ("cmsgpack.pack", 0...4), ("cmsgpack.unpack", 0...2), ("cmsgpack.unpack_one", 0...3),
        ("cmsgpack.unpack_limit", 0...4),
        ("redis.log", 0...4), ("redis.setresp", 0...2), ("redis.sha1hex", 0...2), ("redis.error_reply", 0...2),
        ("redis.status_reply", 0...2), ("redis.set_repl", 0...2), ("redis.replicate_commands", 0...1),
        ("redis.breakpoint", 0...1), ("redis.debug", 0...2), ("redis.acl_check_cmd", 0...3),
        ("string.sub", 0...3), ("string.byte", 0...3), ("string.char", 0...4),
        ("string.format", 0...3), ("string.find", 0...4), ("string.len", 0...1), ("string.upper", 0...1),
        ("math.floor", 0...1), ("math.fmod", 0...2), ("math.random", 0...2), ("math.randomseed", 0...1),
        ("math.ldexp", 0...2), ("math.frexp", 0...1), ("math.modf", 0...1), ("math.abs", 0...1),
        ("tonumber", 0...2), ("tostring", 0...1), ("table.concat", 0...4),
        ("table.remove", 0...2), ("table.getn", 0...1), ("unpack", 0...3), ("select", 0...3),
        ("getmetatable", 0...1), ("setmetatable", 0...2), ("rawset", 0...3), ("rawget", 0...2),
        ("loadstring", 0...1), ("type", 0...1), ("next", 0...2), ("pcall", 0...2), ("error", 0...2),
    ]

    /// Statements that try to change the sandbox or leave it.
    static let sandboxProbes: [String] = [
        "getmetatable('').__index = function() return 1 end",
        "getmetatable('').__index.upper = nil",
        "getmetatable('').x = 1",
        "string.rep = nil", "redis = nil", "cjson.encode = 1", "bit.band = 1", "x_global = 1",
        "rawset(_G, 'y', 1)", "setmetatable(_G, nil)", "_G.z = 1", "local t = getmetatable(_G)",
        "table.insert = nil", "math = nil", "struct = nil", "cmsgpack.pack = print", "loadstring = nil",
    ]

    public init() {}

    /// A Lua expression for an argument.
    public func argument(_ random: inout SplitMix64) -> String {
        switch random.below(10) {
        case 0...4: return random.pick(Self.numbers)
        case 5: return "'" + random.pick(Self.structFormats) + "'"
        default: return random.pick(Self.others)
        }
    }

    /// A Lua string literal holding `bytes`.
    public static func literal(_ bytes: [UInt8]) -> String {
        var out = "'"
        for b in bytes {
            if (b >= 0x20 && b < 0x7f) && b != UInt8(ascii: "'") && b != UInt8(ascii: "\\") {
                out.append(Character(Unicode.Scalar(b)))
            } else {
                out += "\\" + String(b)
            }
        }
        return out + "'"
    }

    /// Counts for `string.rep` and positions for `table.insert` at the edges of their int
    /// conversion, none of them far from 0 once converted: a count near 2^31 asks any Lua,
    /// Redis's included, for gigabytes, and `table.insert` at -2^31 shifts the table two billion
    /// times inside C, where no script timeout reaches (Redis hangs the same way).
    static let repeatCounts = ["-1", "0", "3", "0/0", "1/0", "-1/0", "2^63", "-2^63", "2^32", "2^32+2", "1.5"]

    /// One library call with random arguments.
    public func call(_ random: inout SplitMix64) -> String {
        if random.chance(1, in: 40) {
            return "string.rep(\(argument(&random)), \(random.pick(Self.repeatCounts)))"
        }
        if random.chance(1, in: 60) {
            return "table.insert(\(argument(&random)), \(random.pick(Self.repeatCounts)), \(argument(&random)))"
        }
        let f = random.pick(Self.functions)
        let count = f.arguments.lowerBound + random.below(f.arguments.count)
        var args: [String] = []
        for _ in 0..<count { args.append(argument(&random)) }
        return f.name + "(" + args.joined(separator: ", ") + ")"
    }

    /// A struct.pack/unpack/size call.
    public func structCall(_ random: inout SplitMix64) -> String {
        let format = "'" + random.pick(Self.structFormats) + "'"
        switch random.below(4) {
        case 0: return "struct.size(\(format))"
        case 1: return "struct.pack(\(format), \(argument(&random)), \(argument(&random)))"
        case 2: return "struct.unpack(\(format), \(argument(&random)), \(argument(&random)))"
        default:
            return "struct.unpack(\(format), struct.pack(\(format), \(argument(&random))), \(argument(&random)))"
        }
    }

    /// A `redis.call`/`redis.pcall` of a generated command.
    public func redisCall(_ random: inout SplitMix64, commands: CommandGenerator) -> String {
        let words = commands.plainCommand(&random)
        let fn = random.chance(1, in: 2) ? "redis.pcall" : "redis.call"
        var args = words.map { Self.literal($0) }
        if random.chance(1, in: 6) {
            // An extra Lua expression (`-2^31`…), except as the count of a command whose reply
            // has one element per unit of it (drawn all the same, so later inputs stay as they were).
            let extra = argument(&random)
            let name = words.first.map { String(decoding: $0, as: UTF8.self).lowercased() } ?? ""
            if !CommandGenerator.countSizedReplies.contains(name) { args.append(extra) }
        }
        return fn + "(" + args.joined(separator: ", ") + ")"
    }

    /// A whole script: a few statements, each guarded by `pcall` or not, then a return of a
    /// value whose conversion to a reply is itself at an edge.
    public func script(_ random: inout SplitMix64, commands: CommandGenerator) -> String {
        var lines: [String] = []
        if random.chance(1, in: 8) { lines.append("redis.setresp(\(random.chance(1, in: 2) ? 3 : 2))") }
        for i in 0..<(1 + random.below(4)) {
            let expression: String
            switch random.below(10) {
            case 0...3: expression = call(&random)
            case 4, 5: expression = structCall(&random)
            case 6, 7: expression = redisCall(&random, commands: commands)
            case 8:
                let statement = random.pick(Self.sandboxProbes)
                lines.append(random.chance(1, in: 2) ? statement : "pcall(function() \(statement) end)")
                continue
            default: expression = "cjson.decode(cjson.encode(\(argument(&random))))"
            }
            if random.chance(2, in: 3) {
                lines.append("local r\(i) = {pcall(function() return \(expression) end)}")
            } else {
                lines.append("local r\(i) = \(expression)")
            }
        }
        lines.append("return " + returnValue(&random))
        return lines.joined(separator: "\n")
    }

    /// A returned value: numbers at the edges, tables of every reply shape, errors.
    func returnValue(_ random: inout SplitMix64) -> String {
        switch random.below(12) {
        case 0: return random.pick(Self.numbers)
        case 1: return "{\(random.pick(Self.numbers)), \(random.pick(Self.others))}"
        case 2: return "{err=\(random.pick(Self.others))}"
        case 3: return "{ok=\(random.pick(Self.others))}"
        case 4: return "{double=\(random.pick(Self.numbers))}"
        case 5: return "{map={a=\(random.pick(Self.numbers))}}"
        case 6: return "{set={[\(random.pick(Self.numbers))]=true}}"
        case 7: return "{big_number=\(random.pick(Self.others))}"
        case 8: return "redis.error_reply(\(random.pick(Self.others)))"
        case 9: return "r0"
        case 10: return random.pick(Self.others)
        default: return "{1, {2, {3, {0/0, 1/0}}}, 'x', false, true}"
        }
    }
}
