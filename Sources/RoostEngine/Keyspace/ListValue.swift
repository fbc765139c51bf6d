/// A list. Redis 7.0 keeps every list in a quicklist, so OBJECT ENCODING always says so.
///
/// Placeholder representation until the list family lands: a plain array of elements.
public final class ListValue {
    public var elements: [ByteString]

    public init(_ elements: [ByteString] = []) { self.elements = elements }

    public var count: Int { elements.count }
    public var encodingName: StaticString { "quicklist" }
    public func duplicate() -> ListValue { ListValue(elements) }
}
