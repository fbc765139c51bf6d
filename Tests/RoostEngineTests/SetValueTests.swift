@testable import RoostEngine
import Testing

@Suite struct SetValueTests {
    func b(_ s: String) -> ByteString { ByteString(s) }

    @Test func intsetWidensAndStaysSorted() {
        let set = SetValue()
        for v in ["5", "-3", "300", "0"] { #expect(set.insert(b(v), maxIntsetEntries: 512)) }
        guard case .intset(let s) = set.storage, case .w16 = s.words else { Issue.record("expected 16-bit intset"); return }
        #expect(set.insert(b("70000"), maxIntsetEntries: 512))
        guard case .intset(let s32) = set.storage, case .w32 = s32.words else { Issue.record("expected 32-bit"); return }
        #expect(set.insert(b("-9223372036854775808"), maxIntsetEntries: 512))
        guard case .intset(let s64) = set.storage, case .w64 = s64.words else { Issue.record("expected 64-bit"); return }
        #expect(!set.insert(b("5"), maxIntsetEntries: 512))
        #expect(set.members.map(\.description) == ["-9223372036854775808", "-3", "0", "5", "300", "70000"])
        #expect(set.contains(b("70000")) && set.contains(b("-3")) && !set.contains(b("6")) && !set.contains(b("05")))
        #expect(set.remove(b("70000")) && !set.remove(b("70000")) && !set.remove(b("x")))
        #expect(set.count == 5 && set.encodingName.description == "intset")
    }

    @Test func convertsOnNonIntegerOrSize() {
        let set = SetValue()
        for i in 0..<4 { set.insert(b(String(i)), maxIntsetEntries: 4) }
        #expect(set.isIntset)
        set.insert(b("4"), maxIntsetEntries: 4)
        #expect(!set.isIntset && set.count == 5 && set.contains(b("4")) && set.contains(b("0")))
        let other = SetValue()
        other.insert(b("1"), maxIntsetEntries: 512)
        other.insert(b("01"), maxIntsetEntries: 512)
        #expect(!other.isIntset && other.count == 2 && Set(other.members) == [b("1"), b("01")])
        #expect(SetValue.create(for: b("x")).encodingName.description == "hashtable")
        #expect(SetValue.create(for: b("-0")).encodingName.description == "hashtable")
        #expect(SetValue.create(for: b("-1")).isIntset)
    }

    @Test func duplicateIsIndependent() {
        let set = SetValue()
        set.insert(b("1"), maxIntsetEntries: 512)
        let copy = set.duplicate()
        copy.insert(b("2"), maxIntsetEntries: 512)
        copy.insert(b("x"), maxIntsetEntries: 512)
        #expect(set.count == 1 && set.isIntset && copy.count == 3)
        let h = copy.duplicate()
        h.remove(b("x"))
        #expect(copy.contains(b("x")) && !h.contains(b("x")))
    }

    @Test func randomMembersComeFromTheSet() {
        var rng = SystemRandomNumberGenerator()
        let set = SetValue()
        for i in 0..<20 { set.insert(b("m\(i)"), maxIntsetEntries: 512) }
        var seen = Set<ByteString>()
        for _ in 0..<500 { if let m = set.randomMember(using: &rng) { seen.insert(m) } }
        #expect(seen.isSubset(of: Set(set.members)) && seen.count > 10)
        #expect(SetValue().randomMember(using: &rng) == nil)
    }
}
