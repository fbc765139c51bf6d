import NIOCore
import RoostRESP

/// Finds where the first complete RESP value in a growing buffer ends, resuming where the last
/// call stopped, so a reply arriving in many reads is scanned once in total rather than
/// re-parsed from its start on every read (which is quadratic for large arrays).
///
/// The buffer must keep its reader index at the frame's start between calls; after a frame is
/// found the scanner resets for the next one.
struct RESPFrameScanner {
    /// Bytes of the current frame already scanned.
    private var offset = 0
    /// Elements still expected by each open aggregate, innermost last.
    private var open: [Int] = []

    struct Error: Swift.Error, CustomStringConvertible {
        let description: String
    }

    /// The length of the complete frame at the buffer's reader index, or nil if more bytes are needed.
    mutating func scan(_ buffer: ByteBuffer) throws(Error) -> Int? {
        let view = buffer.readableBytesView
        let base = view.startIndex
        while true {
            guard offset < view.count else { return nil }
            let type = view[base + offset]
            guard let cr = view[(base + offset + 1)...].firstIndex(of: UInt8(ascii: "\r")), cr + 1 < view.endIndex else {
                return nil
            }
            let header = view[(base + offset + 1)..<cr]
            var next = cr + 2 - base
            var children = 0
            switch type {
            case UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "="):
                let length = try Self.integer(header)
                if length >= 0 {
                    guard next + length + 2 <= view.count else { return nil }
                    next += length + 2
                } else if length != -1 {
                    throw Error(description: "negative length \(length)")
                }
            case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"):
                children = max(try Self.integer(header), 0)
            case UInt8(ascii: "%"):
                children = max(try Self.integer(header), 0) * 2
            case UInt8(ascii: "|"):
                // An attribute's pairs, then the value it decorates.
                children = max(try Self.integer(header), 0) * 2 + 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "_"), UInt8(ascii: "#"),
                 UInt8(ascii: ","), UInt8(ascii: "("):
                break
            default:
                throw Error(description: "unknown RESP type byte \(type)")
            }
            offset = next
            if children > 0 {
                open.append(children)
                continue
            }
            // One value finished: it completes its parent, perhaps that one's parent, and so on.
            while let last = open.last {
                if last > 1 {
                    open[open.count - 1] = last - 1
                    break
                }
                open.removeLast()
            }
            if open.isEmpty {
                let length = offset
                offset = 0
                return length
            }
        }
    }

    private static func integer(_ bytes: ByteBufferView.SubSequence) throws(Error) -> Int {
        guard let value = RedisInteger.parse(bytes), let int = Int(exactly: value) else {
            throw Error(description: "invalid length '\(String(decoding: bytes, as: UTF8.self))'")
        }
        return int
    }
}
