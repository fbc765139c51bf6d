import ArgumentParser
import RoostJobs

extension JobsCommand {
    /// `roost jobs retry`: failed jobs back to waiting, with fresh attempts.
    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send failed jobs back to waiting with fresh attempts: those named, or all with --all.")

        @OptionGroup var options: JobsOptions

        @Argument(help: "Ids of failed jobs.")
        var ids: [String] = []

        @Flag(help: "Retry every failed job.")
        var all = false

        func validate() throws {
            guard all != !ids.isEmpty else { throw ValidationError("give the ids of failed jobs, or --all (not both)") }
        }

        func run() async throws {
            let retried = try await options.withQueue { try await $0.retryFailed(all ? nil : ids) }
            options.output(json: .object([("retried", .int(Int64(retried)))]),
                           text: "\(JobsCommand.count(retried)) sent back to waiting")
        }
    }

    /// `roost jobs delete`: removes jobs that are not running.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete jobs that are not running: those named, or every job in a state with --state STATE --all.")

        @OptionGroup var options: JobsOptions

        @Argument(help: "Ids of jobs to delete.")
        var ids: [String] = []

        @Option(help: "With --all: the state whose jobs to delete (running jobs cannot be).")
        var state: State?

        @Flag(help: "Delete every job in --state.")
        var all = false

        func validate() throws {
            if !ids.isEmpty {
                guard state == nil && !all else { throw ValidationError("give job ids, or --state STATE --all (not both)") }
            } else {
                guard let state, all else { throw ValidationError("give job ids, or --state STATE --all") }
                guard state != .active else { throw ValidationError("running jobs cannot be deleted") }
            }
        }

        func run() async throws {
            let deleted = try await options.withQueue { queue in
                try await queue.remove(ids.isEmpty ? nil : ids, in: state?.jobState ?? .failed)
            }
            options.output(json: .object([("deleted", .int(Int64(deleted)))]),
                           text: "\(JobsCommand.count(deleted)) deleted")
        }
    }

    /// `roost jobs pause`: workers stop taking jobs.
    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop workers from taking jobs (running ones finish; enqueueing goes on).")

        @OptionGroup var options: JobsOptions

        func run() async throws {
            try await options.withQueue { try await $0.pause() }
            options.output(json: .object([("queue", .string(options.queue)), ("paused", .bool(true))]),
                           text: "queue \(options.queue) paused")
        }
    }

    /// `roost jobs resume`: workers take jobs again.
    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let workers take jobs again.")

        @OptionGroup var options: JobsOptions

        func run() async throws {
            try await options.withQueue { try await $0.resume() }
            options.output(json: .object([("queue", .string(options.queue)), ("paused", .bool(false))]),
                           text: "queue \(options.queue) resumed")
        }
    }

    /// `roost jobs clean`: removes finished jobs by age and count.
    struct Clean: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove completed or failed jobs: those finished longer ago than --older-than, sparing the --keep newest.",
            discussion: "Without --older-than, jobs of any age go; without --keep, none is spared.")

        @OptionGroup var options: JobsOptions

        @Option(help: "Which finished jobs to remove.")
        var state: FinishedState

        @Option(name: .customLong("older-than"),
                help: ArgumentHelp("Only jobs finished longer ago than this (90s, 15m, 1h30m, 7d…).", valueName: "duration"),
                transform: JobsTime.parse)
        var olderThan: Duration?

        @Option(help: ArgumentHelp("Spare the n most recently finished jobs.", valueName: "n"))
        var keep: Int = 0

        func validate() throws {
            guard keep >= 0 else { throw ValidationError("--keep must not be negative") }
        }

        func run() async throws {
            let removed = try await options.withQueue { queue in
                try await queue.clean(state.jobState, olderThan: olderThan, keep: keep)
            }
            options.output(json: .object([("removed", .int(Int64(removed)))]),
                           text: "removed \(removed) \(state.rawValue) \(removed == 1 ? "job" : "jobs")")
        }
    }
}
