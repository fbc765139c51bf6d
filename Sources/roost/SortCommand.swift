import ArgumentParser
import RoostCompute

/// `roost sort FILE...`: the lines of files sorted by bytes, by the MapReduce sort
/// (`BuiltinJobs.sortFiles`) on ranges cut from a sample of the input.
struct SortCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sort",
        abstract: "Sort the lines of files by bytes with MapReduce on worker processes.",
        discussion: """
            The output is that of LC_ALL=C sort: all lines of all files in unsigned bytewise order, \
            duplicates kept, each ending with \\n. Each reduce partition sorts one range of lines, cut \
            from a sample of the input. Exit codes: 0 done, 1 runtime error, 64 usage error.
            """
    )

    @Argument(help: "The files to sort.")
    var files: [String]

    @Flag(name: [.short, .long], help: "Sort in descending order.")
    var reverse = false

    @OptionGroup var options: FileJobOptions

    func run() async throws {
        let unsampled = try options.splits(of: files, parameters: FileSort.Parameters(boundaries: []), command: "roost sort")
        let sample = try FileSort.sample(unsampled.map(\.file))
        let parameters = FileSort.Parameters(
            boundaries: MapReducePartitioner.rangeBoundaries(sample: sample, partitions: options.partitions))
        let splits = unsampled.map { DocumentSplit(file: $0.file, document: $0.document, parameters: parameters) }
        let pairs = try await options.run(BuiltinJobs.sortFiles, splits: splits, partitions: parameters.boundaries.count + 1,
                                          command: "roost sort")
        try options.write(FileSort.lines(pairs, reverse: reverse), command: "roost sort")
    }
}
