#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension WordTally {
    /// The word count's output: one `count<TAB>word\n` line per word, the count in decimal,
    /// the word's bytes as they are, sorted by count descending, then by the word's bytes
    /// ascending (unsigned bytewise, a prefix before the longer word). Only the first `top`
    /// lines when `top` (≥ 0) is given.
    public func lines(top: Int? = nil) -> [UInt8] {
        precondition((top ?? 0) >= 0, "top must not be negative")
        let source = storage
        // Sort keys: the count, then the word's first 8 bytes as a big-endian number (zero
        // padded), then all its bytes.
        var order: [(count: Int, prefix: UInt64, index: Int)] = []
        order.reserveCapacity(source.occupied)
        for index in 0..<source.capacity where source.slots[index].meta != 0 {
            let prefix = source.withWord(at: index) { word in
                var value: UInt64 = 0
                for position in 0..<8 { value = value << 8 | UInt64(position < word.count ? word[position] : 0) }
                return value
            }
            order.append((source.slots[index].count, prefix, index))
        }
        order.sort { x, y in
            if x.count != y.count { return x.count > y.count }
            if x.prefix != y.prefix { return x.prefix < y.prefix }
            return source.withWord(at: x.index) { a in
                source.withWord(at: y.index) { b in
                    let compared = memcmp(a.baseAddress!, b.baseAddress!, min(a.count, b.count))
                    return compared != 0 ? compared < 0 : a.count < b.count
                }
            }
        }
        let shown = min(top ?? order.count, order.count)
        var out: [UInt8] = []
        var size = 0
        for entry in order[0..<shown] { size += source.withWord(at: entry.index) { $0.count } + 22 }
        out.reserveCapacity(size)
        var digits = [UInt8](repeating: 0, count: 20)
        for entry in order[0..<shown] {
            var value = UInt64(entry.count)
            var used = 0
            repeat {
                digits[19 - used] = 0x30 + UInt8(value % 10)
                value /= 10
                used += 1
            } while value > 0
            out.append(contentsOf: digits[(20 - used)...])
            out.append(0x09)
            source.withWord(at: entry.index) { out.append(contentsOf: $0) }
            out.append(0x0A)
        }
        return out
    }
}
