/// The MapReduce master's algorithm as a value: it takes what happened (an attempt committed
/// or failed, time passed, a coordinator took over) and returns what to do next, with no I/O.
/// `MapReduceCoordinator` persists it in Redis after each step and carries out its directives.
///
/// **Phases.** All map tasks are scheduled at the start; when every map task is committed the
/// reduce phase starts and all reduce tasks are scheduled; when every reduce task is committed
/// the job is done.
///
/// **Attempts.** Each scheduled attempt of a task has a number (1, 2, …), and is run as its own
/// job of the task queue. An attempt that fails (its function threw, or its worker died or
/// stalled and its lease ran out) counts as a failure of its task; the task gets a new attempt
/// unless another of its attempts still runs, and the job fails once one task has failed
/// `maxAttempts` times.
///
/// **Backups** (the paper's "backup tasks"): when few tasks of the phase are left
/// (`backupFraction` of them, at least one) and an attempt has run longer than `backupAfter`
/// and `backupFactor` times the median time of the phase's committed attempts, a second
/// attempt of its task starts. Whichever commits first wins; the server's commit record
/// decides, and the instance follows it (`attemptCommitted`).
///
/// **Takeover.** A new coordinator loads the persisted instance and calls `takeOver(now:)`:
/// every attempt still live is scheduled again (scheduling is idempotent: the task-queue job's id
/// is the attempt's), and the clocks of running attempts restart at the new coordinator's time.
public struct CoordinatorInstance: Sendable, Codable, Hashable {
    /// The two kinds of task.
    public enum Stage: String, Sendable, Codable, Hashable {
        /// A map task (`m<i>`).
        case map = "m"
        /// A reduce task (`r<p>`).
        case reduce = "r"
    }

    /// A task: map task `index` (of split `index`) or reduce task `index` (of partition `index`).
    public struct TaskID: Sendable, Codable, Hashable, CustomStringConvertible {
        /// Map or reduce.
        public var stage: Stage
        /// The split (map) or partition (reduce).
        public var index: Int
        /// Task `index` of `stage`.
        public init(_ stage: Stage, _ index: Int) {
            self.stage = stage
            self.index = index
        }
        /// `m3`, `r0`.
        public var description: String { stage.rawValue + String(index) }
    }

    /// One attempt of a task.
    public struct Attempt: Sendable, Codable, Hashable, CustomStringConvertible {
        /// The task it is an attempt of.
        public var task: TaskID
        /// 1 for the first attempt.
        public var number: Int
        /// Whether it was started as a backup of a straggler.
        public var isBackup: Bool
        /// Attempt `number` of `task`.
        public init(task: TaskID, number: Int, isBackup: Bool = false) {
            self.task = task
            self.number = number
            self.isBackup = isBackup
        }
        /// `m3.2`.
        public var description: String { "\(task).\(number)" }
    }

    /// Where the job is.
    public enum Phase: String, Sendable, Codable, Hashable {
        /// Map tasks run.
        case map
        /// Every map task is committed; reduce tasks run.
        case reduce
        /// Every reduce task is committed.
        case done
        /// A task failed `maxAttempts` times.
        case failed
    }

    /// What the instance asks its shell to do.
    public enum Directive: Sendable, Hashable {
        /// Run `attempt` (enqueue its task-queue job).
        case schedule(Attempt)
        /// The map phase is over; reduce attempts follow as `schedule` directives.
        case startReducePhase
        /// Every reduce task is committed: mark the job done and clean up.
        case finish
        /// A task failed for good: mark the job failed with the message and clean up.
        case fail(String)
    }

    /// How the instance retries and backs up.
    public struct Settings: Sendable, Codable, Hashable {
        /// How many failed attempts a task may have before the job fails (at least 1).
        public var maxAttempts: Int
        /// The share of a phase's tasks left uncommitted below which backups may start.
        public var backupFraction: Double
        /// The least time an attempt runs before it gets a backup, in milliseconds.
        public var backupAfterMilliseconds: Int64
        /// An attempt gets a backup only past this multiple of the phase's median commit time.
        public var backupFactor: Double
        /// Whether backups start at all.
        public var backups: Bool

        /// Settings, clamped to their ranges.
        public init(maxAttempts: Int = 4, backupFraction: Double = 0.1, backupAfter: Duration = .seconds(10),
                    backupFactor: Double = 2, backups: Bool = true) {
            self.maxAttempts = max(maxAttempts, 1)
            self.backupFraction = min(max(backupFraction, 0), 1)
            self.backupAfterMilliseconds = max(backupAfter.computeMilliseconds, 0)
            self.backupFactor = max(backupFactor, 0)
            self.backups = backups
        }
    }

    struct AttemptState: Sendable, Codable, Hashable {
        var number: Int
        var isBackup: Bool
        /// When it was scheduled or (re)started, on the coordinator's clock (ms).
        var since: Int64
        var live: Bool
    }

    struct TaskState: Sendable, Codable, Hashable {
        var attempts: [AttemptState] = []
        var committed: Int?
        var failures = 0
        /// How long the committed attempt ran (ms), for the straggler threshold.
        var duration: Int64?
        var live: [AttemptState] { attempts.filter(\.live) }
    }

    /// The settings.
    public let settings: Settings
    /// Where the job is.
    public private(set) var phase: Phase = .map
    /// Why the job failed, once `phase` is `.failed`.
    public private(set) var failure: String?
    /// How many workers were last seen alive (nil: not told).
    public private(set) var liveWorkers: Int?
    /// Whether `start(now:)` ran.
    public private(set) var isStarted = false
    var maps: [TaskState]
    var reduces: [TaskState]

    /// A job of `maps` map tasks and `partitions` reduce tasks, not started.
    public init(maps: Int, partitions: Int, settings: Settings = Settings()) {
        precondition(maps >= 0 && partitions >= 1, "a job has at least one partition")
        self.settings = settings
        self.maps = Array(repeating: TaskState(), count: maps)
        self.reduces = Array(repeating: TaskState(), count: partitions)
    }

    /// How many map tasks (splits).
    public var mapCount: Int { maps.count }
    /// How many reduce tasks (partitions).
    public var partitionCount: Int { reduces.count }

    // MARK: - Events

    /// Starts the job: schedules every map task (or the reduce phase, for an input with no
    /// splits). Calling it again does nothing.
    public mutating func start(now: Int64) -> [Directive] {
        guard !isStarted else { return [] }
        isStarted = true
        if maps.isEmpty { return startReduce(now: now) }
        return (0..<maps.count).map { schedule(TaskID(.map, $0), backup: false, now: now) }
    }

    /// Attempt `number` of `task` started running (its lease was taken): its clock restarts.
    public mutating func attemptStarted(_ task: TaskID, attempt number: Int, now: Int64) {
        update(task) { state in
            if let i = state.attempts.firstIndex(where: { $0.number == number && $0.live }) { state.attempts[i].since = now }
        }
    }

    /// The server recorded attempt `number` as `task`'s committed attempt. The first commit of a
    /// task wins; a later report of another attempt changes nothing.
    public mutating func attemptCommitted(_ task: TaskID, attempt number: Int, now: Int64) -> [Directive] {
        guard phase == .map || phase == .reduce, isStarted else { return [] }
        var newlyCommitted = false
        update(task) { state in
            guard state.committed == nil else { return }
            newlyCommitted = true
            state.committed = number
            if let attempt = state.attempts.first(where: { $0.number == number }) { state.duration = max(now - attempt.since, 0) }
            for i in state.attempts.indices { state.attempts[i].live = false }
        }
        guard newlyCommitted, task.stage == (phase == .map ? .map : .reduce) else { return [] }
        if tasks(of: task.stage).allSatisfy({ $0.committed != nil }) {
            if phase == .map { return [.startReducePhase] + startReduce(now: now) }
            phase = .done
            return [.finish]
        }
        return []
    }

    /// Attempt `number` of `task` failed with `message` (its function threw, its lease ran out,
    /// or it finished without committing). Schedules another attempt, or fails the job.
    public mutating func attemptFailed(_ task: TaskID, attempt number: Int, message: String, now: Int64) -> [Directive] {
        guard phase == .map || phase == .reduce, task.stage == (phase == .map ? .map : .reduce) else { return [] }
        guard let state = tasks(of: task.stage)[safe: task.index], state.committed == nil,
              let attempt = state.attempts.first(where: { $0.number == number }), attempt.live
        else { return [] }
        var failures = 0
        var othersLive = false
        update(task) { state in
            for i in state.attempts.indices where state.attempts[i].number == number { state.attempts[i].live = false }
            state.failures += 1
            failures = state.failures
            othersLive = !state.live.isEmpty
        }
        if failures >= settings.maxAttempts {
            phase = .failed
            failure = "task \(task) failed \(failures) time\(failures == 1 ? "" : "s"); the last attempt: \(message)"
            return [.fail(failure ?? message)]
        }
        return othersLive ? [] : [schedule(task, backup: false, now: now)]
    }

    /// Time passed: starts backups of stragglers when the phase nears its end.
    public mutating func timePassed(now: Int64) -> [Directive] {
        guard settings.backups, let stage = currentStage, let threshold = backupThreshold(stage) else { return [] }
        var directives: [Directive] = []
        for index in tasks(of: stage).indices {
            let state = tasks(of: stage)[index]
            let live = state.live
            guard state.committed == nil, live.count == 1, !state.attempts.contains(where: \.isBackup),
                  now - live[0].since >= threshold else { continue }
            directives.append(schedule(TaskID(stage, index), backup: true, now: now))
        }
        return directives
    }

    /// When `timePassed` could next start a backup (nil: not until another event).
    public func nextBackupCheck(now: Int64) -> Int64? {
        guard settings.backups, let stage = currentStage, let threshold = backupThreshold(stage) else { return nil }
        return tasks(of: stage).compactMap { state -> Int64? in
            let live = state.live
            guard state.committed == nil, live.count == 1, !state.attempts.contains(where: \.isBackup) else { return nil }
            return max(live[0].since + threshold, now)
        }.min()
    }

    /// The number of live workers changed (for progress; scheduling does not depend on it).
    public mutating func workersChanged(_ count: Int) {
        liveWorkers = count
    }

    /// A coordinator took over the persisted instance: re-schedules every live attempt of the
    /// current phase (idempotent) and restarts their clocks; starts the job if it never started.
    public mutating func takeOver(now: Int64) -> [Directive] {
        guard isStarted else { return start(now: now) }
        switch phase {
        case .done: return [.finish]
        case .failed: return [.fail(failure ?? "failed")]
        case .map, .reduce: break
        }
        let stage: Stage = phase == .map ? .map : .reduce
        var directives: [Directive] = []
        for index in tasks(of: stage).indices {
            update(TaskID(stage, index)) { state in
                for i in state.attempts.indices where state.attempts[i].live { state.attempts[i].since = now }
            }
            for attempt in tasks(of: stage)[index].live {
                directives.append(.schedule(Attempt(task: TaskID(stage, index), number: attempt.number, isBackup: attempt.isBackup)))
            }
        }
        return directives
    }

    // MARK: - Views

    /// The attempts that are scheduled or running, of the current phase.
    public var liveAttempts: [Attempt] {
        guard let stage = currentStage else { return [] }
        return tasks(of: stage).enumerated().flatMap { index, state in
            state.live.map { Attempt(task: TaskID(stage, index), number: $0.number, isBackup: $0.isBackup) }
        }
    }

    /// The committed attempt of `task`, if any.
    public func committedAttempt(of task: TaskID) -> Int? { tasks(of: task.stage)[safe: task.index]?.committed }

    /// How many tasks of `stage` are in each state.
    public func counts(_ stage: Stage) -> MapReduceProgress.TaskCounts {
        var counts = MapReduceProgress.TaskCounts()
        for state in tasks(of: stage) {
            if state.committed != nil {
                counts.committed += 1
            } else if !state.live.isEmpty {
                counts.running += 1
            } else {
                counts.pending += 1
            }
            counts.failedAttempts += state.failures
            counts.backups += state.attempts.filter(\.isBackup).count
        }
        return counts
    }

    // MARK: - Internals

    private var currentStage: Stage? {
        switch phase {
        case .map: isStarted ? .map : nil
        case .reduce: .reduce
        case .done, .failed: nil
        }
    }

    func tasks(of stage: Stage) -> [TaskState] { stage == .map ? maps : reduces }

    private mutating func update(_ task: TaskID, _ body: (inout TaskState) -> Void) {
        switch task.stage {
        case .map: if maps.indices.contains(task.index) { body(&maps[task.index]) }
        case .reduce: if reduces.indices.contains(task.index) { body(&reduces[task.index]) }
        }
    }

    private mutating func schedule(_ task: TaskID, backup: Bool, now: Int64) -> Directive {
        var number = 0
        update(task) { state in
            number = (state.attempts.map(\.number).max() ?? 0) + 1
            state.attempts.append(AttemptState(number: number, isBackup: backup, since: now, live: true))
        }
        return .schedule(Attempt(task: task, number: number, isBackup: backup))
    }

    private mutating func startReduce(now: Int64) -> [Directive] {
        phase = .reduce
        return (0..<reduces.count).map { schedule(TaskID(.reduce, $0), backup: false, now: now) }
    }

    /// The running time past which an attempt of `stage` gets a backup, or nil when the phase
    /// is not near its end.
    private func backupThreshold(_ stage: Stage) -> Int64? {
        let all = tasks(of: stage)
        let left = all.filter { $0.committed == nil }.count
        let window = max(1, Int((Double(all.count) * settings.backupFraction).rounded(.up)))
        guard left > 0, left <= window else { return nil }
        return stragglerThreshold(stage)
    }

    /// The running time past which an attempt of `stage` is a straggler: `backupAfter`, or
    /// `backupFactor` times the median time of the stage's committed attempts if longer.
    func stragglerThreshold(_ stage: Stage) -> Int64 {
        max(settings.backupAfterMilliseconds, Int64(Double(medianDuration(stage) ?? 0) * settings.backupFactor))
    }

    /// The median time of `stage`'s committed attempts (ms), nil before the first commit.
    func medianDuration(_ stage: Stage) -> Int64? {
        let durations = tasks(of: stage).compactMap(\.duration).sorted()
        return durations.isEmpty ? nil : durations[durations.count / 2]
    }
}

extension Array {
    fileprivate subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
