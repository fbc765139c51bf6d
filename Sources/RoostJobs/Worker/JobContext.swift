import Foundation
import RoostClient

/// What a handler knows about the attempt it runs, and how it reports on it.
///
/// Reports are fenced: once this attempt's lease is lost (its job handed to another worker),
/// `progress` and `log` throw `JobsError.leaseLost` instead of writing.
public struct JobContext: Sendable {
    /// The job's id in its queue.
    public let id: String
    /// Which attempt this is: 1 for the first.
    public let attempt: Int
    /// How many attempts the job gets.
    public let maxAttempts: Int
    /// The attempt's fencing token: strictly increasing per queue (per partition of a
    /// partitioned queue, which a job never leaves), so storage that remembers
    /// the highest token it accepted can refuse a stalled attempt's late writes.
    public let token: Int64
    /// The same for every attempt of the job: the key for making its effects idempotent.
    public var idempotencyKey: String { "\(queue.name):\(id)" }
    /// When the job was enqueued, in the server's milliseconds since 1970.
    public let enqueuedAt: Int64
    let queue: JobQueue
    /// How many log lines a job keeps.
    let logLines: Int

    /// Records the job's progress (any `Encodable`, stored as JSON) and announces it.
    /// - Throws: `JobsError.leaseLost` when this attempt no longer owns the job.
    public func progress<Progress: Encodable>(_ progress: Progress) async throws {
        try await report(progress: Array(try JSONEncoder().encode(progress)), line: "")
    }

    /// Appends a line to the job's log (the last `Worker.Configuration.logLines` are kept).
    /// - Throws: `JobsError.leaseLost` when this attempt no longer owns the job.
    public func log(_ line: String) async throws {
        try await report(progress: [], line: line)
    }

    private func report(progress: [UInt8], line: String) async throws {
        let owned = try await queue.run(JobScripts.report, [RedisArgument(id), RedisArgument(Int(token)),
                                                            RedisArgument(bytes: progress), RedisArgument(line),
                                                            RedisArgument(logLines)])
        if owned == 0 { throw JobsError.leaseLost(id: id) }
    }
}

/// Thrown by a handler to fail the job for good, without the retries it has left.
public struct UnrecoverableJobError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
