import RoostJobs

/// The fault tests' job, as `roost-jobs-probe` registers it (Tests/roost-jobs-probe/main.swift
/// declares the same type; the payload travels as JSON).
struct FaultJob: Job {
    static let name = "fault"
    typealias Output = FaultOutcome
    var n: Int
    /// How long the first attempt's handler holds before writing its effect (0: none).
    var holdMilliseconds: Int
}

/// Which attempt completed a job: the probe's result.
struct FaultOutcome: Codable, Sendable, Hashable {
    var attempt: Int
    var token: Int64
    var pid: Int
}

/// One attempt as a probe recorded it: `<job id> <attempt> <token> <pid>`.
struct AttemptRecord: Sendable, Hashable, CustomStringConvertible {
    var id: String
    var attempt: Int
    var token: Int64
    var pid: Int

    init(id: String, attempt: Int, token: Int64, pid: Int) {
        self.id = id
        self.attempt = attempt
        self.token = token
        self.pid = pid
    }

    init?(_ line: String) {
        let fields = line.split(separator: " ")
        guard fields.count == 4, let attempt = Int(fields[1]), let token = Int64(fields[2]), let pid = Int(fields[3])
        else { return nil }
        self.init(id: String(fields[0]), attempt: attempt, token: token, pid: pid)
    }

    var description: String { "attempt \(attempt) (token \(token), pid \(pid))" }
}

/// A job as the queue holds it at the end of a fault test.
struct FaultJobState: Sendable, Hashable {
    var state: JobState
    /// How many attempts started.
    var attempt: Int
    /// The completing attempt, from the job's result.
    var outcome: FaultOutcome?
}

/// What a fault test collected, and the delivery guarantees judged on it. Pure: the tests
/// gather the queue's jobs and the probes' records, this says what is wrong with them.
///
/// - No job is lost: every enqueued job completed, with the completing attempt's result.
/// - Exactly once in effect: the fenced effect store holds one effect per job, the completing
///   attempt's; the effects it accepted before that one were superseded, and came from attempts
///   whose worker was killed.
/// - Duplicates are visible: the attempts that ran a job, by token, have strictly increasing
///   attempt numbers; all but the completing one ran on a killed worker, and none started after it.
struct FaultHistory: Sendable {
    /// Every enqueued job's id.
    var ids: [String]
    /// The queue's jobs by id (a job the queue no longer has is missing).
    var jobs: [String: FaultJobState]
    /// Every handler start, in the order the server recorded them.
    var starts: [AttemptRecord]
    /// Every effect the fenced store accepted, in order.
    var effectLog: [AttemptRecord]
    /// The fenced store: job id → the token of the effect that stands.
    var effects: [String: Int64]
    /// The pids of the workers the test killed.
    var killed: Set<Int>

    /// Every violated guarantee, one line each (at most `limit`, then a count of the rest).
    func violations(limit: Int = 50) -> [String] {
        var found: [String] = []
        let startsByJob = Dictionary(grouping: starts, by: \.id)
        let effectsByJob = Dictionary(grouping: effectLog, by: \.id)
        let known = Set(ids)
        for id in ids {
            found += violations(of: id, startsByJob[id] ?? [], effectsByJob[id] ?? [])
        }
        for id in Set(effects.keys).subtracting(known).sorted() { found.append("an effect for job \(id), never enqueued") }
        for id in Set(starts.map(\.id)).subtracting(known).sorted() { found.append("a start of job \(id), never enqueued") }
        if found.count > limit { return Array(found.prefix(limit)) + ["… and \(found.count - limit) more"] }
        return found
    }

    private func violations(of id: String, _ starts: [AttemptRecord], _ accepted: [AttemptRecord]) -> [String] {
        guard let job = jobs[id] else { return ["job \(id) was lost: the queue does not have it"] }
        guard job.state == .completed else { return ["job \(id) is \(job.state), not completed"] }
        guard let outcome = job.outcome else { return ["job \(id) completed without its result"] }
        var found: [String] = []
        if outcome.attempt != job.attempt {
            found.append("job \(id) was completed by attempt \(outcome.attempt), but \(job.attempt) attempts started")
        }
        // Exactly once in effect.
        if effects[id] != outcome.token {
            found.append("job \(id): the standing effect is token \(effects[id].map(String.init) ?? "none"), "
                + "not the completing attempt's \(outcome.token)")
        }
        if accepted.last?.token != outcome.token {
            found.append("job \(id): the last accepted effect \(accepted.last.map(String.init(describing:)) ?? "none") "
                + "is not the completing attempt's (token \(outcome.token))")
        }
        for (earlier, later) in zip(accepted, accepted.dropFirst()) where later.token <= earlier.token {
            found.append("job \(id): the effect store accepted \(later) after \(earlier)")
        }
        for superseded in accepted.dropLast() where !killed.contains(superseded.pid) {
            found.append("job \(id): \(superseded) had its effect superseded, but its worker was not killed")
        }
        // Duplicates: visible as higher attempts, only where a worker died.
        let byToken = starts.sorted { $0.token < $1.token }
        if !byToken.contains(where: { $0.token == outcome.token && $0.attempt == outcome.attempt && $0.pid == outcome.pid }) {
            found.append("job \(id): the completing attempt \(outcome.attempt) (token \(outcome.token)) never recorded its start")
        }
        for (earlier, later) in zip(byToken, byToken.dropFirst()) {
            if later.token == earlier.token {
                found.append("job \(id): token \(later.token) started twice (\(earlier), \(later))")
            } else if later.attempt <= earlier.attempt {
                found.append("job \(id): \(later) started after \(earlier) without a higher attempt number")
            }
        }
        for start in byToken where start.token != outcome.token {
            if start.token > outcome.token {
                found.append("job \(id): \(start) started after the completing attempt (token \(outcome.token))")
            } else if !killed.contains(start.pid) {
                found.append("job \(id): \(start) ran again later, but its worker was not killed")
            }
        }
        return found
    }

    /// Jobs that more than one attempt started.
    var duplicatedJobs: Int { Dictionary(grouping: starts, by: \.id).values.filter { $0.count > 1 }.count }

    /// Effects accepted and later superseded by a higher attempt's.
    var supersededEffects: Int { effectLog.count - Set(effectLog.map(\.id)).count }
}
