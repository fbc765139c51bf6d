/// Where a job is in its life.
public enum JobState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Waiting for a worker.
    case waiting
    /// Waiting for its delay (or its retry's backoff) to pass.
    case delayed
    /// An attempt is running on a worker.
    case active
    /// Finished: a handler returned its result.
    case completed
    /// Failed for good: its last attempt failed with no attempts left (the dead-letter set).
    case failed
    /// A parent of a flow, waiting for its children to finish (`FlowProducer`).
    case waitingChildren = "waiting-children"
}

/// A job as the queue holds it.
public struct JobInfo: Sendable, Hashable {
    /// Its id in the queue.
    public var id: String
    /// Its job type's `Job.name`.
    public var name: String
    /// Its payload, as JSON.
    public var payload: [UInt8]
    public var state: JobState
    /// How many attempts have started (0 before the first).
    public var attempt: Int
    public var maxAttempts: Int
    public var priority: Int
    /// When it was enqueued, in the server's milliseconds since 1970.
    public var enqueuedAt: Int64
    /// When its latest attempt started, if one did.
    public var startedAt: Int64?
    /// When it finished (completed or failed for good).
    public var finishedAt: Int64?
    /// The result of a completed job, as JSON.
    public var result: [UInt8]?
    /// The last attempt's error, if one failed.
    public var error: String?
    /// The latest progress a handler reported, as JSON.
    public var progress: [UInt8]?
    /// Its parent and children when it is part of a flow (`FlowProducer`); nil otherwise.
    public var flow: JobFlow? = nil
}
