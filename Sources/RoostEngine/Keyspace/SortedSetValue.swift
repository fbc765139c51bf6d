/// A sorted set: members ordered by score, then by member bytes.
///
/// Placeholder representation until the sorted-set family lands.
public final class SortedSetValue {
    public var scores: [ByteString: Double]

    public init(_ scores: [ByteString: Double] = [:]) { self.scores = scores }

    public var count: Int { scores.count }
    public var encodingName: StaticString { "skiplist" }
    public func duplicate() -> SortedSetValue { SortedSetValue(scores) }
}
