import RoostCompute

/// A word's count, ordered by count descending, then by the word's bytes.
struct CountThenWord: Codable, Comparable, Sendable {
    var count: Int
    var word: [UInt8]

    static func < (lhs: CountThenWord, rhs: CountThenWord) -> Bool {
        lhs.count != rhs.count ? lhs.count > rhs.count : lhs.word.lexicographicallyPrecedes(rhs.word)
    }
}

/// A customer of the join tests.
struct Customer: Codable, Hashable, Sendable {
    var name: String
    var city: String
}

/// The functions the dataset tests' plans name, registered by the driver and the workers alike.
enum DatasetTestFunctions {
    static let words = FlatMapFunction("test.words") { (line: [UInt8]) in
        line.split(whereSeparator: BuiltinJobs.isSpace).map { Array($0) }
    }
    static let one = MapFunction("test.one") { (word: [UInt8]) in Pair(word, 1) }
    static let sum = ReduceFunction("test.sum") { (a: Int, b: Int) in a + b }
    static let byCountThenWord = SortKeyFunction("test.by-count-then-word") { (pair: Pair<[UInt8], Int>) in
        CountThenWord(count: pair.value, word: pair.key)
    }
    static let isEven = FilterFunction("test.is-even") { (n: Int) in n % 2 == 0 }
    static let square = MapFunction("test.square") { (n: Int) in n * n }
    static let byLastDigit = MapFunction("test.by-last-digit") { (n: Int) in Pair(n % 10, n) }
    static let identity = SortKeyFunction("test.identity") { (n: Int) in n }
    static let countToWord = MapFunction("test.count-to-word") { (pair: Pair<[UInt8], Int>) in Pair(pair.value, pair.key) }
    static let groupSize = MapFunction("test.group-size") { (pair: Pair<Int, [[UInt8]]>) in Pair(pair.key, pair.value.count) }
    static let byKey = SortKeyFunction("test.by-key") { (pair: Pair<Int, Int>) in pair.key }
    static let explode = MapFunction("test.explode") { (n: Int) throws -> Int in
        if n == 13 { throw DatasetTestError(text: "thirteen is unlucky") }
        return n
    }

    static var all: [any DatasetFunction] {
        [words, one, sum, byCountThenWord, isEven, square, byLastDigit, identity, countToWord, groupSize, byKey, explode]
    }

    /// A registry of every test function except those named in `except`.
    static func registry(except: Set<String> = []) -> DatasetFunctions {
        let functions = DatasetFunctions()
        functions.register(all.filter { !except.contains($0.name) })
        return functions
    }
}

/// The error `DatasetTestFunctions.explode` throws.
struct DatasetTestError: Error, CustomStringConvertible {
    var text: String
    var description: String { text }
}

/// `count` seeded pseudo-random integers in `0..<bound`.
func seededIntegers(_ count: Int, bound: Int, seed: UInt64) -> [Int] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(bound))
    }
}
