@testable import RoostEngine
import RoostFuzzing
import Testing

/// The ring-buffer list against a plain array model, through growth and wrap-around.
@Suite struct ListValueTests {
    @Test func matchesArrayModelUnderRandomOperations() {
        var rng = SplitMix64(seed: 42)
        let list = ListValue()
        var model: [ByteString] = []
        for step in 0..<20_000 {
            let element = ByteString("e\(step)")
            switch Int.random(in: 0..<9, using: &rng) {
            case 0, 1: list.pushFront(element); model.insert(element, at: 0)
            case 2, 3: list.pushBack(element); model.append(element)
            case 4: #expect(list.popFront() == (model.isEmpty ? nil : model.removeFirst()))
            case 5: #expect(list.popBack() == model.popLast())
            case 6:
                let at = Int.random(in: 0...model.count, using: &rng)
                list.insert(element, at: at)
                model.insert(element, at: at)
            case 7 where !model.isEmpty:
                let at = Int.random(in: 0..<model.count, using: &rng)
                list[at] = element
                model[at] = element
            case 8 where !model.isEmpty:
                let drop = Int.random(in: 0..<model.count, using: &rng)
                list.retain { index, _ in index % 7 != drop % 7 }
                model = model.enumerated().filter { $0.offset % 7 != drop % 7 }.map(\.element)
            default: break
            }
            #expect(list.count == model.count)
            if step % 500 == 0 { #expect(Array(list) == model) }
        }
        #expect(Array(list) == model)
        #expect(Array(list.duplicate()) == model)
    }

    @Test func trimsFromBothEnds() {
        let list = ListValue((0..<100).map { ByteString("\($0)") })
        for i in 0..<30 { list.pushFront(ByteString("f\(i)")) }
        list.removeFirst(40)
        list.removeLast(50)
        #expect(Array(list) == (10..<50).map { ByteString("\($0)") })
        #expect(list.encodingName.description == "quicklist")
    }

    @Test func blockingTimeoutParsing() throws {
        #expect(try Engine.parseBlockingTimeout(Array("0".utf8), now: 1000) == 0)
        #expect(try Engine.parseBlockingTimeout(Array("0.0001".utf8), now: 1000) == 1001)
        #expect(try Engine.parseBlockingTimeout(Array("-0.0001".utf8), now: 1000) == 0)
        #expect(try Engine.parseBlockingTimeout(Array("0.0019".utf8), now: 1000) == 1002)
        #expect(try Engine.parseBlockingTimeout(Array("1.5".utf8), now: 1000) == 2500)
        #expect(try Engine.parseBlockingTimeout(Array("0.001".utf8), now: 1000) == 1001)
        #expect(throws: RedisError.timeoutNegative) { try Engine.parseBlockingTimeout(Array("-1".utf8), now: 0) }
        #expect(throws: RedisError.timeoutNegative) { try Engine.parseBlockingTimeout(Array("inf".utf8), now: 0) }
        #expect(throws: RedisError.timeoutNotFloat) { try Engine.parseBlockingTimeout(Array("nan".utf8), now: 0) }
        #expect(throws: RedisError.timeoutNotFloat) { try Engine.parseBlockingTimeout(Array(" 1".utf8), now: 0) }
        #expect(throws: RedisError.timeoutNotFloat) { try Engine.parseBlockingTimeout([], now: 0) }
    }
}
