extension CronExpression {
    /// One field of a cron expression.
    public enum Field: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// Seconds, 0–59: the first of six fields.
        case second
        /// Minutes, 0–59.
        case minute
        /// Hours, 0–23.
        case hour
        /// Day of the month, 1–31.
        case dayOfMonth = "day-of-month"
        /// Month, 1–12 or JAN–DEC.
        case month
        /// Day of the week, 0–7 (0 and 7 are Sunday) or SUN–SAT.
        case dayOfWeek = "day-of-week"

        /// The field's name as error messages give it (`day-of-month`).
        public var description: String { rawValue }

        /// The numbers the field accepts (day of week: 0–7, both ends Sunday).
        var bounds: ClosedRange<Int> {
            switch self {
            case .second, .minute: return 0...59
            case .hour: return 0...23
            case .dayOfMonth: return 1...31
            case .month: return 1...12
            case .dayOfWeek: return 0...7
            }
        }

        /// The last value of `*` and of `a/n` (Saturday, for day of week).
        var last: Int { self == .dayOfWeek ? 6 : bounds.upperBound }

        /// The names the field accepts, for the values from `bounds.lowerBound` on.
        var names: [String] {
            switch self {
            case .month: return ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
            case .dayOfWeek: return ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
            default: return []
            }
        }
    }

    /// Why a text is not a cron expression: the field at fault (nil when the expression as a
    /// whole is wrong, as with a wrong number of fields), its text, and the reason.
    ///
    ///     minute field "61": 61 is outside 0-59
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        /// The field at fault, or nil when the expression as a whole is.
        public let field: Field?
        /// The field's text, or the whole expression's.
        public let text: String
        /// Why it was rejected (`61 is outside 0-59`).
        public let reason: String

        init(field: Field?, text: some StringProtocol, reason: String) {
            self.field = field
            self.text = String(text)
            self.reason = reason
        }

        /// The whole message: `<field> field "<text>": <reason>`, or `expression "<text>": <reason>`.
        public var description: String {
            "\(field.map { "\($0) field" } ?? "expression") \"\(text)\": \(reason)"
        }
    }
}

/// Reads cron expressions into `CronExpression`s.
enum CronParser {
    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *",
        "@annually": "0 0 1 1 *",
        "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *",
        "@midnight": "0 0 * * *",
        "@hourly": "0 * * * *",
    ]

    static func parse(_ text: String) throws(CronExpression.ParseError) -> CronExpression {
        let words = text.split(whereSeparator: \.isWhitespace)
        if let first = words.first, first.hasPrefix("@") {
            guard let expansion = macros[first.lowercased()] else {
                throw .init(field: nil, text: text, reason: "unknown macro \(first) (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)")
            }
            guard words.count == 1 else {
                throw .init(field: nil, text: text, reason: "the macro \(first) stands alone, without fields")
            }
            return try parse(expansion)
        }
        guard words.count == 5 || words.count == 6 else {
            throw .init(field: nil, text: text, reason: words.isEmpty ? "empty" : "expected 5 or 6 fields, found \(words.count)")
        }
        let fields: [CronExpression.Field] = words.count == 6
            ? [.second, .minute, .hour, .dayOfMonth, .month, .dayOfWeek]
            : [.minute, .hour, .dayOfMonth, .month, .dayOfWeek]
        var masks: [CronExpression.Field: UInt64] = [.second: 1]
        var wildcards: Set<CronExpression.Field> = []
        for (field, word) in zip(fields, words) {
            let (mask, isWildcard) = try FieldParser(field: field, text: word).parse()
            masks[field] = mask
            if isWildcard { wildcards.insert(field) }
        }
        return CronExpression(
            seconds: masks[.second]!, minutes: masks[.minute]!, hours: masks[.hour]!,
            daysOfMonth: masks[.dayOfMonth]!, months: masks[.month]!, daysOfWeek: masks[.dayOfWeek]!,
            dayOfMonthIsWildcard: wildcards.contains(.dayOfMonth),
            dayOfWeekIsWildcard: wildcards.contains(.dayOfWeek))
    }
}

/// Reads one field into a bit mask of the values it allows.
private struct FieldParser {
    let field: CronExpression.Field
    let text: Substring

    /// The field's values, and whether it is written `*` or `*/n`.
    func parse() throws(CronExpression.ParseError) -> (mask: UInt64, isWildcard: Bool) {
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        var mask: UInt64 = 0
        for item in items {
            guard !item.isEmpty else { throw error("empty list item") }
            mask |= try parseItem(item)
        }
        return (mask, items.count == 1 && text.hasPrefix("*"))
    }

    private func parseItem(_ item: Substring) throws(CronExpression.ParseError) -> UInt64 {
        let parts = item.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw error("\"\(item)\" has more than one \"/\"") }
        var step = 1
        if parts.count == 2 {
            guard !parts[1].isEmpty else { throw error("\"\(item)\" is missing its step") }
            guard let number = Self.number(parts[1]) else { throw error("step \"\(parts[1])\" is not a number") }
            guard number >= 1 else { throw error("step \(parts[1]) must be at least 1") }
            // Any step past the field's width picks only the first value; capping it keeps the
            // arithmetic from overflowing.
            step = min(number, 64)
        }
        guard !parts[0].isEmpty else { throw error("\"\(item)\" has nothing before the \"/\"") }
        let low: Int
        let high: Int
        if parts[0] == "*" {
            low = field.bounds.lowerBound
            high = field.last
        } else {
            let ends = parts[0].split(separator: "-", omittingEmptySubsequences: false)
            guard ends.count <= 2 else { throw error("\"\(parts[0])\" has more than one \"-\"") }
            guard !ends.contains(where: \.isEmpty) else { throw error("\"\(parts[0])\" is missing a range bound") }
            low = try value(ends[0])
            if ends.count == 2 {
                high = try value(ends[1])
                guard low <= high else {
                    let hint = field == .dayOfWeek && high == 0 ? " (Sunday is 0 or 7: write \(low)-7)" : ""
                    throw error("range \(parts[0]) runs backwards\(hint)")
                }
            } else {
                high = parts.count == 2 ? max(low, field.last) : low
            }
        }
        var mask: UInt64 = 0
        for value in stride(from: low, through: high, by: step) {
            mask |= 1 << (field == .dayOfWeek && value == 7 ? 0 : value)
        }
        return mask
    }

    /// A number in the field's bounds, or a month or weekday name.
    private func value(_ text: Substring) throws(CronExpression.ParseError) -> Int {
        let bounds = field.bounds
        if text.allSatisfy(\.isASCIIDigit) {
            guard let number = Int(text), bounds.contains(number) else {
                throw error("\(text) is outside \(bounds.lowerBound)-\(bounds.upperBound)")
            }
            return number
        }
        if let index = field.names.firstIndex(of: text.uppercased()) {
            return bounds.lowerBound + index
        }
        switch field {
        case .month: throw error("\"\(text)\" is not a number or month name")
        case .dayOfWeek: throw error("\"\(text)\" is not a number or weekday name")
        default: throw error("\"\(text)\" is not a number")
        }
    }

    private static func number(_ text: Substring) -> Int? {
        guard text.allSatisfy(\.isASCIIDigit) else { return nil }
        // All digits but too long for an Int: a step wider than any field.
        return Int(text) ?? Int.max
    }

    private func error(_ reason: String) -> CronExpression.ParseError {
        CronExpression.ParseError(field: field, text: text, reason: reason)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
