/// The manifest of a Redis 7.0 multi-part append-only file: which base file, which incremental
/// files (in replay order) and which history files (left to delete) make up the dataset.
///
/// On disk it is `appendonly.aof.manifest` in `appenddirname`, one file a line, as Redis writes
/// it: `file appendonly.aof.1.base.rdb seq 1 type b`. Lines starting with `#` are comments.
public struct AOFManifest: Equatable, Sendable {
    /// A file's role: `b` base, `h` history (to delete), `i` incremental.
    public enum FileType: String, Sendable {
        case base = "b", history = "h", incremental = "i"
    }

    /// One file the manifest lists.
    public struct File: Equatable, Sendable {
        /// The file's name inside the AOF directory.
        public var name: String
        /// Its sequence number.
        public var sequence: Int64
        /// Its role.
        public var type: FileType

        /// A file entry.
        public init(name: String, sequence: Int64, type: FileType) {
            self.name = name
            self.sequence = sequence
            self.type = type
        }
    }

    /// The base file, if any.
    public var base: File?
    /// Incremental files, oldest first.
    public var incrementals: [File] = []
    /// Files no longer part of the dataset, waiting to be deleted.
    public var history: [File] = []

    /// An empty manifest.
    public init() {}

    /// The highest incremental sequence number, 0 without incremental files.
    public var lastIncrementalSequence: Int64 { incrementals.last?.sequence ?? 0 }

    /// The manifest's text, as Redis writes it: base, then history, then incremental files.
    public var text: String {
        var out = ""
        for file in (base.map { [$0] } ?? []) + history + incrementals {
            out += "file \(Self.quoted(file.name)) seq \(file.sequence) type \(file.type.rawValue)\n"
        }
        return out
    }

    /// A manifest parsed from its text.
    /// - Throws: `AOFManifestError` for a line Redis would refuse: an unknown type, a missing
    ///   field, two base files, incremental files out of order, or no file at all.
    public static func parse(_ text: String) throws(AOFManifestError) -> AOFManifest {
        var manifest = AOFManifest()
        var any = false
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = rawLine.trimmingCharacters(in: " \t\r")
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard line.utf8.count <= 1024 else { throw AOFManifestError("The AOF manifest file contains too long line") }
            guard let words = splitArguments(line), words.count % 2 == 0 else {
                throw AOFManifestError("Invalid AOF manifest file format")
            }
            var name: String?, sequence: Int64?, type: FileType?
            for pair in stride(from: 0, to: words.count, by: 2) {
                switch words[pair] {
                case "file": name = words[pair + 1]
                case "seq": sequence = Int64(words[pair + 1])
                case "type": type = FileType(rawValue: words[pair + 1])
                default: break
                }
            }
            guard let name, let sequence, let type, !name.isEmpty, !name.contains("/") else {
                throw AOFManifestError("Invalid AOF manifest file format")
            }
            let file = File(name: name, sequence: sequence, type: type)
            switch type {
            case .base:
                guard manifest.base == nil else { throw AOFManifestError("Found duplicate base file information") }
                manifest.base = file
            case .history:
                manifest.history.append(file)
            case .incremental:
                guard sequence > manifest.lastIncrementalSequence else {
                    throw AOFManifestError("Found a non-monotonic sequence number")
                }
                manifest.incrementals.append(file)
            }
            any = true
        }
        guard any else { throw AOFManifestError("Found an empty AOF manifest") }
        return manifest
    }

    /// Splits a line into words as Redis's `sdssplitargs` does for plain and double-quoted words.
    /// Nil for an unterminated quote.
    static func splitArguments(_ line: String) -> [String]? {
        var words: [String] = []
        var bytes = Array(line.utf8)[...]
        while true {
            while let b = bytes.first, b == 32 || b == 9 { bytes.removeFirst() }
            guard let first = bytes.first else { return words }
            var word: [UInt8] = []
            if first == UInt8(ascii: "\"") {
                bytes.removeFirst()
                var closed = false
                while let b = bytes.popFirst() {
                    if b == UInt8(ascii: "\\"), let next = bytes.popFirst() {
                        switch next {
                        case UInt8(ascii: "n"): word.append(10)
                        case UInt8(ascii: "r"): word.append(13)
                        case UInt8(ascii: "t"): word.append(9)
                        default: word.append(next)
                        }
                    } else if b == UInt8(ascii: "\"") {
                        closed = true
                        break
                    } else {
                        word.append(b)
                    }
                }
                if !closed { return nil }
            } else {
                while let b = bytes.first, b != 32 && b != 9 { word.append(bytes.removeFirst()) }
            }
            words.append(String(decoding: word, as: UTF8.self))
        }
    }

    /// A name as Redis writes it: plain, or quoted with escapes when it has spaces or quotes.
    static func quoted(_ name: String) -> String {
        if !name.utf8.contains(where: { $0 <= 32 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 >= 127 }) {
            return name
        }
        return ConfigRewrite.quoted(name)
    }
}

/// A manifest that could not be read, with Redis's description of what is wrong.
public struct AOFManifestError: Error, CustomStringConvertible, Sendable {
    /// What is wrong, in Redis's words.
    public let description: String

    init(_ description: String) { self.description = description }
}
