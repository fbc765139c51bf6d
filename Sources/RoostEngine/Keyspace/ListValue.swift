/// A list. Redis 7.0 keeps every list in a quicklist, so OBJECT ENCODING always says so.
///
/// Stored as a growable ring buffer (a deque): pushes and pops at either end are amortised O(1),
/// and indexing (LINDEX, LSET, LRANGE slices) is O(1) per element. Inserting or removing in the
/// middle shifts the shorter side. Commands mutate the list in place; an emptied list is deleted
/// by the command that emptied it.
public final class ListValue {
    /// Ring storage; its count is zero or a power of two. Unused slots hold the empty string.
    @exclusivity(unchecked) private var slots: ContiguousArray<ByteString>
    /// Index in `slots` of the first element.
    @exclusivity(unchecked) private var head = 0
    /// The number of elements.
    @exclusivity(unchecked) public private(set) var count = 0

    private static let empty = ByteString([])

    /// A list holding `elements` in order.
    public init(_ elements: [ByteString] = []) {
        var capacity = 8
        while capacity < elements.count { capacity *= 2 }
        slots = ContiguousArray(elements)
        slots.append(contentsOf: repeatElement(Self.empty, count: capacity - elements.count))
        count = elements.count
    }

    /// The name OBJECT ENCODING reports.
    public var encodingName: StaticString { "quicklist" }

    /// An independent copy, for COPY.
    public func duplicate() -> ListValue { ListValue(Array(self)) }

    /// Whether the list has no elements.
    public var isEmpty: Bool { count == 0 }

    @inline(__always)
    private func slot(_ index: Int) -> Int { (head + index) & (slots.count - 1) }

    /// The element at `index` (0-based from the head). `index` must be in range.
    public subscript(index: Int) -> ByteString {
        get { slots[slot(index)] }
        set { slots[slot(index)] = newValue }
    }

    private func grow() {
        let old = slots
        let oldCapacity = old.count
        var fresh = ContiguousArray<ByteString>()
        fresh.reserveCapacity(Swift.max(8, oldCapacity * 2))
        for i in 0..<count { fresh.append(old[(head + i) & (oldCapacity - 1)]) }
        fresh.append(contentsOf: repeatElement(Self.empty, count: Swift.max(8, oldCapacity * 2) - count))
        slots = fresh
        head = 0
    }

    /// Adds `element` before the first element.
    public func pushFront(_ element: ByteString) {
        if count == slots.count { grow() }
        head = (head - 1) & (slots.count - 1)
        slots[head] = element
        count += 1
    }

    /// Adds `element` after the last element.
    public func pushBack(_ element: ByteString) {
        if count == slots.count { grow() }
        slots[slot(count)] = element
        count += 1
    }

    /// Removes and returns the first element, or nil when empty.
    public func popFront() -> ByteString? {
        guard count > 0 else { return nil }
        let element = slots[head]
        slots[head] = Self.empty
        head = (head + 1) & (slots.count - 1)
        count -= 1
        return element
    }

    /// Removes and returns the last element, or nil when empty.
    public func popBack() -> ByteString? {
        guard count > 0 else { return nil }
        let s = slot(count - 1)
        let element = slots[s]
        slots[s] = Self.empty
        count -= 1
        return element
    }

    /// Adds `element` at the head (`front`) or the tail.
    public func push(_ element: ByteString, front: Bool) {
        if front { pushFront(element) } else { pushBack(element) }
    }

    /// Removes an element at the head (`front`) or the tail.
    public func pop(front: Bool) -> ByteString? {
        front ? popFront() : popBack()
    }

    /// Inserts `element` so that it ends up at `index` (0...count).
    public func insert(_ element: ByteString, at index: Int) {
        if index == 0 { pushFront(element); return }
        if index == count { pushBack(element); return }
        if index < count / 2 {
            pushFront(self[0])
            // Shift elements 1...index one step towards the head.
            var i = 1
            while i < index { self[i] = self[i + 1]; i += 1 }
            self[index] = element
        } else {
            pushBack(self[count - 1])
            var i = count - 2
            while i > index { self[i] = self[i - 1]; i -= 1 }
            self[index] = element
        }
    }

    /// Removes the first `n` elements (`n` ≤ count).
    public func removeFirst(_ n: Int) {
        for _ in 0..<n { _ = popFront() }
    }

    /// Removes the last `n` elements (`n` ≤ count).
    public func removeLast(_ n: Int) {
        for _ in 0..<n { _ = popBack() }
    }

    /// Keeps only the elements for which `keep` returns true, in order. Returns how many were
    /// removed.
    @discardableResult
    public func retain(_ keep: (Int, ByteString) -> Bool) -> Int {
        var write = 0
        for read in 0..<count {
            let element = self[read]
            if keep(read, element) {
                if write != read { self[write] = element }
                write += 1
            }
        }
        let removed = count - write
        removeLast(removed)
        return removed
    }
}

extension ListValue: RandomAccessCollection {
    /// The position of the first element.
    public var startIndex: Int { 0 }
    /// One past the last element's position.
    public var endIndex: Int { count }

    /// An O(1) estimate of the bytes the list holds, for `used_memory` (see `MemoryFootprint`).
    var memoryFootprint: Int {
        MemoryFootprint.objectBytes(fields: 24)
            + MemoryFootprint.arrayBytes(capacity: slots.capacity, stride: MemoryLayout<ByteString>.stride)
            + MemoryFootprint.sampled(count: count, { self[$0].heapBytes })
    }
}
