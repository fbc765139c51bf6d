import NIOCore
import RoostClient
import RoostCoordination
import RoostRESP

/// A submitted MapReduce job: wait for it, watch its progress, read its output.
///
/// Handles are values; any process can rebuild one with `MapReduce.run(id:key:output:)`.
public struct MapReduceRun<Key: MapReduceCodable & Hashable, Output: MapReduceCodable>: Sendable {
    /// The job's id in its namespace.
    public let id: String
    /// The namespace.
    public let mapReduce: MapReduce

    var keys: MapReduceKeys { mapReduce.keys(id) }
    var client: any CoordinationClient { mapReduce.client }

    /// Waits (without polling: it listens to the job's notices) until the job is done.
    /// - Throws: `MapReduceError.jobFailed` when a task failed for good, `.notFound` for a job
    ///   that does not exist, `CoordinationError.timedOut` past `timeout`, client errors.
    public func wait(timeout: Duration? = nil) async throws {
        let keys = keys
        let client = client
        let id = id
        try await NoticeWaiter.wait(on: client, channel: keys.notices, timeout: timeout) { _ in
            let fields = try await client.hmget(keys.spec, ["status", "error"])
            switch fields[0].map({ String(buffer: $0) }) {
            case "done": return .done(())
            case "failed": throw MapReduceError.jobFailed(id: id, message: fields[1].map { String(buffer: $0) } ?? "failed")
            case nil: throw MapReduceError.notFound(id: id)
            default: return .notYet(recheckAfter: nil)
            }
        }
    }

    /// The job's output: each reduce partition's keys in order of their bytes, partition after
    /// partition. Read it once the job is done (`wait`).
    public func output() -> MapReduceOutput<Key, Output> {
        MapReduceOutput(keys: keys, client: client)
    }

    /// The whole output, collected in the order of `output()`.
    /// - Throws: `MapReduceError.invalid` if the job is not done, decoding and client errors.
    public func collect() async throws -> [(key: Key, value: Output)] {
        var pairs: [(key: Key, value: Output)] = []
        for try await pair in output() { pairs.append(pair) }
        return pairs
    }

    /// The committed output blob of reduce partition `partition` (its encoded pairs).
    func outputBlob(_ partition: Int) async throws -> [UInt8] {
        try await MapReduceOutput<Key, Output>.blob(partition, keys: keys, client: client)
    }

    /// Deletes the job: its description, state and outputs (a job still running stops being
    /// coordinated; its attempts' late writes expire with the retention).
    public func delete() async throws {
        let partitions = try await client.hget(keys.spec, "partitions").flatMap { Int(String(buffer: $0)) } ?? 0
        _ = try await client.del(keys.jobKeys)
        for partition in 0..<partitions { _ = try await client.del([keys.shuffle(partition), keys.output(partition)]) }
    }
}

/// A job's output as an `AsyncSequence` of key/output pairs (see `MapReduceRun.output()`).
public struct MapReduceOutput<Key: MapReduceCodable & Hashable, Output: MapReduceCodable>: AsyncSequence, Sendable {
    public typealias Element = (key: Key, value: Output)
    let keys: MapReduceKeys
    let client: any CoordinationClient

    /// The iterator: fetches one partition's committed output at a time.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let keys: MapReduceKeys
        let client: any CoordinationClient
        var partitions: Int?
        var next = 0
        var buffer: [Element] = []
        var position = 0

        /// The next pair, or nil after the last partition's last pair.
        /// - Throws: `MapReduceError.invalid` if the job is not done, decoding and client errors.
        public mutating func next() async throws -> Element? {
            while position == buffer.count {
                if partitions == nil {
                    let fields = try await client.hmget(keys.spec, ["status", "partitions"])
                    guard fields[0].map({ String(buffer: $0) }) == "done", let count = fields[1].flatMap({ Int(String(buffer: $0)) })
                    else { throw MapReduceError.invalid("job \(keys.job) has no output: it is not done") }
                    partitions = count
                }
                guard next < partitions ?? 0 else { return nil }
                let blob = try await MapReduceOutput.blob(next, keys: keys, client: client)
                next += 1
                buffer = []
                position = 0
                try ShuffleBlob.forEachPair(in: blob) { key, value in
                    buffer.append((try Key(mapReduceBytes: key), try Output(mapReduceBytes: value)))
                }
            }
            defer { position += 1 }
            return buffer[position]
        }
    }

    /// An iterator from the first partition.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(keys: keys, client: client) }

    static func blob(_ partition: Int, keys: MapReduceKeys, client: any CoordinationClient) async throws -> [UInt8] {
        guard let record = try await client.hget(keys.committed, "r\(partition)").flatMap({ CommitRecord(Array(buffer: $0)) })
        else { throw MapReduceError.invalid("partition \(partition) of job \(keys.job) has no committed output") }
        guard let blob = try await client.hget(keys.output(partition), String(record.token)) else {
            throw MapReduceError.invalid("the output of partition \(partition) of job \(keys.job) is gone")
        }
        return Array(buffer: blob)
    }
}

extension String {
    /// The readable bytes of `buffer` as UTF-8 text.
    init(buffer: ByteBuffer) { self = String(decoding: Array(buffer: buffer), as: UTF8.self) }
}
