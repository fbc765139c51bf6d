import Foundation

/// A cron schedule: the standard five fields (minute, hour, day of month, month, day of week),
/// or six with a leading seconds field, as cron-parser (and so BullMQ) reads them.
///
///     let weekdays = try CronExpression("0 9 * * MON-FRI")
///     let next = weekdays.next(after: .now, in: TimeZone(identifier: "Europe/Berlin")!)
///
/// A field is a comma-separated list of items. An item is `*`, a number, a range `a-b`, or one
/// of these with a step: `*/n`, `a-b/n`, or `a/n` (from `a` to the field's last value). Months
/// also take the names JAN–DEC and days of the week SUN–SAT, in any case; day of week 0 and 7
/// both mean Sunday. The macros `@yearly` (or `@annually`), `@monthly`, `@weekly`, `@daily`
/// (or `@midnight`) and `@hourly` stand for `0 0 1 1 *`, `0 0 1 * *`, `0 0 * * 0`, `0 0 * * *`
/// and `0 * * * *`. Five fields fire at second 0.
///
/// **Days.** As in Vixie cron, when the day-of-month and the day-of-week fields are both
/// restricted, a day matches if *either* does: `0 0 1,15 * FRI` fires on the 1st, on the 15th
/// and on every Friday. When either is written `*` or `*/n`, a day must match both.
///
/// **Time zones and daylight saving.** The fields match the wall clock of the time zone that
/// `next(after:in:)` is given, and a matching local time fires at the first instant at which
/// that clock reaches or passes it. So:
/// - a local time that a spring-forward transition skips fires once, at the first instant after
///   the gap (`30 2 * * *` in New York fires at 03:00 EDT on that day);
/// - a local time that a fall-back transition repeats fires once, at its first occurrence, and
///   nothing fires while the clock replays the hour (`*/15 * * * *` is silent for that hour).
///
/// For a steady rhythm across transitions, use UTC or a fixed interval.
///
/// Equality compares the parsed fields, so `MON-FRI` equals `1-5`. `description` is the
/// normalized form (`0 9 * * 1-5`), and it parses back to an equal value.
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    // One bit per value a field allows: bit n set means n matches. Days of the week count
    // from 0 (Sunday) to 6.
    let seconds: UInt64
    let minutes: UInt64
    let hours: UInt64
    let daysOfMonth: UInt64
    let months: UInt64
    let daysOfWeek: UInt64
    // Whether the day fields were written `*` or `*/n`, which decides how they combine.
    let dayOfMonthIsWildcard: Bool
    let dayOfWeekIsWildcard: Bool

    /// Parses a cron expression (see the type's documentation for the syntax).
    /// - Throws: `ParseError`, naming the field at fault and why.
    public init(_ text: String) throws(ParseError) {
        self = try CronParser.parse(text)
    }

    init(
        seconds: UInt64, minutes: UInt64, hours: UInt64, daysOfMonth: UInt64, months: UInt64,
        daysOfWeek: UInt64, dayOfMonthIsWildcard: Bool, dayOfWeekIsWildcard: Bool
    ) {
        self.seconds = seconds
        self.minutes = minutes
        self.hours = hours
        self.daysOfMonth = daysOfMonth
        self.months = months
        self.daysOfWeek = daysOfWeek
        self.dayOfMonthIsWildcard = dayOfMonthIsWildcard
        self.dayOfWeekIsWildcard = dayOfWeekIsWildcard
    }

    /// The first time the expression fires strictly after `date`, on the wall clock of
    /// `timeZone` (see the type's notes on daylight saving). Fire times are whole seconds.
    ///
    /// The search skips forward field by field (month, day, hour, minute, second), so it costs
    /// about the same however far away the answer is. Returns nil when the expression never
    /// fires (`0 0 30 2 *`): the Gregorian calendar repeats every 400 years, and the search
    /// stops after that.
    public func next(after date: Date, in timeZone: TimeZone = .gmt) -> Date? {
        let whole = date.timeIntervalSince1970.rounded(.down)
        // Beyond about ±3 million years the arithmetic is not worth trusting.
        guard whole.isFinite, whole.magnitude < 1e14 else { return nil }
        let after = Int(whole)
        let clock = ZoneClock(timeZone)
        var start = clock.localTime(at: after) + 1
        let endYear = CivilTime(local: start).year + 401
        while let local = firstMatch(atOrAfter: start, before: endYear) {
            switch clock.placement(of: local) {
            case .once(let instant), .skipped(let instant):
                if instant > after { return Date(timeIntervalSince1970: TimeInterval(instant)) }
                start = local + 1
            case .repeated(let first, let second, let offsetBefore, let offsetAfter):
                if first > after { return Date(timeIntervalSince1970: TimeInterval(first)) }
                // `date` falls in the replayed hour, after this local time's first occurrence:
                // nothing more fires until the clock is past where it turned back.
                let turn = clock.transition(after: first, upTo: second, to: offsetAfter)
                start = max(local + 1, turn + offsetBefore)
            }
        }
        return nil
    }

    /// The normalized expression: numbers rather than names, one canonical form per field
    /// (`*/15`, `1-5`, `1,15`), and five fields when the seconds field is just 0.
    public var description: String {
        var fields = [
            Self.render(minutes, in: 0...59, wildcard: true),
            Self.render(hours, in: 0...23, wildcard: true),
            Self.render(daysOfMonth, in: 1...31, wildcard: dayOfMonthIsWildcard, dayField: true),
            Self.render(months, in: 1...12, wildcard: true),
            Self.render(daysOfWeek, in: 0...6, wildcard: dayOfWeekIsWildcard, dayField: true),
        ]
        if seconds != 1 { fields.insert(Self.render(seconds, in: 0...59, wildcard: true), at: 0) }
        return fields.joined(separator: " ")
    }
}

// MARK: - Searching the calendar

extension CronExpression {
    /// The first local time at or after `start` that every field matches, or nil if there is
    /// none before the year `endYear`.
    func firstMatch(atOrAfter start: Int, before endYear: Int) -> Int? {
        var time = CivilTime(local: start)
        while time.year < endYear {
            guard let month = Self.firstValue(in: months, from: time.month) else {
                time.startNextYear()
                continue
            }
            if month != time.month { time.startMonth(month) }
            guard let day = firstDay(from: time) else {
                time.startNextMonth()
                continue
            }
            if day != time.day { time.startDay(day) }
            guard let hour = Self.firstValue(in: hours, from: time.hour) else {
                time.startNextDay()
                continue
            }
            if hour != time.hour { time.startHour(hour) }
            guard let minute = Self.firstValue(in: minutes, from: time.minute) else {
                time.startNextHour()
                continue
            }
            if minute != time.minute { time.startMinute(minute) }
            guard let second = Self.firstValue(in: seconds, from: time.second) else {
                time.startNextMinute()
                continue
            }
            time.second = second
            return time.local
        }
        return nil
    }

    /// The first day of `time`'s month, from `time.day` on, that the day fields match.
    private func firstDay(from time: CivilTime) -> Int? {
        let length = CivilTime.daysInMonth(year: time.year, month: time.month)
        guard time.day <= length else { return nil }
        var weekday = CivilTime.weekday(ofDay: CivilTime.day(year: time.year, month: time.month, day: time.day))
        for day in time.day...length {
            let dayOfMonthMatches = daysOfMonth & (1 << day) != 0
            let dayOfWeekMatches = daysOfWeek & (1 << weekday) != 0
            if dayOfMonthIsWildcard || dayOfWeekIsWildcard {
                if dayOfMonthMatches && dayOfWeekMatches { return day }
            } else if dayOfMonthMatches || dayOfWeekMatches {
                return day
            }
            weekday = weekday == 6 ? 0 : weekday + 1
        }
        return nil
    }

    /// The smallest value at least `value` whose bit is set in `mask`.
    static func firstValue(in mask: UInt64, from value: Int) -> Int? {
        guard value < 64 else { return nil }
        let candidates = mask & (~0 << UInt64(value))
        return candidates == 0 ? nil : candidates.trailingZeroBitCount
    }
}

// MARK: - The normalized form

extension CronExpression {
    /// A field's values in the shortest form the parser reads back to the same values. A day
    /// field written `*` or `*/n` (`wildcard`) keeps that form, since it decides how the day
    /// fields combine; other day fields never take it.
    static func render(_ mask: UInt64, in range: ClosedRange<Int>, wildcard: Bool, dayField: Bool = false) -> String {
        let values = range.filter { mask & (1 << $0) != 0 }
        guard !values.isEmpty else { return "" }
        let starAllowed = wildcard || !dayField
        if starAllowed && values.count == range.count { return "*" }
        if dayField && wildcard {
            // A wildcard day field is always `*/n` from the field's first value.
            return "*/\(values.count == 1 ? range.count : values[1] - values[0])"
        }
        if values.count >= 3 {
            let step = values[1] - values[0]
            if zip(values, values.dropFirst()).allSatisfy({ $1 - $0 == step }) {
                let first = values[0], last = values[values.count - 1]
                if step == 1 { return "\(first)-\(last)" }
                if starAllowed && first == range.lowerBound && last + step > range.upperBound { return "*/\(step)" }
                return "\(first)-\(last)/\(step)"
            }
        }
        // Runs of three or more consecutive values as ranges, the rest one by one.
        var items: [String] = []
        var index = 0
        while index < values.count {
            var end = index
            while end + 1 < values.count && values[end + 1] == values[end] + 1 { end += 1 }
            if end - index >= 2 {
                items.append("\(values[index])-\(values[end])")
            } else {
                items += values[index...end].map(String.init)
            }
            index = end + 1
        }
        return items.joined(separator: ",")
    }
}

// MARK: - Calendar arithmetic

/// A local time broken into proleptic Gregorian calendar fields, stepped field by field. As
/// one number, a local time counts seconds from 1970-01-01 00:00 on the wall clock.
struct CivilTime {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int

    init(local: Int) {
        let dayNumber = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let secondOfDay = local - dayNumber * 86_400
        (year, month, day) = Self.date(ofDay: dayNumber)
        hour = secondOfDay / 3600
        minute = secondOfDay / 60 % 60
        second = secondOfDay % 60
    }

    /// The local time as one number.
    var local: Int {
        Self.day(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    mutating func startNextYear() {
        year += 1
        startMonth(1)
    }

    mutating func startMonth(_ month: Int) {
        self.month = month
        startDay(1)
    }

    mutating func startNextMonth() {
        if month == 12 { startNextYear() } else { startMonth(month + 1) }
    }

    mutating func startDay(_ day: Int) {
        self.day = day
        startHour(0)
    }

    mutating func startNextDay() {
        if day >= Self.daysInMonth(year: year, month: month) { startNextMonth() } else { startDay(day + 1) }
    }

    mutating func startHour(_ hour: Int) {
        self.hour = hour
        startMinute(0)
    }

    mutating func startNextHour() {
        if hour == 23 { startNextDay() } else { startHour(hour + 1) }
    }

    mutating func startMinute(_ minute: Int) {
        self.minute = minute
        second = 0
    }

    mutating func startNextMinute() {
        if minute == 59 { startNextHour() } else { startMinute(minute + 1) }
    }

    static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The day of the week of a day number: 0 for Sunday through 6 for Saturday.
    static func weekday(ofDay dayNumber: Int) -> Int {
        // Day 0, 1970-01-01, was a Thursday.
        (dayNumber % 7 + 7 + 4) % 7
    }

    // Day numbers count from 1970-01-01. Both conversions work in 400-year eras (146,097
    // days each) of years that start on 1 March, so that a leap day falls at a year's end.

    /// The day number of a date.
    static func day(year: Int, month: Int, day: Int) -> Int {
        let marchYear = month <= 2 ? year - 1 : year
        let era = (marchYear >= 0 ? marchYear : marchYear - 399) / 400
        let yearOfEra = marchYear - era * 400
        let monthFromMarch = (month + 9) % 12
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        // 719,468 days separate 0000-03-01, an era's start, from 1970-01-01.
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date of a day number.
    static func date(ofDay dayNumber: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = dayNumber + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// A time zone's clock on whole seconds: instants count from 1970-01-01T00:00Z, local times
/// from 1970-01-01 00:00 on the zone's wall clock.
///
/// It assumes that a zone's offset changes at most once in any two days, as it does in every
/// zone in use.
struct ZoneClock {
    private let timeZone: TimeZone

    init(_ timeZone: TimeZone) {
        self.timeZone = timeZone
    }

    /// Where a local time falls on the timeline.
    enum Placement {
        /// The clock shows it once, at this instant.
        case once(Int)
        /// A forward transition skips it; this is the transition's instant, the first one after
        /// the gap.
        case skipped(Int)
        /// A backward transition repeats it: at `first` on the offset before the transition, at
        /// `second` on the offset after.
        case repeated(first: Int, second: Int, offsetBefore: Int, offsetAfter: Int)
    }

    /// The zone's offset from UTC at `instant`, in seconds.
    func offset(at instant: Int) -> Int {
        timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant)))
    }

    /// The local time at `instant`.
    func localTime(at instant: Int) -> Int {
        instant + offset(at: instant)
    }

    /// Where `local` falls. Every instant that could show it lies within 14 hours of `local`
    /// read as UTC, so the offsets a day either side are the only ones that matter.
    func placement(of local: Int) -> Placement {
        let before = offset(at: local - 86_400)
        let after = offset(at: local + 86_400)
        if before == after { return .once(local - before) }
        let onBefore = local - before
        let onAfter = local - after
        switch (offset(at: onBefore) == before, offset(at: onAfter) == after) {
        case (true, true):
            return .repeated(first: onBefore, second: onAfter, offsetBefore: before, offsetAfter: after)
        case (true, false):
            return .once(onBefore)
        case (false, true):
            return .once(onAfter)
        case (false, false):
            return .skipped(transition(after: min(onBefore, onAfter), upTo: max(onBefore, onAfter), to: after))
        }
    }

    /// The first instant in `low + 1 ... high` on the offset `offset`, by bisection: the
    /// offset at `low` differs from it and the one at `high` equals it.
    func transition(after low: Int, upTo high: Int, to offset: Int) -> Int {
        var low = low
        var high = high
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if self.offset(at: middle) == offset { high = middle } else { low = middle }
        }
        return high
    }
}
