#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file split that also knows its file's place among the job's files (`document`) and
/// carries the job's parameters: a registered job is a fixed value in every worker, so what
/// one run needs (a pattern, sort boundaries) travels with each of its splits.
public struct DocumentSplit<Parameters: Codable & Sendable>: MapReduceSplit {
    /// The byte range of the file.
    public var file: FileSplit
    /// The index of the file in the job's list of files.
    public var document: Int
    /// The run's parameters.
    public var parameters: Parameters

    /// The split `file` of document `document`, with `parameters`.
    public init(file: FileSplit, document: Int, parameters: Parameters) {
        self.file = file
        self.document = document
        self.parameters = parameters
    }

    /// Cuts `paths` into splits of about `targetSize` bytes (see `FileSplit.splits`), each
    /// numbered with its path's index in `paths`.
    /// - Throws: `FileSplitError` as `FileSplit.splits` does.
    public static func splits(of paths: [String], targetSize: Int64, parameters: Parameters) throws -> [Self] {
        try paths.enumerated().flatMap { document, path in
            try FileSplit.splits(of: [path], targetSize: targetSize).map {
                DocumentSplit(file: $0, document: document, parameters: parameters)
            }
        }
    }

    /// Reads the file's lines in chunks, as `FileSplit` does.
    public func read(_ context: MapReduceInputContext, _ body: (UnsafeRawBufferPointer) throws -> Void) async throws {
        try file.read(chunkSize: FileSplit.recordSize, body)
    }

    /// The file split's length.
    public var byteCount: Int64 { file.length }

    /// Calls `body` with each line of the split in order, without its `\n` (a last line of the
    /// file without one comes whole, an empty line as an empty buffer).
    /// - Throws: `FileSplitError` when the file cannot be read, and what `body` throws.
    public func forEachLine(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try file.read(chunkSize: FileSplit.recordSize) { chunk in try Self.forEachLine(in: chunk, body) }
    }

    /// Calls `body` with each line of a line-aligned chunk (`FileSplit.read`), without its `\n`.
    static func forEachLine(in chunk: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        guard let base = chunk.baseAddress else { return }
        var start = 0
        while start < chunk.count {
            guard let found = memchr(base + start, 0x0A, chunk.count - start) else {
                try body(UnsafeRawBufferPointer(rebasing: chunk[start...]))
                return
            }
            let end = base.distance(to: UnsafeRawPointer(found))
            try body(UnsafeRawBufferPointer(rebasing: chunk[start..<end]))
            start = end + 1
        }
    }
}
