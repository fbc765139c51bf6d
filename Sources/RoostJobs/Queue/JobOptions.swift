/// How long to wait before the next attempt of a failed job.
public enum Backoff: Sendable, Hashable, Codable {
    /// The same delay before every retry.
    case fixed(Duration)
    /// `base`, then twice that, four times… (`base · 2^(attempt-1)`), at most `maximum`; with
    /// `jitter`, each delay is drawn uniformly from its upper half (half the delay to the full
    /// delay), so retries of many jobs that failed together spread out.
    case exponential(base: Duration, maximum: Duration = .seconds(3600), jitter: Bool = true)

    /// The delay before the attempt after `attempt` (1 for the first attempt) failed.
    public func delay(after attempt: Int) -> Duration {
        delay(after: attempt, random: Double.random(in: 0...1))
    }

    /// As `delay(after:)`, with `random` (in 0...1) standing for the jitter's draw.
    func delay(after attempt: Int, random: Double) -> Duration {
        switch self {
        case .fixed(let delay):
            return max(delay, .zero)
        case .exponential(let base, let maximum, let jitter):
            let exponent = min(max(attempt - 1, 0), 62)
            let full = min(Double(base.milliseconds) * Double(UInt64(1) << UInt64(exponent)), Double(maximum.milliseconds))
            let drawn = jitter ? full / 2 + full / 2 * min(max(random, 0), 1) : full
            return .milliseconds(Int64(max(drawn, 0).rounded()))
        }
    }
}

/// Which enqueues of "the same" job (the same deduplication key) add a job.
public enum Deduplication: Sendable, Hashable {
    /// While a job enqueued with `key` has not finished (completed, failed, cancelled or
    /// removed), enqueueing with `key` adds nothing and returns that job's id.
    case untilFinished(key: String)
    /// The first enqueue with `key` adds a job; the others within `window` of it add nothing
    /// and return its id.
    case throttle(key: String, window: Duration)
    /// The job runs `window` after the last enqueue with `key`: each enqueue within the window
    /// replaces the pending job's payload and restarts the wait (the job keeps its id).
    case debounce(key: String, window: Duration)

    /// The script's arguments: mode, key, window ms.
    var arguments: (String, String, Int64) {
        switch self {
        case .untilFinished(let key): ("u", key, 0)
        case .throttle(let key, let window): ("t", key, max(window.milliseconds, 1))
        case .debounce(let key, let window): ("d", key, max(window.milliseconds, 1))
        }
    }
}

/// How a job is enqueued: when, in what order, how often it may be tried, how long an attempt
/// may run.
public struct EnqueueOptions: Sendable, Hashable {
    /// The job's id; nil lets the queue number it. Enqueueing an id the queue still holds
    /// (waiting, running or kept after finishing) adds nothing and returns that id: ids
    /// deduplicate.
    public var id: String?
    /// Run no earlier than this long after enqueueing.
    public var delay: Duration?
    /// Lower numbers run first (0, the default, is the highest priority; at most 1,000,000).
    /// Jobs of one priority run in the order they were enqueued.
    public var priority: Int
    /// How many attempts the job gets before it fails for good (at least 1).
    public var maxAttempts: Int
    /// The delay between attempts.
    public var backoff: Backoff
    /// How long one attempt may run; the handler's task is cancelled past it and the attempt
    /// fails (and is retried if attempts remain). nil: no limit.
    public var timeout: Duration?
    /// Whether an equal job already enqueued makes this enqueue add nothing (see
    /// `Deduplication`). A debounced job's delay is its window (`delay` is not used).
    public var deduplication: Deduplication?
    /// On a bounded queue, how long enqueueing waits for room: nil for as long as it takes,
    /// `.zero` not at all (`JobsError.queueFull` at once).
    public var fullQueueTimeout: Duration?
    /// The rate-limit group the job belongs to (`JobQueue.setGroupRate`): workers start a job
    /// only while its group is within its limit, and jobs of other groups go on meanwhile.
    /// nil: no group.
    public var group: String?
    /// On a partitioned queue, jobs with the same partition key go to the same partition (and
    /// so run in the order of their priorities and enqueues, as on one queue). nil: jobs are
    /// spread round-robin. An `id`, a `group` or a deduplication key routes the job instead
    /// (so that a group's rate limit and a deduplication stay exact).
    public var partitionKey: String?

    public init(id: String? = nil, delay: Duration? = nil, priority: Int = 0, maxAttempts: Int = 3,
                backoff: Backoff = .exponential(base: .seconds(1)), timeout: Duration? = nil,
                deduplication: Deduplication? = nil, fullQueueTimeout: Duration? = nil, group: String? = nil,
                partitionKey: String? = nil) {
        self.group = group
        self.partitionKey = partitionKey
        self.deduplication = deduplication
        self.fullQueueTimeout = fullQueueTimeout
        self.id = id
        self.delay = delay
        self.priority = priority
        self.maxAttempts = maxAttempts
        self.backoff = backoff
        self.timeout = timeout
    }
}

/// What the queue keeps of finished jobs, so that memory stays bounded.
public struct Retention: Sendable, Hashable {
    /// Keep at most this many (the most recent).
    public var count: Int
    /// Keep none older than this.
    public var age: Duration

    public init(count: Int, age: Duration) {
        self.count = max(count, 0)
        self.age = age
    }
}

extension Duration {
    /// Whole milliseconds, rounded down (negative durations give negative values).
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

extension Backoff {
    /// The form stored in the job hash: `fixed:<ms>` or `exp:<base ms>:<max ms>:<0|1>`.
    var encoded: String {
        switch self {
        case .fixed(let delay): "fixed:\(delay.milliseconds)"
        case .exponential(let base, let maximum, let jitter): "exp:\(base.milliseconds):\(maximum.milliseconds):\(jitter ? 1 : 0)"
        }
    }

    /// Reads `encoded`'s form; nil for anything else.
    init?(encoded: String) {
        let parts = encoded.split(separator: ":").map(String.init)
        switch (parts.first, parts.count) {
        case ("fixed", 2):
            guard let ms = Int64(parts[1]) else { return nil }
            self = .fixed(.milliseconds(ms))
        case ("exp", 4):
            guard let base = Int64(parts[1]), let maximum = Int64(parts[2]) else { return nil }
            self = .exponential(base: .milliseconds(base), maximum: .milliseconds(maximum), jitter: parts[3] == "1")
        default:
            return nil
        }
    }
}
