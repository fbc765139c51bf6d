/// Error texts of `maxmemory`.
extension RedisError {
    /// A `denyoom` command while used memory is over `maxmemory` and nothing can be evicted.
    public static let outOfMemory = RedisError("OOM command not allowed when used memory > 'maxmemory'.")
}
