import Foundation
import RoostClient
import RoostCoordination

/// A repeatable job as the queue stores it: what to enqueue, and when.
public struct RepeatDefinition: Sendable, Hashable, Codable {
    /// When it runs.
    public var schedule: RepeatSchedule
    /// The job type's `Job.name`.
    public var jobName: String
    /// The payload every run gets, as JSON text.
    public var payload: String
    public var priority: Int
    public var maxAttempts: Int
    /// Milliseconds; 0 for none.
    public var timeoutMilliseconds: Int64
    /// `Backoff`'s stored form.
    var backoff: String
}

extension JobQueue {
    /// Runs `job` on `schedule` under `name`, from the next tick on, replacing a schedule of
    /// that name. Each tick enqueues one job, with id `name@<tick in ms since 1970>`, however
    /// many workers run schedulers (the tick is claimed in one script). A scheduler that was
    /// down fires the latest missed tick once, then continues from now.
    /// - Throws: `JobsError.invalidID` for a name with `:` or `@`, `.invalidOptions` for a
    ///   schedule that never ticks, encoding and client errors.
    public func schedule<J: Job>(_ job: J, _ schedule: RepeatSchedule, name: String,
                                 options: EnqueueOptions = EnqueueOptions()) async throws {
        guard !name.isEmpty, !name.contains(":"), !name.contains("@") else {
            throw JobsError.invalidID(name, why: "schedule names are non-empty, without ':' or '@'")
        }
        _ = try Self.arguments(for: options)
        let definition = RepeatDefinition(
            schedule: schedule, jobName: J.name, payload: String(decoding: try JSONEncoder().encode(job), as: UTF8.self),
            priority: options.priority, maxAttempts: options.maxAttempts,
            timeoutMilliseconds: max(options.timeout?.milliseconds ?? 0, 0), backoff: options.backoff.encoded)
        let now = try await serverTime()
        guard let first = schedule.nextTick(after: now) else { throw JobsError.invalidOptions("the schedule never ticks") }
        _ = try await run(JobScripts.setRepeat, [RedisArgument(name),
                                                 RedisArgument(bytes: try JSONEncoder().encode(definition)),
                                                 RedisArgument(Int(schedule.tickID(for: first)))])
    }

    /// Removes schedule `name`; returns whether there was one. Jobs it already enqueued stay.
    @discardableResult
    public func unschedule(_ name: String) async throws -> Bool {
        try await run(JobScripts.setRepeat, [RedisArgument(name), "", "0"]) == 1
    }

    /// The queue's schedules, by name.
    public func schedules() async throws -> [String: RepeatDefinition] {
        let fields = try await client.execute(RedisCommand("HGETALL", [keys.repeatDefinitions]),
                                              timeout: nil).jobFields
        var out: [String: RepeatDefinition] = [:]
        for (name, bytes) in fields { out[name] = try? JSONDecoder().decode(RepeatDefinition.self, from: Data(bytes)) }
        return out
    }

    /// The server's clock (`TIME`).
    func serverTime() async throws -> Date {
        let reply = try await client.execute(RedisCommand("TIME"), timeout: nil)
        guard let parts = reply.jobArray, parts.count == 2, let seconds = parts[0].jobInt, let micros = parts[1].jobInt
        else { throw JobsError.unexpectedReply("TIME: \(reply)") }
        return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }

    /// Fires due schedules until cancelled, waiting (without polling) for the next tick or a
    /// schedule change. Workers run this unless told not to.
    func runSchedules() async throws {
        while !Task.isCancelled {
            let due: (name: String, tick: Int64, definition: RepeatDefinition, now: Int64) =
                try await NoticeWaiter.wait(on: client, channel: keys.control, timeout: nil) { _ in
                    let reply = try await client.evaluate(JobScripts.dueRepeat, keys: keys.all,
                                                          arguments: [RedisArgument(keys.jobPrefix), RedisArgument(keys.events)])
                    guard let parts = reply.jobArray, let name = parts.first?.jobString else {
                        throw JobsError.unexpectedReply("due schedule: \(reply)")
                    }
                    if name.isEmpty {
                        let wait = parts.count > 1 ? parts[1].jobInt ?? -1 : -1
                        return .notYet(recheckAfter: wait >= 0 ? .milliseconds(wait) : nil)
                    }
                    guard parts.count == 4, let tick = parts[1].jobInt, let now = parts[3].jobInt,
                          let definition = try? JSONDecoder().decode(RepeatDefinition.self, from: Data(parts[2].jobBytes ?? []))
                    else {
                        // An unreadable definition: drop the schedule rather than spin on it.
                        _ = try await run(JobScripts.setRepeat, [RedisArgument(name), "", "0"])
                        return .notYet(recheckAfter: .zero)
                    }
                    return .done((name, tick, definition, now))
                }
            try await fire(due.name, tick: due.tick, definition: due.definition, now: due.now)
        }
    }

    /// Claims and fires one tick of a schedule, and moves it to its next tick.
    private func fire(_ name: String, tick: Int64, definition: RepeatDefinition, now: Int64) async throws {
        let after = Date(timeIntervalSince1970: Double(max(tick, now)) / 1000)
        let next = definition.schedule.nextTick(after: after).map { definition.schedule.tickID(for: $0) } ?? -1
        _ = try await run(JobScripts.fireRepeat, [
            RedisArgument(name), RedisArgument(Int(tick)), RedisArgument(Int(next)),
            RedisArgument(Int(priorityAging?.milliseconds ?? 0)), "", RedisArgument(definition.jobName), RedisArgument(definition.payload), RedisArgument(definition.priority), "0",
            RedisArgument(definition.maxAttempts), RedisArgument(Int(definition.timeoutMilliseconds)), RedisArgument(definition.backoff),
        ])
    }
}
