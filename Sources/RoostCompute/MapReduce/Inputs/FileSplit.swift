#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A byte range of a file, read as whole lines: a MapReduce input split.
///
/// Splits are cut at fixed byte offsets without looking at the file's contents, so a line can
/// cross a split's boundary. Reading follows Hadoop's rule: **a line belongs to the split that
/// holds its first byte.** A split that does not start at offset 0 skips through the first
/// newline at or after `start - 1` (so a line starting exactly at `start` is its own, and a
/// line that began earlier is left to the previous split), and every split reads on past its
/// end to the end of the last line that starts inside it. Across the splits of a file every
/// line, with its newline, is read exactly once, whatever the split sizes; a line longer than a
/// split is read whole by the split where it starts, and the splits it covers read nothing.
///
/// Lines end at `\n` only; a `\r` before it stays part of the line.
public struct FileSplit: Codable, Hashable, Sendable {
    /// The file's path.
    public var path: String
    /// The offset of the split's first byte.
    public var start: Int64
    /// The split's size in bytes (before line alignment).
    public var length: Int64

    /// The split of `path` covering `length` bytes from `start`.
    public init(path: String, start: Int64, length: Int64) {
        self.path = path
        self.start = start
        self.length = length
    }

    /// The offset just past the split's last byte (before line alignment).
    public var end: Int64 { start + length }

    /// Cuts `paths` into splits of about `targetSize` bytes each, in order of `paths` and of
    /// offset. A file's last split is merged into the one before it when it would be smaller
    /// than a tenth of `targetSize`. Empty files give no splits.
    ///
    /// - Throws: `FileSplitError` when `targetSize` is not positive, or when a path does not
    ///   exist, is not a regular file or cannot be opened for reading.
    public static func splits(of paths: [String], targetSize: Int64) throws -> [FileSplit] {
        guard targetSize > 0 else { throw FileSplitError.invalidTargetSize(targetSize) }
        var result: [FileSplit] = []
        for path in paths {
            let descriptor = try openForReading(path)
            defer { close(descriptor) }
            let size = try fileSize(descriptor, path: path)
            var start: Int64 = 0
            while start < size {
                var length = min(targetSize, size - start)
                let rest = size - start - length
                if rest > 0, rest < max(1, targetSize / 10) { length += rest }
                result.append(FileSplit(path: path, start: start, length: length))
                start += length
            }
        }
        return result
    }

    /// Reads the split's lines and hands them to `body` in chunks, in order. Each chunk is at
    /// most `chunkSize` bytes and ends at the end of a line (its `\n`, or the end of the file
    /// when the file's last line has none), except that a line longer than `chunkSize` comes
    /// whole in a chunk of its own size. The buffer is only valid during the call to `body`.
    ///
    /// The file is read with `pread` into one reused buffer: no per-line allocation.
    ///
    /// - Throws: `FileSplitError` when the file cannot be opened or read, and whatever `body`
    ///   throws (which ends the reading).
    public func read(chunkSize: Int, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard length > 0, start >= 0 else { return }
        let descriptor = try Self.openForReading(path)
        defer { close(descriptor) }
        let file = SplitReader(descriptor: descriptor, path: path)
        var begin: Int64 = 0
        if start > 0 {
            guard let newline = try file.firstNewline(atOrAfter: start - 1) else { return }
            begin = newline + 1
        }
        // nil: the last line of the split runs to the end of the file.
        let stop = try file.firstNewline(atOrAfter: end - 1).map { $0 + 1 }
        if let stop, begin >= stop { return }
        try file.chunks(from: begin, to: stop, chunkSize: max(1, chunkSize), body)
    }

    private static func openForReading(_ path: String) throws -> Int32 {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileSplitError.cannotOpen(path, errno: errno) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let code = errno
            close(descriptor)
            throw FileSplitError.cannotOpen(path, errno: code)
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            throw FileSplitError.notARegularFile(path)
        }
        return descriptor
    }

    private static func fileSize(_ descriptor: Int32, path: String) throws -> Int64 {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw FileSplitError.cannotRead(path, errno: errno) }
        return Int64(status.st_size)
    }
}

/// `pread` on an open file, for `FileSplit.read`.
private struct SplitReader {
    var descriptor: Int32
    var path: String

    /// Reads up to `count` bytes at `offset` into `buffer`; 0 at the end of the file.
    func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int64) throws -> Int {
        while true {
            let got = pread(descriptor, buffer, count, off_t(offset))
            if got >= 0 { return got }
            if errno == EINTR { continue }
            throw FileSplitError.cannotRead(path, errno: errno)
        }
    }

    /// The offset of the first `\n` at or after `offset`, or nil when there is none before the
    /// end of the file.
    func firstNewline(atOrAfter offset: Int64) throws -> Int64? {
        let size = 64 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        var position = offset
        while true {
            let got = try read(into: buffer, count: size, at: position)
            if got == 0 { return nil }
            if let found = memchr(buffer, 0x0A, got) {
                return position + Int64(buffer.distance(to: found))
            }
            position += Int64(got)
        }
    }

    /// Hands `[begin, stop)` (or `[begin, end of file)` when `stop` is nil) to `body` in
    /// line-aligned chunks of at most `chunkSize` bytes (or one longer line).
    func chunks(from begin: Int64, to stop: Int64?, chunkSize: Int,
                _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var capacity = chunkSize
        var buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        var offset = begin  // the file offset of buffer[0]
        var filled = 0
        var atEnd = false
        while true {
            var want = capacity - filled
            if let stop { want = Int(min(Int64(want), stop - offset - Int64(filled))) }
            if want > 0 {
                let got = try read(into: buffer + filled, count: want, at: offset + Int64(filled))
                if got == 0 { atEnd = true }
                filled += got
            }
            let finished = atEnd || offset + Int64(filled) == stop
            guard finished || filled == capacity else { continue }  // a short read: read on
            // Hand out whole lines; at the end, the rest too (a last line without newline).
            var consumed = 0
            while filled - consumed > 0 {
                let rest = UnsafeRawBufferPointer(start: buffer + consumed, count: filled - consumed)
                if finished && rest.count <= chunkSize {
                    try body(rest)
                    consumed = filled
                    break
                }
                guard let length = Self.wholeLines(rest, chunkSize: chunkSize) else {
                    if finished {
                        try body(rest)
                        consumed = filled
                    }
                    break
                }
                try body(UnsafeRawBufferPointer(rebasing: rest[0..<length]))
                consumed += length
                if !finished { break }
            }
            if finished { return }
            if consumed == 0 {
                // One line fills the buffer: grow it until the line fits.
                let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 16)
                grown.copyMemory(from: buffer, byteCount: filled)
                buffer.deallocate()
                buffer = grown
                capacity *= 2
            } else {
                if filled > consumed { memmove(buffer, buffer + consumed, filled - consumed) }
                offset += Int64(consumed)
                filled -= consumed
            }
        }
    }

    /// How many bytes from the start of `bytes` to hand as one chunk: through the last newline
    /// in the first `chunkSize` bytes, or else through the first newline (one long line); nil
    /// when there is no newline.
    private static func wholeLines(_ bytes: UnsafeRawBufferPointer, chunkSize: Int) -> Int? {
        var last = min(bytes.count, chunkSize) - 1
        while last >= 0, bytes[last] != 0x0A { last -= 1 }
        if last >= 0 { return last + 1 }
        guard let found = memchr(bytes.baseAddress! + chunkSize, 0x0A, bytes.count - chunkSize) else { return nil }
        return bytes.baseAddress!.distance(to: UnsafeRawPointer(found)) + 1
    }
}

/// Why a file could not be split or read.
public struct FileSplitError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case invalidTargetSize(Int64)
        case cannotOpen(String, errno: Int32)
        case notARegularFile(String)
        case cannotRead(String, errno: Int32)
    }

    private let code: Code

    private init(_ code: Code) { self.code = code }

    /// The split size asked for is zero or negative.
    public static func invalidTargetSize(_ size: Int64) -> FileSplitError { FileSplitError(.invalidTargetSize(size)) }

    /// The file does not exist or cannot be opened for reading (`errno` says why).
    public static func cannotOpen(_ path: String, errno: Int32) -> FileSplitError {
        FileSplitError(.cannotOpen(path, errno: errno))
    }

    /// The path names a directory, a device or another file that is not a regular file.
    public static func notARegularFile(_ path: String) -> FileSplitError { FileSplitError(.notARegularFile(path)) }

    /// Reading the file failed (`errno` says why).
    public static func cannotRead(_ path: String, errno: Int32) -> FileSplitError {
        FileSplitError(.cannotRead(path, errno: errno))
    }

    /// The path the error is about, if any.
    public var path: String? {
        switch code {
        case .invalidTargetSize: nil
        case .cannotOpen(let path, _), .notARegularFile(let path), .cannotRead(let path, _): path
        }
    }

    /// A sentence saying what went wrong.
    public var description: String {
        switch code {
        case .invalidTargetSize(let size): "the split size must be positive, not \(size)"
        case .cannotOpen(let path, let code):
            code == ENOENT ? "\(path): no such file" : "\(path): cannot open: \(Self.reason(code))"
        case .notARegularFile(let path): "\(path): not a regular file"
        case .cannotRead(let path, let code): "\(path): cannot read: \(Self.reason(code))"
        }
    }

    private static func reason(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
