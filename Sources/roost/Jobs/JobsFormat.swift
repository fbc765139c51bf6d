import ArgumentParser
import Foundation

/// Rows printed in aligned columns.
struct TextTable {
    var rows: [[String]]

    /// The rows, each column as wide as its widest cell, two spaces apart; no trailing spaces.
    var text: String {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

/// Durations and instants as `roost jobs` prints and reads them.
enum JobsTime {
    /// The units `--older-than` takes, longest first.
    static let units: [(suffix: String, milliseconds: Int64)] = [
        ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1),
    ]

    /// Parses durations such as `90s`, `15m`, `1h30m`, `7d` or `500ms`.
    /// - Throws: `ValidationError` for anything else.
    static func parse(_ text: String) throws -> Duration {
        let invalid = ValidationError("'\(text)' is not a duration (examples: 90s, 15m, 1h30m, 7d, 500ms)")
        var total: Int64 = 0
        var rest = Substring(text)
        guard !rest.isEmpty else { throw invalid }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            rest = rest.dropFirst(digits.count)
            let suffix = rest.prefix { $0.isASCII && $0.isLetter }
            rest = rest.dropFirst(suffix.count)
            guard let amount = Int64(digits), let unit = units.first(where: { $0.suffix == suffix }) else { throw invalid }
            let (product, overflow) = amount.multipliedReportingOverflow(by: unit.milliseconds)
            guard !overflow, total <= Int64.max - product else { throw invalid }
            total += product
        }
        return .milliseconds(total)
    }

    /// `milliseconds` in its largest unit and the next one, when not zero: `250ms`, `42s`,
    /// `3m5s`, `2h`, `4d3h`.
    static func format(milliseconds: Int64) -> String {
        guard let major = units.dropLast().firstIndex(where: { milliseconds >= $0.milliseconds }) else {
            return "\(max(milliseconds, 0))ms"
        }
        var text = "\(milliseconds / units[major].milliseconds)\(units[major].suffix)"
        let minor = major + 1
        if minor < units.count - 1 {
            let amount = milliseconds % units[major].milliseconds / units[minor].milliseconds
            if amount > 0 { text += "\(amount)\(units[minor].suffix)" }
        }
        return text
    }

    /// Whole milliseconds of `duration`, rounded down.
    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    /// Milliseconds since 1970 now, on this machine's clock.
    static var now: Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// An instant in milliseconds since 1970 as ISO 8601 in UTC, with milliseconds.
    static func instant(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}
