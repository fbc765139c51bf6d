/// An RDB file that could not be loaded: what was wrong and at which byte.
public struct RDBLoadError: Error, CustomStringConvertible, Sendable {
    /// What was wrong.
    public let message: String
    /// The offset in the file where reading stopped.
    public let offset: Int

    public var description: String { "Bad RDB file at byte \(offset): \(message)" }
}

/// The contents of an RDB file, decoded into Roost's values.
struct RDBContents {
    /// One key of one database.
    struct Entry {
        var database: Int
        var key: ByteString
        var value: Value
        /// Absolute expiry, Unix milliseconds.
        var expiresAt: Int64?
    }

    /// Function library codes, in file order.
    var functionLibraries: [[UInt8]] = []
    var entries: [Entry] = []
    /// Keys left out because their expiry time had passed.
    var expiredKeys = 0
}

/// Reads RDB files of versions 1 to 10 — everything redis-server 7.0.15 writes, and the
/// ziplist/zipmap encodings of older versions — checking every length against the file and the
/// CRC-64 footer. Streams and module values are refused with a clear error.
struct RDBReader {
    private var reader: RDBString.Reader
    private let configuration: EngineConfiguration
    private var version = 0

    init(_ bytes: [UInt8], configuration: EngineConfiguration) {
        reader = RDBString.Reader(bytes)
        self.configuration = configuration
    }

    /// How far the last `read` got: after the checksum, where an AOF preamble's commands start.
    var position: Int { reader.position }

    private func fail(_ message: String) -> RDBLoadError {
        RDBLoadError(message: message, offset: reader.position)
    }

    private mutating func byte() throws(RDBLoadError) -> UInt8 {
        guard let b = reader.byte() else { throw fail("Unexpected end of file") }
        return b
    }

    private mutating func length() throws(RDBLoadError) -> Int {
        guard let n = reader.plainLength(), n <= UInt64(Int32.max) * 16 else { throw fail("Bad length") }
        return Int(n)
    }

    private mutating func string() throws(RDBLoadError) -> [UInt8] {
        guard let s = reader.string() else { throw fail("Bad or truncated string") }
        return s
    }

    private mutating func fixed(_ count: Int) throws(RDBLoadError) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<count { v |= UInt64(try byte()) << UInt64(i * 8) }
        return v
    }

    /// Decodes the whole file. `now` (Unix ms) drops keys already expired, as a master does.
    mutating func read(now: Int64) throws(RDBLoadError) -> RDBContents {
        let bytes = reader.bytes
        guard bytes.count >= 9, Array(bytes[0..<5]) == Array("REDIS".utf8) else { throw fail("Wrong signature") }
        guard let v = Int(String(decoding: bytes[5..<9], as: UTF8.self)), v >= 1, v <= Int(RDBString.version) else {
            throw fail("Can't handle RDB format version \(String(decoding: bytes[5..<9], as: UTF8.self))")
        }
        version = v
        reader.position = 9
        var contents = RDBContents()
        var database = 0
        var expiresAt: Int64?
        while true {
            let type = try byte()
            switch type {
            case RDBType.opExpireTimeMs:
                expiresAt = Int64(bitPattern: try fixed(8))
                continue
            case RDBType.opExpireTime:
                expiresAt = Int64(Int32(bitPattern: UInt32(try fixed(4)))) * 1000
                continue
            case RDBType.opFrequency:
                _ = try byte()
                continue
            case RDBType.opIdle:
                _ = try length()
                continue
            case RDBType.opSelectDB:
                database = try length()
                guard database < configuration.databases else {
                    throw fail("FATAL: Data file was created with a Redis server configured to handle more than \(configuration.databases) databases")
                }
                continue
            case RDBType.opResizeDB:
                _ = try length()
                _ = try length()
                continue
            case RDBType.opAux:
                _ = try string()
                _ = try string()
                continue
            case RDBType.opModuleAux:
                throw fail("Module auxiliary data is not supported")
            case RDBType.opFunction2:
                contents.functionLibraries.append(try string())
                continue
            case RDBType.opFunction:
                let name = try string()
                let engine = try string()
                if try length() != 0 { _ = try string() }
                let body = try string()
                contents.functionLibraries.append(Array("#!".utf8) + engine + Array(" name=".utf8) + name + [10] + body)
                continue
            case RDBType.opEOF:
                try verifyChecksum()
                return contents
            case 0...7, 9...21:
                break
            default:
                throw fail("Unknown RDB value type \(type)")
            }
            let key = try string()
            let value = try readValue(type)
            defer { expiresAt = nil }
            if let when = expiresAt, when <= now {
                contents.expiredKeys += 1
                continue
            }
            if let value {
                contents.entries.append(.init(database: database, key: ByteString(key), value: value, expiresAt: expiresAt))
            }
        }
    }

    private mutating func verifyChecksum() throws(RDBLoadError) {
        guard version >= 5 else { return }
        let end = reader.position
        let stored = try fixed(8)
        if stored != 0 && stored != CRC64.checksum(reader.bytes[0..<end]) {
            throw fail("Wrong RDB checksum")
        }
    }

    // MARK: Values

    private var hashLimits: (Int, Int) { (configuration.hashMaxListpackEntries, configuration.hashMaxListpackValue) }
    private var zsetLimits: (Int, Int) { (configuration.zsetMaxListpackEntries, configuration.zsetMaxListpackValue) }

    /// A value of `type`; nil for an empty collection, which Redis skips.
    mutating func readValue(_ type: UInt8) throws(RDBLoadError) -> Value? {
        switch type {
        case RDBType.string:
            return .string(StringValue(encoding: try string()))
        case RDBType.list:
            let n = try length()
            var elements: [ByteString] = []
            for _ in 0..<n { elements.append(ByteString(try string())) }
            return makeList(elements)
        case RDBType.listZiplist:
            return makeList(try blob(ziplist: true).map(ByteString.init))
        case RDBType.listQuicklist, RDBType.listQuicklist2:
            let nodes = try length()
            var elements: [ByteString] = []
            for _ in 0..<nodes {
                var container = 2
                if type == RDBType.listQuicklist2 { container = try length() }
                if container == 1 {
                    elements.append(ByteString(try string()))
                } else if container == 2 {
                    elements += try blob(ziplist: type == RDBType.listQuicklist).map(ByteString.init)
                } else {
                    throw fail("Quicklist integrity check failed")
                }
            }
            return makeList(elements)
        case RDBType.set:
            let n = try length()
            var members: [ByteString] = []
            for _ in 0..<n { members.append(ByteString(try string())) }
            return try makeSet(members)
        case RDBType.setIntset:
            guard let values = RDBBlobs.intsetValues(try string()) else { throw fail("Intset integrity check failed") }
            return try makeSet(values.map { ByteString(RedisIntegerBridge.bytes($0)) })
        case RDBType.hash:
            let n = try length()
            var pairs: [([UInt8], [UInt8])] = []
            for _ in 0..<n { pairs.append((try string(), try string())) }
            return try makeHash(pairs)
        case RDBType.hashZiplist, RDBType.hashListpack:
            let elements = try blob(ziplist: type == RDBType.hashZiplist)
            guard elements.count % 2 == 0 else { throw fail("Hash listpack integrity check failed") }
            return try makeHash(stride(from: 0, to: elements.count, by: 2).map { (elements[$0], elements[$0 + 1]) })
        case RDBType.hashZipmap:
            return try makeHash(try zipmapPairs(try string()))
        case RDBType.zset, RDBType.zset2:
            let n = try length()
            var entries: [(ByteString, Double)] = []
            for _ in 0..<n {
                let member = ByteString(try string())
                let score = type == RDBType.zset2 ? Double(bitPattern: try fixed(8)) : try textScore()
                guard !score.isNaN else { throw fail("Zset with NAN score detected") }
                entries.append((member, score))
            }
            return try makeSortedSet(entries)
        case RDBType.zsetZiplist, RDBType.zsetListpack:
            let elements = try blob(ziplist: type == RDBType.zsetZiplist)
            guard elements.count % 2 == 0 else { throw fail("Zset listpack integrity check failed") }
            var entries: [(ByteString, Double)] = []
            for i in stride(from: 0, to: elements.count, by: 2) {
                guard let score = Double(String(decoding: elements[i + 1], as: UTF8.self)), !score.isNaN else {
                    throw fail("Zset listpack integrity check failed")
                }
                entries.append((ByteString(elements[i]), score))
            }
            return try makeSortedSet(entries)
        case 6, 7:
            throw fail("Module values are not supported")
        case RDBStreams.streamListpacks, RDBStreams.streamListpacks2:
            guard let stream = RDBStreams.read(type, from: &reader) else { throw fail("Stream integrity check failed") }
            return .stream(stream)
        case 21:
            throw fail("Streams of Redis 7.2 (RDB type 21) are not supported")
        default:
            throw fail("Unknown RDB value type \(type)")
        }
    }

    private mutating func blob(ziplist: Bool) throws(RDBLoadError) -> [[UInt8]] {
        let raw = try string()
        guard let elements = ziplist ? RDBBlobs.ziplistElements(raw) : RDBBlobs.listpackElements(raw) else {
            throw fail(ziplist ? "Ziplist integrity check failed" : "Listpack integrity check failed")
        }
        return elements
    }

    /// A score as RDB version < 8 wrote it: a length byte, then text (253 NaN, 254 +inf, 255 -inf).
    private mutating func textScore() throws(RDBLoadError) -> Double {
        let n = try byte()
        switch n {
        case 253: return .nan
        case 254: return .infinity
        case 255: return -.infinity
        default:
            var text: [UInt8] = []
            for _ in 0..<n { text.append(try byte()) }
            guard let d = Double(String(decoding: text, as: UTF8.self)) else { throw fail("Bad score") }
            return d
        }
    }

    private func zipmapPairs(_ b: [UInt8]) throws(RDBLoadError) -> [([UInt8], [UInt8])] {
        var p = 1
        var pairs: [([UInt8], [UInt8])] = []
        func len() -> Int? {
            guard p < b.count else { return nil }
            if b[p] < 254 { p += 1; return Int(b[p - 1]) }
            guard b[p] == 253, b.count - p >= 5 else { return nil }
            let n = Int(RDBBlobs.littleEndian(b, p + 1, 4))
            p += 5
            return n
        }
        while p < b.count && b[p] != 255 {
            guard let kl = len(), kl <= b.count - p else { throw fail("Zipmap integrity check failed") }
            let k = Array(b[p..<(p + kl)])
            p += kl
            guard let vl = len(), p < b.count else { throw fail("Zipmap integrity check failed") }
            let free = Int(b[p])
            p += 1
            guard vl <= b.count - p else { throw fail("Zipmap integrity check failed") }
            pairs.append((k, Array(b[p..<(p + vl)])))
            p += vl + free
        }
        return pairs
    }

    private func makeList(_ elements: [ByteString]) -> Value? {
        elements.isEmpty ? nil : .list(ListValue(elements))
    }

    private func makeSet(_ members: [ByteString]) throws(RDBLoadError) -> Value? {
        guard let first = members.first else { return nil }
        let set = SetValue.create(for: first)
        for m in members where !set.insert(m, maxIntsetEntries: configuration.setMaxIntsetEntries) {
            throw fail("Duplicate set members detected")
        }
        return .set(set)
    }

    private func makeHash(_ pairs: [([UInt8], [UInt8])]) throws(RDBLoadError) -> Value? {
        guard !pairs.isEmpty else { return nil }
        var hash = HashValue()
        let (maxEntries, maxValue) = hashLimits
        if pairs.count > maxEntries { hash.convertToTable() }
        for (field, value) in pairs where !hash.set(field, value, maxEntries: maxEntries, maxValue: maxValue) {
            throw fail("Duplicate hash fields detected")
        }
        return .hash(hash)
    }

    private func makeSortedSet(_ entries: [(ByteString, Double)]) throws(RDBLoadError) -> Value? {
        guard !entries.isEmpty else { return nil }
        let (maxEntries, maxValue) = zsetLimits
        let longest = entries.reduce(0) { max($0, $1.0.count) }
        let zset = SortedSetValue(sizeHint: entries.count, maxMemberLength: longest, maxEntries: maxEntries, maxValue: maxValue)
        for (member, score) in entries {
            guard zset.score(member) == nil else { throw fail("Duplicate zset fields detected") }
            zset.set(member, score, maxEntries: maxEntries, maxValue: maxValue)
        }
        return .zset(zset)
    }
}
