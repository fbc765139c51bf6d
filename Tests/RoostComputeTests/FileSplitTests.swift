import Foundation
import RoostCompute
import RoostTestSupport
import Testing

/// A scratch directory for one test, removed afterwards.
private func withScratchDirectory(_ body: (String) throws -> Void) throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-split-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try body(directory)
}

/// Random text shaped to catch line-alignment mistakes: empty lines, CRLF, runs of newlines,
/// lines much longer than a split, and sometimes no newline at the end.
private func randomText(_ random: inout SplitMix64) -> [UInt8] {
    var text: [UInt8] = []
    let lines = random.below(40)
    for _ in 0..<lines {
        let length = random.chance(1, in: 8) ? 100 + random.below(400) : random.below(12)
        for _ in 0..<length { text.append(random.chance(1, in: 20) ? 0x0D : UInt8(0x20 + random.below(95))) }
        if random.chance(1, in: 4) { text.append(0x0D) }
        text.append(0x0A)
    }
    if random.chance(1, in: 2) {
        for _ in 0..<random.below(30) { text.append(UInt8(0x61 + random.below(26))) }
    }
    return text
}

/// Everything `split.read` hands out, chunk by chunk.
private func chunks(of split: FileSplit, chunkSize: Int) throws -> [[UInt8]] {
    var result: [[UInt8]] = []
    try split.read(chunkSize: chunkSize) { result.append(Array($0)) }
    return result
}

@Suite("File splits")
struct FileSplitTests {
    @Test func everyLineIsReadExactlyOnceWhateverTheSplitSizes() throws {
        try withScratchDirectory { directory in
            for item in 0..<300 {
                var random = SplitMix64.forItem(item, of: 0x5EED_0013)
                let text = randomText(&random)
                let path = "\(directory)/\(item).txt"
                try Data(text).write(to: URL(fileURLWithPath: path))
                let target = Int64(1 + random.below(random.chance(1, in: 4) ? 2000 : 60))
                let chunkSize = 1 + random.below(random.chance(1, in: 2) ? 16 : 4096)
                let splits = try FileSplit.splits(of: [path], targetSize: target)
                // The splits tile the file.
                var offset: Int64 = 0
                for split in splits {
                    #expect(split.path == path && split.start == offset && split.length > 0)
                    offset += split.length
                }
                #expect(offset == Int64(text.count), "item \(item)")
                var read: [UInt8] = []
                for split in splits {
                    let pieces = try chunks(of: split, chunkSize: chunkSize)
                    for piece in pieces {
                        #expect(!piece.isEmpty)
                        let newlines = piece.filter { $0 == 0x0A }.count
                        // A chunk ends at a line's end (or the file's); only a single line may
                        // be longer than chunkSize.
                        #expect(piece.last == 0x0A || read.count + piece.count == text.count, "item \(item)")
                        #expect(piece.count <= chunkSize || newlines <= 1, "item \(item)")
                        read += piece
                    }
                }
                #expect(read == text, "item \(item): target \(target), chunk \(chunkSize)")
            }
        }
    }

    @Test func aLineBelongsToTheSplitThatHoldsItsFirstByte() throws {
        try withScratchDirectory { directory in
            for item in 0..<300 {
                var random = SplitMix64.forItem(item, of: 0x5EED_0014)
                let text = randomText(&random)
                guard !text.isEmpty else { continue }
                let path = "\(directory)/\(item).txt"
                try Data(text).write(to: URL(fileURLWithPath: path))
                // Cut points of any kind, splits of one byte included.
                var cuts = Set((0..<random.below(12)).map { _ in 1 + random.below(text.count) })
                cuts.insert(0)
                cuts.insert(text.count)
                let bounds = cuts.sorted()
                let lineStarts = [0] + text.indices.filter { text[$0] == 0x0A && $0 + 1 < text.count }.map { $0 + 1 }
                var read: [UInt8] = []
                for (start, end) in zip(bounds, bounds.dropFirst()) {
                    let split = FileSplit(path: path, start: Int64(start), length: Int64(end - start))
                    let bytes = try chunks(of: split, chunkSize: 1 + random.below(64)).flatMap { $0 }
                    let owned = lineStarts.filter { $0 >= start && $0 < end }
                    if let first = owned.first {
                        let stop = lineStarts.first { $0 >= end } ?? text.count
                        #expect(bytes == Array(text[first..<stop]), "item \(item) split \(start)..<\(end)")
                    } else {
                        #expect(bytes.isEmpty, "item \(item) split \(start)..<\(end)")
                    }
                    read += bytes
                }
                #expect(read == text, "item \(item)")
            }
        }
    }

    @Test func severalFilesSplitInOrderAndEmptyFilesGiveNoSplit() throws {
        try withScratchDirectory { directory in
            let a = "\(directory)/a", empty = "\(directory)/empty", b = "\(directory)/b"
            try Data(repeating: 0x61, count: 250).write(to: URL(fileURLWithPath: a))
            try Data().write(to: URL(fileURLWithPath: empty))
            try Data(repeating: 0x62, count: 105).write(to: URL(fileURLWithPath: b))
            let splits = try FileSplit.splits(of: [a, empty, b], targetSize: 100)
            // b's 5-byte tail (under a tenth of the target) joins its previous split.
            #expect(splits == [
                FileSplit(path: a, start: 0, length: 100), FileSplit(path: a, start: 100, length: 100),
                FileSplit(path: a, start: 200, length: 50), FileSplit(path: b, start: 0, length: 105),
            ])
        }
    }

    @Test func aLineLongerThanTheChunkComesWholeInOneChunk() throws {
        try withScratchDirectory { directory in
            let path = "\(directory)/long"
            let text = Array("ab\n".utf8) + [UInt8](repeating: 0x78, count: 10_000) + Array("\ncd\nef".utf8)
            try Data(text).write(to: URL(fileURLWithPath: path))
            let pieces = try chunks(of: FileSplit(path: path, start: 0, length: Int64(text.count)), chunkSize: 7)
            #expect(pieces.map(\.count) == [3, 10_001, 5])
            #expect(pieces.flatMap { $0 } == text)
        }
    }

    @Test func badInputGetsAClearError() throws {
        try withScratchDirectory { directory in
            let missing = "\(directory)/missing.txt"
            #expect(throws: FileSplitError.cannotOpen(missing, errno: ENOENT)) {
                try FileSplit.splits(of: [missing], targetSize: 10)
            }
            #expect("\(FileSplitError.cannotOpen(missing, errno: ENOENT))" == "\(missing): no such file")
            #expect(throws: FileSplitError.notARegularFile(directory)) { try FileSplit.splits(of: [directory], targetSize: 10) }
            #expect(throws: FileSplitError.invalidTargetSize(0)) { try FileSplit.splits(of: [], targetSize: 0) }
            #expect(throws: FileSplitError.cannotOpen(missing, errno: ENOENT)) {
                try FileSplit(path: missing, start: 0, length: 5).read(chunkSize: 10) { _ in }
            }
        }
    }
}
