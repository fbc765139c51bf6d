import NIOCore

extension CommandKeys {
    /// The keys among `arguments` (the command name at index 0), found as Redis 7.0's
    /// COMMAND GETKEYS finds them: by the key specs when every one of them applies to these
    /// arguments and their flags are fixed, else by the command's `procedure`.
    ///
    /// An empty result means no key: either the command has none here, or Redis would answer
    /// COMMAND GETKEYS with an error ("Invalid arguments specified for command"). The arity is not
    /// checked; the server rejects a wrong count whatever node gets it.
    /// - Parameter includingNotKeys: count the specs flagged `not_key` too: the channels of sharded
    ///   pub/sub, which cluster routing hashes like keys.
    public func keys<Arguments: RandomAccessCollection>(in arguments: Arguments, includingNotKeys: Bool = false) -> [Key]
    where Arguments.Element == ByteBuffer {
        let arguments = ArgumentList(arguments)
        let usesSpecs = (hasKeySpec || includingNotKeys && !specs.isEmpty) && !hasVariableFlags
        if usesSpecs, let keys = keysFromSpecs(arguments, includingNotKeys: includingNotKeys) { return keys }
        return procedure?.keys(arguments) ?? []
    }

    /// The keys the specs give, or nil when one spec does not apply (an unknown search, a count
    /// that is not a number, keys past the end, or an incomplete spec), as Redis's
    /// `getKeysUsingKeySpecs` fails.
    private func keysFromSpecs<Arguments>(_ arguments: ArgumentList<Arguments>, includingNotKeys: Bool) -> [Key]? {
        let argc = arguments.count
        var keys: [Key] = []
        for spec in specs where includingNotKeys || !spec.isNotKey {
            var first: Int
            switch spec.beginSearch {
            case .index(let index):
                first = index
            case .keyword(let keyword, let startFrom):
                // The search never looks at its end index: the last argument going forwards,
                // argument 1 going backwards.
                let start = startFrom > 0 ? startFrom : argc + startFrom
                let end = startFrom > 0 ? argc - 1 : 1
                let step = start <= end ? 1 : -1
                var i = start
                var found: Int?
                while i != end && i >= 1 && i < argc {
                    if arguments.word(i, is: keyword) {
                        found = i + 1
                        break
                    }
                    i += step
                }
                guard let found else { continue }
                first = found
            case .unknown:
                return nil
            }
            let last: Int
            let step: Int
            switch spec.findKeys {
            case .range(let lastKey, let keyStep, let limit):
                step = keyStep
                if lastKey >= 0 {
                    last = first + lastKey
                } else if limit == 0 {
                    last = argc + lastKey
                } else {
                    last = first + (argc - first) / limit + lastKey
                }
            case .keynum(let keyNumIndex, let firstKey, let keyStep):
                step = keyStep
                let at = first + keyNumIndex
                guard at >= 0, at < argc, let count = RedisInteger.parse(arguments[at]), count >= 0 else { return nil }
                first += firstKey
                // Redis keeps the count in a C int.
                last = first + Int(Int32(truncatingIfNeeded: count)) - 1
            case .unknown:
                return nil
            }
            guard first >= 0, first < argc, last < argc, last >= first else { return nil }
            for index in stride(from: first, through: last, by: max(step, 1)) {
                keys.append(Key(index: index, flags: spec.flags))
            }
            if spec.isIncomplete { return nil }
        }
        return keys
    }
}

extension CommandKeys.Procedure {
    /// The keys Redis 7.0's procedure of this kind finds in `arguments`.
    func keys<Arguments>(_ arguments: ArgumentList<Arguments>) -> [CommandKeys.Key] {
        let argc = arguments.count
        switch self {
        case .numKeys(let storeAt, let countAt, let firstAt):
            guard countAt < argc else { return [] }
            let count = arguments.cInteger(countAt)
            guard count >= 1, count <= argc - firstAt else { return [] }
            var keys = (firstAt..<firstAt + count).map { CommandKeys.Key(index: $0, flags: []) }
            if storeAt != 0 { keys.append(CommandKeys.Key(index: storeAt, flags: [])) }
            return keys
        case .sort:
            guard argc > 1 else { return [] }
            var store: Int?
            var i = 2
            while i < argc {
                if arguments.word(i, is: "limit") {
                    i += 2
                } else if arguments.word(i, is: "get") || arguments.word(i, is: "by") {
                    i += 1
                } else if arguments.word(i, is: "store") && i + 1 < argc {
                    // The last STORE wins, as in SORT itself; its key is looked at as an option too.
                    store = i + 1
                }
                i += 1
            }
            return [CommandKeys.Key(index: 1, flags: ["RO", "access"])]
                + (store.map { [CommandKeys.Key(index: $0, flags: ["OW", "update"])] } ?? [])
        case .sortReadOnly:
            return argc > 1 ? [CommandKeys.Key(index: 1, flags: ["RO", "access"])] : []
        case .migrate:
            var range = argc > 3 ? 3..<4 : 0..<0
            var i = 6
            while i < argc {
                if arguments.word(i, is: "keys") {
                    range = arguments[3].readableBytes > 0 ? 0..<0 : (i + 1)..<argc
                    break
                }
                if arguments.word(i, is: "auth") {
                    i += 1
                } else if arguments.word(i, is: "auth2") {
                    i += 2
                }
                i += 1
            }
            return range.map { CommandKeys.Key(index: $0, flags: ["RW", "access", "delete"]) }
        case .geoRadius:
            guard argc > 1 else { return [] }
            var store: Int?
            var i = 5
            while i < argc {
                if (arguments.word(i, is: "store") || arguments.word(i, is: "storedist")) && i + 1 < argc {
                    store = i + 1
                    i += 1
                }
                i += 1
            }
            return ([1] + (store.map { [$0] } ?? [])).map { CommandKeys.Key(index: $0, flags: []) }
        case .streams:
            var streams: Int?
            var i = 1
            scan: while i < argc {
                if arguments.word(i, is: "block") || arguments.word(i, is: "count") {
                    i += 1
                } else if arguments.word(i, is: "group") {
                    i += 2
                } else if arguments.word(i, is: "streams") {
                    streams = i
                    break scan
                } else if !arguments.word(i, is: "noack") {
                    break scan
                }
                i += 1
            }
            guard let streams else { return [] }
            let count = argc - streams - 1
            guard count > 0, count % 2 == 0 else { return [] }
            return (streams + 1..<streams + 1 + count / 2).map { CommandKeys.Key(index: $0, flags: []) }
        case .set:
            guard argc > 1 else { return [] }
            let reads = argc > 3 && (3..<argc).contains { arguments.word($0, is: "get") }
            return [CommandKeys.Key(index: 1, flags: reads ? ["RW", "access", "update"] : ["OW", "update"])]
        case .bitfield:
            guard argc > 1 else { return [] }
            var readOnly = true
            var i = 2
            while i < argc {
                let remaining = argc - i - 1
                if arguments.word(i, is: "get") && remaining >= 2 {
                    i += 2
                } else if (arguments.word(i, is: "set") || arguments.word(i, is: "incrby")) && remaining >= 3 {
                    readOnly = false
                    break
                } else if arguments.word(i, is: "overflow") && remaining >= 1 {
                    i += 1
                } else {
                    readOnly = false   // a syntax error: assume the worst
                    break
                }
                i += 1
            }
            return [CommandKeys.Key(index: 1, flags: readOnly ? ["RO", "access"] : ["RW", "access", "update"])]
        }
    }
}

/// A command's arguments indexed from 0, with the comparisons Redis's key finding makes.
struct ArgumentList<Arguments: RandomAccessCollection> where Arguments.Element == ByteBuffer {
    let arguments: Arguments

    init(_ arguments: Arguments) { self.arguments = arguments }

    var count: Int { arguments.count }

    subscript(index: Int) -> ByteBuffer {
        arguments[arguments.index(arguments.startIndex, offsetBy: index)]
    }

    /// Whether argument `index` is `word` ignoring ASCII case, compared as C strings are (up to
    /// the argument's first NUL), as Redis compares option names.
    func word(_ index: Int, is word: String) -> Bool {
        let view = self[index].readableBytesView
        let end = view.firstIndex(of: 0) ?? view.endIndex
        return view[..<end].elementsEqual(word.utf8) { Self.lowercased($0) == Self.lowercased($1) }
    }

    /// Argument `index` read as C's `atoi` reads it: leading spaces, a sign, then digits up to the
    /// first other byte, kept in a C int (a value too large for a long saturates first).
    func cInteger(_ index: Int) -> Int {
        let view = self[index].readableBytesView
        var i = view.startIndex
        while i < view.endIndex, [9, 10, 11, 12, 13, 32].contains(view[i]) { i += 1 }
        var negative = false
        if i < view.endIndex, view[i] == UInt8(ascii: "-") || view[i] == UInt8(ascii: "+") {
            negative = view[i] == UInt8(ascii: "-")
            i += 1
        }
        var value: Int64 = 0
        var saturated = false
        while i < view.endIndex, view[i] >= UInt8(ascii: "0"), view[i] <= UInt8(ascii: "9") {
            let digit = Int64(view[i] - UInt8(ascii: "0"))
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(digit)
            if overflow1 || overflow2 { saturated = true }
            value = sum
            i += 1
        }
        let long = saturated ? (negative ? Int64.min : Int64.max) : (negative ? -value : value)
        return Int(Int32(truncatingIfNeeded: long))
    }

    private static func lowercased(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c | 0x20 : c }
}
