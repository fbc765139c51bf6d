import Foundation

/// One attempt of a job, as its history (`JobQueue.attempts(of:)`) records it.
///
/// Stored as compact JSON (one-letter keys) in the job's capped `…:attempts` list, which holds
/// the last `JobQueue.attemptsKept` attempts that ended other than by completing; the attempt
/// that completed, and one that runs, are read from the job itself.
public struct JobAttempt: Codable, Sendable, Hashable {
    /// How an attempt ended (or that it still runs).
    public struct Outcome: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The handler returned: the job completed.
        public static let completed = Outcome(rawValue: "completed")
        /// The handler threw (the job was retried, or failed for good).
        public static let failed = Outcome(rawValue: "failed")
        /// The handler ran past the job's timeout.
        public static let timedOut = Outcome(rawValue: "timedOut")
        /// The attempt's lease ran out: its worker died, stalled or lost the lease.
        public static let stalled = Outcome(rawValue: "stalled")
        /// The job was cancelled while the attempt ran.
        public static let cancelled = Outcome(rawValue: "cancelled")
        /// The attempt runs now.
        public static let running = Outcome(rawValue: "running")

        public var description: String { rawValue }
    }

    /// Which attempt of the job it was: 1 for the first (counting starts again after a manual
    /// retry of a failed job).
    public var number: Int
    /// The worker that ran it (`WorkerPresence.id`), when known.
    public var worker: String?
    /// When it started, in the server's milliseconds since 1970.
    public var startedAt: Int64?
    /// When it ended, in the server's milliseconds since 1970; nil while it runs.
    public var finishedAt: Int64?
    public var outcome: Outcome
    /// Its error's message.
    public var error: String?
    /// Its error's detail: what the handler's error holds beyond the message (its type and
    /// fields, `JobErrorDetail.detail`, underlying errors); nil when it adds nothing.
    public var detail: String?

    public init(number: Int, worker: String? = nil, startedAt: Int64? = nil, finishedAt: Int64? = nil, outcome: Outcome,
                error: String? = nil, detail: String? = nil) {
        self.number = number
        self.worker = worker
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.error = error
        self.detail = detail
    }

    enum CodingKeys: String, CodingKey {
        case number = "n", worker = "w", startedAt = "s", finishedAt = "f", outcome = "o", error = "e", detail = "d"
    }
}

/// An error that tells a job's attempt history more than its message: a handler's error that
/// conforms has `detail` recorded as the failed attempt's `JobAttempt.detail`, in place of its
/// reflection.
public protocol JobErrorDetail: Error {
    /// What a user needs to debug the failure: the context, the values involved, a stack or a
    /// trace if the error captured one.
    var detail: String { get }
}

extension JobAttempt {
    /// The most of a detail an attempt record keeps, in UTF-8 bytes.
    static let detailLimit = 4096

    /// What a failed attempt records of `error` beyond `message`: `JobErrorDetail.detail` if it
    /// conforms, else its reflection with its type, then the chain of underlying `NSError`s;
    /// "" when that says no more than the message. At most `detailLimit` bytes.
    static func detail(of error: any Error, message: String) -> String {
        var lines: [String] = []
        if let described = error as? any JobErrorDetail {
            lines.append(described.detail)
        } else {
            let reflected = String(reflecting: error)
            let type = String(reflecting: Swift.type(of: error))
            lines.append(reflected.contains(type) ? reflected : "\(type): \(reflected)")
        }
        var underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? any Error
        while let next = underlying, lines.count < 8 {
            lines.append("underlying: " + String(reflecting: next))
            underlying = (next as NSError).userInfo[NSUnderlyingErrorKey] as? any Error
        }
        let text = lines.joined(separator: "\n")
        if text == message { return "" }
        guard text.utf8.count > detailLimit else { return text }
        return String(decoding: text.utf8.prefix(detailLimit), as: UTF8.self) + "…"
    }
}
