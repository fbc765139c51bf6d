import Foundation
import RoostJobs
import RoostTestSupport
import Testing

@Suite("Repeat schedules")
struct RepeatScheduleTests {
    @Test func intervalTicksAreMultiplesOfTheIntervalSinceTheEpoch() throws {
        let minutely = try RepeatSchedule(every: .seconds(60))
        #expect(minutely.nextTick(after: instant("2025-01-01T10:00:30Z")) == instant("2025-01-01T10:01:00Z"))
        #expect(minutely.nextTick(after: instant("2025-01-01T10:01:00Z")) == instant("2025-01-01T10:02:00Z"))
        #expect(minutely.nextTick(after: instant("2025-01-01T10:00:59Z") + 0.999) == instant("2025-01-01T10:01:00Z"))
        let hourly = try RepeatSchedule(every: .seconds(3600))
        #expect(hourly.nextTick(after: instant("2025-01-01T10:20:00Z")) == instant("2025-01-01T11:00:00Z"))
        // 2025-01-01T00:00:00Z is 1,735,689,600 s, 4,132,594 and two sevenths 7-minute periods.
        let sevenMinutes = try RepeatSchedule(every: .seconds(420))
        #expect(sevenMinutes.nextTick(after: instant("2025-01-01T00:00:00Z")) == instant("2025-01-01T00:05:00Z"))
        let fast = try RepeatSchedule(every: .milliseconds(1500))
        let tick = try #require(fast.nextTick(after: Date(timeIntervalSince1970: 1)))
        #expect(fast.tickID(for: tick) == 1500)
        #expect(fast.nextTick(after: Date(timeIntervalSince1970: -1)) == Date(timeIntervalSince1970: 0))
    }

    @Test func schedulersAskingAtDifferentMomentsAgreeOnTheTick() throws {
        let schedule = try RepeatSchedule(every: .seconds(30))
        let early = schedule.nextTick(after: instant("2025-01-01T10:00:00Z") + 0.001)
        let late = schedule.nextTick(after: instant("2025-01-01T10:00:29Z") + 0.999)
        #expect(early == late)
        #expect(early.map(schedule.tickID(for:)) == 1_735_725_630_000)
    }

    /// Random intervals and instants: the tick is the first multiple of the interval after the
    /// instant, and its ID is that multiple in milliseconds.
    @Test func intervalTicksProperty() throws {
        for index in 0..<5000 {
            var random = SplitMix64.forItem(index, of: 0x71C4)
            let step = Int64(random.pick([1, 7, 250, 1000, 1500, 60_000, 86_400_000, 1 + random.below(10_000_000)]))
            let schedule = try RepeatSchedule(every: .milliseconds(step))
            let date = Date(timeIntervalSince1970: TimeInterval(random.below(4_000_000_000_000)) / 1000 + (random.chance(1, in: 2) ? 0 : 0.0004))
            let tick = try #require(schedule.nextTick(after: date))
            let id = schedule.tickID(for: tick)
            #expect(tick > date, "item \(index)")
            #expect(id % step == 0, "item \(index)")
            #expect(Date(timeIntervalSince1970: TimeInterval(id - step) / 1000) <= date, "item \(index)")
            #expect(schedule.nextTick(after: tick).map(schedule.tickID(for:)) == id + step, "item \(index)")
        }
    }

    @Test func intervalsMustBePositiveWholeMilliseconds() throws {
        for interval: Duration in [.zero, .seconds(-1), .nanoseconds(1500), .microseconds(1), .seconds(Int64.max)] {
            #expect(throws: RepeatSchedule.InvalidSchedule.self) { try RepeatSchedule(every: interval) }
        }
        #expect(try RepeatSchedule(every: .milliseconds(1)) == .every(.milliseconds(1)))
        #expect(RepeatSchedule.every(.zero).nextTick(after: .now) == nil)
        #expect(RepeatSchedule.every(.seconds(-5)).nextTick(after: .now) == nil)
    }

    @Test func cronTicksFollowTheWallClockOfTheTimeZone() throws {
        let weekdays = try RepeatSchedule(cron: "0 9 * * MON-FRI", timeZone: "Europe/Berlin")
        // Friday 2025-01-03 evening; Monday 09:00 CET is 08:00Z.
        let tick = try #require(weekdays.nextTick(after: instant("2025-01-03T18:00:00Z")))
        #expect(tick == instant("2025-01-06T08:00:00Z"))
        #expect(weekdays.tickID(for: tick) == 1_736_150_400_000)
        let utc = try RepeatSchedule(cron: "*/5 * * * *")
        #expect(utc == .cron(try CronExpression("*/5 * * * *"), timeZone: "UTC"))
        #expect(utc.nextTick(after: instant("2025-01-01T10:07:00Z")) == instant("2025-01-01T10:10:00Z"))
        #expect(try RepeatSchedule(cron: "0 0 30 2 *").nextTick(after: .now) == nil)
    }

    @Test func cronSchedulesCheckTheExpressionAndTheTimeZone() throws {
        let badZone = #expect(throws: RepeatSchedule.InvalidSchedule.self) {
            try RepeatSchedule(cron: "* * * * *", timeZone: "Nowhere/Special")
        }
        #expect(badZone?.description == #"unknown time zone "Nowhere/Special""#)
        let badExpression = #expect(throws: CronExpression.ParseError.self) {
            try RepeatSchedule(cron: "61 * * * *")
        }
        #expect(badExpression?.field == .minute)
        let unchecked = RepeatSchedule.cron(try CronExpression("* * * * *"), timeZone: "Nowhere/Special")
        #expect(unchecked.nextTick(after: .now) == nil)
    }

    @Test func schedulesRoundTripThroughJSON() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let examples: [(RepeatSchedule, String)] = [
            (try RepeatSchedule(every: .seconds(30)), #"{"everyMilliseconds":30000}"#),
            (try RepeatSchedule(cron: "0 9 * * MON-FRI", timeZone: "Europe/Berlin"), #"{"cron":"0 9 * * 1-5","timeZone":"Europe/Berlin"}"#),
            (try RepeatSchedule(cron: "*/10 * * * * *"), #"{"cron":"*/10 * * * * *","timeZone":"UTC"}"#),
        ]
        for (schedule, json) in examples {
            #expect(String(decoding: try encoder.encode(schedule), as: UTF8.self) == json)
            #expect(try JSONDecoder().decode(RepeatSchedule.self, from: Data(json.utf8)) == schedule)
        }
    }

    @Test func decodingRejectsOtherShapesAndBadExpressions() {
        for json in [#"{}"#, #"{"cron":"61 * * * *","timeZone":"UTC"}"#, #"{"cron":"* * * * *"}"#, #"{"everyMilliseconds":"soon"}"#] {
            #expect(throws: DecodingError.self, "\(json)") {
                try JSONDecoder().decode(RepeatSchedule.self, from: Data(json.utf8))
            }
        }
    }
}
