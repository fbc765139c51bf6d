import RoostClient
import RoostRESP

/// A Redis stream as a job's input: splits of consecutive entries, each an entry-ID range,
/// each record one entry (its ID and fields).
///
/// When the job is submitted the stream is walked once with XRANGE in pages of
/// `entriesPerSplit` entries: the last ID of each page ends a split. So every split holds
/// `entriesPerSplit` entries (the last may hold fewer), and entries added after the submission
/// (IDs are ever increasing) are not part of the job. A split reads its range with XRANGE in
/// pages of 1,000 entries.
public struct RedisStreamInput: MapReduceInput {
    /// The stream's key.
    public var key: String
    /// How many entries a split holds (the last may hold fewer).
    public var entriesPerSplit: Int

    /// The stream at `key`, cut into splits of `entriesPerSplit` entries.
    public init(key: String, entriesPerSplit: Int = 10_000) {
        self.key = key
        self.entriesPerSplit = max(entriesPerSplit, 1)
    }

    /// One split per `entriesPerSplit` entries (none for an empty or missing stream).
    public func splits(_ context: MapReduceInputContext) async throws -> [RedisStreamSplit] {
        var splits: [RedisStreamSplit] = []
        var start = RedisStreamID.minimum
        while true {
            let page = try await RedisStreamSplit.range(key, from: start, through: .maximum, count: entriesPerSplit, context)
            guard let first = page.first, let last = page.last else { break }
            splits.append(RedisStreamSplit(key: key, first: first.id, last: last.id))
            guard page.count == entriesPerSplit, let next = last.id.successor else { break }
            start = next
        }
        return splits
    }
}

/// A stream entry ID: milliseconds and a sequence number (`<ms>-<seq>`).
public struct RedisStreamID: Codable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The milliseconds part.
    public var milliseconds: UInt64
    /// The sequence part.
    public var sequence: UInt64

    /// The ID `milliseconds-sequence`.
    public init(milliseconds: UInt64, sequence: UInt64) {
        self.milliseconds = milliseconds
        self.sequence = sequence
    }

    /// Parses `<ms>-<seq>` (or `<ms>`, sequence 0); nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard let milliseconds = parts.first.flatMap({ UInt64($0) }) else { return nil }
        guard parts.count == 1 || UInt64(parts[1]) != nil else { return nil }
        self.init(milliseconds: milliseconds, sequence: parts.count == 2 ? UInt64(parts[1])! : 0)
    }

    /// The smallest ID, `0-0`.
    public static let minimum = RedisStreamID(milliseconds: 0, sequence: 0)
    /// The largest ID.
    public static let maximum = RedisStreamID(milliseconds: .max, sequence: .max)

    /// The next ID, nil after `maximum`.
    public var successor: RedisStreamID? {
        if sequence < .max { return RedisStreamID(milliseconds: milliseconds, sequence: sequence + 1) }
        return milliseconds < .max ? RedisStreamID(milliseconds: milliseconds + 1, sequence: 0) : nil
    }

    /// `<ms>-<seq>`.
    public var description: String { "\(milliseconds)-\(sequence)" }

    /// The order of IDs.
    public static func < (lhs: RedisStreamID, rhs: RedisStreamID) -> Bool {
        (lhs.milliseconds, lhs.sequence) < (rhs.milliseconds, rhs.sequence)
    }
}

/// The entries of the stream at `key` with IDs from `first` through `last`.
public struct RedisStreamSplit: MapReduceSplit, Hashable {
    /// One stream entry: its ID and its field/value pairs in order.
    public struct Entry: Sendable, Hashable {
        /// A field and its value.
        public struct Field: Sendable, Hashable {
            /// The field's bytes.
            public var name: [UInt8]
            /// The value's bytes.
            public var value: [UInt8]
        }

        /// The entry's ID.
        public var id: RedisStreamID
        /// Its fields, in the order XADD gave them.
        public var fields: [Field]
    }

    /// The stream's key.
    public var key: String
    /// The first entry's ID.
    public var first: RedisStreamID
    /// The last entry's ID.
    public var last: RedisStreamID

    /// The entries of `key` from `first` through `last`.
    public init(key: String, first: RedisStreamID, last: RedisStreamID) {
        self.key = key
        self.first = first
        self.last = last
    }

    /// Reads the entries in pages of 1,000 (XRANGE), handing each to `body`.
    public func read(_ context: MapReduceInputContext, _ body: (Entry) throws -> Void) async throws {
        var start = first
        while true {
            let page = try await Self.range(key, from: start, through: last, count: 1000, context)
            for entry in page { try body(entry) }
            guard page.count == 1000, let next = page.last?.id.successor, next <= last else { return }
            start = next
        }
    }

    /// `XRANGE key from through COUNT count`, parsed.
    static func range(_ key: String, from start: RedisStreamID, through end: RedisStreamID, count: Int,
                      _ context: MapReduceInputContext) async throws -> [Entry] {
        let reply = try await context.client.execute(RedisCommand("XRANGE", [RedisKey(key), RedisArgument(start.description),
                                                                            RedisArgument(end.description), "COUNT",
                                                                            RedisArgument(String(count))]))
        guard case .array(let items) = reply else { throw MapReduceError.unexpectedReply("XRANGE: \(reply)") }
        return try (items ?? []).map { item in
            guard case .array(.some(let parts)) = item, parts.count == 2, let id = parts[0].computeString.flatMap(RedisStreamID.init),
                  case .array(let flat) = parts[1]
            else { throw MapReduceError.unexpectedReply("XRANGE entry: \(item)") }
            let values = (flat ?? []).compactMap(\.computeBytes)
            guard values.count == (flat ?? []).count, values.count % 2 == 0 else {
                throw MapReduceError.unexpectedReply("XRANGE entry: \(item)")
            }
            let fields = stride(from: 0, to: values.count, by: 2).map { Entry.Field(name: values[$0], value: values[$0 + 1]) }
            return Entry(id: id, fields: fields)
        }
    }
}
