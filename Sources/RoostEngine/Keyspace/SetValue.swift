/// A set of distinct members.
///
/// Placeholder representation until the set family lands.
public final class SetValue {
    public var members: Set<ByteString>

    public init(_ members: Set<ByteString> = []) { self.members = members }

    public var count: Int { members.count }
    public var encodingName: StaticString { "hashtable" }
    public func duplicate() -> SetValue { SetValue(members) }
}
