/// A hash: field-value pairs.
///
/// Placeholder representation until the hash family lands: pairs in insertion order.
public final class HashValue {
    public var pairs: [(field: ByteString, value: ByteString)]

    public init(_ pairs: [(field: ByteString, value: ByteString)] = []) { self.pairs = pairs }

    public var count: Int { pairs.count }
    public var encodingName: StaticString { "listpack" }
    public func duplicate() -> HashValue { HashValue(pairs) }
}
