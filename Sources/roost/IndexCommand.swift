import ArgumentParser
import RoostCompute

/// `roost index FILE...`: an inverted index of files, built by the MapReduce inverted index
/// (`BuiltinJobs.invertedIndexFiles`).
struct IndexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Build an inverted index of files with MapReduce on worker processes.",
        discussion: """
            A word is a maximal run of bytes that are not ASCII whitespace (as in roost wordcount). \
            Output: one word<TAB>file1:count,file2:count line per word, sorted by the word's bytes, \
            the files in the order given, each with its number of occurrences of the word. \
            Exit codes: 0 done, 1 runtime error, 64 usage error.
            """
    )

    @Argument(help: "The files to index.")
    var files: [String]

    @OptionGroup var options: FileJobOptions

    func run() async throws {
        let splits = try options.splits(of: files, parameters: [String: String](), command: "roost index")
        let pairs = try await options.run(BuiltinJobs.invertedIndexFiles, splits: splits, command: "roost index")
        try options.write(InvertedIndex.lines(pairs, names: files), command: "roost index")
    }
}
