import RoostCoordination

/// One split of a job's input: the unit of work of one map task. It is `Codable` because the
/// submitter computes the splits and stores them with the job, and a worker anywhere reads its
/// split back and then its records.
///
/// A byte range of a file conforms with `Record == UnsafeRawBufferPointer` (line-aligned
/// chunks), an element range of a Redis list with `Record == [UInt8]`; a custom source picks
/// its own record type:
///
///     struct NumberRange: MapReduceSplit {
///         var lower, upper: Int
///         func read(_ context: MapReduceInputContext, _ body: (Int) throws -> Void) async throws {
///             for n in lower..<upper { try body(n) }
///         }
///     }
public protocol MapReduceSplit: Codable, Sendable {
    /// What the split hands to `map`, one after another.
    associatedtype Record
    /// Reads the split's records in order, calling `body` with each (a record may not be kept
    /// past the call when it is a buffer pointer).
    /// - Throws: what reading or `body` throws.
    func read(_ context: MapReduceInputContext, _ body: (Record) throws -> Void) async throws
    /// The split's size in bytes, as far as it is known before reading (0 when it is not),
    /// for progress.
    var byteCount: Int64 { get }
}

extension MapReduceSplit {
    /// Unknown: 0.
    public var byteCount: Int64 { 0 }
}

/// What a split can read with: the client of the job's server or cluster.
public struct MapReduceInputContext: Sendable {
    /// The client the worker runs on.
    public let client: any CoordinationClient

    /// A context on `client`.
    public init(client: any CoordinationClient) {
        self.client = client
    }
}

/// A job's input: what cuts it into splits when the job is submitted.
///
/// Built in: `RedisListInput`, `RedisHashInput`, `RedisStreamInput`, and any array of splits (a custom source that
/// already knows its splits).
public protocol MapReduceInput: Sendable {
    /// The kind of split it cuts.
    associatedtype Split: MapReduceSplit
    /// The splits, in order (each becomes one map task).
    /// - Throws: what reading the input's size or layout throws.
    func splits(_ context: MapReduceInputContext) async throws -> [Split]
}

extension Array: MapReduceInput where Element: MapReduceSplit {
    /// The array itself.
    public func splits(_ context: MapReduceInputContext) async throws -> [Element] { self }
}
