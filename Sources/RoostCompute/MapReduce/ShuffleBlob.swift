/// The compact encodings of the data between tasks. Both are sequences of entries sorted by
/// the key's bytes (unsigned lexicographic order), framed by varints:
///
/// - an **intermediate blob** (one per map task and partition): `len key count (len value)…`
///   per key, the values that map emitted for it (one, once a combiner folded them);
/// - an **output blob** (one per reduce partition): `len key len output` per key.
enum ShuffleBlob {
    /// Appends `bytes` with its length in front.
    static func appendFramed(_ bytes: [UInt8], to blob: inout [UInt8]) {
        Varint.append(unsigned: UInt64(bytes.count), to: &blob)
        blob.append(contentsOf: bytes)
    }

    /// Reads a length-framed field at `offset`, advancing it.
    static func readFramed(_ blob: UnsafeRawBufferPointer, at offset: inout Int) throws -> UnsafeRawBufferPointer {
        let length = Int(try Varint.read(blob, at: &offset))
        guard length >= 0, length <= blob.count - offset else { throw MapReduceError.undecodable("a truncated blob") }
        defer { offset += length }
        return UnsafeRawBufferPointer(rebasing: blob[offset..<offset + length])
    }

    /// Calls `body` with each entry of an intermediate blob: the key's bytes and its values' bytes.
    static func forEachGroup(in blob: [UInt8], _ body: (UnsafeRawBufferPointer, [UnsafeRawBufferPointer]) throws -> Void) throws {
        try blob.withUnsafeBytes { raw in
            var offset = 0
            var values: [UnsafeRawBufferPointer] = []
            while offset < raw.count {
                let key = try readFramed(raw, at: &offset)
                let count = Int(try Varint.read(raw, at: &offset))
                values.removeAll(keepingCapacity: true)
                for _ in 0..<count { values.append(try readFramed(raw, at: &offset)) }
                try body(key, values)
            }
        }
    }

    /// Calls `body` with each entry of an output blob: the key's bytes and the output's bytes.
    static func forEachPair(in blob: [UInt8], _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) throws {
        try blob.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let key = try readFramed(raw, at: &offset)
                try body(key, try readFramed(raw, at: &offset))
            }
        }
    }
}

extension Array where Element == UInt8 {
    /// Unsigned lexicographic order of bytes: the order of keys in blobs and outputs.
    static func bytesPrecede(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        lhs.lexicographicallyPrecedes(rhs)
    }
}
