/// `client-output-buffer-limit`: for each class of client, how much unsent reply output the
/// server holds for it before it drops the client.
///
/// Like Redis, the first `fixedBufferBytes` of a client's unsent output (Redis's static reply
/// buffer) are not counted; past them, a client is dropped when its output reaches the hard
/// limit, or has stayed at or past the soft limit for more than the soft seconds. A zero limit is
/// off. A client that must authenticate and has not is dropped as soon as its output passes the
/// fixed buffer (Redis caps it at 1 KB of reply blocks that are 16 KB or larger).
public struct ClientOutputBufferLimits: Sendable, Equatable {
    /// The classes limits are set for, in the order CONFIG GET lists them.
    public enum Class: Int, Sendable, CaseIterable {
        case normal, replica, pubsub

        /// The name CONFIG GET shows (`slave` for replicas, as Redis 7.0 does).
        public var name: String {
            switch self {
            case .normal: return "normal"
            case .replica: return "slave"
            case .pubsub: return "pubsub"
            }
        }
    }

    /// One class's limits; zero turns a limit off.
    public struct Limit: Sendable, Equatable {
        /// Bytes past the fixed buffer at which the client is dropped at once.
        public var hard: UInt64
        /// Bytes past the fixed buffer the client may hold for at most `softSeconds`.
        public var soft: UInt64
        /// Seconds the soft limit may stay exceeded.
        public var softSeconds: Int

        public init(hard: UInt64, soft: UInt64, softSeconds: Int) {
            self.hard = hard
            self.soft = soft
            self.softSeconds = softSeconds
        }

        /// Whether any limit of this class is on.
        public var isActive: Bool { hard != 0 || soft != 0 }
    }

    /// Unsent output the limits do not count: Redis keeps it in a fixed 16 KB buffer per client.
    public static let fixedBufferBytes = 16 * 1024

    /// `normal`
    public var normal = Limit(hard: 0, soft: 0, softSeconds: 0)
    /// `slave` (alias `replica`)
    public var replica = Limit(hard: 256 * 1024 * 1024, soft: 64 * 1024 * 1024, softSeconds: 60)
    /// `pubsub`
    public var pubsub = Limit(hard: 32 * 1024 * 1024, soft: 8 * 1024 * 1024, softSeconds: 60)

    /// Redis's defaults: `normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60`.
    public init() {}

    /// The limits of one class.
    public subscript(_ type: Class) -> Limit {
        get {
            switch type {
            case .normal: return normal
            case .replica: return replica
            case .pubsub: return pubsub
            }
        }
        set {
            switch type {
            case .normal: normal = newValue
            case .replica: replica = newValue
            case .pubsub: pubsub = newValue
            }
        }
    }

    /// The value CONFIG GET shows.
    public var description: String {
        Class.allCases.map { type in
            let limit = self[type]
            return "\(type.name) \(limit.hard) \(limit.soft) \(limit.softSeconds)"
        }.joined(separator: " ")
    }

    /// Applies CONFIG SET's value: `class hard soft seconds` groups separated by single spaces.
    /// Returns Redis's reason when the value is refused, and then changes nothing.
    public mutating func apply(configSetValue text: String) -> String? {
        // Redis splits on each single space, so doubled spaces make empty words.
        let words = text.isEmpty ? [] : text.split(separator: " ", omittingEmptySubsequences: false)
        return apply(words)
    }

    /// Applies the words after the directive in a configuration file or on the command line. A
    /// single word holding the groups (`--client-output-buffer-limit "pubsub 1mb 512kb 10"`) is
    /// split on whitespace first, as Redis does.
    public mutating func apply(configurationWords words: [String]) -> String? {
        if words.count == 1 && !words[0].isEmpty {
            return apply(words[0].split(whereSeparator: { $0 == " " || $0 == "\t" }))
        }
        return apply(words.map { Substring($0) })
    }

    /// Checks every group first, so a value is taken whole or not at all.
    private mutating func apply(_ words: [Substring]) -> String? {
        guard words.count % 4 == 0 else { return "Wrong number of arguments in buffer limit configuration." }
        var updated = self
        for start in stride(from: 0, to: words.count, by: 4) {
            guard let type = Self.parseClass(words[start]) else {
                return "Invalid client class specified in buffer limit configuration."
            }
            guard let hard = Self.parseMemory(words[start + 1]), let soft = Self.parseMemory(words[start + 2]),
                  let seconds = Self.parseSeconds(words[start + 3]) else {
                return "Error in hard, soft or soft_seconds setting in buffer limit configuration."
            }
            updated[type] = Limit(hard: hard, soft: soft, softSeconds: seconds)
        }
        self = updated
        return nil
    }

    static func parseClass(_ word: Substring) -> Class? {
        switch word.lowercased() {
        case "normal": return .normal
        case "slave", "replica": return .replica
        case "pubsub": return .pubsub
        default: return nil  // `master` too: its limits are the normal class's
        }
    }

    /// Redis's `memtoull`: digits and an optional unit (`b`, `k`, `kb`, `m`, `mb`, `g`, `gb`, any
    /// case). No digits read as 0, too many saturate, and the product wraps, all as in Redis.
    static func parseMemory(_ word: Substring) -> UInt64? {
        let bytes = Array(word.utf8)
        if bytes.first == UInt8(ascii: "-") { return nil }
        let digitCount = bytes.prefix(while: { $0 >= 0x30 && $0 <= 0x39 }).count
        let multiplier: UInt64
        switch String(decoding: bytes[digitCount...], as: UTF8.self).lowercased() {
        case "", "b": multiplier = 1
        case "k": multiplier = 1000
        case "kb": multiplier = 1024
        case "m": multiplier = 1000 * 1000
        case "mb": multiplier = 1024 * 1024
        case "g": multiplier = 1000 * 1000 * 1000
        case "gb": multiplier = 1024 * 1024 * 1024
        default: return nil
        }
        guard digitCount < 128 else { return nil }
        var value: UInt64 = 0
        for digit in bytes[..<digitCount] {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digit - 0x30))
            if o1 || o2 { value = .max; break }
            value = sum
        }
        return value &* multiplier
    }

    /// Redis reads the soft seconds with `strtoll` into an `int`: leading whitespace and a sign
    /// are allowed, an empty word is 0, the 64-bit value is truncated to 32 bits, and a negative
    /// result is refused.
    static func parseSeconds(_ word: Substring) -> Int? {
        let bytes = Array(word.utf8)
        if bytes.isEmpty { return 0 }
        var i = 0
        while i < bytes.count, [0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d].contains(bytes[i]) { i += 1 }
        var negative = false
        if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        let digitsStart = i
        var magnitude: UInt64 = 0
        var saturated = false
        while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 {
            let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(bytes[i] - 0x30))
            if o1 || o2 { saturated = true } else { magnitude = sum }
            i += 1
        }
        guard i > digitsStart, i == bytes.count else { return nil }
        let value: Int64
        if negative {
            value = saturated || magnitude > UInt64(Int64.max) + 1 ? .min : Int64(truncatingIfNeeded: 0 &- magnitude)
        } else {
            value = saturated || magnitude > UInt64(Int64.max) ? .max : Int64(magnitude)
        }
        let seconds = Int32(truncatingIfNeeded: value)
        return seconds < 0 ? nil : Int(seconds)
    }
}

extension ClientOutputBufferLimits.Limit {
    /// The unsent output, in bytes, at which a client is dropped whatever the time: the hard limit
    /// past the fixed buffer, or the first byte past it for a client yet to authenticate.
    /// `Int.max` when there is none.
    public func droppingPoint(unauthenticated: Bool) -> Int {
        let fixed = ClientOutputBufferLimits.fixedBufferBytes
        if unauthenticated { return fixed + 1 }
        if hard == 0 { return .max }
        return hard >= UInt64(Int.max - fixed) ? .max : fixed + Int(hard)
    }

    /// Whether a client holding `pending` bytes of unsent output must be dropped now (Unix
    /// seconds `now`). `softLimitSince` is the client's soft-limit clock: when its output was
    /// first seen at or past the soft limit, 0 while below. As in Redis, output within the fixed
    /// buffer is not checked at all, and leaves the clock as it is.
    public func isReached(pending: Int, unauthenticated: Bool, now: Int64, softLimitSince: inout Int64) -> Bool {
        let fixed = ClientOutputBufferLimits.fixedBufferBytes
        guard pending > fixed else { return false }
        if unauthenticated { return true }
        let used = UInt64(pending - fixed)
        if soft != 0 && used >= soft {
            if softLimitSince == 0 {
                softLimitSince = now
            } else if now - softLimitSince > Int64(softSeconds) {
                return true
            }
        } else {
            softLimitSince = 0
        }
        return hard != 0 && used >= hard
    }
}
