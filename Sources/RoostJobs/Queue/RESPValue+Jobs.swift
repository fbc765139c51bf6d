import RoostRESP

extension RESPValue {
    /// The bytes of a string reply.
    var jobBytes: [UInt8]? {
        switch self {
        case .bulkString(.some(let bytes)), .simpleString(let bytes), .verbatim(_, let bytes): bytes
        default: nil
        }
    }

    /// A string reply as text.
    var jobString: String? { jobBytes.map { String(decoding: $0, as: UTF8.self) } }

    /// An integer reply, or a string reply holding one.
    var jobInt: Int64? {
        switch self {
        case .integer(let value): value
        default: jobString.flatMap { Int64($0) }
        }
    }

    /// The elements of an array reply.
    var jobArray: [RESPValue]? {
        switch self {
        case .array(.some(let items)), .set(let items), .push(let items): items
        default: nil
        }
    }

    /// A map or flat key-value array reply (HGETALL) as a dictionary of byte strings.
    var jobFields: [String: [UInt8]] {
        var fields: [String: [UInt8]] = [:]
        switch self {
        case .map(let pairs):
            for (key, value) in pairs { if let key = key.jobString, let value = value.jobBytes { fields[key] = value } }
        default:
            let items = jobArray ?? []
            var i = 0
            while i + 1 < items.count {
                if let key = items[i].jobString, let value = items[i + 1].jobBytes { fields[key] = value }
                i += 2
            }
        }
        return fields
    }
}
