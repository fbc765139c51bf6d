import Foundation
import RoostFuzzing

// Coverage-guided fuzzing with libFuzzer: each input is a RESP byte stream, parsed in random
// pieces and executed on a fresh engine (EngineFuzzer's `resp` path). Build and run:
//
//   swift build -c release --product roost-libfuzz -Xswiftc -sanitize=fuzzer -Xswiftc -DLIBFUZZER
//   .build/release/roost-fuzz --write-corpus corpus --count 2000
//   .build/release/roost-libfuzz corpus -max_len=4096
//
// Built without those flags (as `swift build` does), the same program replays the files it is
// given, so that a crash libFuzzer saved reproduces in a debug build.

/// The engine fuzzer every input runs through.
let fuzzer = EngineFuzzer()

#if LIBFUZZER
@_cdecl("LLVMFuzzerTestOneInput")
public func libFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    fuzzer.execute(stream: Array(UnsafeBufferPointer(start: data, count: size)), seed: UInt64(size))
    return 0
}
#else
@main
enum ReplayInputs {
    static func main() throws {
        let paths = CommandLine.arguments.dropFirst()
        if paths.isEmpty {
            print("usage: roost-libfuzz FILE... (replays libFuzzer inputs; see the comment in LibFuzzerEntry.swift)")
        }
        for path in paths {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            print("replaying \(path) (\(bytes.count) bytes)")
            fuzzer.execute(stream: bytes, seed: UInt64(bytes.count))
        }
    }
}
#endif
