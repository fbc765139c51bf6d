/// Errors of RoostJobs.
public enum JobsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The job failed for good (no attempts left); `message` is its last attempt's error.
    case jobFailed(id: String, message: String)
    /// No job with this id in the queue (never enqueued, removed, or past its retention).
    case notFound(id: String)
    /// A custom job id was refused (why says why).
    case invalidID(String, why: String)
    /// The enqueue options were refused (why says why).
    case invalidOptions(String)
    /// A job's type has no handler on this worker.
    case noHandler(name: String)
    /// This attempt no longer owns job `id`: its lease ran out and the job went to another
    /// attempt (or finished meanwhile).
    case leaseLost(id: String)
    /// The bounded queue `name` had no room within the enqueue's `fullQueueTimeout`.
    case queueFull(name: String)
    /// Waiting for a result took longer than allowed.
    case timedOut
    /// The server answered something the queue's scripts never return.
    case unexpectedReply(String)
    /// Queue `name` records `stored` partitions, but was opened with `requested`
    /// (`JobQueue.open` reads the recorded count).
    case partitionMismatch(name: String, stored: Int, requested: Int)

    public var description: String {
        switch self {
        case .jobFailed(let id, let message): "job \(id) failed: \(message)"
        case .notFound(let id): "no job \(id) in the queue"
        case .invalidID(let id, let why): "invalid job id \"\(id)\": \(why)"
        case .invalidOptions(let why): "invalid enqueue options: \(why)"
        case .noHandler(let name): "no handler for job type \"\(name)\""
        case .leaseLost(let id): "this attempt of job \(id) lost its lease"
        case .queueFull(let name): "queue \(name) is full"
        case .timedOut: "timed out"
        case .unexpectedReply(let what): "unexpected reply: \(what)"
        case .partitionMismatch(let name, let stored, let requested):
            "queue \(name) has \(stored) partition(s), not \(requested): open it with partitions: \(stored)"
        }
    }
}
