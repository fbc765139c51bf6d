@testable import RoostEngine
import Testing

@Suite struct KeyTableTests {
    @Test func scanReturnsEveryKeyPresentThroughoutDespiteResizes() {
        var table = KeyTable<Int>()
        for i in 0..<1000 { table.set(ByteString("k\(i)"), i) }
        var seen = Set<ByteString>()
        var cursor: UInt64 = 0
        var step = 0
        repeat {
            cursor = table.scan(cursor: cursor, count: 10) { key, _ in seen.insert(key) }
            step += 1
            // Grow and shrink the table while the scan is under way.
            if step == 5 { for i in 1000..<5000 { table.set(ByteString("k\(i)"), i) } }
            if step == 40 { for i in 1000..<5000 { table.remove(ByteString("k\(i)")) } }
        } while cursor != 0
        for i in 0..<1000 { #expect(seen.contains(ByteString("k\(i)"))) }
    }

    @Test func removeAndReinsertKeepCount() {
        var table = KeyTable<Int>()
        for i in 0..<100 { table.set(ByteString("k\(i)"), i) }
        for i in 0..<100 where i % 2 == 0 { #expect(table.remove(ByteString("k\(i)")) == i) }
        #expect(table.count == 50)
        #expect(table[ByteString("k1")] == 1)
        #expect(table[ByteString("k2")] == nil)
        var rng = SystemRandomNumberGenerator()
        #expect(table.randomEntry(using: &rng)!.value % 2 == 1)
    }
}
