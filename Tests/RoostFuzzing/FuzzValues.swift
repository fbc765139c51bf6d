/// The argument values fuzz inputs draw from: the edges where conversions, negation and size
/// arithmetic break (0, ±1, the 32- and 64-bit limits and one past them, NaN, ±inf, huge and
/// tiny doubles), malformed numbers, and binary and long strings.
public enum FuzzValues {
    /// Integer-looking arguments, valid and not.
    public static let integers: [String] = [
        "0", "1", "-1", "2", "3", "5", "7", "10", "16", "63", "64", "100", "-100", "128", "255", "256", "1000",
        "-5", "-10", "65535", "65536", "2147483647", "2147483648", "-2147483648", "-2147483649",
        "4294967295", "4294967296", "4294967297", "9007199254740992", "9007199254740993",
        "4611686018427387904", "-4611686018427387905",
        "9223372036854775806", "9223372036854775807", "-9223372036854775807", "-9223372036854775808",
        "9223372036854775808", "-9223372036854775809", "18446744073709551615", "18446744073709551616",
        "99999999999999999999", "-0", "00", "+5", " 5", "5 ", "1e3", "0x10", "", "1.5", "abc",
    ]

    /// Double-looking arguments, valid and not.
    public static let doubles: [String] = [
        "0", "-0", "1", "-1", "0.5", "-0.5", "1.5", "3.14159", "1e10", "-1e10", "1e308", "-1e308", "1e309",
        "1.7976931348623157e308", "4.9e-324", "1e-320", "2.2250738585072014e-308", "9007199254740993",
        "9223372036854775807", "-9223372036854775808", "inf", "-inf", "+inf", "Infinity", "-infinity",
        "nan", "NaN", "-nan", "1e", "--1", ".5", "5.", "0x1p3", " 1", "1 ", "", "(1", "(-inf", "[a", "+", "-",
    ]

    /// Strings: empty, short, binary, separators, long.
    public static let strings: [[UInt8]] = [
        [], Array("a".utf8), Array("b".utf8), Array("hello".utf8), Array("field".utf8), Array("member".utf8),
        [0], [0xff, 0xfe], [0xc3, 0x28], Array("\r\n".utf8), Array("a\r\nb".utf8), Array("*".utf8),
        Array("?".utf8), Array("[a-z]*".utf8), Array("\\".utf8), Array("{tag}x".utf8), Array("%s%d%n".utf8),
        Array(repeating: UInt8(ascii: "x"), count: 45), Array(repeating: UInt8(ascii: "y"), count: 65),
        Array(repeating: UInt8(ascii: "z"), count: 300), Array(repeating: 0xAA, count: 4096),
    ]

    /// Glob patterns.
    public static let patterns: [String] = [
        "*", "k*", "?", "[a-z]*", "[^k]*", "[", "\\", "*\\", "[a-", "k[0-9]", "{tag}*", "", "**?**", "[\\]]",
    ]

    /// Keys: a small pool, so that commands of one input meet each other's data.
    public static let keys: [String] = ["k0", "k1", "k2", "k3", "{t}a", "{t}b", "n", "s"]

    /// Unix times in seconds or milliseconds.
    public static let unixTimes: [String] = [
        "0", "1", "-1", "1700000000", "1700000000000", "4102444800", "9223372036854775807",
        "-9223372036854775808", "9223372036854775", "9223372036854776", "253402300799999",
    ]

    /// A random integer-looking argument, sometimes a plain small number.
    public static func integer(_ random: inout SplitMix64) -> [UInt8] {
        if random.chance(1, in: 3) { return Array(String(random.below(20) - 5).utf8) }
        return Array(random.pick(integers).utf8)
    }

    /// A random double-looking argument.
    public static func double(_ random: inout SplitMix64) -> [UInt8] {
        if random.chance(1, in: 3) { return Array(String(Double(random.below(2000) - 1000) / 8).utf8) }
        return Array(random.pick(doubles).utf8)
    }

    /// A random value of any shape: keys, numbers and strings mixed, as values are in practice.
    public static func any(_ random: inout SplitMix64) -> [UInt8] {
        switch random.below(6) {
        case 0: return integer(&random)
        case 1: return double(&random)
        case 2: return Array(random.pick(keys).utf8)
        default: return random.pick(strings)
        }
    }
}
