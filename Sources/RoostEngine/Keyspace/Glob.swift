/// A glob-style pattern with the semantics of Redis's `stringmatchlen` (KEYS, SCAN MATCH,
/// PSUBSCRIBE): `*`, `?`, `[...]` with `^` negation and `a-z` ranges, and `\` escapes.
///
/// The pattern is compiled once into tokens and matched without recursion, backtracking only to
/// the last `*`, so matching takes at most O(pattern × string) steps whatever the pattern
/// (the CVE-2022-36021 class of exponential patterns cannot occur). Redis's quirks are kept:
/// - a non-empty pattern never matches an empty string;
/// - range ends compare as signed C `char`s, and a reversed range is swapped;
/// - an unterminated `[` class takes the rest of the pattern; a trailing `\` is a literal;
/// - past 1000 nested `*`, Redis gives up: a pattern whose 1001st run of stars is followed by
///   more pattern never matches.
public struct GlobPattern: Sendable {
    enum Token: Sendable, Equatable {
        case star
        case any
        case literal(UInt8)
        /// A bracket class: the members (single bytes and signed ranges) and whether it is negated.
        case set(negated: Bool, singles: [UInt8], ranges: [ClosedRange<Int8>])
    }

    let tokens: [Token]
    /// Whether the pattern was empty (it then matches only the empty string).
    let isEmpty: Bool
    /// Whether Redis's nesting limit makes every match fail.
    let exceedsNesting: Bool
    /// Whether the pattern is exactly `*`, which matches every key (Redis skips matching then,
    /// so the empty key is included; `**` goes through matching and excludes it).
    public let matchesEverything: Bool

    /// How deep Redis lets `*` recursion go before it answers "no match".
    static let nestingLimit = 1000

    /// Compiles `pattern`.
    public init<C: Collection>(_ pattern: C) where C.Element == UInt8 {
        let p = Array(pattern)
        isEmpty = p.isEmpty
        matchesEverything = p == [UInt8(ascii: "*")]
        var tokens: [Token] = []
        var i = 0
        // Bytes past the end read as C's terminating NUL.
        func at(_ j: Int) -> UInt8 { j < p.count ? p[j] : 0 }
        while i < p.count {
            switch p[i] {
            case UInt8(ascii: "*"):
                if tokens.last != .star { tokens.append(.star) }
                i += 1
            case UInt8(ascii: "?"):
                tokens.append(.any)
                i += 1
            case UInt8(ascii: "["):
                i += 1
                let negated = at(i) == UInt8(ascii: "^")
                if negated { i += 1 }
                var singles: [UInt8] = []
                var ranges: [ClosedRange<Int8>] = []
                while true {
                    let left = p.count - i
                    if at(i) == UInt8(ascii: "\\") && left >= 2 {
                        i += 1
                        singles.append(p[i])
                    } else if at(i) == UInt8(ascii: "]") {
                        break
                    } else if left <= 0 {
                        break
                    } else if left >= 3 && p[i + 1] == UInt8(ascii: "-") {
                        var a = Int8(bitPattern: p[i]), b = Int8(bitPattern: p[i + 2])
                        if a > b { swap(&a, &b) }
                        ranges.append(a...b)
                        i += 2
                    } else {
                        singles.append(p[i])
                    }
                    i += 1
                }
                i += 1
                tokens.append(.set(negated: negated, singles: singles, ranges: ranges))
            case UInt8(ascii: "\\") where p.count - i >= 2:
                tokens.append(.literal(p[i + 1]))
                i += 2
            default:
                tokens.append(.literal(p[i]))
                i += 1
            }
        }
        self.tokens = tokens
        var stars = 0
        var exceeds = false
        for (index, token) in tokens.enumerated() where token == .star {
            stars += 1
            if stars > Self.nestingLimit && index != tokens.count - 1 { exceeds = true; break }
        }
        exceedsNesting = exceeds
    }

    /// Whether `string` matches the pattern.
    public func matches<C: Collection>(_ string: C) -> Bool where C.Element == UInt8, C.Index == Int {
        if string.isEmpty { return isEmpty }
        if exceedsNesting { return false }
        var p = 0
        var s = string.startIndex
        let end = string.endIndex
        var starToken = -1
        var starString = s
        while s < end {
            if p < tokens.count {
                switch tokens[p] {
                case .star:
                    starToken = p
                    starString = s
                    p += 1
                    continue
                case .any:
                    p += 1
                    s += 1
                    continue
                case .literal(let c):
                    if c == string[s] { p += 1; s += 1; continue }
                case .set(let negated, let singles, let ranges):
                    let c = string[s]
                    var hit = singles.contains(c)
                    if !hit {
                        let signed = Int8(bitPattern: c)
                        hit = ranges.contains { $0.contains(signed) }
                    }
                    if hit != negated { p += 1; s += 1; continue }
                }
            }
            if starToken < 0 { return false }
            starString += 1
            s = starString
            p = starToken + 1
        }
        while p < tokens.count && tokens[p] == .star { p += 1 }
        return p == tokens.count
    }

    /// Whether `key` matches the pattern.
    public func matches(_ key: ByteString) -> Bool { key.withUnsafeBytes { matches($0) } }
}
