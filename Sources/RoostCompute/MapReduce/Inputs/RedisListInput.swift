import RoostClient

/// A Redis list as a job's input: splits of consecutive elements, each element one record
/// (its bytes). The list's length is read when the job is submitted; elements pushed later are
/// not part of the job.
public struct RedisListInput: MapReduceInput {
    /// The list's key.
    public var key: String
    /// How many elements a split holds (the last may hold fewer).
    public var elementsPerSplit: Int

    /// The list at `key`, cut into splits of `elementsPerSplit` elements.
    public init(key: String, elementsPerSplit: Int = 10_000) {
        self.key = key
        self.elementsPerSplit = max(elementsPerSplit, 1)
    }

    /// One split per `elementsPerSplit` elements (none for an empty or missing list).
    public func splits(_ context: MapReduceInputContext) async throws -> [RedisListSplit] {
        let length = try await context.client.llen(RedisKey(key))
        return stride(from: 0, to: length, by: elementsPerSplit).map {
            RedisListSplit(key: key, start: $0, end: min($0 + elementsPerSplit, length))
        }
    }
}

/// Elements `start..<end` of the list at `key`.
public struct RedisListSplit: MapReduceSplit, Hashable {
    /// The list's key.
    public var key: String
    /// The first element's index.
    public var start: Int
    /// The index after the last element.
    public var end: Int

    /// The elements `start..<end` of `key`.
    public init(key: String, start: Int, end: Int) {
        self.key = key
        self.start = start
        self.end = end
    }

    /// Reads the elements in pages of 1,000 (LRANGE), handing each element's bytes to `body`.
    public func read(_ context: MapReduceInputContext, _ body: ([UInt8]) throws -> Void) async throws {
        var index = start
        while index < end {
            let last = min(index + 1000, end) - 1
            let page = try await context.client.lrange(RedisKey(key), index, last)
            for element in page { try body(Array(buffer: element)) }
            if page.count < last - index + 1 { return }
            index = last + 1
        }
    }
}
