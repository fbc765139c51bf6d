import ArgumentParser
import Foundation
import RoostCompute

/// `roost wordcount FILE...`: counts the words of files with the MapReduce word count
/// (`BuiltinJobs.wordCountFiles`) and writes `count<TAB>word` lines, by count descending then
/// by the word's bytes ascending.
///
/// Without `--url` it starts Roost's server in-process on a free loopback port and `--workers`
/// `roost worker` processes (of this executable) that connect to it, and stops them at the end.
/// With `--url` it submits the job to that server, for the workers already connected there,
/// and starts `--workers` local ones only when asked.
struct WordCountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wordcount",
        abstract: "Count the words of files with MapReduce on worker processes.",
        discussion: """
            A word is a maximal run of bytes that are not ASCII whitespace (space, \\t, \\n, \\v, \\f, \\r), \
            counted case-sensitively, bytes as they are. Output: count<TAB>word lines, by count \
            descending then by the word's bytes. A progress bar goes to standard error when it is a \
            terminal. Exit codes: 0 done, 1 runtime error, 64 usage error.
            """
    )

    @Argument(help: "The files to count.")
    var files: [String]

    @Option(help: "Only the K most frequent words.")
    var top: Int?

    @OptionGroup var options: FileJobOptions

    func validate() throws {
        if let top { guard top >= 0 else { throw ValidationError("--top must not be negative") } }
    }

    func run() async throws {
        let splits = try options.splits(of: files, command: "roost wordcount")
        let partitions = options.partitions
        let tally = try await FileJobOptions.onServer(url: options.url, cluster: options.cluster, workers: options.workerCount,
                                                      namespace: options.namespace,
                                                      command: "roost wordcount") { mapReduce in
            let run = try await mapReduce.submit(BuiltinJobs.wordCountFiles, input: splits, partitions: partitions)
            try await FileJobOptions.watch(run, totalBytes: splits.reduce(Int64(0)) { $0 + $1.length })
            var tally = WordTally()
            for try await (word, count) in run.output() { tally.add(word: word, count: count) }
            try? await run.delete()
            return tally
        }
        try options.write(tally.lines(top: top), command: "roost wordcount")
    }
}
