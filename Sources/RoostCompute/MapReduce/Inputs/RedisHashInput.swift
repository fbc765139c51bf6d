import RoostClient
import RoostRESP

/// A Redis hash as a job's input: `splitCount` splits, each record one field and its value.
///
/// A hash has no ranges to cut, so split `i` scans the whole hash (HSCAN) and keeps the fields
/// whose FNV-1a hash is `i` modulo `splitCount`: every field is in exactly one split, at the
/// cost of `splitCount` scans. Fields a scan returns twice (Redis may, while it rehashes) are
/// counted once. Fields written while the job runs may or may not be seen.
public struct RedisHashInput: MapReduceInput {
    /// The hash's key.
    public var key: String
    /// How many splits (map tasks).
    public var splitCount: Int

    /// The hash at `key`, in `splitCount` splits.
    public init(key: String, splitCount: Int = 4) {
        self.key = key
        self.splitCount = max(splitCount, 1)
    }

    /// `splitCount` splits.
    public func splits(_ context: MapReduceInputContext) async throws -> [RedisHashSplit] {
        (0..<splitCount).map { RedisHashSplit(key: key, index: $0, count: splitCount) }
    }
}

/// The fields of the hash at `key` whose FNV-1a hash is `index` modulo `count`.
public struct RedisHashSplit: MapReduceSplit, Hashable {
    /// A field and its value.
    public struct Entry: Sendable, Hashable {
        /// The field's bytes.
        public var field: [UInt8]
        /// The value's bytes.
        public var value: [UInt8]
    }

    /// The hash's key.
    public var key: String
    /// Which share of the fields.
    public var index: Int
    /// Into how many shares the fields are cut.
    public var count: Int

    /// Share `index` of `count` of the hash at `key`.
    public init(key: String, index: Int, count: Int) {
        self.key = key
        self.index = index
        self.count = count
    }

    /// Scans the hash, handing each field of this share (once) with its value to `body`.
    public func read(_ context: MapReduceInputContext, _ body: (Entry) throws -> Void) async throws {
        var cursor: [UInt8] = Array("0".utf8)
        var seen = Set<[UInt8]>()
        repeat {
            let reply = try await context.client.execute(RedisCommand("HSCAN", [RedisKey(key), RedisArgument(bytes: cursor),
                                                                               "COUNT", "1000"]))
            guard case .array(.some(let parts)) = reply, parts.count == 2, let next = parts[0].computeBytes,
                  case .array(.some(let items)) = parts[1], items.count % 2 == 0
            else { throw MapReduceError.unexpectedReply("HSCAN: \(reply)") }
            for pair in stride(from: 0, to: items.count, by: 2) {
                guard let field = items[pair].computeBytes, let value = items[pair + 1].computeBytes else { continue }
                let share = field.withUnsafeBytes { Int(MapReducePartitioner.fnv1a($0) % UInt64(count)) }
                if share == index, seen.insert(field).inserted { try body(Entry(field: field, value: value)) }
            }
            cursor = next
        } while cursor != Array("0".utf8)
    }
}
