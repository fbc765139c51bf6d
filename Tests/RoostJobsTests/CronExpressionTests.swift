import Foundation
import RoostJobs
import RoostTestSupport
import Testing

@Suite("Cron expressions")
struct CronExpressionTests {
    /// An expression, the instant to search after, and the expected next fire time (nil: never).
    struct NextCase: Sendable, CustomTestStringConvertible {
        var expression: String
        var zone = "UTC"
        var after: String
        var expected: String?

        var testDescription: String { "\(expression) [\(zone)] after \(after)" }
    }

    static let nextCases: [NextCase] = [
        // Steps, ranges, lists, strictly after.
        NextCase(expression: "*/15 * * * *", after: "2025-01-01T10:07:00Z", expected: "2025-01-01T10:15:00Z"),
        NextCase(expression: "*/15 * * * *", after: "2025-01-01T10:15:00Z", expected: "2025-01-01T10:30:00Z"),
        NextCase(expression: "*/15 * * * *", after: "2025-01-01T23:59:30Z", expected: "2025-01-02T00:00:00Z"),
        NextCase(expression: "5/20 * * * *", after: "2025-01-01T10:46:00Z", expected: "2025-01-01T11:05:00Z"),
        NextCase(expression: "0 * * * *", after: "2025-01-01T10:00:00Z", expected: "2025-01-01T11:00:00Z"),
        // 2025-01-03 is a Friday.
        NextCase(expression: "0 9 * * MON-FRI", after: "2025-01-03T18:00:00Z", expected: "2025-01-06T09:00:00Z"),
        NextCase(expression: "0 9 * * 1-5", after: "2025-01-06T08:59:59Z", expected: "2025-01-06T09:00:00Z"),
        NextCase(expression: "0 0 * * 5-7", after: "2025-01-06T00:00:00Z", expected: "2025-01-10T00:00:00Z"),
        NextCase(expression: "0 0 * * SUN", after: "2025-01-01T00:00:00Z", expected: "2025-01-05T00:00:00Z"),
        NextCase(expression: "0 0 * * 7", after: "2025-01-01T00:00:00Z", expected: "2025-01-05T00:00:00Z"),
        // Both day fields restricted: the 1st, the 15th, or any Friday.
        NextCase(expression: "0 0 1,15 * 5", after: "2025-01-01T00:00:00Z", expected: "2025-01-03T00:00:00Z"),
        NextCase(expression: "0 0 1,15 * 5", after: "2025-01-10T00:00:00Z", expected: "2025-01-15T00:00:00Z"),
        NextCase(expression: "0 0 1,15 * 5", after: "2025-01-31T00:00:00Z", expected: "2025-02-01T00:00:00Z"),
        // Day of month written `*/2`: both must match, an odd day that is a Monday.
        NextCase(expression: "0 0 */2 * MON", after: "2025-01-01T00:00:00Z", expected: "2025-01-13T00:00:00Z"),
        // Day of week `*`: only the day of month counts. June 2025 starts on a Sunday.
        NextCase(expression: "0 12 * JUN-AUG SAT", after: "2025-05-01T00:00:00Z", expected: "2025-06-07T12:00:00Z"),
        NextCase(expression: "0 0 1 JAN,jul *", after: "2025-02-01T00:00:00Z", expected: "2025-07-01T00:00:00Z"),
        // Macros, month and year ends.
        NextCase(expression: "@monthly", after: "2025-12-15T12:00:00Z", expected: "2026-01-01T00:00:00Z"),
        NextCase(expression: "@yearly", after: "2025-01-01T00:00:00Z", expected: "2026-01-01T00:00:00Z"),
        NextCase(expression: "@weekly", after: "2025-01-01T00:00:00Z", expected: "2025-01-05T00:00:00Z"),
        NextCase(expression: "@daily", after: "2025-02-28T12:00:00Z", expected: "2025-03-01T00:00:00Z"),
        NextCase(expression: "@hourly", after: "2025-01-01T10:30:00Z", expected: "2025-01-01T11:00:00Z"),
        NextCase(expression: "0 0 31 * *", after: "2025-01-31T00:00:00Z", expected: "2025-03-31T00:00:00Z"),
        NextCase(expression: "59 23 31 12 *", after: "2025-12-31T23:59:00Z", expected: "2026-12-31T23:59:00Z"),
        // Leap days; 2100 is not a leap year.
        NextCase(expression: "0 0 29 2 *", after: "2025-01-01T00:00:00Z", expected: "2028-02-29T00:00:00Z"),
        NextCase(expression: "0 0 29 2 *", after: "2096-03-01T00:00:00Z", expected: "2104-02-29T00:00:00Z"),
        NextCase(expression: "0 0 30 2 *", after: "2025-01-01T00:00:00Z", expected: nil),
        NextCase(expression: "0 0 31 4,6,9,11 *", after: "2025-01-01T00:00:00Z", expected: nil),
        // Six fields: seconds first.
        NextCase(expression: "*/10 * * * * *", after: "2025-01-01T10:00:05Z", expected: "2025-01-01T10:00:10Z"),
        NextCase(expression: "30 0 12 * * *", after: "2025-01-01T00:00:00Z", expected: "2025-01-01T12:00:30Z"),
        NextCase(expression: "0 */5 * * * *", after: "2025-01-01T10:07:00Z", expected: "2025-01-01T10:10:00Z"),
        NextCase(expression: "15,45 * * * * *", after: "2025-01-01T10:00:45Z", expected: "2025-01-01T10:01:15Z"),
        // New York springs forward on 2025-03-09 at 02:00 EST (07:00Z) to 03:00 EDT: local times
        // in the gap fire at 03:00 EDT, once.
        NextCase(expression: "30 2 * * *", zone: "America/New_York", after: "2025-03-09T05:00:00Z", expected: "2025-03-09T07:00:00Z"),
        NextCase(expression: "30 2 * * *", zone: "America/New_York", after: "2025-03-09T07:00:00Z", expected: "2025-03-10T06:30:00Z"),
        NextCase(expression: "*/30 * * * *", zone: "America/New_York", after: "2025-03-09T06:45:00Z", expected: "2025-03-09T07:00:00Z"),
        NextCase(expression: "*/30 * * * *", zone: "America/New_York", after: "2025-03-09T07:00:00Z", expected: "2025-03-09T07:30:00Z"),
        NextCase(expression: "0 3 * * *", zone: "America/New_York", after: "2025-03-09T05:00:00Z", expected: "2025-03-09T07:00:00Z"),
        NextCase(expression: "*/30 * * * * *", zone: "America/New_York", after: "2025-03-09T06:59:59Z", expected: "2025-03-09T07:00:00Z"),
        NextCase(expression: "*/30 * * * * *", zone: "America/New_York", after: "2025-03-09T07:00:00Z", expected: "2025-03-09T07:00:30Z"),
        NextCase(expression: "0 9 * * *", zone: "America/New_York", after: "2025-03-08T15:00:00Z", expected: "2025-03-09T13:00:00Z"),
        // New York falls back on 2025-11-02 at 02:00 EDT (06:00Z) to 01:00 EST: 01:00–01:59
        // fire at their first occurrence only.
        NextCase(expression: "30 1 * * *", zone: "America/New_York", after: "2025-11-02T04:00:00Z", expected: "2025-11-02T05:30:00Z"),
        NextCase(expression: "30 1 * * *", zone: "America/New_York", after: "2025-11-02T05:30:00Z", expected: "2025-11-03T06:30:00Z"),
        NextCase(expression: "0 * * * *", zone: "America/New_York", after: "2025-11-02T05:00:00Z", expected: "2025-11-02T07:00:00Z"),
        NextCase(expression: "*/15 * * * *", zone: "America/New_York", after: "2025-11-02T06:20:00Z", expected: "2025-11-02T07:00:00Z"),
        NextCase(expression: "0 2 * * *", zone: "America/New_York", after: "2025-11-02T04:00:00Z", expected: "2025-11-02T07:00:00Z"),
        // Berlin springs forward on 2025-03-30 at 02:00 CET (01:00Z) to 03:00 CEST, and falls
        // back on 2025-10-26 at 03:00 CEST (01:00Z) to 02:00 CET.
        NextCase(expression: "30 2 * * *", zone: "Europe/Berlin", after: "2025-03-29T23:00:00Z", expected: "2025-03-30T01:00:00Z"),
        NextCase(expression: "0 0 * * *", zone: "Europe/Berlin", after: "2025-03-29T12:00:00Z", expected: "2025-03-29T23:00:00Z"),
        NextCase(expression: "30 2 * * *", zone: "Europe/Berlin", after: "2025-10-25T22:00:00Z", expected: "2025-10-26T00:30:00Z"),
        NextCase(expression: "30 2 * * *", zone: "Europe/Berlin", after: "2025-10-26T00:30:00Z", expected: "2025-10-27T01:30:00Z"),
        NextCase(expression: "0 3 * * *", zone: "Europe/Berlin", after: "2025-10-25T22:00:00Z", expected: "2025-10-26T02:00:00Z"),
        NextCase(expression: "*/20 * * * *", zone: "Europe/Berlin", after: "2025-10-26T01:10:00Z", expected: "2025-10-26T02:00:00Z"),
    ]

    @Test(arguments: nextCases)
    func nextFireTime(_ example: NextCase) throws {
        let expression = try CronExpression(example.expression)
        let zone = try #require(TimeZone(identifier: example.zone))
        let next = expression.next(after: instant(example.after), in: zone)
        #expect(next == example.expected.map(instant))
    }

    @Test func fractionalSecondsRoundToTheNextWholeSecond() throws {
        let hourly = try CronExpression("0 * * * *")
        #expect(hourly.next(after: instant("2025-01-01T09:59:59Z") + 0.5) == instant("2025-01-01T10:00:00Z"))
        #expect(hourly.next(after: instant("2025-01-01T10:00:00Z") + 0.5) == instant("2025-01-01T11:00:00Z"))
        #expect(hourly.next(after: instant("2025-01-01T10:00:00Z") - 0.001) == instant("2025-01-01T10:00:00Z"))
    }

    @Test func theDefaultTimeZoneIsUTC() throws {
        let daily = try CronExpression("0 6 * * *")
        #expect(daily.next(after: instant("2025-06-01T07:00:00Z")) == instant("2025-06-02T06:00:00Z"))
    }

    /// Spellings that parse to the same expression, and its normalized form.
    static let spellings: [(spellings: [String], normalized: String)] = [
        (["0 9 * * MON-FRI", "0 9 * * mon-fri", "0 9 * * 1-5", "0 09 * * 1,2,3,4,5"], "0 9 * * 1-5"),
        (["*/15 * * * *", "0,15,30,45 * * * *", "0-59/15 * * * *", "0/15 * * * *"], "*/15 * * * *"),
        (["5/20 * * * *", "5-59/20 * * * *", "5,25,45 * * * *"], "5-45/20 * * * *"),
        (["0 0 * * 0", "0 0 * * 7", "0 0 * * sun", "@weekly", "0 0 0 * * SUN"], "0 0 * * 0"),
        (["@yearly", "@annually", "@YEARLY", "0 0 1 1 *", "0 0 1 jan *"], "0 0 1 1 *"),
        (["@monthly", "0 0 1 * *"], "0 0 1 * *"),
        (["@daily", "@midnight", "0 0 * * *", "0 0 * * */1", "0 0 */1 * *"], "0 0 * * *"),
        (["@hourly", "0 * * * *", "0 0 * * * *"], "0 * * * *"),
        (["* * * * *", "0-59 0-23 * 1-12 *", "*/1 * * jan-dec *"], "* * * * *"),
        (["0 0 * * 0-7"], "0 0 * * 0-6"),
        (["0 0 * * 5-7", "0 0 * * FRI,SAT,SUN", "0 0 * * 0,5,6"], "0 0 * * 0,5,6"),
        (["1,2,3,5,7,8 * * * *", "1-3,5,7-8 * * * *"], "1-3,5,7,8 * * * *"),
        (["0 0 1-31 * *"], "0 0 1-31 * *"),
        (["0 0 */2 * *"], "0 0 */2 * *"),
        (["0 0 1/2 * *", "0 0 1-31/2 * *"], "0 0 1-31/2 * *"),
        (["0 0 */31 * *", "0 0 */40 * *"], "0 0 */31 * *"),
        (["*/99999999999999999999 * * * *", "0 * * * *"], "0 * * * *"),
        (["*/10 * * * * *", "0-59/10 * * * * *"], "*/10 * * * * *"),
        (["  0   9 * *\tMON  "], "0 9 * * 1"),
    ]

    @Test(arguments: spellings.indices)
    func equivalentSpellingsParseToOneNormalizedExpression(_ index: Int) throws {
        let (spellings, normalized) = Self.spellings[index]
        let expressions = try spellings.map { try CronExpression($0) }
        for (spelling, expression) in zip(spellings, expressions) {
            #expect(expression == expressions[0], "\(spelling)")
            #expect(expression.description == normalized, "\(spelling)")
        }
        #expect(try CronExpression(normalized) == expressions[0])
    }

    @Test func aDayFieldWrittenAsAWildcardChangesHowTheDayFieldsCombine() throws {
        // `*` and `1-31` allow the same days, but only `1-31` makes the day fields alternatives.
        #expect(try CronExpression("0 0 * * MON") != CronExpression("0 0 1-31 * MON"))
        let everyDay = try CronExpression("0 0 1-31 * MON")
        #expect(everyDay.next(after: instant("2025-01-01T00:00:00Z")) == instant("2025-01-02T00:00:00Z"))
        let mondays = try CronExpression("0 0 * * MON")
        #expect(mondays.next(after: instant("2025-01-01T00:00:00Z")) == instant("2025-01-06T00:00:00Z"))
    }

    /// A malformed expression and the whole message it is rejected with.
    static let errors: [(text: String, message: String)] = [
        ("", #"expression "": empty"#),
        ("   ", #"expression "   ": empty"#),
        ("* * * *", #"expression "* * * *": expected 5 or 6 fields, found 4"#),
        ("* * * * * * *", #"expression "* * * * * * *": expected 5 or 6 fields, found 7"#),
        ("@often", #"expression "@often": unknown macro @often (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)"#),
        ("@daily 5", #"expression "@daily 5": the macro @daily stands alone, without fields"#),
        ("60 * * * * *", #"second field "60": 60 is outside 0-59"#),
        ("61 * * * *", #"minute field "61": 61 is outside 0-59"#),
        ("* 24 * * *", #"hour field "24": 24 is outside 0-23"#),
        ("* * 0 * *", #"day-of-month field "0": 0 is outside 1-31"#),
        ("* * 32 * *", #"day-of-month field "32": 32 is outside 1-31"#),
        ("* * * 0 *", #"month field "0": 0 is outside 1-12"#),
        ("* * * 13 *", #"month field "13": 13 is outside 1-12"#),
        ("* * * * 8", #"day-of-week field "8": 8 is outside 0-7"#),
        ("1-70 * * * *", #"minute field "1-70": 70 is outside 0-59"#),
        ("99999999999999999999 * * * *", #"minute field "99999999999999999999": 99999999999999999999 is outside 0-59"#),
        ("10-5 * * * *", #"minute field "10-5": range 10-5 runs backwards"#),
        ("* * * DEC-JAN *", #"month field "DEC-JAN": range DEC-JAN runs backwards"#),
        ("* * * * MON-SUN", #"day-of-week field "MON-SUN": range MON-SUN runs backwards (Sunday is 0 or 7: write 1-7)"#),
        ("*/0 * * * *", #"minute field "*/0": step 0 must be at least 1"#),
        ("* 1-5/0 * * *", #"hour field "1-5/0": step 0 must be at least 1"#),
        ("*/ * * * *", #"minute field "*/": "*/" is missing its step"#),
        ("*/x * * * *", #"minute field "*/x": step "x" is not a number"#),
        ("*/-1 * * * *", #"minute field "*/-1": step "-1" is not a number"#),
        ("1/2/3 * * * *", #"minute field "1/2/3": "1/2/3" has more than one "/""#),
        ("1-2-3 * * * *", #"minute field "1-2-3": "1-2-3" has more than one "-""#),
        ("-5 * * * *", #"minute field "-5": "-5" is missing a range bound"#),
        ("5- * * * *", #"minute field "5-": "5-" is missing a range bound"#),
        ("/5 * * * *", #"minute field "/5": "/5" has nothing before the "/""#),
        ("1,,2 * * * *", #"minute field "1,,2": empty list item"#),
        ("1, * * * *", #"minute field "1,": empty list item"#),
        ("abc * * * *", #"minute field "abc": "abc" is not a number"#),
        ("JAN * * * *", #"minute field "JAN": "JAN" is not a number"#),
        ("*-5 * * * *", #"minute field "*-5": "*" is not a number"#),
        ("? * * * *", #"minute field "?": "?" is not a number"#),
        ("1.5 * * * *", #"minute field "1.5": "1.5" is not a number"#),
        ("* * L * *", #"day-of-month field "L": "L" is not a number"#),
        ("* * 15W * *", #"day-of-month field "15W": "15W" is not a number"#),
        ("* * * FOO *", #"month field "FOO": "FOO" is not a number or month name"#),
        ("* * * MON *", #"month field "MON": "MON" is not a number or month name"#),
        ("* * * JANUARY *", #"month field "JANUARY": "JANUARY" is not a number or month name"#),
        ("* * * * FOO", #"day-of-week field "FOO": "FOO" is not a number or weekday name"#),
        ("* * * * 5#3", #"day-of-week field "5#3": "5#3" is not a number or weekday name"#),
        ("* * * * 5L", #"day-of-week field "5L": "5L" is not a number or weekday name"#),
    ]

    @Test(arguments: errors.indices)
    func malformedExpressionsAreRejectedWithTheFieldAndTheReason(_ index: Int) {
        let (text, message) = Self.errors[index]
        let error = #expect(throws: CronExpression.ParseError.self) { try CronExpression(text) }
        #expect(error?.description == message)
    }

    @Test func aParseErrorNamesItsFieldTextAndReason() {
        let error = #expect(throws: CronExpression.ParseError.self) { try CronExpression("0 9 * * MON-SUN") }
        #expect(error?.field == .dayOfWeek)
        #expect(error?.text == "MON-SUN")
        #expect(error?.reason == "range MON-SUN runs backwards (Sunday is 0 or 7: write 1-7)")
        let whole = #expect(throws: CronExpression.ParseError.self) { try CronExpression("1 2 3") }
        #expect(whole?.field == nil)
        #expect(whole?.text == "1 2 3")
    }

    /// Random expressions in random time zones at random instants, many near a daylight-saving
    /// transition: `next` agrees with a search that walks the timeline (see `TimelineSearch`),
    /// and the normalized form parses back to the same expression.
    @Test func nextAgreesWithAWalkAlongTheTimeline() throws {
        let seed: UInt64 = 0xC0DE_C0DE
        let zones = ["UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata", "America/St_Johns"]
            .map { TimeZone(identifier: $0)! }
        for index in 0..<3000 {
            var random = SplitMix64.forItem(index, of: seed)
            let generated = GeneratedExpression(&random)
            let zone = random.pick(zones)
            let after = Self.randomInstant(in: zone, &random)
            let expression = try CronExpression(generated.text)
            let context = "item \(index): \(generated.text) [\(zone.identifier)] after \(Date(timeIntervalSince1970: TimeInterval(after)))"
            let reparsed = try CronExpression(expression.description)
            #expect(reparsed == expression, "\(context): \(expression.description)")
            #expect(reparsed.description == expression.description, "\(context)")

            let horizon = 3 * 366 * 86_400
            let expected = TimelineSearch(expression: generated, zone: zone).next(after: after, within: horizon)
            let actual = expression.next(after: Date(timeIntervalSince1970: TimeInterval(after)), in: zone)
            if let expected {
                #expect(actual == Date(timeIntervalSince1970: TimeInterval(expected)), "\(context)")
            } else {
                #expect(actual.map { $0.timeIntervalSince1970 > TimeInterval(after + horizon) } ?? true, "\(context)")
            }
        }
    }

    /// An instant in 2000–2040, half the time within three hours of a transition of `zone`.
    static func randomInstant(in zone: TimeZone, _ random: inout SplitMix64) -> Int {
        let base = 946_684_800 + random.below(40 * 365 * 86_400)
        if random.chance(1, in: 2),
           let transition = zone.nextDaylightSavingTimeTransition(after: Date(timeIntervalSince1970: TimeInterval(base))) {
            return Int(transition.timeIntervalSince1970) + random.below(6 * 3600) - 3 * 3600
        }
        return base
    }
}

/// The instant an ISO 8601 text (`2025-01-01T10:00:00Z`) names.
func instant(_ text: String) -> Date {
    ISO8601DateFormatter().date(from: text)!
}

/// A random cron expression, written out together with the values each field allows, worked
/// out independently of the parser.
struct GeneratedExpression {
    var text: String
    /// The values each field allows; day of week counts Sunday as 0 only.
    var values: [CronExpression.Field: Set<Int>] = [:]
    /// Whether each day field is written `*` or `*/n`.
    var dayOfMonthIsWildcard = false
    var dayOfWeekIsWildcard = false

    init(_ random: inout SplitMix64) {
        let withSeconds = random.chance(1, in: 4)
        var words: [String] = []
        values[.second] = [0]
        for field in CronExpression.Field.allCases where field != .second || withSeconds {
            let (word, allowed, isWildcard) = Self.field(field, &random)
            words.append(word)
            values[field] = allowed
            if field == .dayOfMonth { dayOfMonthIsWildcard = isWildcard }
            if field == .dayOfWeek { dayOfWeekIsWildcard = isWildcard }
        }
        text = words.joined(separator: " ")
    }

    static func field(_ field: CronExpression.Field, _ random: inout SplitMix64) -> (String, Set<Int>, Bool) {
        let (low, high) = bounds(field)
        let last = field == .dayOfWeek ? 6 : high
        switch random.below(10) {
        case 0..<4:
            return ("*", Set(low...last), true)
        case 4:
            let step = 1 + random.below(last - low + 2)
            return ("*/\(step)", Set(stride(from: low, through: last, by: step)), true)
        default:
            let count = random.chance(1, in: 4) ? 2 + random.below(2) : 1
            var words: [String] = []
            var allowed: Set<Int> = []
            for _ in 0..<count {
                let (word, values) = item(field, &random)
                words.append(word)
                allowed.formUnion(values)
            }
            return (words.joined(separator: ","), allowed, false)
        }
    }

    /// One list item that is not a wildcard, and its values.
    static func item(_ field: CronExpression.Field, _ random: inout SplitMix64) -> (String, Set<Int>) {
        let (low, high) = bounds(field)
        let last = field == .dayOfWeek ? 6 : high
        var a = low + random.below(high - low + 1)
        var b = low + random.below(high - low + 1)
        if a > b { swap(&a, &b) }
        let step = 1 + random.below(high - low + 1)
        let values: Set<Int>
        let word: String
        switch random.below(4) {
        case 0:
            (word, values) = (name(a, field, &random), [a])
        case 1:
            (word, values) = ("\(name(a, field, &random))-\(name(b, field, &random))", Set(a...b))
        case 2:
            (word, values) = ("\(a)-\(b)/\(step)", Set(stride(from: a, through: b, by: step)))
        default:
            (word, values) = ("\(a)/\(step)", Set(stride(from: a, through: max(a, last), by: step)))
        }
        return (word, field == .dayOfWeek ? Set(values.map { $0 % 7 }) : values)
    }

    static func bounds(_ field: CronExpression.Field) -> (Int, Int) {
        switch field {
        case .second, .minute: return (0, 59)
        case .hour: return (0, 23)
        case .dayOfMonth: return (1, 31)
        case .month: return (1, 12)
        case .dayOfWeek: return (0, 7)
        }
    }

    /// `value` as a number, or sometimes as a month or weekday name in a random case.
    static func name(_ value: Int, _ field: CronExpression.Field, _ random: inout SplitMix64) -> String {
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        let weekdays = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        guard random.chance(1, in: 3) else { return "\(value)" }
        let word: String
        switch field {
        case .month: word = months[value - 1]
        case .dayOfWeek where value < 7: word = weekdays[value]
        default: return "\(value)"
        }
        return random.chance(1, in: 2) ? word.uppercased() : word
    }
}

/// The reference for `CronExpression.next`: walks the timeline second by second (jumping over
/// whole days, hours and minutes that cannot match while the clock runs evenly), reading the
/// wall clock through Foundation's `Calendar`, and fires at the first instant at which the wall
/// clock reaches or passes a matching local time.
struct TimelineSearch {
    let expression: GeneratedExpression
    let zone: TimeZone
    /// Reads local times (seconds from 1970-01-01 00:00 local) as calendar fields.
    let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    init(expression: GeneratedExpression, zone: TimeZone) {
        self.expression = expression
        self.zone = zone
    }

    func localTime(at instant: Int) -> Int {
        instant + zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant)))
    }

    func fields(_ local: Int) -> DateComponents {
        calendar.dateComponents([.month, .day, .hour, .minute, .second, .weekday], from: Date(timeIntervalSince1970: TimeInterval(local)))
    }

    func dayMatches(_ fields: DateComponents) -> Bool {
        let dayOfMonth = expression.values[.dayOfMonth]!.contains(fields.day!)
        let dayOfWeek = expression.values[.dayOfWeek]!.contains(fields.weekday! - 1)
        let day = expression.dayOfMonthIsWildcard || expression.dayOfWeekIsWildcard
            ? dayOfMonth && dayOfWeek
            : dayOfMonth || dayOfWeek
        return day && expression.values[.month]!.contains(fields.month!)
    }

    func hourMatches(_ fields: DateComponents) -> Bool { expression.values[.hour]!.contains(fields.hour!) }
    func minuteMatches(_ fields: DateComponents) -> Bool { expression.values[.minute]!.contains(fields.minute!) }

    /// How far ahead the wall clock can move from `fields` without reaching a local time that
    /// matches: to the next day, hour or minute that might, or 1 second.
    func skips(_ fields: DateComponents) -> [Int] {
        let intoMinute = fields.second!
        let intoHour = fields.minute! * 60 + intoMinute
        let intoDay = fields.hour! * 3600 + intoHour
        if !dayMatches(fields) { return [86_400 - intoDay, 3600 - intoHour, 60 - intoMinute] }
        if !hourMatches(fields) { return [3600 - intoHour, 60 - intoMinute] }
        if !minuteMatches(fields) { return [60 - intoMinute] }
        return []
    }

    func matches(_ local: Int) -> Bool {
        let fields = self.fields(local)
        return dayMatches(fields) && hourMatches(fields) && minuteMatches(fields)
            && expression.values[.second]!.contains(fields.second!)
    }

    /// Whether any local time in `low...high` matches.
    func anyMatch(in low: Int, _ high: Int) -> Bool {
        var local = low
        while local <= high {
            let fields = self.fields(local)
            if let skip = skips(fields).first { local += skip; continue }
            if matches(local) { return true }
            local += 1
        }
        return false
    }

    /// The first instant in `after + 1 ... after + within` at which the expression fires.
    func next(after: Int, within: Int) -> Int? {
        // The latest local time the clock showed up to `after` (a fall-back transition may have
        // turned it back since). Transitions happen on whole minutes.
        var highest = localTime(at: after)
        var instant = after - after % 60 - 3 * 3600
        while instant < after {
            highest = max(highest, localTime(at: instant) + min(59, after - instant))
            instant += 60
        }
        instant = after + 1
        while instant <= after + within {
            let local = localTime(at: instant)
            if local > highest {
                let reached = anyMatch(in: highest + 1, local)
                highest = local
                if reached { return instant }
            }
            // Jump while the clock runs evenly over local times that cannot match.
            var moved = false
            for skip in skips(fields(local)) where skip > 1 {
                let later = localTime(at: instant + skip)
                if later - local == skip {
                    instant += skip
                    highest = max(highest, later - 1)
                    moved = true
                    break
                }
            }
            if !moved { instant += 1 }
        }
        return nil
    }
}
