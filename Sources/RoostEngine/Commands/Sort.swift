import NIOCore

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SORT and SORT_RO: sort the elements of a list, set or sorted set numerically or
/// alphabetically, optionally by external keys (`BY`), fetch related keys (`GET`), and store the
/// result as a list (`STORE`).
enum SortCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("sort", arity: -2, flags: [.write, .denyoom],
                    categories: ["write", "set", "sortedset", "list", "slow", "dangerous"],
                    group: "generic", since: "1.0.0",
                    summary: "Sort the elements in a list, set or sorted set",
                    handler: { c throws(RedisError) in try sort(c, readOnly: false) }),
        CommandSpec("sort_ro", arity: -2, flags: [.readonly],
                    categories: ["read", "set", "sortedset", "list", "slow", "dangerous"],
                    group: "generic", since: "7.0.0",
                    summary: "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
                    handler: { c throws(RedisError) in try sort(c, readOnly: true) }),
    ]

    /// One element being sorted, with the key it sorts by.
    struct Item {
        var element: ByteString
        var score: Double = 0
        /// The BY value for ALPHA sorting; nil when the BY key is missing.
        var byValue: ByteString?
    }

    static func sort(_ c: CommandContext, readOnly: Bool) throws(RedisError) {
        var descending = false, alpha = false, dontSort = false
        var limitStart: Int64 = 0, limitCount: Int64 = -1
        var sortBy: [UInt8]?
        var gets: [[UInt8]] = []
        var storeKey: ByteString?
        var j = 2
        while j < c.count {
            let left = c.count - j - 1
            if c.argument(j, is: "asc") {
                descending = false
            } else if c.argument(j, is: "desc") {
                descending = true
            } else if c.argument(j, is: "alpha") {
                alpha = true
            } else if c.argument(j, is: "limit") && left >= 2 {
                limitStart = try c.integer(j + 1)
                limitCount = try c.integer(j + 2)
                j += 2
            } else if c.argument(j, is: "store") && left >= 1 && !readOnly {
                storeKey = c.key(j + 1)
                j += 1
            } else if c.argument(j, is: "by") && left >= 1 {
                let pattern = c.bytes(j + 1)
                sortBy = pattern
                // A pattern without `*` names one key for every element: nothing to sort by.
                if !cString(pattern).contains(UInt8(ascii: "*")) { dontSort = true }
                j += 1
            } else if c.argument(j, is: "get") && left >= 1 {
                gets.append(c.bytes(j + 1))
                j += 1
            } else {
                throw .syntax
            }
            j += 1
        }

        let db = c.database
        let source = c.engine.lookupRead(db, c.key(1))
        switch source {
        case nil, .list?, .set?, .zset?: break
        default: throw .wrongType
        }
        // A set has no order of its own: when the result is stored, sort it so that it does
        // not depend on the hash table.
        if dontSort, case .set? = source, storeKey != nil {
            dontSort = false
            alpha = true
            sortBy = nil
        }
        // As Redis does, SORT converts a listpack sorted set to a skiplist for good.
        if case .zset(let z)? = source { z.convertToSkipList() }

        let length: Int
        switch source {
        case .list(let l)?: length = listElements(l).count
        case .set(let s)?: length = s.count
        case .zset(let z)?: length = z.count
        default: length = 0
        }
        var start = limitStart < 0 ? 0 : Int(clamping: limitStart)
        // start + count - 1 saturates: a count near Int64.max means "to the end", as in Redis.
        var end = length - 1
        if limitCount >= 0 {
            let (last, overflow) = Int64(start).addingReportingOverflow(limitCount - 1)
            end = overflow ? Int.max : Int(clamping: last)
        }
        if start >= length {
            start = length - 1
            end = length - 2
        }
        if end >= length { end = length - 1 }

        // Load the elements. Without sorting, lists and sorted sets keep their order (reversed
        // for DESC) and only the LIMIT range is taken.
        var items: [Item] = []
        switch source {
        case .list(let l)? where dontSort:
            if end >= start {
                let elements = listElements(l)
                let range = start...end
                let picked = descending ? range.map { elements[elements.count - 1 - $0] } : range.map { elements[$0] }
                items = picked.map { Item(element: $0) }
                end -= start
                start = 0
            }
        case .list(let l)?:
            items = listElements(l).map { Item(element: $0) }
        case .set(let s)?:
            items.reserveCapacity(s.count)
            s.forEach { items.append(Item(element: $0)) }
        case .zset(let z)? where dontSort:
            if end >= start {
                let ranks = descending ? (z.count - 1 - end)..<(z.count - start) : start..<(end + 1)
                var entries = z.entries(ranks)
                if descending { entries.reverse() }
                items = entries.map { Item(element: $0.member) }
                end -= start
                start = 0
            }
        case .zset(let z)?:
            items.reserveCapacity(z.count)
            z.forEach { items.append(Item(element: $0.member)) }
        default:
            break
        }

        if !dontSort {
            var conversionError = false
            for i in items.indices {
                var by: ByteString? = items[i].element
                if let sortBy {
                    by = lookup(c, pattern: sortBy, element: items[i].element, forWrite: storeKey != nil)
                    if by == nil { continue }
                }
                guard let by else { continue }
                if alpha {
                    if sortBy != nil { items[i].byValue = by }
                } else if let score = parseScore(by) {
                    items[i].score = score
                } else {
                    conversionError = true
                }
            }
            if conversionError { throw .sortScoreConversion }
            let byPattern = sortBy != nil, storing = storeKey != nil
            items.sort { a, b in
                let order = compare(a, b, alpha: alpha, byPattern: byPattern, binary: storing)
                return descending ? order > 0 : order < 0
            }
        }

        let selected = end >= start ? Array(items[start...end]) : []
        if let storeKey {
            var output: [ByteString] = []
            for item in selected {
                if gets.isEmpty {
                    output.append(item.element)
                } else {
                    for pattern in gets {
                        output.append(lookup(c, pattern: pattern, element: item.element, forWrite: true) ?? ByteString([]))
                    }
                }
            }
            if output.isEmpty {
                if c.engine.deleteKey(db, storeKey) { c.notify(.generic, "del", storeKey) }
            } else {
                c.engine.setKey(db, storeKey, .list(makeList(output)))
                c.notify(.list, "sortstore", storeKey)
            }
            c.reply.integer(output.count)
            return
        }
        c.reply.arrayHeader(gets.isEmpty ? selected.count : selected.count * gets.count)
        for item in selected {
            if gets.isEmpty {
                c.reply.bulk(item.element)
                continue
            }
            for pattern in gets {
                if let value = lookup(c, pattern: pattern, element: item.element, forWrite: false) {
                    c.reply.bulk(value)
                } else {
                    c.reply.nullBulk()
                }
            }
        }
    }

    /// Redis's comparison: numeric by score with ties broken by the elements' bytes; ALPHA by
    /// the BY values (a missing one first) or the elements, as `strcoll` in the C locale
    /// compares them, or byte for byte (with lengths) when storing.
    static func compare(_ a: Item, _ b: Item, alpha: Bool, byPattern: Bool, binary: Bool) -> Int {
        if !alpha {
            if a.score > b.score { return 1 }
            if a.score < b.score { return -1 }
            return ByteString.compare(a.element, b.element)
        }
        if byPattern {
            guard let x = a.byValue, let y = b.byValue else {
                if a.byValue == nil && b.byValue == nil { return 0 }
                return a.byValue == nil ? -1 : 1
            }
            return binary ? ByteString.compare(x, y) : collate(x, y)
        }
        return binary ? ByteString.compare(a.element, b.element) : collate(a.element, b.element)
    }

    /// `strcoll` in the C locale: `strcmp` of the bytes up to the first NUL.
    static func collate(_ a: ByteString, _ b: ByteString) -> Int {
        a.withUnsafeBytes { x in
            b.withUnsafeBytes { y in
                var i = 0
                while true {
                    let p = i < x.count ? x[i] : 0
                    let q = i < y.count ? y[i] : 0
                    if p != q { return Int(p) - Int(q) }
                    if p == 0 { return 0 }
                    i += 1
                }
            }
        }
    }

    /// A sort key as C's `strtod` reads it: the whole string must be consumed, and neither NaN
    /// nor an out-of-range value is accepted.
    static func parseScore(_ value: ByteString) -> Double? {
        var text = value.bytes
        // strtod stops at a NUL, which then has to be the end.
        text.append(0)
        return text.withUnsafeBufferPointer { buffer -> Double? in
            buffer.withMemoryRebound(to: CChar.self) { chars -> Double? in
                var end: UnsafeMutablePointer<CChar>?
                errno = 0
                let result = strtod(chars.baseAddress!, &end)
                guard let end, end.pointee == 0, errno != ERANGE, !result.isNaN else { return nil }
                return result
            }
        }
    }

    /// The bytes of `pattern` up to its first NUL, as C string functions see them.
    static func cString(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
        bytes.prefix { $0 != 0 }
    }

    /// Redis's `lookupKeyByPattern`: `#` is the element itself; otherwise the first `*` is
    /// replaced by the element and the result names a string key, or with `->field` a hash field.
    static func lookup(_ c: CommandContext, pattern: [UInt8], element: ByteString, forWrite: Bool) -> ByteString? {
        if pattern.first == UInt8(ascii: "#") && (pattern.count == 1 || pattern[1] == 0) { return element }
        let visible = cString(pattern)
        guard let star = visible.firstIndex(of: UInt8(ascii: "*")) else { return nil }
        var field: [UInt8]?
        var keyEnd = pattern.count
        var i = star + 1
        while i + 1 < visible.endIndex {
            if visible[i] == UInt8(ascii: "-") && visible[i + 1] == UInt8(ascii: ">") {
                if i + 2 < visible.endIndex {
                    field = Array(pattern[(i + 2)...])
                    keyEnd = i
                }
                break
            }
            i += 1
        }
        let key = ByteString(Array(pattern[..<star]) + element.bytes + Array(pattern[(star + 1)..<keyEnd]))
        let value = forWrite ? c.engine.lookupWrite(c.database, key) : c.engine.lookupRead(c.database, key)
        guard let value else { return nil }
        if let field {
            guard case .hash(let h) = value else { return nil }
            return hashField(h, ByteString(field))
        }
        guard case .string(let s) = value else { return nil }
        return ByteString(s.bytes)
    }

    // MARK: Adapters to the collection types

    static func listElements(_ list: ListValue) -> [ByteString] { Array(list) }

    static func makeList(_ elements: [ByteString]) -> ListValue { ListValue(elements) }

    static func hashField(_ hash: HashValue, _ field: ByteString) -> ByteString? {
        hash.value(field.bytes).map { ByteString($0) }
    }
}
