import Foundation
import RoostClient

extension JobQueue {
    /// How many attempts that ended other than by completing a job's history keeps (the
    /// latest); the attempt that completed is kept with the job.
    public static let attemptsKept = 25

    /// Job `id`'s attempts, oldest first: the last `attemptsKept` that failed, timed out,
    /// stalled or were cancelled, each with its worker, times, error and detail, then the one
    /// that completed the job or the one that runs now. A manual retry (`retryFailed`) keeps the
    /// history. Empty when the queue does not have the job; a record that does not decode (not
    /// written by this version) is left out.
    /// - Throws: client errors.
    public func attempts(of id: String) async throws -> [JobAttempt] {
        if spansPartitions { return try await partition(holding: id).attempts(of: id) }
        let replies = try await client.pipeline([
            RedisCommand("LRANGE", [keys.attempts(id), "0", "-1"]),
            RedisCommand("HMGET", [keys.job(id), "state", "attempt", "startedAt", "finishedAt", "worker"]),
        ], timeout: nil)
        let decoder = JSONDecoder()
        var attempts = (try replies[0].get().jobArray ?? []).compactMap { record in
            record.jobBytes.flatMap { try? decoder.decode(JobAttempt.self, from: Data($0)) }
        }
        let fields = try replies[1].get().jobArray ?? []
        func text(_ index: Int) -> String? { fields.count > index ? fields[index].jobString : nil }
        let worker = text(4).flatMap { $0.isEmpty ? nil : $0 }
        switch text(0).flatMap(JobState.init(rawValue:)) {
        case .completed:
            attempts.append(JobAttempt(number: Int(text(1) ?? "") ?? 0, worker: worker, startedAt: text(2).flatMap { Int64($0) },
                                       finishedAt: text(3).flatMap { Int64($0) }, outcome: .completed))
        case .active:
            attempts.append(JobAttempt(number: Int(text(1) ?? "") ?? 0, worker: worker, startedAt: text(2).flatMap { Int64($0) },
                                       outcome: .running))
        default:
            break
        }
        return attempts
    }
}

extension QueueKeys {
    /// The list of job `id`'s attempts that ended other than by completing (`JobAttempt`).
    func attempts(_ id: String) -> RedisKey { RedisKey(jobPrefix + id + ":attempts") }
}
