import ArgumentParser
import RoostJobs

extension JobsCommand {
    /// `roost jobs stats`: counts per state, whether the queue is paused, its limits and how
    /// many schedules it has.
    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show how many jobs are in each state, whether the queue is paused, its limits and schedules.")

        @OptionGroup var options: JobsOptions

        func run() async throws {
            let (counts, settings, schedules, partitions) = try await options.withQueue { queue in
                (try await queue.counts(), try await queue.settings(), try await queue.schedules().count, queue.partitionCount)
            }
            let rate = settings.rate.map { "\($0.count) per \(JobsTime.format(milliseconds: JobsTime.milliseconds($0.per)))" }
            var rows = [["queue", options.queue], ["paused", settings.isPaused ? "yes" : "no"]]
            if partitions > 1 { rows.insert(["partitions", String(partitions)], at: 1) }
            rows += JobState.allCases.map { [$0.rawValue, String(counts[$0] ?? 0)] }
            rows += [["concurrency", settings.concurrency.map(String.init) ?? "unlimited"], ["rate", rate ?? "unlimited"],
                     ["schedules", String(schedules)]]
            let json = JSONText.object([
                ("queue", .string(options.queue)),
                ("partitions", .int(Int64(partitions))),
                ("paused", .bool(settings.isPaused)),
                ("counts", .object(JobState.allCases.map { ($0.rawValue, .int(Int64(counts[$0] ?? 0))) })),
                ("concurrency", .optional(settings.concurrency.map(Int64.init))),
                ("rate", settings.rate.map { .object([("count", .int(Int64($0.count))),
                                                      ("perMilliseconds", .int(JobsTime.milliseconds($0.per)))]) } ?? .null),
                ("schedules", .int(Int64(schedules))),
            ])
            options.output(json: json, text: TextTable(rows: rows).text)
        }
    }

    /// `roost jobs list STATE`: the jobs in one state, in the queue's order.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the jobs in a state: id, name, attempt and age (time since enqueued).",
            discussion: "Waiting jobs in the order they will run, delayed by when due, active by lease deadline, finished oldest first.")

        @OptionGroup var options: JobsOptions

        @Argument(help: "The state whose jobs to list.")
        var state: State

        @Option(help: ArgumentHelp("List at most this many.", valueName: "n"))
        var limit: Int = 100

        func validate() throws {
            guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
        }

        func run() async throws {
            let jobs = try await options.withQueue { queue in
                var jobs: [JobInfo] = []
                for id in try await queue.ids(in: state.jobState, limit: limit) {
                    // A job can finish and be trimmed between the two reads: skip it.
                    if let info = try await queue.info(id) { jobs.append(info) }
                }
                return jobs
            }
            let now = JobsTime.now
            let json = JSONText.object([
                ("queue", .string(options.queue)),
                ("state", .string(state.rawValue)),
                ("jobs", .array(jobs.map { job in
                    .object([("id", .string(job.id)), ("name", .string(job.name)), ("attempt", .int(Int64(job.attempt))),
                             ("maxAttempts", .int(Int64(job.maxAttempts))), ("priority", .int(Int64(job.priority))),
                             ("enqueuedAt", .int(job.enqueuedAt)), ("ageMilliseconds", .int(max(now - job.enqueuedAt, 0)))])
                })),
            ])
            let rows = [["ID", "NAME", "ATTEMPT", "AGE"]] + jobs.map { job in
                [job.id, job.name, "\(job.attempt)/\(job.maxAttempts)", JobsTime.format(milliseconds: now - job.enqueuedAt)]
            }
            options.output(json: json,
                           text: jobs.isEmpty ? "no \(state.rawValue) jobs in queue \(options.queue)" : TextTable(rows: rows).text)
        }
    }

    /// `roost jobs show ID`: everything the queue holds of one job.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a job: every field, its payload and result as JSON, its error and its log lines.")

        @OptionGroup var options: JobsOptions

        @Argument(help: "The job's id.")
        var id: String

        func run() async throws {
            let (job, logs) = try await options.withQueue { queue in
                guard let job = try await queue.info(id) else {
                    throw JobsCommandError("no job \(id) in queue \(queue.name)")
                }
                return (job, try await queue.logs(of: id))
            }
            let json = JSONText.object([
                ("id", .string(job.id)), ("name", .string(job.name)), ("state", .string(job.state.rawValue)),
                ("attempt", .int(Int64(job.attempt))), ("maxAttempts", .int(Int64(job.maxAttempts))),
                ("priority", .int(Int64(job.priority))), ("enqueuedAt", .int(job.enqueuedAt)),
                ("startedAt", .optional(job.startedAt)), ("finishedAt", .optional(job.finishedAt)),
                ("payload", .embedding(job.payload)), ("result", .embedding(job.result)),
                ("progress", .embedding(job.progress)), ("error", .optional(job.error)),
                ("logs", .array(logs.map { .string($0) })),
                ("parent", .optional(job.flow?.parent?.description)),
                ("children", .array((job.flow?.children ?? []).map { child in
                    .object([("job", .string(child.job.description)), ("name", .string(child.name)),
                             ("state", .string(child.state.rawValue)), ("error", .optional(child.error))])
                })),
            ])
            options.output(json: json, text: Self.text(job, logs: logs))
        }

        /// The job as aligned `field value` lines, then its log lines indented.
        static func text(_ job: JobInfo, logs: [String]) -> String {
            let now = JobsTime.now
            func instant(_ milliseconds: Int64?) -> String {
                guard let milliseconds else { return "-" }
                return "\(JobsTime.instant(milliseconds)) (\(JobsTime.format(milliseconds: now - milliseconds)) ago)"
            }
            func json(_ bytes: [UInt8]?) -> String { bytes.map { String(decoding: $0, as: UTF8.self) } ?? "-" }
            let rows = [
                ["id", job.id], ["name", job.name], ["state", job.state.rawValue],
                ["attempt", "\(job.attempt) of \(job.maxAttempts)"], ["priority", String(job.priority)],
                ["enqueued", instant(job.enqueuedAt)], ["started", instant(job.startedAt)], ["finished", instant(job.finishedAt)],
                ["payload", json(job.payload)], ["result", json(job.result)], ["progress", json(job.progress)],
                ["error", job.error ?? "-"], ["logs", logs.isEmpty ? "-" : String(logs.count)],
            ] + Self.flowRows(job.flow)
            return ([TextTable(rows: rows).text] + logs.map { "  " + $0 }).joined(separator: "\n")
        }

        /// A flow's rows: the parent, then one row per child with its state.
        static func flowRows(_ flow: JobFlow?) -> [[String]] {
            guard let flow else { return [] }
            var rows: [[String]] = []
            if let parent = flow.parent {
                rows.append(["parent", "\(parent) (on failure: \(flow.onFailure?.rawValue ?? "fail"))"])
            }
            if !flow.children.isEmpty {
                rows.append(["children", "\(flow.children.count), \(flow.pendingChildren) pending"])
                for child in flow.children {
                    rows.append(["  " + child.job.description, child.state.rawValue + (child.error.map { ": " + $0 } ?? "")])
                }
            }
            return rows
        }
    }
}
