import ArgumentParser
import RoostCompute

/// `roost grep PATTERN FILE...`: the lines of files that match a pattern, found by the
/// MapReduce grep (`BuiltinJobs.grepFiles`) and printed as `grep -Hn` prints them.
struct GrepCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grep",
        abstract: "Print the lines of files that match a pattern, searched with MapReduce on worker processes.",
        discussion: """
            Output: file:lineNumber:line for each matching line, in the order of the files and then of \
            the lines (as grep -Hn prints it); with -c, file:count for each file. The pattern is a Swift \
            Regex (Perl-like syntax), matched against each line decoded as UTF-8, or with -F a fixed \
            string matched byte for byte. -i ignores case (ASCII letters only with -F). Lines end at \\n. \
            Exit codes: 0 done, 1 runtime error, 64 usage error.
            """
    )

    @Argument(help: "The pattern.")
    var pattern: String

    @Argument(help: "The files to search.")
    var files: [String]

    @Flag(name: .customShort("F"), help: "The pattern is a fixed string, not a regular expression.")
    var fixedString = false

    @Flag(name: .short, help: "Ignore case.")
    var ignoreCase = false

    @Flag(name: .customShort("c"), help: "Print only each file's number of matching lines.")
    var count = false

    @OptionGroup var options: FileJobOptions

    var searched: FileGrep.Pattern { FileGrep.Pattern(Array(pattern.utf8), fixed: fixedString, ignoreCase: ignoreCase) }

    func validate() throws {
        do {
            _ = try searched.matcher()
        } catch {
            throw ValidationError("not a regular expression: \(pattern): \(error)")
        }
    }

    func run() async throws {
        let splits = try options.splits(of: files, parameters: searched, command: "roost grep")
        let pairs = try await options.run(BuiltinJobs.grepFiles, splits: splits, command: "roost grep")
        try options.write(FileGrep.lines(pairs, names: files, countOnly: count), command: "roost grep")
    }
}
