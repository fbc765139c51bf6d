import ArgumentParser
import RoostJobs

/// `roost jobs`: look at and manage a RoostJobs queue on a Roost, Redis, Valkey or Redis
/// Cluster server.
///
/// Every subcommand takes the options of `JobsOptions`: `--url` (default the local server),
/// `--cluster`, `--queue` (required) and `--json`. Exit codes: 0 on success, 1 when the work
/// failed (the server cannot be reached, refuses, or has no such job), 64 for bad usage.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Look at and manage a job queue (RoostJobs).",
        discussion: """
            Exit codes: 0 success, 1 runtime error (unreachable server, unknown job), 64 usage error.
            """,
        subcommands: [Stats.self, List.self, Show.self, Retry.self, Delete.self, Pause.self, Resume.self, Clean.self]
    )
}

/// The options every `roost jobs` subcommand takes: where the queue is, and how to print.
struct JobsOptions: ParsableArguments {
    /// Where `--url` points when it is not given: the local server on Redis's port.
    static let defaultURL = "redis://127.0.0.1:6379"

    @Option(help: ArgumentHelp(
        "The server: redis://[user:pass@]host[:port][/db], rediss://… (TLS) or unix:///path[?db=N].",
        valueName: "url"))
    var url: String = Self.defaultURL

    @Flag(help: "Use --url as a seed node of a Redis Cluster (TCP, database 0).")
    var cluster = false

    @Option(help: "The queue's name.")
    var queue: String

    @Flag(help: "Print JSON instead of text.")
    var json = false

    /// Prints `json` with `--json`, else `text`.
    func output(json: @autoclosure () -> JSONText, text: @autoclosure () -> String) {
        print(self.json ? json().text : text())
    }

    func validate() throws {
        guard !queue.isEmpty else { throw ValidationError("--queue must not be empty") }
        _ = try JobsConnection(url: url, cluster: cluster)
    }
}

/// A failure while doing a subcommand's work, printed as its one-line message (exit code 1).
struct JobsCommandError: Error, CustomStringConvertible {
    var message: String

    init(_ message: String) { self.message = message }

    var description: String { message }
}

extension JobsCommand {
    /// A job state as `list` and `delete --state` take it.
    enum State: String, CaseIterable, ExpressibleByArgument {
        case waiting, delayed, active, completed, failed
        case waitingChildren = "waiting-children"

        var jobState: JobState {
            switch self {
            case .waiting: .waiting
            case .delayed: .delayed
            case .active: .active
            case .completed: .completed
            case .failed: .failed
            case .waitingChildren: .waitingChildren
            }
        }
    }

    /// A finished state, as `clean --state` takes it.
    enum FinishedState: String, CaseIterable, ExpressibleByArgument {
        case completed, failed

        var jobState: JobState { self == .completed ? .completed : .failed }
    }

    /// `1 job` or `n jobs`.
    static func count(_ jobs: Int) -> String { jobs == 1 ? "1 job" : "\(jobs) jobs" }
}
