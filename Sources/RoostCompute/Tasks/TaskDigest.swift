import RoostRESP

/// Content-addressed task ids: a deterministic task's id is the SHA-256 of its name, version
/// and encoded arguments, so equal submissions share one result.
enum TaskDigest {
    /// The digest as lowercase hex.
    static func sha256Hex(_ message: [UInt8]) -> String { SHA256.hex(message) }
}
