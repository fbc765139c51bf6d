#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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

    /// Appends `bytes` with its length in front.
    static func appendFramed(_ bytes: UnsafeRawBufferPointer, to blob: inout [UInt8]) {
        Varint.append(unsigned: UInt64(bytes.count), to: &blob)
        blob.append(contentsOf: bytes)
    }

    /// Unsigned lexicographic order of bytes (memcmp, then the shorter first): negative, zero
    /// or positive as `lhs` sorts before, equal to or after `rhs`.
    @inline(__always)
    static func compare(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Int {
        let common = min(lhs.count, rhs.count)
        if common > 0, let left = lhs.baseAddress, let right = rhs.baseAddress {
            let order = memcmp(left, right, common)
            if order != 0 { return Int(order) }
        }
        return lhs.count - rhs.count
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

    /// Merges intermediate blobs (each sorted by key bytes): calls `body` with each distinct key,
    /// in key order, and the values of all the blobs for it, blob after blob (the blobs' order).
    /// A k-way merge of the sorted runs, so nothing is hashed or sorted again.
    static func mergeGroups(_ blobs: [[UInt8]], _ body: (UnsafeRawBufferPointer, [UnsafeRawBufferPointer]) throws -> Void) throws {
        // One buffer for all blobs, so that every key and value is a pointer into it.
        var joined: [UInt8] = []
        joined.reserveCapacity(blobs.reduce(0) { $0 + $1.count })
        var ends: [Int] = []
        for blob in blobs {
            joined += blob
            ends.append(joined.count)
        }
        try joined.withUnsafeBytes { raw in
            var heap = MergeHeap()
            var start = 0
            for (index, end) in ends.enumerated() {
                if start < end {
                    let bounded = UnsafeRawBufferPointer(rebasing: raw[..<end])
                    var offset = start
                    let key = try readFramed(bounded, at: &offset)
                    heap.push(MergeHeap.Run(key: key, offset: offset, end: end, blob: index))
                }
                start = end
            }
            var values: [UnsafeRawBufferPointer] = []
            while let first = heap.top {
                let key = first.key
                values.removeAll(keepingCapacity: true)
                repeat {
                    var run = heap.top!
                    let bounded = UnsafeRawBufferPointer(rebasing: raw[..<run.end])
                    let count = Int(try Varint.read(bounded, at: &run.offset))
                    for _ in 0..<count { values.append(try readFramed(bounded, at: &run.offset)) }
                    if run.offset < run.end {
                        run.key = try readFramed(bounded, at: &run.offset)
                        heap.replaceTop(run)
                    } else {
                        heap.popTop()
                    }
                } while heap.top.map({ compare($0.key, key) == 0 }) ?? false
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

/// The sorted runs of a merge (`ShuffleBlob.mergeGroups`), smallest key on top; equal keys
/// in the order of their blobs.
private struct MergeHeap {
    /// A blob being read: its next key, the offset after it, where the blob ends, its index.
    struct Run {
        var key: UnsafeRawBufferPointer
        var offset: Int
        let end: Int
        let blob: Int
    }

    private var runs: [Run] = []

    var top: Run? { runs.first }

    private static func precedes(_ lhs: Run, _ rhs: Run) -> Bool {
        let order = ShuffleBlob.compare(lhs.key, rhs.key)
        return order < 0 || (order == 0 && lhs.blob < rhs.blob)
    }

    mutating func push(_ run: Run) {
        runs.append(run)
        var child = runs.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.precedes(runs[child], runs[parent]) else { break }
            runs.swapAt(child, parent)
            child = parent
        }
    }

    mutating func replaceTop(_ run: Run) {
        runs[0] = run
        siftDown()
    }

    mutating func popTop() {
        let last = runs.removeLast()
        guard !runs.isEmpty else { return }
        replaceTop(last)
    }

    private mutating func siftDown() {
        var parent = 0
        while true {
            var smallest = parent
            let left = 2 * parent + 1, right = left + 1
            if left < runs.count, Self.precedes(runs[left], runs[smallest]) { smallest = left }
            if right < runs.count, Self.precedes(runs[right], runs[smallest]) { smallest = right }
            guard smallest != parent else { return }
            runs.swapAt(parent, smallest)
            parent = smallest
        }
    }
}

extension Array where Element == UInt8 {
    /// Unsigned lexicographic order of bytes: the order of keys in blobs and outputs.
    static func bytesPrecede(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        lhs.withUnsafeBytes { left in rhs.withUnsafeBytes { right in ShuffleBlob.compare(left, right) < 0 } }
    }
}
