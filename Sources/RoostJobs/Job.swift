/// A kind of work: a `Codable` payload with a name that producers and workers agree on.
///
///     struct ResizeImage: Job {
///         static let name = "resize-image"
///         typealias Output = ResizedImage
///         var url: String
///         var width: Int
///     }
///
/// Producers enqueue values of the type; workers register a handler for it by its `name`. The
/// payload travels as JSON, so producers and workers may be different programs (or versions,
/// within what `Codable` tolerates).
public protocol Job: Codable, Sendable {
    /// What a handler returns, stored as the job's result (JSON). `Empty` when there is none.
    associatedtype Output: Codable & Sendable = Empty
    /// The job type's name, unique within a queue.
    static var name: String { get }
}

/// The output of a job that returns nothing.
public struct Empty: Codable, Sendable, Hashable {
    public init() {}
}
