/// An ordered set of stream ids, for pending-entry lists (Redis keeps them in a radix tree).
///
/// A B+ tree: leaves hold up to `maxFill` ids in order; an inner node holds, for each child, the
/// largest id under it and how many ids are under it. Insert, remove, contains, the rank of an id
/// (`lowerBound`), the id at a rank and the start of a walk (`visit(from:)`) are O(log n).
/// A node left with fewer than `minFill` entries by a removal is merged with a sibling or takes
/// some of its entries.
///
/// An id above every other fills the rightmost leaf to `maxFill` before a new leaf starts, so a
/// list built in delivery order (the common case) costs about 16 bytes per id.
///
/// A value type: copies share the tree until one of them changes, which then copies it (only
/// COPY and short-lived local copies share a tree).
struct StreamIDSet {
    static let maxFill = 64
    static let minFill = 16

    /// A node. Its stored properties skip the runtime exclusivity checks, which were the top cost
    /// of XREADGROUP's inserts under `perf`: a node belongs to one tree, which the engine changes
    /// from one command at a time, and no method holds an access to a node across a call that
    /// changes the same node.
    fileprivate final class Node {
        /// A leaf's ids, or an inner node's largest id under each child.
        @exclusivity(unchecked) var ids: [StreamID]
        /// An inner node's children; empty in a leaf.
        @exclusivity(unchecked) var children: [Node]
        /// An inner node's id count under each child; empty in a leaf.
        @exclusivity(unchecked) var counts: [Int]
        /// Ids under this node.
        @exclusivity(unchecked) var total: Int

        init(ids: [StreamID] = [], children: [Node] = [], counts: [Int] = []) {
            self.ids = ids
            self.children = children
            self.counts = counts
            total = children.isEmpty ? ids.count : counts.reduce(0, +)
        }

        var isLeaf: Bool { children.isEmpty }

        /// An independent copy of the subtree.
        func deepCopy() -> Node {
            Node(ids: ids, children: children.map { $0.deepCopy() }, counts: counts)
        }

        /// Moves the entries from `index` on into a new right sibling.
        func split(at index: Int) -> Node {
            let right = Node(ids: Array(ids[index...]), children: isLeaf ? [] : Array(children[index...]),
                             counts: isLeaf ? [] : Array(counts[index...]))
            ids.removeSubrange(index...)
            if !isLeaf {
                children.removeSubrange(index...)
                counts.removeSubrange(index...)
            }
            total -= right.total
            return right
        }

        /// Appends the entries of `right`, a sibling at the same depth.
        func absorb(_ right: Node) {
            ids += right.ids
            children += right.children
            counts += right.counts
            total += right.total
        }

        /// Moves `n` entries from the front of `right` to the end of this node, or from the end
        /// of this node to the front of `right` when `n` is negative.
        func shift(_ n: Int, with right: Node) {
            if n > 0 {
                let moved = Node(ids: Array(right.ids[..<n]), children: right.isLeaf ? [] : Array(right.children[..<n]),
                                 counts: right.isLeaf ? [] : Array(right.counts[..<n]))
                right.ids.removeSubrange(..<n)
                if !right.isLeaf {
                    right.children.removeSubrange(..<n)
                    right.counts.removeSubrange(..<n)
                }
                right.total -= moved.total
                absorb(moved)
            } else if n < 0 {
                let moved = split(at: ids.count + n)
                moved.absorb(right)
                right.ids = moved.ids
                right.children = moved.children
                right.counts = moved.counts
                right.total = moved.total
            }
        }
    }

    private var root = Node()

    /// The number of ids.
    var count: Int { root.total }
    var isEmpty: Bool { root.total == 0 }

    /// The smallest id.
    var first: StreamID? {
        var node = root
        while !node.isLeaf { node = node.children[0] }
        return node.ids.first
    }

    /// The largest id.
    var last: StreamID? { root.ids.last }

    /// The index of the first position in `ids` whose id is not below `id`.
    private static func lowerBound(_ id: StreamID, in ids: [StreamID]) -> Int {
        var low = 0
        var high = ids.count
        while low < high {
            let mid = (low + high) / 2
            if ids[mid] < id { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// How many ids are below `id`: the position `id` has or would have.
    func lowerBound(_ id: StreamID) -> Int {
        var node = root
        var rank = 0
        while !node.isLeaf {
            let i = Self.lowerBound(id, in: node.ids)
            if i == node.ids.count { return rank + node.total }
            for j in 0..<i { rank += node.counts[j] }
            node = node.children[i]
        }
        return rank + Self.lowerBound(id, in: node.ids)
    }

    /// The id at position `rank` (0 is the smallest); `rank` must be below `count`.
    func id(at rank: Int) -> StreamID {
        precondition(rank >= 0 && rank < count, "StreamIDSet rank out of range")
        var node = root
        var rank = rank
        while !node.isLeaf {
            var i = 0
            while rank >= node.counts[i] {
                rank -= node.counts[i]
                i += 1
            }
            node = node.children[i]
        }
        return node.ids[rank]
    }

    func contains(_ id: StreamID) -> Bool {
        var node = root
        while true {
            let i = Self.lowerBound(id, in: node.ids)
            if i == node.ids.count { return false }
            if node.isLeaf { return node.ids[i] == id }
            node = node.children[i]
        }
    }

    /// The smallest id not below `id`.
    func first(atOrAfter id: StreamID) -> StreamID? {
        var found: StreamID?
        visit(from: id) { found = $0; return false }
        return found
    }

    /// Calls `body` with each id from `start` on, in order, until it returns false.
    func visit(from start: StreamID, _ body: (StreamID) -> Bool) {
        _ = Self.visit(root, from: start, body)
    }

    private static func visit(_ node: Node, from start: StreamID, _ body: (StreamID) -> Bool) -> Bool {
        var i = lowerBound(start, in: node.ids)
        if node.isLeaf {
            while i < node.ids.count {
                if !body(node.ids[i]) { return false }
                i += 1
            }
            return true
        }
        var from = start
        while i < node.children.count {
            if !visit(node.children[i], from: from, body) { return false }
            from = .zero
            i += 1
        }
        return true
    }

    /// The ids from `start` to `end` inclusive, at most `limit` (0 for all).
    func range(from start: StreamID, to end: StreamID, limit: Int = 0) -> [StreamID] {
        var out: [StreamID] = []
        visit(from: start) { id in
            if id > end || (limit != 0 && out.count == limit) { return false }
            out.append(id)
            return true
        }
        return out
    }

    /// Makes the tree this value's own before a change.
    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&root) { root = root.deepCopy() }
    }

    /// Inserts `id`; returns false when it was there.
    @discardableResult
    mutating func insert(_ id: StreamID) -> Bool {
        makeUnique()
        let appending = root.ids.last.map { $0 < id } ?? true
        let (inserted, split) = Self.insert(id, into: root, appending: appending)
        if let split {
            root = Node(ids: [root.ids.last!, split.ids.last!], children: [root, split], counts: [root.total, split.total])
        }
        return inserted
    }

    /// Inserts `id` under `node`; returns whether it was new and the node's new right sibling
    /// if it split.
    private static func insert(_ id: StreamID, into node: Node, appending: Bool) -> (Bool, Node?) {
        var i = lowerBound(id, in: node.ids)
        if node.isLeaf {
            if i < node.ids.count && node.ids[i] == id { return (false, nil) }
            node.ids.insert(id, at: i)
        } else {
            if i == node.ids.count { i -= 1 }
            let child = node.children[i]
            let (inserted, split) = insert(id, into: child, appending: appending)
            if !inserted { return (false, nil) }
            node.ids[i] = child.ids.last!
            node.counts[i] = child.total
            if let split {
                node.ids.insert(split.ids.last!, at: i + 1)
                node.children.insert(split, at: i + 1)
                node.counts.insert(split.total, at: i + 1)
            }
        }
        node.total += 1
        guard node.ids.count > maxFill else { return (true, nil) }
        return (true, node.split(at: appending ? maxFill : node.ids.count / 2))
    }

    /// Removes `id`; returns whether it was there.
    @discardableResult
    mutating func remove(_ id: StreamID) -> Bool {
        makeUnique()
        guard Self.remove(id, from: root) else { return false }
        if root.ids.isEmpty {
            root = Node()
        } else if !root.isLeaf && root.children.count == 1 {
            root = root.children[0]
        }
        return true
    }

    private static func remove(_ id: StreamID, from node: Node) -> Bool {
        let i = lowerBound(id, in: node.ids)
        if i == node.ids.count { return false }
        if node.isLeaf {
            guard node.ids[i] == id else { return false }
            node.ids.remove(at: i)
            node.total -= 1
            return true
        }
        let child = node.children[i]
        guard remove(id, from: child) else { return false }
        node.total -= 1
        node.counts[i] = child.total
        if child.ids.isEmpty {
            node.ids.remove(at: i)
            node.children.remove(at: i)
            node.counts.remove(at: i)
        } else if child.ids.count < minFill && node.children.count > 1 {
            rebalance(node, at: i)
        } else {
            node.ids[i] = child.ids.last!
        }
        return true
    }

    /// Merges the underfull (not empty) child `i` of `node` with a sibling, or evens out their entries.
    private static func rebalance(_ node: Node, at i: Int) {
        let l = i + 1 < node.children.count ? i : i - 1
        let left = node.children[l]
        let right = node.children[l + 1]
        let combined = left.ids.count + right.ids.count
        if combined <= maxFill {
            left.absorb(right)
            node.ids.remove(at: l + 1)
            node.children.remove(at: l + 1)
            node.counts.remove(at: l + 1)
        } else {
            left.shift(combined / 2 - left.ids.count, with: right)
            node.ids[l + 1] = right.ids.last!
            node.counts[l + 1] = right.total
        }
        node.ids[l] = left.ids.last!
        node.counts[l] = left.total
    }
}

extension StreamIDSet {
    /// The first broken invariant, for tests: ids in order, each inner node's largest ids and
    /// counts right, every leaf at one depth, no node above `maxFill` and no empty node but an
    /// empty root.
    func validate() -> String? {
        var leafDepth: Int?
        var previous: StreamID?
        func check(_ node: Node, depth: Int, isRoot: Bool) -> String? {
            if node.ids.count > Self.maxFill { return "node over maxFill" }
            if node.ids.isEmpty && !isRoot { return "empty node" }
            if node.isLeaf {
                if leafDepth == nil { leafDepth = depth }
                if leafDepth != depth { return "leaves at depths \(leafDepth!) and \(depth)" }
                if node.total != node.ids.count { return "leaf total" }
                for id in node.ids {
                    if let previous, previous >= id { return "ids out of order" }
                    previous = id
                }
                return nil
            }
            if node.children.count != node.ids.count || node.counts.count != node.ids.count { return "inner arrays" }
            if node.total != node.counts.reduce(0, +) { return "inner total" }
            for (i, child) in node.children.enumerated() {
                if let problem = check(child, depth: depth + 1, isRoot: false) { return problem }
                if node.counts[i] != child.total { return "child count" }
                if node.ids[i] != child.ids.last { return "child largest id" }
            }
            return nil
        }
        return check(root, depth: 0, isRoot: true)
    }
}

extension StreamIDSet {
    /// How many leaves the tree has, for tests of how full they are.
    var leafCount: Int {
        func leaves(_ node: Node) -> Int { node.isLeaf ? 1 : node.children.reduce(0) { $0 + leaves($1) } }
        return leaves(root)
    }
}

extension StreamIDSet: Sequence {
    /// Walks the ids in order.
    struct Iterator: IteratorProtocol {
        private var path: [(node: Node, index: Int)] = []

        fileprivate init(root: Node) { descend(root) }

        private mutating func descend(_ start: Node) {
            var node = start
            path.append((node, 0))
            while !node.isLeaf {
                node = node.children[0]
                path.append((node, 0))
            }
        }

        mutating func next() -> StreamID? {
            while let (node, index) = path.last {
                if node.isLeaf {
                    if index < node.ids.count {
                        path[path.count - 1].index += 1
                        return node.ids[index]
                    }
                } else if index + 1 < node.children.count {
                    path[path.count - 1].index += 1
                    descend(node.children[index + 1])
                    continue
                }
                path.removeLast()
            }
            return nil
        }
    }

    func makeIterator() -> Iterator { Iterator(root: root) }

    var underestimatedCount: Int { count }
}
