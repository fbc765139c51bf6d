/// RDB opcodes and value types, as Redis 7.0's `rdb.h` numbers them.
enum RDBType {
    static let string: UInt8 = 0
    static let list: UInt8 = 1
    static let set: UInt8 = 2
    static let zset: UInt8 = 3
    static let hash: UInt8 = 4
    static let zset2: UInt8 = 5
    static let hashZipmap: UInt8 = 9
    static let listZiplist: UInt8 = 10
    static let setIntset: UInt8 = 11
    static let zsetZiplist: UInt8 = 12
    static let hashZiplist: UInt8 = 13
    static let listQuicklist: UInt8 = 14
    static let hashListpack: UInt8 = 16
    static let zsetListpack: UInt8 = 17
    static let listQuicklist2: UInt8 = 18

    static let opFunction2: UInt8 = 245
    static let opFunction: UInt8 = 246
    static let opModuleAux: UInt8 = 247
    static let opIdle: UInt8 = 248
    static let opFrequency: UInt8 = 249
    static let opAux: UInt8 = 250
    static let opResizeDB: UInt8 = 251
    static let opExpireTimeMs: UInt8 = 252
    static let opExpireTime: UInt8 = 253
    static let opSelectDB: UInt8 = 254
    static let opEOF: UInt8 = 255
}

/// Writes a whole keyspace as an RDB version 10 file, in the encodings redis-server 7.0.15
/// writes: strings as integers or LZF blobs, lists as quicklist-2 listpack nodes, hashes and
/// sorted sets as listpacks or tables, sets as intsets or tables.
struct RDBWriter {
    /// Whether strings longer than 20 bytes are LZF-compressed (`rdbcompression`).
    var compress = true
    /// `list-max-listpack-size`: a positive number caps a node's entries, -1…-5 its bytes.
    var listMaxListpackSize = -2
    /// The bytes written so far.
    private(set) var bytes: [UInt8] = []

    init(compress: Bool, listMaxListpackSize: Int) {
        self.compress = compress
        self.listMaxListpackSize = listMaxListpackSize
    }

    /// Starts the file: the magic, the version and Redis's aux fields.
    /// `aofBase` marks the base file of an append-only file (the `aof-base` aux field).
    mutating func appendHeader(creationTime: Int64, usedMemory: Int, aofBase: Bool = false) {
        bytes.append(contentsOf: Array("REDIS0010".utf8))
        appendAux("redis-ver", Array(Engine.redisVersion.utf8))
        appendAux("redis-bits", Array("64".utf8))
        appendAux("ctime", Array(String(creationTime).utf8))
        appendAux("used-mem", Array(String(usedMemory).utf8))
        appendAux("aof-base", Array((aofBase ? "1" : "0").utf8))
    }

    private mutating func appendAux(_ name: String, _ value: [UInt8]) {
        bytes.append(RDBType.opAux)
        RDBString.appendString(Array(name.utf8), to: &bytes, compress: compress)
        RDBString.appendString(value, to: &bytes, compress: compress)
    }

    /// One function library record (`RDB_OPCODE_FUNCTION2`).
    mutating func appendFunctionLibrary(code: [UInt8]) {
        bytes.append(RDBType.opFunction2)
        RDBString.appendString(code, to: &bytes, compress: compress)
    }

    /// SELECTDB and RESIZEDB before a database's keys.
    mutating func appendDatabaseStart(index: Int, keys: Int, expires: Int) {
        bytes.append(RDBType.opSelectDB)
        RDBString.appendLength(index, to: &bytes)
        bytes.append(RDBType.opResizeDB)
        RDBString.appendLength(keys, to: &bytes)
        RDBString.appendLength(expires, to: &bytes)
    }

    /// One key: its expiry (if any), type, name and value.
    mutating func appendKey(_ key: ByteString, _ value: Value, expiresAt: Int64?) {
        if let expiresAt {
            bytes.append(RDBType.opExpireTimeMs)
            RDBBlobs.appendLittleEndian(UInt64(bitPattern: expiresAt), bytes: 8, to: &bytes)
        }
        let typeAt = bytes.count
        bytes.append(0)
        appendString(key.bytes)
        bytes[typeAt] = appendValue(value)
    }

    /// Appends records another writer produced (with the same settings).
    mutating func append(records: [UInt8]) {
        bytes.append(contentsOf: records)
    }

    /// The bytes written since the last call, for a writer that streams its file.
    mutating func takeBytes() -> [UInt8] {
        defer { bytes = [] }
        return bytes
    }

    /// The EOF opcode, for a streamed file whose writer computes the checksum itself.
    mutating func appendEOF() {
        bytes.append(RDBType.opEOF)
    }

    /// Ends the file: EOF and the CRC-64 of everything before it (zero when `checksum` is off).
    mutating func finish(checksum: Bool) -> [UInt8] {
        bytes.append(RDBType.opEOF)
        let crc = checksum ? CRC64.checksum(bytes) : 0
        RDBBlobs.appendLittleEndian(crc, bytes: 8, to: &bytes)
        return bytes
    }

    private mutating func appendString(_ s: [UInt8]) {
        RDBString.appendString(s, to: &bytes, compress: compress)
    }

    /// Appends `value`'s payload and returns its RDB type.
    mutating func appendValue(_ value: Value) -> UInt8 {
        switch value {
        case .string(let s):
            appendString(s.bytes)
            return RDBType.string
        case .list(let list):
            let nodes = quicklistNodes(list)
            RDBString.appendLength(nodes.count, to: &bytes)
            for node in nodes {
                RDBString.appendLength(2, to: &bytes)  // QUICKLIST_NODE_CONTAINER_PACKED
                appendString(RDBBlobs.listpack(node))
            }
            return RDBType.listQuicklist2
        case .hash(let hash):
            let pairs = hash.pairs
            if hash.isListpack {
                appendString(RDBBlobs.listpack(pairs.flatMap { [$0.field.bytes, $0.value.bytes] }))
                return RDBType.hashListpack
            }
            RDBString.appendLength(pairs.count, to: &bytes)
            for pair in pairs {
                appendString(pair.field.bytes)
                appendString(pair.value.bytes)
            }
            return RDBType.hash
        case .set(let set):
            if case .intset(let ints) = set.storage {
                appendString(RDBBlobs.intset((0..<ints.count).map { ints[$0] }))
                return RDBType.setIntset
            }
            RDBString.appendLength(set.count, to: &bytes)
            set.forEach { appendString($0.bytes) }
            return RDBType.set
        case .zset(let zset):
            if zset.isListpack {
                var elements: [[UInt8]] = []
                zset.forEach { entry in
                    elements.append(entry.member.bytes)
                    elements.append(Array(SortedSetCommands.listpackScoreText(entry.score).utf8))
                }
                appendString(RDBBlobs.listpack(elements))
                return RDBType.zsetListpack
            }
            // Redis writes a skiplist from the tail, so that loading inserts at the head.
            var entries: [SortedSetEntry] = []
            entries.reserveCapacity(zset.count)
            zset.forEach { entries.append($0) }
            RDBString.appendLength(entries.count, to: &bytes)
            for entry in entries.reversed() {
                appendString(entry.member.bytes)
                RDBBlobs.appendLittleEndian(entry.score.bitPattern, bytes: 8, to: &bytes)
            }
            return RDBType.zset2
        case .stream(let stream):
            RDBStreams.append(stream, to: &bytes, compress: compress)
            return RDBStreams.streamListpacks2
        }
    }

    /// The list split into quicklist nodes as `list-max-listpack-size` bounds them, with the
    /// estimate of Redis's `_quicklistNodeAllowInsert` (the node's bytes, the element's length
    /// and 8), so that a list built by RPUSH splits where Redis's does.
    func quicklistNodes(_ list: ListValue) -> [[[UInt8]]] {
        let byteLimit = listMaxListpackSize < 0 ? 4096 << min(-listMaxListpackSize - 1, 4) : 8192
        let countLimit = listMaxListpackSize > 0 ? listMaxListpackSize : Int.max
        var nodes: [[[UInt8]]] = []
        var current: [[UInt8]] = []
        var size = 7
        for element in list {
            let bytes = element.bytes
            let entrySize = RDBBlobs.listpackEntrySize(bytes)
            if !current.isEmpty && (current.count >= countLimit || size + bytes.count + 8 > byteLimit) {
                nodes.append(current)
                current = []
                size = 7
            }
            current.append(bytes)
            size += entrySize
        }
        if !current.isEmpty { nodes.append(current) }
        return nodes
    }
}
