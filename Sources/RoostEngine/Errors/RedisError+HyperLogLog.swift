/// Fixed error texts of the HyperLogLog commands, as Redis 7.0 words them.
extension RedisError {
    /// A string that is not a HyperLogLog sketch.
    public static let notHyperLogLog = RedisError("WRONGTYPE Key is not a valid HyperLogLog string value.")
    /// A sketch whose sparse encoding does not cover its registers.
    public static let corruptHyperLogLog = RedisError("INVALIDOBJ Corrupted HLL object detected")
}
