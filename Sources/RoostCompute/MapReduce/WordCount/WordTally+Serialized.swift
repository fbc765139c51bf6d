/// The compact binary form of a tally, for intermediate data and task results:
///
///     "RWT" 0x01                     magic and version
///     varint words                   how many (word, count) pairs follow
///     words × (varint length, length bytes, varint count)
///
/// Varints are unsigned LEB128. Words come in no particular order.
extension WordTally {
    private static let magic: [UInt8] = [0x52, 0x57, 0x54, 0x01]

    /// The tally in its compact binary form (see the extension's comment).
    public func serialized() -> [UInt8] {
        var out = Self.magic
        out.reserveCapacity(16 + distinctWords * 4)
        Self.appendVarint(UInt64(distinctWords), to: &out)
        forEach { word, count in
            Self.appendVarint(UInt64(word.count), to: &out)
            out.append(contentsOf: word)
            Self.appendVarint(UInt64(count), to: &out)
        }
        return out
    }

    /// The tally that `serialized()` wrote into `bytes`. A word that appears twice has its
    /// counts added.
    ///
    /// - Throws: `WordTallyError` when `bytes` is not a serialized tally (wrong magic or
    ///   version, truncated, an empty word, a zero count, or bytes left over).
    public init(serialized bytes: [UInt8]) throws {
        guard bytes.count >= Self.magic.count, Array(bytes[0..<Self.magic.count]) == Self.magic else {
            throw WordTallyError.malformed("not a serialized word tally (bad magic or version)")
        }
        var tally = WordTally()
        try bytes.withUnsafeBufferPointer { buffer in
            var position = Self.magic.count
            let words = try Self.readVarint(buffer, &position)
            for _ in 0..<words {
                let length = try Self.readVarint(buffer, &position)
                guard length > 0 else { throw WordTallyError.malformed("an empty word at byte \(position)") }
                guard length <= UInt64(buffer.count - position) else {
                    throw WordTallyError.malformed("a word runs past the end at byte \(position)")
                }
                let word = Array(buffer[position..<position + Int(length)])
                position += Int(length)
                let count = try Self.readVarint(buffer, &position)
                guard count > 0, count <= UInt64(Int.max) else {
                    throw WordTallyError.malformed("a count of \(count) at byte \(position)")
                }
                tally.add(word: word, count: Int(count))
            }
            guard position == buffer.count else {
                throw WordTallyError.malformed("\(buffer.count - position) bytes after the last word")
            }
        }
        self = tally
    }

    private static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
    }

    private static func readVarint(_ buffer: UnsafeBufferPointer<UInt8>, _ position: inout Int) throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < buffer.count else { throw WordTallyError.malformed("truncated at byte \(position)") }
            let byte = buffer[position]
            position += 1
            guard shift < 64, shift < 63 || byte <= 1 else {
                throw WordTallyError.malformed("a number too large at byte \(position - 1)")
            }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }
}

/// Why bytes could not be read as a serialized `WordTally`.
public struct WordTallyError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case malformed(String)
    }

    private let code: Code

    private init(_ code: Code) { self.code = code }

    /// The bytes are not a serialized tally; `detail` says where and how.
    public static func malformed(_ detail: String) -> WordTallyError { WordTallyError(.malformed(detail)) }

    /// A sentence saying what went wrong.
    public var description: String {
        switch code {
        case .malformed(let detail): "malformed word tally: \(detail)"
        }
    }
}
