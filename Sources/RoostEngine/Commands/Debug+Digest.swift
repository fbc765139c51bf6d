import RoostRESP

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// DEBUG DIGEST and DIGEST-VALUE: a SHA-1 signature of the dataset, computed the way Redis 7.0's
/// `computeDatasetDigest` computes it, so that the same data gives the same 40 hex digits on
/// Roost and on redis-server.
///
/// Two ways of adding data to a 20-byte digest:
/// - *xor*: digest ^= SHA1(data). Order does not matter (set members, hash fields, keys).
/// - *mix*: digest = SHA1(digest ^ SHA1(data)). Order matters (list elements, stream entries).
///
/// A key's digest mixes its name, its type number, then its value; a key with a TTL xors in
/// `!!expire!!`. The dataset's digest mixes each non-empty database's number (4 bytes, big
/// endian) and xors in the digest of each of its keys. Logically expired keys not yet removed
/// count, as in Redis.
enum DatasetDigest {
    typealias Digest = [UInt8]

    static func xor(_ digest: inout Digest, _ data: [UInt8]) {
        let hash = SHA1.digest(data)
        for i in 0..<20 { digest[i] ^= hash[i] }
    }

    static func mix(_ digest: inout Digest, _ data: [UInt8]) {
        xor(&digest, data)
        digest = SHA1.digest(digest)
    }

    /// Redis's object type numbers (`OBJ_STRING`…`OBJ_STREAM`).
    static func typeNumber(_ value: Value) -> UInt8 {
        switch value {
        case .string: return 0
        case .list: return 1
        case .set: return 2
        case .zset: return 3
        case .hash: return 4
        case .stream: return 6
        }
    }

    /// A sorted set score as Redis 7.0 writes it into the digest: `%.17g`.
    static func scoreText(_ score: Double) -> [UInt8] {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buf in
            let n = withVaList([score]) { vsnprintf(buf.baseAddress, 64, "%.17g", $0) }
            return Array(UnsafeRawBufferPointer(start: buf.baseAddress, count: Int(max(0, min(n, 63)))))
        }
    }

    /// Redis's `xorObjectDigest`: the type, the value and the expiry mark, added to `digest`.
    static func addValue(_ value: Value, hasExpiry: Bool, to digest: inout Digest) {
        mix(&digest, [0, 0, 0, typeNumber(value)])
        switch value {
        case .string(let s):
            mix(&digest, s.bytes)
        case .list(let list):
            for element in list { mix(&digest, element.bytes) }
        case .set(let set):
            set.forEach { xor(&digest, $0.bytes) }
        case .zset(let zset):
            zset.forEach { entry in
                var element = Digest(repeating: 0, count: 20)
                mix(&element, entry.member.bytes)
                mix(&element, scoreText(entry.score))
                xor(&digest, element)
            }
        case .hash(let hash):
            for pair in hash.pairs {
                var element = Digest(repeating: 0, count: 20)
                mix(&element, pair.field.bytes)
                mix(&element, pair.value.bytes)
                xor(&digest, element)
            }
        case .stream(let stream):
            stream.forEach(from: StreamID(ms: 0, seq: 0), to: StreamID(ms: .max, seq: .max)) { entry in
                mix(&digest, Array("\(entry.id.ms).\(entry.id.seq)".utf8))
                for item in entry.fieldValues { mix(&digest, item) }
                return true
            }
        }
        if hasExpiry { xor(&digest, Array("!!expire!!".utf8)) }
    }

    /// The digest of every database.
    static func dataset(_ engine: Engine) -> Digest {
        var final = Digest(repeating: 0, count: 20)
        for db in engine.databases where !db.keys.isEmpty {
            let index = UInt32(db.index)
            mix(&final, [UInt8(index >> 24), UInt8(index >> 16 & 0xff), UInt8(index >> 8 & 0xff), UInt8(index & 0xff)])
            db.keys.forEach { key, value in
                var digest = Digest(repeating: 0, count: 20)
                mix(&digest, key.bytes)
                addValue(value, hasExpiry: db.expires.contains(key), to: &digest)
                xor(&final, digest)
            }
        }
        return final
    }

    /// DEBUG DIGEST-VALUE key…: one status reply per key, zeros for a missing key.
    static func values(_ c: CommandContext) {
        c.reply.arrayHeader(c.count - 2)
        for i in 2..<c.count {
            let key = c.key(i)
            var digest = Digest(repeating: 0, count: 20)
            if let value = c.database.keys[key] {
                addValue(value, hasExpiry: c.database.expires.contains(key), to: &digest)
            }
            c.reply.status(hex(digest))
        }
    }

    /// 40 lowercase hex digits.
    static func hex(_ digest: Digest) -> String {
        let digits = Array("0123456789abcdef")
        return String(digest.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }
}
