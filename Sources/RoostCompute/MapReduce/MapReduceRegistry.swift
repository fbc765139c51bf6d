import NIOConcurrencyHelpers

/// The MapReduce jobs a worker process can run, by name and version. A `MapReduceWorker`
/// runs the map and reduce tasks of any submitted job whose description its registry has.
///
///     let registry = MapReduceRegistry()
///     registry.register(wordCount)
public final class MapReduceRegistry: Sendable {
    private let runners = NIOLockedValueBox<[String: MapReduceRunner]>([:])

    /// An empty registry.
    public init() {}

    /// Registers `job` (replacing an earlier job of the same name and version).
    public func register<Split, Key, Value, Output>(_ job: MapReduceJob<Split, Key, Value, Output>) {
        let runner = MapReduceRunner(
            map: { split, partitions, context in try await job.runMap(split: split, partitions: partitions, context: context) },
            reduce: { blobs in try job.runReduce(blobs: blobs) })
        runners.withLockedValue { $0[Self.key(job.name, job.version)] = runner }
    }

    /// The names and versions registered, as `name@version`.
    public var registered: [String] { runners.withLockedValue { $0.keys.sorted() } }

    func runner(_ name: String, version: Int) -> MapReduceRunner? {
        runners.withLockedValue { $0[Self.key(name, version)] }
    }

    private static func key(_ name: String, _ version: Int) -> String { "\(name)@\(version)" }
}

/// A registered job with its types erased: encoded split in, blobs out.
struct MapReduceRunner: Sendable {
    let map: @Sendable (_ split: [UInt8], _ partitions: Int, _ context: MapReduceInputContext) async throws -> MapTaskOutput
    let reduce: @Sendable (_ blobs: [[UInt8]]) throws -> [UInt8]
}
