@testable import RoostEngine
import NIOCore
import Testing

/// ByteString keeps short strings inline and long ones in an array; both must behave as bytes.
@Suite struct ByteStringTests {
    static let lengths = [0, 1, 7, 8, 15, 16, 22, 23, 24, 25, 64]

    @Test func roundTripsEveryLength() {
        for n in Self.lengths {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 1) }
            let s = ByteString(bytes)
            #expect(s.count == n)
            #expect(s.bytes == bytes)
            #expect(s.isEmpty == (n == 0))
            #expect(ByteString(ByteBuffer(bytes: bytes)) == s)
            #expect(s.withUnsafeBytes { Array($0) } == bytes)
        }
    }

    @Test func equalityHashingAndOrderFollowTheBytes() {
        var rng = SystemRandomNumberGenerator()
        var samples: [[UInt8]] = [[], [0], [0, 0], [255], Array(repeating: 0, count: 23), Array(repeating: 0, count: 24)]
        for _ in 0..<300 {
            let n = Int.random(in: 0...30, using: &rng)
            samples.append((0..<n).map { _ in [0, 1, 255, 97].randomElement(using: &rng)! })
        }
        for a in samples {
            for b in samples.prefix(60) {
                let x = ByteString(a), y = ByteString(b)
                #expect((x == y) == (a == b))
                #expect((x < y) == a.lexicographicallyPrecedes(b))
                if a == b { #expect(x.hashValue == y.hashValue) }
            }
        }
    }

    @Test func nulBytesAndTrailingZerosAreKept() {
        #expect(ByteString([0]) != ByteString([]))
        #expect(ByteString([97, 0]) != ByteString([97]))
        #expect(ByteString([97, 0]).count == 2)
        #expect(ByteString(Array(repeating: 0, count: 23)).count == 23)
    }
}
