import Foundation

/// When a repeatable job runs: at a fixed interval, or by a cron expression in a time zone.
///
///     let report = try RepeatSchedule(cron: "0 9 * * MON-FRI", timeZone: "Europe/Berlin")
///     let heartbeat = try RepeatSchedule(every: .seconds(30))
///
/// Ticks are computed, never counted: `nextTick(after:)` depends only on the schedule and the
/// date it is given. Every scheduler process therefore works out the same ticks on its own, and
/// a tick's time, as `tickID(for:)`, is the key that lets a job be enqueued once per tick
/// however many schedulers run.
///
/// As JSON: `{"everyMilliseconds": 30000}` or
/// `{"cron": "0 9 * * 1-5", "timeZone": "Europe/Berlin"}` (the expression's normalized form).
public enum RepeatSchedule: Sendable, Hashable, Codable {
    /// Every interval, at the whole multiples of it since 1970-01-01T00:00:00Z: `.seconds(3600)`
    /// ticks on the hour and `.seconds(86_400)` at midnight UTC. The interval counts in whole
    /// milliseconds (any fraction dropped); one below a millisecond never ticks. `init(every:)` checks.
    case every(Duration)
    /// By a cron expression on the wall clock of the time zone with this identifier
    /// (`Europe/Berlin`, `UTC`); see `CronExpression` on daylight saving. A schedule whose time
    /// zone this system does not know never ticks. `init(cron:timeZone:)` checks.
    case cron(CronExpression, timeZone: String)

    /// A schedule that the case could hold but that could never tick.
    public struct InvalidSchedule: Error, Hashable, Sendable, CustomStringConvertible {
        /// What is wrong (`the interval 0.0 seconds is not a positive number of milliseconds`).
        public let description: String
    }

    /// A schedule that ticks every `interval`, at its multiples since the Unix epoch.
    /// - Throws: `InvalidSchedule` unless the interval is a positive whole number of
    ///   milliseconds.
    public init(every interval: Duration) throws(InvalidSchedule) {
        guard let milliseconds = Self.milliseconds(in: interval), milliseconds >= 1,
              Duration.milliseconds(milliseconds) == interval else {
            throw InvalidSchedule(description: "the interval \(interval) is not a positive whole number of milliseconds")
        }
        self = .every(interval)
    }

    /// A schedule that ticks by the cron expression `expression` on the wall clock of the time
    /// zone with the identifier `timeZone`.
    /// - Throws: `CronExpression.ParseError` if `expression` is not a cron expression, and
    ///   `InvalidSchedule` if this system knows no time zone by that identifier.
    public init(cron expression: String, timeZone: String = "UTC") throws {
        let parsed = try CronExpression(expression)
        guard TimeZone(identifier: timeZone) != nil else {
            throw InvalidSchedule(description: "unknown time zone \"\(timeZone)\"")
        }
        self = .cron(parsed, timeZone: timeZone)
    }

    /// The first tick strictly after `date`, or nil if there is none: the cron expression never
    /// fires, the time zone is unknown, or the interval is under a millisecond.
    public func nextTick(after date: Date) -> Date? {
        switch self {
        case .every(let interval):
            guard let step = Self.milliseconds(in: interval), step >= 1 else { return nil }
            let milliseconds = date.timeIntervalSince1970 * 1000
            // Ticks stay within the integers a Double holds exactly (beyond year 285,000).
            guard milliseconds.isFinite, milliseconds.magnitude < 0x1p53 else { return nil }
            var index = Int64((milliseconds / Double(step)).rounded(.down))
            // The division is approximate: settle on the first multiple whose date is later.
            while let earlier = Self.tick(index - 1, of: step), earlier > date { index -= 1 }
            while let tick = Self.tick(index, of: step) {
                if tick > date { return tick }
                index += 1
            }
            return nil
        case .cron(let expression, let identifier):
            guard let timeZone = TimeZone(identifier: identifier) else { return nil }
            return expression.next(after: date, in: timeZone)
        }
    }

    /// A tick's identity: its time in whole milliseconds since the Unix epoch, the same in every
    /// process. Pass a date that `nextTick(after:)` returned; other dates round to the nearest
    /// millisecond.
    public func tickID(for tick: Date) -> Int64 {
        let milliseconds = (tick.timeIntervalSince1970 * 1000).rounded()
        guard milliseconds.magnitude < 0x1p63 else { return milliseconds < 0 ? .min : .max }
        return Int64(milliseconds)
    }

    /// The interval in whole milliseconds (any fraction dropped), or nil if that overflows.
    static func milliseconds(in interval: Duration) -> Int64? {
        let (seconds, attoseconds) = interval.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return nil }
        let (total, overflowAgain) = whole.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        return overflowAgain ? nil : total
    }

    /// Tick `index` of an interval of `step` ms, or nil past what a Double holds exactly.
    private static func tick(_ index: Int64, of step: Int64) -> Date? {
        let (milliseconds, overflow) = index.multipliedReportingOverflow(by: step)
        guard !overflow, milliseconds.magnitude < 1 << 53 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(milliseconds) / 1000)
    }

    // MARK: Codable

    private enum CodingKeys: String, CodingKey {
        case everyMilliseconds, cron, timeZone
    }

    /// Reads `{"everyMilliseconds": …}` or `{"cron": …, "timeZone": …}`.
    /// - Throws: `DecodingError` for any other shape, or an expression that does not parse.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let milliseconds = try container.decodeIfPresent(Int64.self, forKey: .everyMilliseconds) {
            self = .every(.milliseconds(milliseconds))
            return
        }
        guard let text = try container.decodeIfPresent(String.self, forKey: .cron) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "a repeat schedule needs \"everyMilliseconds\" or \"cron\""))
        }
        let expression: CronExpression
        do throws(CronExpression.ParseError) {
            expression = try CronExpression(text)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .cron, in: container, debugDescription: error.description)
        }
        self = .cron(expression, timeZone: try container.decode(String.self, forKey: .timeZone))
    }

    /// Writes `{"everyMilliseconds": …}` (the interval in whole milliseconds) or
    /// `{"cron": …, "timeZone": …}` (the expression's normalized form).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .every(let interval):
            try container.encode(Self.milliseconds(in: interval) ?? .max, forKey: .everyMilliseconds)
        case .cron(let expression, let timeZone):
            try container.encode(expression.description, forKey: .cron)
            try container.encode(timeZone, forKey: .timeZone)
        }
    }
}
