/// One of the numbered databases: the keys, and the expiry times of those that have one.
public final class Database {
    /// The database's index, as SELECT names it.
    @exclusivity(unchecked) public internal(set) var index: Int
    /// Key to value.
    @exclusivity(unchecked) public var keys = KeyTable<Value>()
    /// Key to absolute expiry time in Unix milliseconds, for keys that have a TTL.
    @exclusivity(unchecked) public var expires = KeyTable<Int64>()
    /// Where the active expiry cycle resumes its walk of `expires`.
    @exclusivity(unchecked) var expiryCursor: UInt64 = 0
    /// The bytes charged for this database's keys and values (`MemoryFootprint`), kept by the
    /// engine's keyspace operations: the dataset part of `used_memory`.
    @exclusivity(unchecked) public internal(set) var chargedBytes = 0

    init(index: Int) {
        self.index = index
    }

    /// Removes every key.
    public func removeAll() {
        keys.removeAll()
        expires.removeAll()
        expiryCursor = 0
        chargedBytes = 0
    }
}
