@testable import RoostEngine
import Testing

@Suite struct GlobTests {
    func match(_ pattern: String, _ string: String) -> Bool {
        GlobPattern(Array(pattern.utf8)).matches(Array(string.utf8))
    }

    func match(_ pattern: [UInt8], _ string: [UInt8]) -> Bool {
        GlobPattern(pattern).matches(string)
    }

    @Test func literalsAndWildcards() {
        #expect(match("hello", "hello"))
        #expect(!match("hello", "hell"))
        #expect(!match("hell", "hello"))
        #expect(match("h?llo", "hallo"))
        #expect(!match("h?llo", "hllo"))
        #expect(match("h*llo", "hllo"))
        #expect(match("h*llo", "heeeello"))
        #expect(match("*", "anything"))
        #expect(match("a*b*c", "aXXbYYc"))
        #expect(!match("a*b*c", "aXXbYY"))
        #expect(match("*o", "hello"))
        #expect(match("h*", "h"))
        #expect(match("a**b", "ab"))
    }

    @Test func bracketClasses() {
        #expect(match("h[ae]llo", "hello"))
        #expect(match("h[ae]llo", "hallo"))
        #expect(!match("h[ae]llo", "hillo"))
        #expect(match("h[^e]llo", "hallo"))
        #expect(!match("h[^e]llo", "hello"))
        #expect(match("h[a-b]llo", "hbllo"))
        #expect(match("h[b-a]llo", "hallo"))  // a reversed range is swapped
        #expect(!match("h[a-b]llo", "hcllo"))
        #expect(match("[\\]]", "]"))
        #expect(match("x[abc", "xb"))  // an unterminated class takes the rest of the pattern
        #expect(!match("[", "a"))
        #expect(match("[^", "a"))
    }

    @Test func escapes() {
        #expect(match("a\\*b", "a*b"))
        #expect(!match("a\\*b", "aXb"))
        #expect(match("a\\?", "a?"))
        #expect(match("a\\", "a\\"))  // a trailing backslash is a literal
        #expect(match("\\[x]", "[x]"))
    }

    @Test func emptyStringsFollowRedis() {
        #expect(match("", ""))
        #expect(!match("*", ""))
        #expect(!match("", "a"))
        #expect(GlobPattern(Array("*".utf8)).matchesEverything)
        #expect(!GlobPattern(Array("**a".utf8)).matchesEverything)
        #expect(!GlobPattern(Array("**".utf8)).matchesEverything)
    }

    @Test func binaryBytesAndSignedRanges() {
        #expect(match([0x61, 0x00, 0x2A], [0x61, 0x00, 0xFF, 0x0D]))
        // Bytes above 0x7f compare as negative C chars: [\x80-a] spans -128...97.
        #expect(match([0x5B, 0x80, 0x2D, 0x61, 0x5D], [0x00]))
        #expect(match([0x5B, 0x80, 0x2D, 0x61, 0x5D], [0xFF]))
        #expect(!match([0x5B, 0x80, 0x2D, 0x61, 0x5D], [0x62]))
    }

    @Test func pathologicalPatternsFinish() {
        // Exponential for a naive backtracking matcher; must complete promptly here.
        let pattern = String(repeating: "*a", count: 60) + "b"
        let subject = String(repeating: "a", count: 20_000)
        #expect(!match(pattern, subject))
        let stars = String(repeating: "a*", count: 900) + "b"
        #expect(!match(stars, String(repeating: "a", count: 5_000) + "c"))
        #expect(match(stars, String(repeating: "a", count: 5_000) + "b"))
    }

    @Test func nestingLimitLikeRedis() {
        let subject = String(repeating: "a", count: 1001) + "b"
        #expect(match(String(repeating: "a*", count: 1000) + "b", subject))
        #expect(!match(String(repeating: "a*", count: 1001) + "b", subject))
        #expect(match(String(repeating: "a*", count: 1001), subject))
    }
}
